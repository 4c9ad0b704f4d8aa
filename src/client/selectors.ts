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

/**
 * Builds a Selector from requirements (sorted by key), matched and printed by machinery/labels.ts
 * (`labels.Requirement.Matches` / `String`). Requirements are not validated.
 */
export function selectorFromRequirements(reqs: Requirement[]): Selector {
  return wrap(labels.newSelector().add(...reqs.map((r) => new labels.Requirement(r.key, r.operator, r.values))));
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
