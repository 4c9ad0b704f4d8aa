/**
 * Field selectors (`?fieldSelector=metadata.name=x,status.phase!=Running`).
 *
 * Mirrors k8s.io/apimachinery/pkg/fields (selector.go, fields.go): terms separated by unescaped ',', each
 * `field=value`, `field==value` or `field!=value`; in values `\,` `\=` `\\` are escapes. A missing field reads
 * as the empty string. The apiserver checks {@link FieldSelector.requirements} against the fields a resource
 * supports and answers 400 `field label not supported: <field>` otherwise ({@link checkSupportedFields}).
 */

/** Field values of one object, e.g. `{'metadata.name': 'web', 'status.phase': 'Running'}`. */
export type Fields = Record<string, string>;

/** One term: `field = value` or `field != value` (`==` parses as `=`). */
export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Error for a malformed field selector or an unsupported field (the apiserver maps it to 400 BadRequest). */
export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

/** `fields.EscapeValue`: escapes `\`, `,` and `=` in a value. */
export function escapeValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/**
 * `fields.UnescapeValue`.
 * @throws FieldSelectorError `invalid field selector: invalid escape sequence: \x` or
 *   `invalid field selector: unescaped character in value: <code point>` (upstream prints the rune as a number).
 */
export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new FieldSelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

function splitTerms(sel: string): string[] {
  if (sel.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < sel.length; i++) {
    const c = sel[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(sel.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(sel.slice(start));
  return terms;
}

const termOperators = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** A parsed field selector (`fields.Selector`). Immutable. */
export class FieldSelector {
  constructor(private readonly reqs: readonly FieldRequirement[]) {}

  /** True when every term matches `fields` (missing fields read as ""). */
  matches(fields: Fields): boolean {
    return this.reqs.every((r) => {
      const v = fields[r.field] ?? '';
      return r.operator === '=' ? v === r.value : v !== r.value;
    });
  }

  /** True when there are no terms (selects everything). */
  empty(): boolean {
    return this.reqs.length === 0;
  }

  /** The terms, sorted as upstream parses them (by term text). */
  requirements(): readonly FieldRequirement[] {
    return this.reqs;
  }

  /** `RequiresExactMatch(field)`: the value required by an `=` term on `field`, if any. */
  requiresExactMatch(field: string): string | undefined {
    return this.reqs.find((r) => r.field === field && r.operator === '=')?.value;
  }

  /** Canonical form: `f=v,g!=w` with escaped values. */
  toString(): string {
    return this.reqs.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }

  /** `Transform`: rewrites field names/values (e.g. to map `spec.host` to `spec.nodeName`). */
  transform(fn: (field: string, value: string) => { field: string; value: string }): FieldSelector {
    return new FieldSelector(this.reqs.map((r) => ({ ...r, ...fn(r.field, r.value) })));
  }
}

/**
 * `fields.ParseSelector`. The empty string selects everything.
 * @throws FieldSelectorError `invalid selector: '<sel>'; can't understand '<term>'` or an escape error.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const value = unescapeValue(t.rhs);
    reqs.push({ field: t.lhs, operator: t.op === '!=' ? '!=' : '=', value });
  }
  return new FieldSelector(reqs);
}

/** `fields.Everything()`. */
export function everythingFields(): FieldSelector {
  return new FieldSelector([]);
}

/** `fields.OneTermEqualSelector(k, v)`. */
export function oneTermEqualSelector(field: string, value: string): FieldSelector {
  return new FieldSelector([{ field, operator: '=', value }]);
}

/** `fields.SelectorFromSet`: one `=` term per entry (sorted by field). */
export function fieldSelectorFromSet(set: Fields): FieldSelector {
  return new FieldSelector(
    Object.keys(set)
      .sort()
      .map((field) => ({ field, operator: '=' as const, value: set[field] })),
  );
}

/**
 * Rejects terms on fields the resource does not support, as the apiserver's field-label conversion does.
 * @throws FieldSelectorError `field label not supported: <field>` for the first unsupported field.
 */
export function checkSupportedFields(sel: FieldSelector, supported: Iterable<string>): void {
  const ok = new Set(supported);
  for (const r of sel.requirements()) {
    if (!ok.has(r.field)) throw new FieldSelectorError(`field label not supported: ${r.field}`);
  }
}
