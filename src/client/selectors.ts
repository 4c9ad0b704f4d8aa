/**
 * Label/field selector matching for the client side (FakeClient filtering, informer listers,
 * controllers' `LabelSelectorAsSelector`). Parsing and LabelSelector conversion delegate to
 * src/machinery/labels.ts (k8s.io/apimachinery/pkg/labels semantics and validation); this module
 * adapts them to a small `Selector` shape (`matches`, `empty`, `requirements`) and adds the
 * field-selector helpers.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import * as labels from '../machinery/labels.ts';

/** One parsed requirement, as upstream `labels.Requirement`. */
export interface Requirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';
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
    case 'gt':
    case 'lt': {
      if (!has) return false;
      const a = Number(v);
      const b = Number(r.values[0]);
      return r.operator === 'gt' ? a > b : a < b;
    }
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
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
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

function opOf(op: string): Requirement['operator'] {
  switch (op) {
    case '=':
    case '==':
      return '=';
    case '!=':
      return '!=';
    case 'in':
    case 'notin':
    case 'exists':
    case '!':
      return op;
    default:
      throw new Error(`unsupported selector operator ${op}`);
  }
}

/** Adapts a machinery/labels Selector (gt/lt requirements are matched by it, reported as-is). */
function wrap(sel: labels.Selector): Selector {
  if (labels.isNothing(sel)) return nothingSelector;
  const reqs = sel.requirements().requirements.map((r) => ({
    key: r.key,
    operator: (r.operator === 'gt' || r.operator === 'lt' ? r.operator : opOf(r.operator)) as Requirement['operator'],
    values: [...r.values],
  }));
  return {
    requirements: reqs,
    empty: sel.empty(),
    matches: (l) => sel.matches(l ?? {}),
    toString: () => sel.toString(),
  };
}

/**
 * Parses a label selector string (`app=web,tier!=db,env in (a,b),!legacy`) with upstream's parser
 * and validation (machinery/labels.ts `parse`).
 * @throws Error with upstream's message on malformed input (callers map it to 400 BadRequest).
 */
export function parseSelector(s: string | undefined | null): Selector {
  if (!s || !s.trim()) return everything;
  return wrap(labels.parse(s));
}

/**
 * `metav1.LabelSelectorAsSelector`: undefined/null → Nothing; `{}` → Everything; matchLabels +
 * matchExpressions (In, NotIn, Exists, DoesNotExist) otherwise.
 * @throws Error for an unknown operator or an invalid requirement.
 */
export function labelSelectorAsSelector(ls: LabelSelector | undefined | null): Selector {
  return wrap(labels.labelSelectorAsSelector(ls as Parameters<typeof labels.labelSelectorAsSelector>[0]));
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
