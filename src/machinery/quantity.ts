/**
 * `resource.Quantity`: fixed-point amounts with SI / binary-SI / exponent suffixes (`500m`, `1Gi`, `1e3`).
 *
 * Mirrors k8s.io/apimachinery/pkg/api/resource (quantity.go, amount.go, suffix.go) with exact bigint arithmetic:
 * parsing (including upstream's round-up to nano precision and the 2^63-1 cap on binary amounts), the canonical
 * string form (and upstream's reuse of an input that is already canonical), comparison, rounding and
 * `Value()`/`MilliValue()` (rounded up, away from zero).
 */

/** `resource.Format`. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Error from {@link parseQuantity}, worded as upstream (`ErrFormatWrong`, `ErrNumeric`, `ErrSuffix`). */
export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const splitREString = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
/** Upstream `ErrFormatWrong` text. */
export const errFormatWrong = `quantities must match the regular expression '${splitREString}'`;
/** Upstream `ErrNumeric` text. */
export const errNumeric = 'unable to parse numeric part of quantity';
/** Upstream `ErrSuffix` text. */
export const errSuffix = "unable to parse quantity's suffix";

const maxInt64 = 2n ** 63n - 1n;
const nano = -9;

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

const decSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binSuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decByExp = new Map(Object.entries(decSuffixes).map(([k, v]) => [v, k]));
const binByExp = new Map(Object.entries(binSuffixes).map(([k, v]) => [v, k]));

function interpret(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } | undefined {
  if (suffix in decSuffixes) return { base: 10, exponent: decSuffixes[suffix], format: 'DecimalSI' };
  if (suffix in binSuffixes) return { base: 2, exponent: binSuffixes[suffix], format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const rest = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(rest)) return undefined;
    const e = Number(rest);
    if (!Number.isSafeInteger(e) || Math.abs(e) > 2 ** 31 - 1) return undefined;
    return { base: 10, exponent: e, format: 'DecimalExponent' };
  }
  return undefined;
}

const isDigit = (c: string) => c >= '0' && c <= '9';

/** upstream parseQuantityString: sign, numerator (leading zeros stripped), denominator, suffix. */
function parseQuantityString(str: string): { positive: boolean; num: string; denom: string; suffix: string } {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end) {
    if (str[0] === '-') {
      positive = false;
      pos++;
    } else if (str[0] === '+') pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  pos = i;
  if (num.length === 0) num = '0';
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  i = pos;
  while (i < end && 'eEinumkKMGTP'.includes(str[i])) i++;
  if (i >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  for (i = pos; i < end; i++) if (!isDigit(str[i])) throw new QuantityError(errFormatWrong);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

/** Divides `v` by 10^n rounding away from zero; `exact` false when a remainder was dropped. */
function divRoundUp(v: bigint, n: number): { v: bigint; exact: boolean } {
  if (n <= 0) return { v: v * pow10(-n), exact: true };
  const d = pow10(n);
  const q = v / d;
  const r = v % d;
  if (r === 0n) return { v: q, exact: true };
  return { v: v < 0n ? q - 1n : q + 1n, exact: false };
}

/**
 * An immutable resource quantity: value = `unscaled × 10^exponent`, with the format used when printing.
 * Construct with {@link parseQuantity}, {@link newQuantity}, {@link newMilliQuantity}, {@link newScaledQuantity}.
 */
export class Quantity {
  /** @internal */
  constructor(
    readonly unscaled: bigint,
    readonly exponent: number,
    readonly format: QuantityFormat,
    private readonly cached?: string,
    /** true when upstream would hold this value as an inf.Dec (slow parse path / overflow); affects ScaledValue of negatives. */
    private readonly dec = false,
  ) {}

  /** `IsZero()`. */
  isZero(): boolean {
    return this.unscaled === 0n;
  }

  /** `Sign()`: -1, 0 or 1. */
  sign(): number {
    return this.unscaled < 0n ? -1 : this.unscaled > 0n ? 1 : 0;
  }

  /** `Cmp(y)`: -1, 0 or 1 comparing values (format ignored). */
  cmp(y: Quantity): number {
    const e = Math.min(this.exponent, y.exponent);
    const a = this.unscaled * pow10(this.exponent - e);
    const b = y.unscaled * pow10(y.exponent - e);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** `CmpInt64(y)`. */
  cmpInt64(y: number | bigint): number {
    return this.cmp(new Quantity(BigInt(y), 0, 'DecimalSI'));
  }

  /** `Equal(y)`: same value. */
  equal(y: Quantity): boolean {
    return this.cmp(y) === 0;
  }

  /**
   * `ScaledValue(scale)` as a bigint: ceil(q / 10^scale), rounded away from zero (upstream's inf.Dec form rounds
   * negatives toward +∞; both kept).
   */
  scaledValueBig(scale: number): bigint {
    const shift = scale - this.exponent; // divide unscaled by 10^shift
    if (shift <= 0) return this.unscaled * pow10(-shift);
    const d = pow10(shift);
    const q = this.unscaled / d;
    const r = this.unscaled % d;
    if (r === 0n) return q;
    if (this.unscaled < 0n) return this.dec ? q + 1n : q - 1n;
    return q + 1n;
  }

  /** `ScaledValue(scale)` as a number (may lose precision above 2^53). */
  scaledValue(scale: number): number {
    return Number(this.scaledValueBig(scale));
  }

  /** `Value()`: the value rounded up to an integer (e.g. `100m` → 1, `1.5` → 2). Units of the quantity (bytes, cores). */
  value(): number {
    return this.scaledValue(0);
  }

  /** `MilliValue()`: ceil(q × 1000), e.g. CPU in millicores (`0.1` → 100). */
  milliValue(): number {
    return this.scaledValue(-3);
  }

  /** `AsApproximateFloat64()`. */
  asApproximateFloat64(): number {
    return Number(this.unscaled) * 10 ** this.exponent;
  }

  /**
   * `RoundUp(scale)`: rounds away from zero to a multiple of 10^scale.
   * @returns the rounded quantity and `exact` (false when precision was lost).
   */
  roundUp(scale: number): { quantity: Quantity; exact: boolean } {
    if (this.exponent >= scale) return { quantity: this, exact: true };
    const { v, exact } = divRoundUp(this.unscaled, scale - this.exponent);
    return { quantity: new Quantity(v, scale, this.format, undefined, this.dec), exact };
  }

  /** `Add(y)`: sum; when this is zero the result takes y's format. */
  add(y: Quantity): Quantity {
    const e = Math.min(this.exponent, y.exponent);
    const v = this.unscaled * pow10(this.exponent - e) + y.unscaled * pow10(y.exponent - e);
    return new Quantity(v, e, this.isZero() ? y.format : this.format, undefined, this.dec || y.dec || abs(v) > maxInt64);
  }

  /** `Sub(y)`: difference; when this is zero the result takes y's format. */
  sub(y: Quantity): Quantity {
    return this.add(y.neg()).withFormat(this.isZero() ? y.format : this.format);
  }

  /** `Neg()`. */
  neg(): Quantity {
    return new Quantity(-this.unscaled, this.exponent, this.format, undefined, this.dec);
  }

  /** Same value with another format (no cached string). */
  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.unscaled, this.exponent, format, undefined, this.dec);
  }

  /** Exact decimal string of the value, e.g. `0.000000005`, `102435.84`, `-3`. */
  toDecimalString(): string {
    const neg = this.unscaled < 0n;
    let digits = abs(this.unscaled).toString();
    let out: string;
    if (this.exponent >= 0) out = this.unscaled === 0n ? '0' : digits + '0'.repeat(this.exponent);
    else {
      const frac = -this.exponent;
      if (digits.length <= frac) digits = '0'.repeat(frac - digits.length + 1) + digits;
      const intPart = digits.slice(0, digits.length - frac);
      const fracPart = digits.slice(digits.length - frac).replace(/0+$/, '');
      out = fracPart ? `${intPart}.${fracPart}` : intPart;
    }
    return neg && out !== '0' ? '-' + out : out;
  }

  /** Canonical mantissa/exponent in base 10 with the exponent a multiple of 3 (`AsCanonicalBytes`). */
  private canonicalBase10(): { mantissa: bigint; exp: number } {
    let m = this.unscaled;
    let e = this.exponent;
    while (m !== 0n && m % 10n === 0n) {
      m /= 10n;
      e++;
    }
    while (((e % 3) + 3) % 3 !== 0) {
      m *= 10n;
      e--;
    }
    return { mantissa: m, exp: e };
  }

  /** `String()`: the canonical form (`1Gi`, `500m`, `1e3`), or the input string when upstream keeps it. */
  toString(): string {
    if (this.cached !== undefined) return this.cached;
    if (this.isZero()) return '0';
    let format = this.format;
    let rounded = 0n;
    if (format === 'BinarySI') {
      if (this.cmpInt64(-1024) > 0 && this.cmpInt64(1024) < 0) format = 'DecimalSI';
      else {
        const r = divRoundUp(this.unscaled, -this.exponent);
        rounded = r.v;
        if (!r.exact) format = 'DecimalSI';
      }
    }
    if (format === 'BinarySI') {
      let m = rounded;
      let e = 0;
      while (m !== 0n && m % 1024n === 0n && e < 6) {
        m /= 1024n;
        e++;
      }
      return m.toString() + (binByExp.get(e * 10) ?? '');
    }
    let { mantissa, exp } = this.canonicalBase10();
    if (format === 'DecimalExponent') return mantissa.toString() + (exp === 0 ? '' : `e${exp}`);
    // DecimalSI: suffixes span 1e-9 .. 1e18
    while (exp > 18) {
      mantissa *= 1000n;
      exp -= 3;
    }
    const suffix = decByExp.get(exp);
    if (suffix === undefined) return mantissa.toString() + `e${exp}`;
    return mantissa.toString() + suffix;
  }

  /** JSON form: the string (as upstream's MarshalJSON). */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * `resource.ParseQuantity`: parses `<sign><digits>[.<digits>]<suffix>` where suffix is a decimal SI suffix
 * (n u m "" k M G T P E), a binary SI suffix (Ki Mi Gi Ti Pi Ei) or an exponent (`e3`, `E-6`).
 * Values are rounded up to nano precision; binary-suffixed values above 2^63-1 are capped.
 * @throws QuantityError with upstream's messages for malformed input (no surrounding whitespace allowed).
 */
export function parseQuantity(str: string): Quantity {
  if (str.length === 0) throw new QuantityError(errFormatWrong);
  if (str === '0') return new Quantity(0n, 0, 'DecimalSI', str);
  const { positive, num, denom, suffix } = parseQuantityString(str);
  const it = interpret(suffix);
  if (!it) throw new QuantityError(errSuffix);
  const { base, exponent } = it;
  let format = it.format;

  // upstream's int64 fast path (decides whether the input string is kept as the canonical form)
  let precision: number;
  let scale: number;
  let mantissa = 1n;
  if (format === 'BinarySI') {
    scale = 0;
    if (exponent >= 0 && denom.length === 0) {
      mantissa = 1n << BigInt(exponent);
      precision = 15 - num.length - Math.trunc(Math.fround((Math.fround(exponent) * 3) / 10)) - 1;
    } else precision = -1;
  } else {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= nano) {
      const shifted = num + denom;
      const value = BigInt(shifted);
      if (value > maxInt64) throw new QuantityError(errNumeric);
      let result = value * mantissa;
      if (result <= maxInt64) {
        if (!positive) result = -result;
        let keep = false;
        if (format === 'BinarySI') keep = exponent % 10 === 0 && (value & 7n) !== 0n;
        else keep = scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        return new Quantity(result, scale, format, keep ? str : undefined);
      }
    }
  }

  // inf.Dec slow path
  let v = BigInt(num + denom);
  let e = -denom.length;
  if (base === 10) e += exponent;
  else v *= 1n << BigInt(exponent);
  if (v !== 0n && e < nano) {
    v = divRoundUp(v, nano - e).v;
    e = nano;
  }
  const amount = new Quantity(v, e, format);
  if (format === 'BinarySI' && amount.cmpInt64(maxInt64) > 0) {
    v = maxInt64;
    e = 0;
  }
  const positiveAmount = new Quantity(v, e, format);
  if (format === 'BinarySI' && positiveAmount.cmpInt64(1) < 0 && positiveAmount.cmpInt64(0) > 0) format = 'DecimalSI';
  return new Quantity(positive ? v : -v, e, format, undefined, true);
}

/** Like {@link parseQuantity} but returns undefined instead of throwing. */
export function tryParseQuantity(str: string): Quantity | undefined {
  try {
    return parseQuantity(str);
  } catch {
    return undefined;
  }
}

/** `resource.MustParse`: {@link parseQuantity} that throws a plain Error mentioning the input. */
export function mustParse(str: string): Quantity {
  try {
    return parseQuantity(str);
  } catch (e) {
    throw new Error(`cannot parse '${str}': ${(e as Error).message}`);
  }
}

/** `resource.NewQuantity(value, format)`: an integer amount. */
export function newQuantity(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(BigInt(value), 0, format);
}

/** `resource.NewMilliQuantity(value, format)`: value/1000 (e.g. millicores). */
export function newMilliQuantity(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(BigInt(value), -3, format);
}

/** `resource.NewScaledQuantity(value, scale)`: value × 10^scale, DecimalSI. */
export function newScaledQuantity(value: number | bigint, scale: number): Quantity {
  return new Quantity(BigInt(value), scale, 'DecimalSI');
}

/**
 * Reads a quantity-typed field as found in JSON (a string, or a bare number as kubectl sometimes sends).
 * @throws QuantityError for malformed strings.
 */
export function quantityFromJSON(v: string | number): Quantity {
  return parseQuantity(typeof v === 'number' ? String(v) : v);
}

/**
 * Canonical string of a quantity-typed JSON value, as upstream stores and returns it after decoding into the typed
 * object (`"0.5"` → `"500m"`, `1024Mi` → `"1Gi"`, bare number `2` → `"2"`).
 * @throws QuantityError for malformed strings.
 */
export function canonicalizeQuantity(v: string | number): string {
  return quantityFromJSON(v).toString();
}
