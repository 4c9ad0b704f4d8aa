/**
 * Human-readable ages for Table cells ("5s", "3m10s", "2d4h"), after upstream's
 * k8s.io/apimachinery/pkg/util/duration.HumanDuration and the printers'
 * translateTimestampSince (pkg/printers/internalversion/printers.go).
 */

/**
 * Formats a duration the way `duration.HumanDuration` does.
 * @param ms duration in milliseconds (may be negative: clock skew)
 * @returns `<invalid>` below -1s, `0s` for small negatives, then `Ns` (< 2m), `XmYs` (< 10m),
 *   `Xm` (< 3h), `XhYm` (< 8h), `Xh` (< 48h), `XdYh` (< 8d), `Xd` (< 2y), `XyYd` (< 8y), `Xy`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const d = Math.trunc(hours / 24);
    return h === 0 ? `${d}d` : `${d}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24);
    const dy = days % 365;
    const y = Math.trunc(days / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/**
 * Age of an RFC 3339 timestamp relative to `now`, as upstream's `translateTimestampSince`.
 * @param timestamp RFC 3339 string (metav1.Time / MicroTime) or undefined/empty
 * @param now Unix milliseconds
 * @returns `<unknown>` for a missing or unparsable timestamp, else {@link humanDuration}
 */
export function translateTimestampSince(timestamp: string | undefined | null, now: number): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}
