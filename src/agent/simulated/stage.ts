/**
 * Pod stages as data, after kubernetes-sigs/kwok's `Stage` API (pkg/apis/v1alpha1/stage_types.go)
 * and its lifecycle matcher (pkg/kwok/controllers/lifecycle.go). A stage is:
 *
 * ```yaml
 * name: pod-ready
 * selector:
 *   matchExpressions:                # all must hold (AND)
 *   - key: .metadata.deletionTimestamp
 *     operator: DoesNotExist         # Exists | DoesNotExist | In | NotIn
 *   - key: .status.phase
 *     operator: In
 *     values: [Pending]
 * delay:                             # optional
 *   durationMilliseconds: 1000       # fixed part, ms
 *   jitterDurationMilliseconds: 2000 # upper bound, ms: the delay is uniform in [duration, jitter]
 *   durationFrom:                    # optional: read the duration from the object ("2s", "150ms", 1000)
 *     expressionFrom: .metadata.annotations["skiff.io/simulated-complete-delay"]
 * next:
 *   statusTemplate: {...}            # merged into .status (see renderTemplate)
 *   delete: true                     # or: DELETE the pod with gracePeriodSeconds=0
 *   event: {type: Normal, reason: Started, message: "..."}   # optional
 * ```
 *
 * Keys are JSONPath-like simple paths: `.a.b.c`, `.metadata.annotations["x/y"]`, `.spec.containers[0].name`,
 * `.status.conditions[?(@.type=="Ready")].status`.
 * `NotIn` also matches an absent value (as label selectors do). Stages are tried in file order and
 * the first match wins (KWOK's weights are not implemented).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/** One `matchExpressions` entry. */
export interface StageSelectorRequirement {
  key: string;
  operator: 'Exists' | 'DoesNotExist' | 'In' | 'NotIn';
  values?: string[];
}

/** The `next` block: what the stage does. */
export interface StageNext {
  /** Merged into the object's status after rendering (see {@link renderTemplate}). */
  statusTemplate?: Record<string, unknown>;
  /** DELETE the object (gracePeriodSeconds 0). */
  delete?: boolean;
  /** An Event recorded on the object. `message` is rendered as a template string. */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/** A stage (KWOK's `Stage.spec` plus its name). */
export interface Stage {
  name: string;
  selector?: { matchExpressions?: StageSelectorRequirement[] };
  delay?: {
    durationMilliseconds?: number;
    jitterDurationMilliseconds?: number;
    /** Take the duration from the object instead, e.g. `.metadata.annotations["skiff.io/delay"]` (see parseDurationMs). */
    durationFrom?: { expressionFrom: string };
    jitterDurationFrom?: { expressionFrom: string };
  };
  next: StageNext;
}

/** Absolute path of the default stage file shipped with Skiff. */
export const DEFAULT_STAGES_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stages', 'default.yaml');

/**
 * Parses stages from YAML text: either a sequence of stages, a `{stages: [...]}` mapping, or a
 * multi-document stream of single stages. Throws Error naming the stage and field when malformed.
 */
export function parseStages(text: string): Stage[] {
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown).filter((d) => d != null);
  let raw: unknown[] = [];
  for (const d of docs) {
    if (Array.isArray(d)) raw.push(...d);
    else if (typeof d === 'object' && Array.isArray((d as { stages?: unknown }).stages)) raw.push(...(d as { stages: unknown[] }).stages);
    else raw.push(d);
  }
  raw = raw.map((s) => ((s as { spec?: unknown; metadata?: { name?: string } }).spec ? { name: (s as { metadata?: { name?: string } }).metadata?.name, ...(s as { spec: object }).spec } : s));
  return raw.map((s, i) => validateStage(s, i));
}

function validateStage(s: unknown, i: number): Stage {
  if (!s || typeof s !== 'object') throw new Error(`stage[${i}]: not a mapping`);
  const st = s as Stage;
  const where = `stage[${i}] ${st.name ?? ''}`.trim();
  if (typeof st.name !== 'string' || !st.name) throw new Error(`${where}: name is required`);
  if (!st.next || typeof st.next !== 'object') throw new Error(`${where}: next is required`);
  for (const [j, r] of (st.selector?.matchExpressions ?? []).entries()) {
    if (!['Exists', 'DoesNotExist', 'In', 'NotIn'].includes(r.operator)) throw new Error(`${where}: selector.matchExpressions[${j}].operator: unsupported "${r.operator}"`);
    if (typeof r.key !== 'string' || !r.key.startsWith('.')) throw new Error(`${where}: selector.matchExpressions[${j}].key must start with "."`);
    if ((r.operator === 'In' || r.operator === 'NotIn') && !Array.isArray(r.values)) throw new Error(`${where}: selector.matchExpressions[${j}].values is required for ${r.operator}`);
    parsePath(r.key);
  }
  return st;
}

/** Reads and parses a stage file. Throws on I/O or parse errors. */
export function loadStages(file: string = DEFAULT_STAGES_PATH): Stage[] {
  return parseStages(readFileSync(file, 'utf8'));
}

/** A path step: a field name, an array index, or a JSONPath filter `[?(@.field=="value")]`. */
export type PathSegment = string | number | { field: string; equals: string };

/**
 * Splits a simple path (`.a.b["c/d"][0]`, `.status.conditions[?(@.type=="Ready")].status`) into
 * segments. A filter selects the first array element whose field equals the value.
 * Throws Error on a malformed path.
 */
export function parsePath(p: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\]|\[(\d+)\]|\[\?\(@\.([A-Za-z_$][\w$-]*)\s*==\s*["']([^"']*)["']\)\]/y;
  let pos = 0;
  while (pos < p.length) {
    re.lastIndex = pos;
    const m = re.exec(p);
    if (!m) throw new Error(`invalid path ${JSON.stringify(p)} at offset ${pos}`);
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(m[2].replace(/\\(.)/g, '$1'));
    else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) out.push(Number(m[4]));
    else out.push({ field: m[5]!, equals: m[6]! });
    pos = re.lastIndex;
  }
  return out;
}

/** The value at a simple path, or undefined when any step is missing. `"."` is the object itself. */
export function getPath(obj: unknown, p: string): unknown {
  if (p === '.') return obj;
  let cur: unknown = obj;
  for (const seg of parsePath(p)) {
    if (cur == null || typeof cur !== 'object') return undefined;
    if (typeof seg === 'object') cur = Array.isArray(cur) ? cur.find((e) => e && typeof e === 'object' && String((e as Record<string, unknown>)[seg.field]) === seg.equals) : undefined;
    else cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function asString(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** True when `obj` satisfies every requirement of the selector (an empty selector matches all). */
export function matchesSelector(obj: unknown, sel: Stage['selector']): boolean {
  for (const r of sel?.matchExpressions ?? []) {
    const v = getPath(obj, r.key);
    const present = v !== undefined && v !== null && v !== '';
    switch (r.operator) {
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      case 'In':
        if (!present || !r.values!.includes(asString(v))) return false;
        break;
      case 'NotIn':
        if (present && r.values!.includes(asString(v))) return false;
        break;
    }
  }
  return true;
}

/** The first stage whose selector matches `obj`, or undefined. */
export function matchStage(stages: readonly Stage[], obj: unknown): Stage | undefined {
  return stages.find((s) => matchesSelector(obj, s.selector));
}

/**
 * Parses a duration: a number (ms), or a Go duration string (`1.5s`, `300ms`, `1m30s`; units ns,
 * us, µs, ms, s, m, h). Returns ms, or undefined when absent or malformed.
 */
export function parseDurationMs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string' || !v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = v;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * The stage's delay in ms for `obj`: `durationMilliseconds` (or the duration read from
 * `durationFrom.expressionFrom` on the object, which wins when present and valid), or uniform in
 * [duration, jitter] when the jitter (`jitterDurationMilliseconds` / `jitterDurationFrom`) is
 * larger (KWOK's semantics). `random` returns [0, 1).
 */
export function stageDelayMs(stage: Stage, random: () => number = Math.random, obj?: unknown): number {
  const from = (e?: { expressionFrom: string }) => (e && obj !== undefined ? parseDurationMs(getPath(obj, e.expressionFrom)) : undefined);
  const d = Math.max(0, from(stage.delay?.durationFrom) ?? stage.delay?.durationMilliseconds ?? 0);
  const j = from(stage.delay?.jitterDurationFrom) ?? stage.delay?.jitterDurationMilliseconds;
  if (j === undefined || j <= d) return d;
  return Math.floor(d + random() * (j - d));
}

/** Values a template may use besides paths into the object. */
export interface TemplateFuncs {
  /** `{{ Now }}`: RFC3339 time, seconds precision. */
  Now: string;
  /** `{{ PodIP }}`: an address allocated from the node's pod CIDR. Called lazily. */
  PodIP: () => string;
  /** `{{ NodeIP }}`: the node's InternalIP. */
  NodeIP: string;
  /** `{{ NodeName }}`. */
  NodeName: string;
}

const PLACEHOLDER = /\{\{\s*([^}]+?)\s*\}\}/g;

function evalExpr(expr: string, ctx: unknown, funcs: TemplateFuncs): unknown {
  if (expr.startsWith('.')) return getPath(ctx, expr);
  switch (expr) {
    case 'Now':
      return funcs.Now;
    case 'PodIP':
      return funcs.PodIP();
    case 'NodeIP':
      return funcs.NodeIP;
    case 'NodeName':
      return funcs.NodeName;
  }
  throw new Error(`unknown template function ${JSON.stringify(expr)}`);
}

/**
 * Renders a status template against `obj` (KWOK uses Go templates; this is a small data-only
 * equivalent):
 * - a string that is exactly one `{{ expr }}` becomes the raw value (any type; dropped if undefined);
 *   placeholders inside longer strings are interpolated as text;
 * - `expr` is a path into the object (`.spec.nodeName`; inside `$forEach` also `.item.<…>`) or one
 *   of Now, PodIP, NodeIP, NodeName;
 * - `{$forEach: <path>, $template: <tmpl>}` renders `$template` once per element of the array at
 *   `<path>` (element bound to `.item`), producing an array (the field is dropped when the array
 *   is absent or empty).
 * Throws Error on an unknown function or malformed path.
 */
export function renderTemplate(tmpl: unknown, obj: unknown, funcs: TemplateFuncs): unknown {
  const ctx = obj as Record<string, unknown>;
  const walk = (t: unknown, scope: Record<string, unknown>): unknown => {
    if (typeof t === 'string') {
      const whole = /^\{\{\s*([^}]+?)\s*\}\}$/.exec(t);
      if (whole) return evalExpr(whole[1]!, scope, funcs);
      return t.replace(PLACEHOLDER, (_, e: string) => {
        const v = evalExpr(e, scope, funcs);
        return v === undefined ? '' : asString(v);
      });
    }
    if (Array.isArray(t)) return t.map((x) => walk(x, scope)).filter((x) => x !== undefined);
    if (t && typeof t === 'object') {
      const o = t as Record<string, unknown>;
      if ('$forEach' in o) {
        const arr = getPath(scope, String(o.$forEach));
        if (!Array.isArray(arr) || arr.length === 0) return undefined;
        return arr.map((item) => walk(o.$template, { ...scope, item }));
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) {
        const r = walk(v, scope);
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
    return t;
  };
  return walk(tmpl, ctx);
}

/**
 * Merges a rendered status into the current one: top-level fields of `patch` replace the current
 * ones, except `conditions`, merged by `type` (a condition whose status is unchanged keeps its
 * `lastTransitionTime`, as the kubelet's status manager does). Returns a new object.
 */
export function mergeStatus(current: Record<string, unknown> | undefined, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'conditions' && Array.isArray(v)) {
      const conds = [...((current?.conditions as Record<string, unknown>[] | undefined) ?? [])];
      for (const c of v as Record<string, unknown>[]) {
        const i = conds.findIndex((x) => x.type === c.type);
        if (i < 0) conds.push(c);
        else conds[i] = conds[i]!.status === c.status && conds[i]!.lastTransitionTime ? { ...c, lastTransitionTime: conds[i]!.lastTransitionTime } : c;
      }
      out.conditions = conds;
    } else out[k] = v;
  }
  return out;
}

/** What applying a stage to an object amounts to. */
export type StageAction =
  | { kind: 'delete' }
  | { kind: 'status'; status: Record<string, unknown> }
  | { kind: 'none' };

/**
 * Computes the effect of `stage` on `obj`: a delete, a new status (rendered template merged into
 * the current status), or `none` when the new status equals the current one (no-op writes are
 * skipped, as KWOK checks its patches first). Pure apart from `funcs.PodIP`.
 */
export function computeStageAction(stage: Stage, obj: { status?: unknown }, funcs: TemplateFuncs): StageAction {
  if (stage.next.delete) return { kind: 'delete' };
  if (!stage.next.statusTemplate) return { kind: 'none' };
  const rendered = renderTemplate(stage.next.statusTemplate, obj, funcs) as Record<string, unknown>;
  const status = mergeStatus(obj.status as Record<string, unknown> | undefined, rendered);
  if (JSON.stringify(status) === JSON.stringify(obj.status ?? {})) return { kind: 'none' };
  return { kind: 'status', status };
}
