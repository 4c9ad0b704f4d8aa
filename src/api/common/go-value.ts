/**
 * Values for `field.Invalid` whose upstream message prints them with Go's `%#v` or `String()`
 * (maps, label selectors, IntOrString), e.g.
 * `spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: ...`.
 *
 * A {@link GoValue} serializes to JSON as the raw value (so Status causes and logs still see
 * the object) and carries `goString`, the exact text upstream prints. Renderers of field
 * errors (src/machinery/errors.ts `fieldErrorBody`) should print `goString` when present.
 */

/** A value plus the text upstream's `field.Error.Error()` prints for it. */
export class GoValue {
  constructor(
    readonly value: unknown,
    /** The Go rendering, e.g. `map[string]string{"app":"web"}` or `25%`. */
    readonly goString: string,
  ) {}
  toJSON(): unknown {
    return this.value;
  }
  toString(): string {
    return this.goString;
  }
}

/** Go `%q` for a string (close to strconv.Quote for printable input). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** `%#v` of a `map[string]string`: `map[string]string{"a":"b", "c":"d"}` (keys sorted), `map[string]string(nil)` when absent. */
export function goStringMap(m: Record<string, string> | undefined | null): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`).join(', ')}}`;
}

/** `%#v` of a `[]string`: `[]string{"a", "b"}`, `[]string(nil)` when absent. */
export function goStringSlice(v: string[] | undefined | null): string {
  if (!v) return '[]string(nil)';
  return `[]string{${v.map((s) => goQuote(String(s))).join(', ')}}`;
}

/** A `map[string]string` value for a field error. */
export function goMapValue(m: Record<string, string> | undefined | null): GoValue {
  return new GoValue(m ?? null, goStringMap(m));
}

/** `%#v` of a `metav1.LabelSelector` (as a dereferenced pointer). */
export function goLabelSelectorString(
  sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined | null,
): string {
  if (!sel) return 'null';
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => `v1.LabelSelectorRequirement{Key:${goQuote(e.key ?? '')}, Operator:${goQuote(e.operator ?? '')}, Values:${goStringSlice(e.values)}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** A label selector value for a field error. */
export function goLabelSelectorValue(sel: Parameters<typeof goLabelSelectorString>[0]): GoValue {
  return new GoValue(sel ?? null, goLabelSelectorString(sel));
}

/** An IntOrString value for a field error: printed via its `String()` (`25%`, `0`), unquoted. */
export function goIntOrStringValue(v: number | string | undefined | null): GoValue {
  return new GoValue(v ?? null, v === undefined || v === null ? '0' : String(v));
}
