/**
 * Cron schedules as robfig/cron/v3 `ParseStandard` reads them (the parser upstream's CronJob
 * validation and controller use): five fields (minute hour day-of-month month day-of-week), the
 * descriptors `@yearly`/`@annually`/`@monthly`/`@weekly`/`@daily`/`@midnight`/`@hourly`,
 * `@every <go duration>`, and an optional `TZ=<zone> ` / `CRON_TZ=<zone> ` prefix. Field
 * matching is delegated to the `cron-parser` package.
 *
 * Known difference: robfig accepts a never-matching schedule such as `0 0 31 2 *` (its `Next`
 * then returns the zero time and the controller reports "time difference between two schedules
 * is less than 1 second"); cron-parser refuses it at parse time, so Skiff rejects it at
 * validation.
 */
import { CronExpressionParser } from 'cron-parser';

/** A parsed schedule. */
export interface CronSchedule {
  /**
   * The first activation strictly after `afterMs` (ms since epoch, second granularity as robfig's
   * `Next`), or undefined when there is none.
   */
  next(afterMs: number): number | undefined;
}

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/**
 * True when `tz` names a loadable IANA time zone (Go's `time.LoadLocation`; `''` and `UTC` are UTC).
 */
export function isValidTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'UTC') return true;
  if (tz === 'Local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a Go duration (`90s`, `5m`, `1h30m`, `1.5h`) into ms.
 * @throws Error `time: invalid duration "<s>"` as Go's time.ParseDuration
 */
export function parseGoDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  if (s === '' ) throw new Error(`time: invalid duration "${s}"`);
  if (s === '0') return 0;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new Error(`time: invalid duration "${s}"`);
    total += Number(m[1]) * units[m[2]];
    i = re.lastIndex;
  }
  return total;
}

interface FieldBounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = Object.fromEntries(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((n, i) => [n, i + 1]));
const DOW_NAMES = Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((n, i) => [n, i]));
/** robfig/cron's bounds of the five standard fields: minute, hour, day of month, month, day of week. */
const FIELD_BOUNDS: FieldBounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

/** robfig's `mustParseInt`: Go's strconv.Atoi, then no negatives; errors in robfig's words. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

/**
 * Checks one standard-cron field as robfig/cron v3's getField/getRange do (what kube-apiserver's
 * CronJob validation runs), so bad fields are refused with robfig's messages, e.g.
 * `end of range (61) above maximum (59): 61`. The field is a comma list of `*`, `?`, `N`, `N-M`,
 * each optionally `/step`. @throws Error with robfig's message.
 */
function checkField(field: string, r: FieldBounds): void {
  for (const expr of field.split(',').filter((x) => x !== '')) {
    const rangeAndStep = expr.split('/');
    const lowAndHigh = rangeAndStep[0]!.split('-');
    let start: number;
    let end: number;
    if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
      start = r.min;
      end = r.max;
    } else {
      start = parseIntOrName(lowAndHigh[0]!, r.names);
      if (lowAndHigh.length === 1) end = start;
      else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
      else throw new Error(`too many hyphens: ${expr}`);
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
      step = mustParseInt(rangeAndStep[1]!);
      if (lowAndHigh.length === 1) end = r.max; // "N/step" means "N-max/step"
    } else if (rangeAndStep.length > 2) {
      throw new Error(`too many slashes: ${expr}`);
    }
    if (start < r.min) throw new Error(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
    if (end > r.max) throw new Error(`end of range (${end}) above maximum (${r.max}): ${expr}`);
    if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
    if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  }
}

/**
 * `cron.ParseStandard`: parses `spec` (see module comment). Without a TZ prefix the schedule
 * runs in `defaultTZ` (UTC: the controller manager's local zone in a cluster).
 * @throws Error with robfig's wording for a wrong field count (`expected exactly 5 fields, found 6: [...]`),
 *   `provided bad location <zone>: …`, `unrecognized descriptor: @x`, and robfig's per-field messages
 *   (`end of range (61) above maximum (59): 61`, `failed to parse int from x: …`, `too many hyphens: …`).
 */
export function parseStandard(spec: string, defaultTZ = 'UTC'): CronSchedule {
  let s = spec.trim();
  let tz = defaultTZ;
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const sp = s.indexOf(' ');
    const name = s.slice(s.indexOf('=') + 1, sp < 0 ? undefined : sp);
    if (!isValidTimeZone(name)) throw new Error(`provided bad location ${name}: unknown time zone ${name}`);
    tz = name || 'UTC';
    s = sp < 0 ? '' : s.slice(sp).trim();
  }
  if (s.startsWith('@every ')) {
    const d = parseGoDuration(s.slice(7).trim());
    // robfig: at least one second, truncated to whole seconds.
    const delay = Math.max(1000, Math.floor(d / 1000) * 1000);
    return { next: (after) => Math.floor(after / 1000) * 1000 + delay };
  }
  if (s.startsWith('@')) {
    if (!DESCRIPTORS.has(s)) throw new Error(`unrecognized descriptor: ${s}`);
  } else {
    const fields = s.split(/\s+/).filter((f) => f !== '');
    if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    fields.forEach((f, i) => checkField(f, FIELD_BOUNDS[i]!));
    s = fields.join(' ');
  }
  const expr = s;
  // Parse once now so syntax errors surface here.
  CronExpressionParser.parse(expr, { currentDate: new Date(0), tz });
  return {
    next(after) {
      try {
        const it = CronExpressionParser.parse(expr, { currentDate: new Date(Math.floor(after / 1000) * 1000), tz });
        return it.next().getTime();
      } catch {
        return undefined;
      }
    },
  };
}
