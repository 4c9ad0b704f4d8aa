/**
 * metadata.managedFields <-> per-manager field sets, after
 * k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager/internal (managedfields.go:
 * DecodeManagedFields, EncodeObjectManagedFields, BuildManagerIdentifier, sortEncodedManagedFields;
 * stripmeta.go; capmanagers.go) and fieldmanager.go (isResetManagedFields).
 */
import { FieldSet, fieldSetFromFieldsV1, fieldSetToFieldsV1 } from './fieldpath.ts';

/** `metav1.ManagedFieldsEntry` as stored in metadata.managedFields. `time` is RFC 3339 (seconds). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update' | string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/**
 * One manager's ownership: who (manager, operation, apiVersion, subresource), when, and which
 * fields — as a decoded `set`, or (entries read back from storage, which Skiff wrote canonically)
 * as the stored FieldsV1 `raw`, decoded only when the entry has to change ({@link entrySet}).
 */
export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set?: FieldSet;
  raw?: Record<string, unknown>;
}

/** The entry's field set, decoding (and caching) the stored FieldsV1 on first use. */
export function entrySet(e: ManagerEntry): FieldSet {
  return (e.set ??= fieldSetFromFieldsV1(e.raw ?? {}, true));
}

/** Whether the entry's set has a member in common with `s`, without decoding a stored FieldsV1. */
export function entryIntersects(e: ManagerEntry, s: FieldSet): boolean {
  return e.set ? setIntersects(e.set, s) : rawIntersects(e.raw ?? {}, s);
}

function setIntersects(a: FieldSet, b: FieldSet): boolean {
  if (a.member && b.member) return true;
  if (!a.children || !b.children) return false;
  const [small, big] = a.children.size <= b.children.size ? [a.children, b.children] : [b.children, a.children];
  for (const [k, x] of small) {
    const y = big.get(k);
    if (y && setIntersects(x, y)) return true;
  }
  return false;
}

function rawIntersects(raw: Record<string, unknown>, s: FieldSet): boolean {
  if (!s.children) return false;
  for (const [k, c] of s.children) {
    const r = raw[k] as Record<string, unknown> | undefined;
    if (!r || typeof r !== 'object') continue;
    let member = false;
    let any = false;
    for (const rk in r) {
      any = true;
      if (rk === '.') {
        member = true;
        break;
      }
    }
    if (!any) member = true;
    if (c.member && member) return true;
    if (c.children && rawIntersects(r, c)) return true;
  }
  return false;
}

/** All managers of an object by manager identifier ({@link managerIdentifier}). */
export type Managed = Map<string, ManagerEntry>;

/**
 * Upstream's BuildManagerIdentifier: the JSON of the entry without fieldsType, fieldsV1 and time
 * (and without apiVersion for Apply), keys in ManagedFieldsEntry order, e.g.
 * `{"manager":"kubectl","operation":"Apply"}` or
 * `{"manager":"kube-controller-manager","operation":"Update","apiVersion":"apps/v1","subresource":"status"}`.
 */
export function managerIdentifier(e: { manager?: string; operation?: string; apiVersion?: string; subresource?: string }): string {
  let s = '';
  if (e.manager) s += `,"manager":${JSON.stringify(e.manager)}`;
  if (e.operation) s += `,"operation":${JSON.stringify(e.operation)}`;
  if (e.apiVersion && e.operation !== 'Apply') s += `,"apiVersion":${JSON.stringify(e.apiVersion)}`;
  if (e.subresource) s += `,"subresource":${JSON.stringify(e.subresource)}`;
  return `{${s.slice(1)}}`;
}

/**
 * isResetManagedFields: a non-nil empty list, or a list of one empty entry, asks to clear the
 * managed fields.
 */
export function isResetManagedFields(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  if (v.length === 0) return true;
  if (v.length === 1) {
    const e = v[0];
    return e !== null && typeof e === 'object' && !Array.isArray(e) && Object.values(e as object).every((x) => x === undefined || x === '' || x === null);
  }
  return false;
}

/**
 * DecodeManagedFields: validates and decodes metadata.managedFields. With `lazy`, non-empty
 * FieldsV1 are kept as stored (for the live object's entries, which Skiff itself encoded).
 * @throws Error with upstream's messages (`operation must be \`Apply\` or \`Update\``,
 *   `apiVersion must not be empty`, `missing fieldsType in managed fields entry N`,
 *   `invalid fieldsType "X" in managed fields entry N`, or a fieldsV1 parse error).
 */
export function decodeManagedFields(v: unknown, lazy = false): Managed {
  const out: Managed = new Map();
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v)) throw new Error('managedFields must be a list');
  v.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`managed fields entry ${i} is not an object`);
    const e = raw as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (typeof e.apiVersion !== 'string' || e.apiVersion.length < 1) throw new Error('apiVersion must not be empty');
    if (e.fieldsType === undefined || e.fieldsType === '') throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    if (e.manager !== undefined && typeof e.manager !== 'string') throw new Error(`invalid manager in managed fields entry ${i}`);
    if (e.subresource !== undefined && typeof e.subresource !== 'string') throw new Error(`invalid subresource in managed fields entry ${i}`);
    if (e.time !== undefined && e.time !== null && (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time)))) throw new Error(`invalid time in managed fields entry ${i}`);
    const fv = e.fieldsV1 ?? {};
    const entry: ManagerEntry = { manager: e.manager ?? '', operation: e.operation, apiVersion: e.apiVersion };
    if (lazy && fv !== null && typeof fv === 'object' && !Array.isArray(fv) && Object.keys(fv).length > 0) entry.raw = fv;
    else entry.set = fieldSetFromFieldsV1(fv);
    if (e.subresource) entry.subresource = e.subresource;
    if (e.time) entry.time = e.time;
    out.set(managerIdentifier(entry), entry);
  });
  return out;
}

/**
 * EncodeObjectManagedFields: the entries sorted as upstream (operation, then time, manager,
 * apiVersion, subresource); managers with empty sets are dropped. Returns undefined when none remain.
 */
export function encodeManagedFields(m: Managed): ManagedFieldsEntry[] | undefined {
  const entries = [...m.values()].filter((e) => (e.set ? !e.set.empty() : !!e.raw));
  if (!entries.length) return undefined;
  const secs = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  entries.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const ps = secs(p.time);
    const qs = secs(q.time);
    if (ps !== qs) return ps - qs;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    const a = p.subresource ?? '';
    const b = q.subresource ?? '';
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return entries.map((e) => {
    const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = e.set ? fieldSetToFieldsV1(e.set) : e.raw;
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

/** Paths never tracked (stripmeta.go): apiVersion, kind and the server-set metadata fields. */
const STRIPPED: FieldSet = (() => {
  const s = new FieldSet();
  s.insert(['f:apiVersion']).insert(['f:kind']).insert(['f:metadata']);
  for (const f of ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']) {
    s.insert(['f:metadata', `f:${f}`]);
  }
  return s;
})();

/** Removes the untracked metadata paths from a set (NewStripMetaManager). */
export function stripMeta(s: FieldSet): FieldSet {
  return s.difference(STRIPPED);
}

/** Upstream DefaultMaxUpdateManagers. */
export const MAX_UPDATE_MANAGERS = 10;

/**
 * capManagersManager: when more than `max` Update entries exist, the oldest are merged into one
 * Update entry named `ancient-changes` (per apiVersion) until at most `max` remain. Mutates `m`.
 */
export function capUpdateManagers(m: Managed, max = MAX_UPDATE_MANAGERS): void {
  const t = (e: ManagerEntry) => (e.time ? Date.parse(e.time) : 0);
  let n = 0;
  for (const e of m.values()) if (e.operation === 'Update') n++;
  if (n <= max) return;
  for (;;) {
    const updates = [...m.entries()].filter(([, e]) => e.operation === 'Update');
    if (updates.length <= max) return;
    const candidates = updates.filter(([, e]) => e.manager !== 'ancient-changes').sort(([, a], [, b]) => t(a) - t(b));
    if (!candidates.length) return;
    const [id, e] = candidates[0];
    const aid = managerIdentifier({ manager: 'ancient-changes', operation: 'Update', apiVersion: e.apiVersion });
    const prev = m.get(aid);
    m.delete(id);
    m.set(aid, { manager: 'ancient-changes', operation: 'Update', apiVersion: e.apiVersion, time: prev?.time ?? e.time, set: entrySet(e).union(prev ? entrySet(prev) : undefined) });
  }
}
