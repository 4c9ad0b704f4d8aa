/**
 * Label selectors: parsing, canonical strings, matching, and `metav1.LabelSelector` conversion.
 *
 * Mirrors k8s.io/apimachinery/pkg/labels (selector.go, lexer/parser, labels.go) and the LabelSelector helpers of
 * pkg/apis/meta/v1/helpers.go (LabelSelectorAsSelector, FormatLabelSelector).
 *
 * Grammar (set-based, upstream's):
 *   selector    := <requirement> | <requirement> "," <selector>
 *   requirement := ["!"] KEY [ ("=" | "==" | "!=" | ">" | "<") VALUE | ("in" | "notin") "(" VALUES ")" ]
 * A bare KEY means "exists", "!KEY" means "does not exist". Whitespace separates tokens only.
 */
import { FieldPath, fieldErrorString, invalid, notSupported, type FieldError } from './errors.ts';
import { isQualifiedName, isValidLabelValue, type LabelSelectorLike } from './validation.ts';

/** Label set (`labels.Set`): label key → value. */
export type Labels = Record<string, string>;

/** `selection.Operator` string values, exactly upstream's. */
export type Operator = '!' | '=' | '==' | 'in' | '!=' | 'notin' | 'exists' | 'gt' | 'lt';

const validRequirementOperators: Operator[] = ['in', 'notin', '=', '==', '!=', 'exists', '!', 'gt', 'lt'];

/** Error thrown by {@link parse}, {@link newRequirement} and the selector conversions; `errors` holds the field errors. */
export class SelectorError extends Error {
  readonly errors: FieldError[];
  constructor(message: string, errors: FieldError[] = []) {
    super(message);
    this.name = 'SelectorError';
    this.errors = errors;
  }
}

function fieldErrorMessage(e: FieldError): string {
  const s = fieldErrorString(e);
  return e.field ? s : s.replace(/^: /, '');
}

/** `utilerrors.Aggregate` text: one error as is, several as `[a, b]`. */
function aggregate(errs: FieldError[]): string {
  const msgs = errs.map(fieldErrorMessage);
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}

function isInt64(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n <= 2n ** 63n - 1n;
}

/** One selector requirement (`labels.Requirement`): key, operator and values. Immutable. */
export class Requirement {
  constructor(
    readonly key: string,
    readonly operator: Operator,
    readonly values: readonly string[],
  ) {}

  private hasValue(v: string): boolean {
    return this.values.includes(v);
  }

  /**
   * `Requirement.Matches`: In/=/== need the key present with one of the values; NotIn/!= match when the key is
   * absent or has another value; exists/!; gt/lt compare base-10 int64 values and never match an absent key.
   */
  matches(labels: Labels): boolean {
    const has = Object.prototype.hasOwnProperty.call(labels, this.key);
    switch (this.operator) {
      case 'in':
      case '=':
      case '==':
        return has && this.hasValue(labels[this.key]);
      case 'notin':
      case '!=':
        return !has || !this.hasValue(labels[this.key]);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has) return false;
        const lv = labels[this.key];
        if (!isInt64(lv) || this.values.length !== 1 || !isInt64(this.values[0])) return false;
        const a = BigInt(lv);
        const b = BigInt(this.values[0]);
        return this.operator === 'gt' ? a > b : a < b;
      }
    }
    return false;
  }

  /** `Requirement.String`: `!k`, `k`, `k=v`, `k==v`, `k!=v`, `k>v`, `k<v`, `k in (a,b)` (values sorted). */
  toString(): string {
    let s = this.operator === '!' ? '!' : '';
    s += this.key;
    switch (this.operator) {
      case '=':
        s += '=';
        break;
      case '==':
        s += '==';
        break;
      case '!=':
        s += '!=';
        break;
      case 'in':
        s += ' in ';
        break;
      case 'notin':
        s += ' notin ';
        break;
      case 'gt':
        s += '>';
        break;
      case 'lt':
        s += '<';
        break;
      case 'exists':
      case '!':
        return s;
    }
    const vals = this.values.length === 1 ? this.values[0] : [...this.values].sort().join(',');
    return this.operator === 'in' || this.operator === 'notin' ? `${s}(${vals})` : s + vals;
  }
}

function validateLabelKey(k: string, path: FieldPath | undefined): FieldError | undefined {
  const errs = isQualifiedName(k);
  if (errs.length) return invalid(path ? path.child('key') : 'key', k, errs.join('; '));
  return undefined;
}

function validateLabelValue(k: string, v: string, path: FieldPath): FieldError | undefined {
  const errs = isValidLabelValue(v);
  if (errs.length) return invalid(path.key(k), v, errs.join('; '));
  return undefined;
}

/**
 * Validates a requirement without throwing (`NewRequirement`'s checks). Field paths are relative to `path`
 * (`key`, `values`, `values[i]`, `values[i][<key>]`, `operator`).
 * @returns the list of field errors; empty when valid.
 */
export function validateRequirement(key: string, op: string, vals: readonly string[], path?: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const keyErr = validateLabelKey(key, path);
  if (keyErr) errs.push(keyErr);
  const valuePath = path ? path.child('values') : FieldPath.root('values');
  switch (op) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalid(valuePath, vals, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalid(valuePath, vals, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalid(valuePath, vals, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalid(valuePath, vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (!isInt64(v)) errs.push(invalid(valuePath.index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(notSupported(path ? path.child('operator') : 'operator', op, validRequirementOperators));
  }
  vals.forEach((v, i) => {
    const e = validateLabelValue(key, v, valuePath.index(i));
    if (e) errs.push(e);
  });
  return errs;
}

/**
 * `labels.NewRequirement`.
 * @param op string-form operator (`=`, `==`, `!=`, `in`, `notin`, `exists`, `!`, `gt`, `lt`)
 * @throws SelectorError (message = upstream's aggregate text, `errors` = the field errors) when invalid.
 */
export function newRequirement(key: string, op: string, vals: readonly string[], path?: FieldPath): Requirement {
  const errs = validateRequirement(key, op, vals, path);
  if (errs.length) throw new SelectorError(aggregate(errs), errs);
  return new Requirement(key, op as Operator, [...vals]);
}

function byKey(a: Requirement, b: Requirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** A label selector (`labels.Selector`). */
export interface Selector {
  /** True when every requirement matches `labels`. */
  matches(labels: Labels): boolean;
  /** True for the selector that matches everything (no requirements). */
  empty(): boolean;
  /** Canonical string form (requirements sorted by key). */
  toString(): string;
  /** Requirements (sorted by key); `selectable=false` for the nothing-selector. */
  requirements(): { requirements: readonly Requirement[]; selectable: boolean };
  /** Returns a new selector with the extra requirements. */
  add(...reqs: Requirement[]): Selector;
  /** `RequiresExactMatch`: the value required by an `=`/`==`/single-value `in` requirement on `label`, if any. */
  requiresExactMatch(label: string): string | undefined;
}

class InternalSelector implements Selector {
  private readonly reqs: readonly Requirement[];
  constructor(reqs: Requirement[]) {
    this.reqs = [...reqs].sort(byKey);
  }
  matches(labels: Labels): boolean {
    const l = labels ?? {};
    return this.reqs.every((r) => r.matches(l));
  }
  empty(): boolean {
    return this.reqs.length === 0;
  }
  toString(): string {
    return this.reqs.map((r) => r.toString()).join(',');
  }
  requirements() {
    return { requirements: this.reqs, selectable: true };
  }
  add(...reqs: Requirement[]): Selector {
    return new InternalSelector([...this.reqs, ...reqs]);
  }
  requiresExactMatch(label: string): string | undefined {
    for (const r of this.reqs) {
      if (r.key !== label) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }
}

class NothingSelector implements Selector {
  matches(): boolean {
    return false;
  }
  empty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
  requirements() {
    return { requirements: [] as Requirement[], selectable: false };
  }
  add(): Selector {
    return this;
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
}

/** `labels.Everything()`: matches every label set; string `""`. */
export function everything(): Selector {
  return new InternalSelector([]);
}

/** `labels.Nothing()`: matches nothing (a nil LabelSelector); string `""`. */
export function nothing(): Selector {
  return new NothingSelector();
}

/** `labels.NewSelector()` = an empty selector to `add()` requirements to. */
export function newSelector(): Selector {
  return new InternalSelector([]);
}

/** True when `s` is the nothing-selector. */
export function isNothing(s: Selector): boolean {
  return s instanceof NothingSelector;
}

/**
 * `labels.SelectorFromSet`: equality selector (`k=v` per entry). Invalid keys/values are not rejected here
 * (use {@link validatedSelectorFromSet}).
 */
export function selectorFromSet(set: Labels | null | undefined): Selector {
  return new InternalSelector(Object.entries(set ?? {}).map(([k, v]) => new Requirement(k, '=', [v])));
}

/**
 * `labels.ValidatedSelectorFromSet`.
 * @throws SelectorError when a key or value is invalid (field paths like `values[0][<key>]`).
 */
export function validatedSelectorFromSet(set: Labels | null | undefined): Selector {
  return new InternalSelector(Object.entries(set ?? {}).map(([k, v]) => newRequirement(k, '=', [v])));
}

/** `labels.Set.String()`/`FormatLabels`-style `k=v,k2=v2` (sorted by key); `<none>` for an empty map when `none`. */
export function formatLabels(set: Labels | null | undefined, none = true): string {
  const s = Object.keys(set ?? {})
    .sort()
    .map((k) => `${k}=${set![k]}`)
    .join(',');
  return s === '' && none ? '<none>' : s;
}

// ---------------------------------------------------------------------------------------------
// lexer
// ---------------------------------------------------------------------------------------------

type Tok =
  | 'error'
  | 'eos'
  | ')'
  | ','
  | '!'
  | '=='
  | '='
  | '>'
  | 'id'
  | 'in'
  | '<'
  | '!='
  | 'notin'
  | '(';

const string2token: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string) => '=!(),><'.includes(ch) && ch.length === 1;

function lex(input: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && isWhitespace(input[pos])) pos++;
    if (pos >= input.length) {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    const ch = input[pos];
    if (isSpecialSymbol(ch)) {
      let buf = '';
      let last: { tok: Tok; lit: string } | undefined;
      while (pos < input.length && isSpecialSymbol(input[pos])) {
        buf += input[pos];
        const t = string2token[buf];
        if (t) {
          last = { tok: t, lit: buf };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      if (!last) {
        out.push({ tok: 'error', lit: `error expected: keyword found '${buf}'` });
        out.push({ tok: 'eos', lit: '' });
        return out;
      }
      out.push(last);
    } else {
      let buf = '';
      while (pos < input.length && !isWhitespace(input[pos]) && !isSpecialSymbol(input[pos])) buf += input[pos++];
      const t = string2token[buf];
      out.push({ tok: t ?? 'id', lit: buf });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// parser
// ---------------------------------------------------------------------------------------------

class Parser {
  private pos = 0;
  constructor(
    private readonly items: { tok: Tok; lit: string }[],
    private readonly path: FieldPath | undefined,
  ) {}

  /** In the Values context `in`/`notin` are plain identifiers. */
  private lookahead(values = true): { tok: Tok; lit: string } {
    const it = this.items[Math.min(this.pos, this.items.length - 1)];
    if (values && (it.tok === 'in' || it.tok === 'notin')) return { tok: 'id', lit: it.lit };
    return it;
  }
  private consume(values = true): { tok: Tok; lit: string } {
    const it = this.lookahead(values);
    if (this.pos < this.items.length - 1) this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead();
      if (tok === 'id' || tok === '!') {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          const err = e as SelectorError;
          throw new SelectorError(`unable to parse requirement: ${err.message}`, err.errors ?? []);
        }
        reqs.push(r);
        const t = this.consume();
        if (t.tok === 'eos') return reqs;
        if (t.tok === ',') {
          const t2 = this.lookahead();
          if (t2.tok !== 'id' && t2.tok !== '!') throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw new SelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return reqs;
      } else {
        throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const { key, op } = this.parseKeyAndInferOperator();
    if (op === 'exists' || op === '!') return newRequirement(key, op, [], this.path);
    const operator = this.parseOperator();
    let values: Set<string>;
    if (operator === 'in' || operator === 'notin') values = this.parseValues();
    else values = this.parseExactValue();
    return newRequirement(key, operator, [...values].sort(), this.path);
  }

  private parseKeyAndInferOperator(): { key: string; op: Operator | '' } {
    let op: Operator | '' = '';
    let t = this.consume();
    if (t.tok === '!') {
      op = '!';
      t = this.consume();
    }
    if (t.tok !== 'id') throw new SelectorError(`found '${t.lit}', expected: identifier`);
    const e = validateLabelKey(t.lit, this.path);
    if (e) throw new SelectorError(fieldErrorMessage(e), [e]);
    const next = this.lookahead().tok;
    if ((next === 'eos' || next === ',') && op !== '!') op = 'exists';
    return { key: t.lit, op };
  }

  private parseOperator(): Operator {
    const t = this.consume(false);
    switch (t.tok) {
      case 'in':
        return 'in';
      case '=':
        return '=';
      case '==':
        return '==';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      case 'notin':
        return 'notin';
      case '!=':
        return '!=';
      default:
        throw new SelectorError(`found '${t.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private parseValues(): Set<string> {
    const t = this.consume();
    if (t.tok !== '(') throw new SelectorError(`found '${t.lit}' expected: '('`);
    const la = this.lookahead();
    if (la.tok === 'id' || la.tok === ',') {
      const s = this.parseIdentifiersList();
      const c = this.consume();
      if (c.tok !== ')') throw new SelectorError(`found '${c.lit}', expected: ')'`);
      return s;
    }
    if (la.tok === ')') {
      this.consume();
      return new Set(['']);
    }
    throw new SelectorError(`found '${la.lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const t = this.consume();
      if (t.tok === 'id') {
        s.add(t.lit);
        const t2 = this.lookahead();
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return s;
        throw new SelectorError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (s.size === 0) s.add(''); // "(,"
        const t2 = this.lookahead();
        if (t2.tok === ')') {
          s.add(''); // ",)"
          return s;
        }
        if (t2.tok === ',') s.add(''); // ",,"
      } else {
        throw new SelectorError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const la = this.lookahead();
    if (la.tok === 'eos' || la.tok === ',') return new Set(['']);
    const t = this.consume();
    if (t.tok === 'id') return new Set([t.lit]);
    throw new SelectorError(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * `labels.Parse`: parses a label selector string (e.g. `app=web,tier in (a,b),!canary`).
 * The empty string selects everything.
 * @param path optional field path prefixed to requirement error fields
 * @throws SelectorError with a clear message (`unable to parse requirement: …`, `found ',', expected: …`) when invalid;
 *   the apiserver reports it as 400 BadRequest.
 */
export function parse(selector: string, path?: FieldPath): Selector {
  return new InternalSelector(new Parser(lex(selector), path).parse());
}

/** Like {@link parse} but returns `{selector}` or `{error}` instead of throwing. */
export function tryParse(selector: string): { selector?: Selector; error?: string } {
  try {
    return { selector: parse(selector) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector
// ---------------------------------------------------------------------------------------------

const labelSelectorOps: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * `metav1.LabelSelectorAsSelector`: null/undefined → {@link nothing}; `{}` → {@link everything}; otherwise matchLabels
 * (`k=v`) AND matchExpressions (In/NotIn/Exists/DoesNotExist).
 * @throws SelectorError for an unknown operator (`"Foo" is not a valid label selector operator`) or an invalid requirement.
 */
export function labelSelectorAsSelector(ps: LabelSelectorLike | null | undefined): Selector {
  if (ps === null || ps === undefined) return nothing();
  const ml = Object.entries(ps.matchLabels ?? {});
  const me = ps.matchExpressions ?? [];
  if (ml.length + me.length === 0) return everything();
  const reqs: Requirement[] = ml.map(([k, v]) => newRequirement(k, '=', [v]));
  for (const expr of me) {
    const op = labelSelectorOps[expr.operator];
    if (!op) throw new SelectorError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return new InternalSelector(reqs);
}

/**
 * `metav1.FormatLabelSelector`: the selector's string form, `<none>` when empty, `<error>` when invalid
 * (kubectl's `SELECTOR` column).
 */
export function formatLabelSelector(ps: LabelSelectorLike | null | undefined): string {
  let s: Selector;
  try {
    s = labelSelectorAsSelector(ps);
  } catch {
    return '<error>';
  }
  const l = s.toString();
  return l.length === 0 ? '<none>' : l;
}

/**
 * `metav1.LabelSelectorAsMap`: a selector with only matchLabels and `In`(single value) expressions as a map.
 * @throws SelectorError for other operators.
 */
export function labelSelectorAsMap(ps: LabelSelectorLike | null | undefined): Labels {
  if (!ps) return {};
  const out: Labels = { ...(ps.matchLabels ?? {}) };
  for (const expr of ps.matchExpressions ?? []) {
    if (expr.operator === 'In' && (expr.values ?? []).length === 1) out[expr.key] = expr.values![0];
    else throw new SelectorError(`operator ${JSON.stringify(expr.operator)} cannot be converted into the old label selector format`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// label-set helpers (labels.Equals/Merge/Conflicts and k8s.io/kubernetes/pkg/util/labels)
// ---------------------------------------------------------------------------------------------

/** `labels.Equals`: same keys with the same values. */
export function labelsEqual(a: Labels | null | undefined, b: Labels | null | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => Object.prototype.hasOwnProperty.call(y, k) && y[k] === x[k]);
}

/** `labels.Conflicts`: some key present in both with different values. */
export function labelsConflict(a: Labels | null | undefined, b: Labels | null | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  return Object.keys(x).some((k) => Object.prototype.hasOwnProperty.call(y, k) && y[k] !== x[k]);
}

/** `labels.Merge`: a new set with a's labels overridden/extended by b's. */
export function mergeLabels(a: Labels | null | undefined, b: Labels | null | undefined): Labels {
  return { ...(a ?? {}), ...(b ?? {}) };
}

/** `labelsutil.CloneAndAddLabel`: a copy with `key=value` added; the input itself when `key` is empty. */
export function cloneAndAddLabel(labels: Labels | null | undefined, key: string, value: string): Labels {
  if (!key) return labels ?? {};
  return { ...(labels ?? {}), [key]: value };
}

/** `labelsutil.CloneAndRemoveLabel`: a copy without `key`; the input itself when `key` is empty. */
export function cloneAndRemoveLabel(labels: Labels | null | undefined, key: string): Labels {
  if (!key) return labels ?? {};
  const out = { ...(labels ?? {}) };
  delete out[key];
  return out;
}

/**
 * `labelsutil.CloneSelectorAndAddLabel`: a deep copy of a LabelSelector with `key=value` added to matchLabels
 * (how the Deployment controller adds `pod-template-hash`); the input itself when `key` is empty.
 */
export function cloneSelectorAndAddLabel(selector: LabelSelectorLike | null | undefined, key: string, value: string): LabelSelectorLike {
  if (!key) return selector ?? {};
  const out: LabelSelectorLike = { matchLabels: { ...(selector?.matchLabels ?? {}), [key]: value } };
  if (selector?.matchExpressions) {
    out.matchExpressions = selector.matchExpressions.map((e) => ({ ...e, ...(e.values ? { values: [...e.values] } : {}) }));
  }
  return out;
}

/** `labelsutil.SelectorHasLabel`: matchLabels has a non-empty value for `key`. */
export function selectorHasLabel(selector: LabelSelectorLike | null | undefined, key: string): boolean {
  return (selector?.matchLabels?.[key] ?? '').length > 0;
}
