/**
 * Minimal label/field selector matching for the client side (FakeClient filtering, informer
 * listers, controllers' `LabelSelectorAsSelector`). Kept self-contained so src/client does not wait
 * on src/machinery/labels.ts; semantics follow k8s.io/apimachinery/pkg/labels (selector.go) and
 * pkg/apis/meta/v1/helpers.go (LabelSelectorAsSelector) for the operators kubectl sends:
 * `=`, `==`, `!=`, `in (…)`, `notin (…)`, `key`, `!key`.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

/** One parsed requirement, as upstream `labels.Requirement`. */
export interface Requirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | '!' | '=' | '!=';
  values: string[];
}

/** A compiled selector: `matches(labels)`; `empty` is true for the match-everything selector. */
export interface Selector {
  readonly requirements: Requirement[];
  readonly empty: boolean;
  /** True when the given label map satisfies every requirement. */
  matches(labels: Record<string, string> | undefined | null): boolean;
  /** Canonical string form (`a=b,c!=d,e in (f,g)`). */
  toString(): string;
}

/** A selector that matches nothing (upstream `labels.Nothing()`), used for a nil LabelSelector. */
export const nothingSelector: Selector = {
  requirements: [],
  empty: false,
  matches: () => false,
  toString: () => '<nothing>',
};

function matchRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case '=':
    case 'in':
      return has && r.values.includes(v);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(v);
    case 'exists':
      return has;
    case '!':
      return !has;
  }
}

function reqString(r: Requirement): string {
  switch (r.operator) {
    case '=':
      return `${r.key}=${r.values[0]}`;
    case '!=':
      return `${r.key}!=${r.values[0]}`;
    case 'in':
      return `${r.key} in (${[...r.values].sort().join(',')})`;
    case 'notin':
      return `${r.key} notin (${[...r.values].sort().join(',')})`;
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
  }
}

/** Builds a Selector from requirements. */
export function selectorFromRequirements(reqs: Requirement[]): Selector {
  const sorted = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    matches: (labels) => sorted.every((r) => matchRequirement(r, labels ?? {})),
    toString: () => sorted.map(reqString).join(','),
  };
}

/** Selector matching everything (upstream `labels.Everything()`). */
export const everything: Selector = selectorFromRequirements([]);

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '' || out.length) out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

/**
 * Parses a label selector string (`app=web,tier!=db,env in (a,b),!legacy`).
 * @throws Error with a message on malformed input (callers map it to 400 BadRequest).
 */
export function parseSelector(s: string | undefined | null): Selector {
  if (!s || !s.trim()) return everything;
  const reqs: Requirement[] = [];
  for (const part of splitTop(s)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3].split(',').map((x) => x.trim()).filter((x, i, a) => x !== '' || a.length === 1);
      reqs.push({ key: m[1], operator: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^\s!=()]+)\s*!=\s*([^\s!=(),]*)$/))) {
      reqs.push({ key: m[1], operator: '!=', values: [m[2]] });
    } else if ((m = part.match(/^([^\s!=()]+)\s*==?\s*([^\s!=(),]*)$/))) {
      reqs.push({ key: m[1], operator: '=', values: [m[2]] });
    } else if ((m = part.match(/^!\s*([^\s!=()]+)$/))) {
      reqs.push({ key: m[1], operator: '!', values: [] });
    } else if ((m = part.match(/^([^\s!=()]+)$/))) {
      reqs.push({ key: m[1], operator: 'exists', values: [] });
    } else {
      throw new Error(`unable to parse requirement: ${JSON.stringify(part)}`);
    }
  }
  return selectorFromRequirements(reqs);
}

/**
 * `metav1.LabelSelectorAsSelector`: undefined/null → Nothing; `{}` → Everything; matchLabels +
 * matchExpressions (In, NotIn, Exists, DoesNotExist) otherwise.
 * @throws Error for an unknown operator or In/NotIn without values.
 */
export function labelSelectorAsSelector(ls: LabelSelector | undefined | null): Selector {
  if (ls === undefined || ls === null) return nothingSelector;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push({ key: k, operator: '=', values: [v] });
  for (const e of ls.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!e.values?.length) throw new Error(`for '${e.operator}' operator, values set can't be empty`);
        reqs.push({ key: e.key, operator: e.operator === 'In' ? 'in' : 'notin', values: [...e.values] });
        break;
      case 'Exists':
        reqs.push({ key: e.key, operator: 'exists', values: [] });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, operator: '!', values: [] });
        break;
      default:
        throw new Error(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return selectorFromRequirements(reqs);
}

/** One field selector term: `path=value` or `path!=value`. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/**
 * Parses a field selector (`metadata.name=x,spec.nodeName!=`), as upstream fields.ParseSelector
 * (no set-based operators). @throws Error on malformed input.
 */
export function parseFieldSelector(s: string | undefined | null): FieldRequirement[] {
  if (!s || !s.trim()) return [];
  return s.split(',').map((part) => {
    const m = part.trim().match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new Error(`invalid selector: '${s}'; can't understand '${part}'`);
    return { field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] };
  });
}

/** Reads a dotted field path (`spec.nodeName`, `involvedObject.uid`) as a string ('' when absent). */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur);
}

/** True when `obj` satisfies every field requirement (generic dotted-path semantics). */
export function matchesFields(obj: unknown, reqs: FieldRequirement[]): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}
