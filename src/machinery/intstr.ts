/**
 * `intstr.IntOrString` helpers (k8s.io/apimachinery/pkg/util/intstr/intstr.go): values such as a Deployment's
 * `maxSurge`/`maxUnavailable` or a PodDisruptionBudget's `minAvailable`, given as an integer or a percentage string.
 */

/** JSON form of an IntOrString: a number, or a string such as `"25%"` (or a named port like `"http"`). */
export type IntOrString = number | string;

/** Error with upstream's wording. */
export class IntOrStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntOrStringError';
  }
}

/** Go's `strconv.Atoi` on a decimal string; throws with Go's message. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new IntOrStringError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new IntOrStringError(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/** `IntOrString.IntValue()`: the int, or the string parsed as an int (0 when it is not one). */
export function intValue(v: IntOrString): number {
  if (typeof v === 'number') return Math.trunc(v);
  try {
    return atoi(v);
  } catch {
    return 0;
  }
}

/**
 * `GetScaledValueFromIntOrPercent`: an int as is; `"N%"` as N% of `total`, rounded up (ceil) or down (floor).
 * @param total the 100% amount (e.g. desired replicas)
 * @throws IntOrStringError `nil value for IntOrString`, `invalid value for IntOrString: invalid type: string is not a
 *   percentage`, or `invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax`.
 */
export function getScaledValueFromIntOrPercent(v: IntOrString | null | undefined, total: number, roundUp: boolean): number {
  if (v === null || v === undefined) throw new IntOrStringError('nil value for IntOrString');
  let value: number;
  let isPercent = false;
  if (typeof v === 'number') value = Math.trunc(v);
  else if (typeof v === 'string') {
    if (!v.endsWith('%')) throw new IntOrStringError('invalid value for IntOrString: invalid type: string is not a percentage');
    isPercent = true;
    try {
      value = atoi(v.slice(0, -1));
    } catch (e) {
      throw new IntOrStringError(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: ${(e as Error).message}`);
    }
  } else {
    throw new IntOrStringError('invalid value for IntOrString: invalid type: neither int nor percentage');
  }
  if (isPercent) value = roundUp ? Math.ceil((value * total) / 100) : Math.floor((value * total) / 100);
  return value;
}

/**
 * `GetIntOrPercentValue` (deprecated upstream): the int, or the number in a string with every `%` removed.
 * @returns `{value, isPercent}` (isPercent true for any string)
 * @throws IntOrStringError `invalid value "x": strconv.Atoi: …` when the string is not a number.
 */
export function getIntOrPercentValue(v: IntOrString): { value: number; isPercent: boolean } {
  if (typeof v === 'number') return { value: Math.trunc(v), isPercent: false };
  try {
    return { value: atoi(v.replace(/%/g, '')), isPercent: true };
  } catch (e) {
    throw new IntOrStringError(`invalid value ${JSON.stringify(v)}: ${(e as Error).message}`);
  }
}

/** `intstr.ValueOrDefault`: `v` unless null/undefined. */
export function valueOrDefault(v: IntOrString | null | undefined, def: IntOrString): IntOrString {
  return v === null || v === undefined ? def : v;
}
