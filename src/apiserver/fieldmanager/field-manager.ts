/**
 * The field manager the REST handlers call: maintains metadata.managedFields on every write and
 * performs server-side apply. After k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager
 * (FieldManager.Update/UpdateNoErrors/Apply, decodeManagedFields, managedFieldsUpdater,
 * buildManagerInfoManager, stripMetaManager, capManagersManager, the strategies' GetResetFields)
 * and handlers/create.go (managerOrUserAgent, prefixFromUserAgent).
 *
 * Includes the `kubectl` client-side → server-side apply migration (lastAppliedManager,
 * lastAppliedUpdater: last-applied.ts). Departures: no version conversion (every kind is served
 * at one version), reset fields are "status" (main resource) and everything but
 * "status" (status subresource).
 */
import type { KubeObject } from '../../client/interface.ts';
import { StatusError, newBadRequest, newInternalError } from '../../machinery/errors.ts';
import { FieldSet } from './fieldpath.ts';
import { capUpdateManagers, decodeManagedFields, encodeManagedFields, isResetManagedFields, managerIdentifier, stripMeta, type Managed } from './managed-fields.ts';
import { schemaFor, zeroObject } from './schema.ts';
import { jsonEq, TypedConversionError } from './typed.ts';
import { ApplyConflicts, newApplyConflictError } from './conflicts.ts';
import { allowedConflictsFromLastApplied, updateLastApplied } from './last-applied.ts';
import { applyManaged, updateManaged, type FieldFilter } from './updater.ts';
import { decodeTypeError } from '../handlers/field-validation.ts';

/** What is being written: the kind (at its served version) and through which subresource. */
export interface FieldManagerScope {
  /** `apps/v1`, `v1`, … */
  apiVersion: string;
  kind: string;
  /** '' (main resource), 'status' or 'scale'. */
  subresource?: string;
  /** The resource has a status subresource (then main-resource writes never own `status`). */
  hasStatus?: boolean;
}

/** Upstream FieldManagerMaxLength (bytes). */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * prefixFromUserAgent: the User-Agent up to the first '/', without non-printable characters,
 * cut to 128 bytes. `kubectl/v1.32.0 (linux/amd64) kubernetes/abc` → `kubectl`.
 */
export function prefixFromUserAgent(ua: string | undefined): string {
  const key = ua ?? '';
  const hit = uaCache.get(key);
  if (hit !== undefined) return hit;
  const out = computePrefix(key);
  if (uaCache.size > 256) uaCache.clear();
  uaCache.set(key, out);
  return out;
}

const uaCache = new Map<string, string>();

function computePrefix(ua: string): string {
  const m = ua.split('/')[0];
  let out = '';
  let bytes = 0;
  for (const ch of m) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** managerOrUserAgent: the `fieldManager` query parameter, else the User-Agent prefix. */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string | undefined): string {
  return fieldManager ? fieldManager : prefixFromUserAgent(userAgent);
}

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function rfc3339Seconds(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastStamp = new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastStamp;
}

let lastSecond = NaN;
let lastStamp = '';

function filterFor(scope: FieldManagerScope): FieldFilter {
  const sub = scope.subresource ?? '';
  if (sub === 'status') {
    return (s) => {
      const out = new FieldSet();
      const st = s.children?.get('f:status');
      if (st && !st.empty()) (out.children = new Map()).set('f:status', st);
      return out;
    };
  }
  if (sub === 'scale') {
    const keep = new FieldSet().insert(['f:spec', 'f:replicas']);
    return (s) => s.intersection(keep);
  }
  if (scope.hasStatus) {
    return (s) => {
      if (!s.children?.has('f:status')) return s;
      const out = new FieldSet();
      out.member = s.member;
      out.children = new Map([...s.children].filter(([k]) => k !== 'f:status'));
      return out;
    };
  }
  return (s) => s;
}

/** A shallow view of `obj` without metadata.managedFields (RemoveObjectManagedFields, no copy of the rest). */
function withoutManagedFields(obj: KubeObject | Record<string, unknown>): Record<string, unknown> {
  const o = obj as Record<string, unknown>;
  const m = o.metadata as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object' || !('managedFields' in m)) return o;
  const { managedFields: _mf, ...rest } = m;
  return { ...o, metadata: rest };
}

function decodeLive(live: KubeObject | undefined): Managed {
  try {
    return decodeManagedFields(live?.metadata?.managedFields, true);
  } catch {
    return new Map();
  }
}

function entryFor(scope: FieldManagerScope, manager: string, operation: 'Apply' | 'Update') {
  const e: { manager: string; operation: 'Apply' | 'Update'; apiVersion: string; subresource?: string } = {
    manager: manager || 'unknown',
    operation,
    apiVersion: scope.apiVersion,
  };
  if (scope.subresource) e.subresource = scope.subresource;
  return e;
}

function setManagedFields(obj: KubeObject, managed: Managed): void {
  const enc = encodeManagedFields(managed);
  const m = (obj.metadata ??= {});
  if (enc) (m as { managedFields?: unknown }).managedFields = enc;
  else delete (m as { managedFields?: unknown }).managedFields;
}

/**
 * FieldManager.UpdateNoErrors for create (live undefined), update and non-apply patches: sets
 * `obj.metadata.managedFields` (mutates `obj`). The starting point is the request's managedFields
 * when valid and non-empty (a list `[]` or `[{}]` resets them), else the live object's
 * (subresource writes always use the live object's). `manager` gets an Update entry for what
 * it added or changed, with `time` = now, apiVersion = scope.apiVersion and the subresource.
 * Never throws for managedFields problems: on an internal failure managedFields are dropped.
 */
export function updateManagedFields(scope: FieldManagerScope, live: KubeObject | undefined, obj: KubeObject, manager: string, nowMs = Date.now()): void {
  const meta = (obj.metadata ??= {}) as { managedFields?: unknown };
  try {
    let managed: Managed;
    if (scope.subresource) managed = decodeLive(live);
    else if (isResetManagedFields(meta.managedFields)) managed = new Map();
    else if (live && jsonEq(meta.managedFields, live.metadata?.managedFields)) managed = decodeLive(live);
    else {
      try {
        managed = decodeManagedFields(meta.managedFields);
      } catch {
        managed = new Map();
      }
      if (managed.size === 0) managed = decodeLive(live);
    }
    const schema = schemaFor(scope.apiVersion, scope.kind);
    const base = live ? withoutManagedFields(live) : zeroObject(scope.kind);
    const e = entryFor(scope, manager, 'Update');
    updateManaged(managed, base, withoutManagedFields(obj), schema, managerIdentifier(e), e, () => rfc3339Seconds(nowMs), filterFor(scope), stripMeta);
    capUpdateManagers(managed);
    setManagedFields(obj, managed);
  } catch {
    delete meta.managedFields;
  }
}

/**
 * FieldManager.Apply: server-side apply of `config` (the decoded apply patch, apiVersion/kind
 * already checked) onto `live` (undefined: the object is being created). Returns the merged
 * object with managedFields set (not yet defaulted).
 * @throws 400 `metadata.managedFields must be nil` when the configuration carries managedFields;
 *   500 (empty reason, as upstream) `failed to create typed patch object (ns/name; apps/v1,
 *   Kind=Deployment): .spec…: element 0: associative list with keys has an element that omits key
 *   field "name" (and doesn't have default value)`; also for duplicate keys and for wrongly typed
 *   values (detail in Go's decoder wording, e.g. `json: cannot unmarshal string into Go struct field
 *   DeploymentSpec.spec.replicas of type int32`);
 *   409 Conflict with FieldManagerConflict causes unless `force` (for manager `kubectl`, conflicts
 *   on fields still holding their client-side last-applied value are taken over instead);
 *   500 when the live managedFields cannot be decoded.
 */
export function applyManagedFields(scope: FieldManagerScope, live: KubeObject | undefined, config: KubeObject, manager: string, force: boolean, nowMs = Date.now()): KubeObject {
  const cm = config.metadata as { managedFields?: unknown } | undefined;
  if (cm && cm.managedFields !== undefined && cm.managedFields !== null) throw newBadRequest('metadata.managedFields must be nil');
  let managed: Managed;
  try {
    managed = decodeManagedFields(live?.metadata?.managedFields, true);
  } catch (err) {
    throw newInternalError(`failed to decode managed fields: ${(err as Error).message}`);
  }
  const base = live ? withoutManagedFields(live) : { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  const schema = schemaFor(scope.apiVersion, scope.kind);
  const e = entryFor(scope, manager, 'Apply');
  const run = (m: Managed, f: boolean) => applyManaged(m, base, config as Record<string, unknown>, schema, managerIdentifier(e), e, f, rfc3339Seconds(nowMs), filterFor(scope), stripMeta);
  try {
    // ObjectToTyped of the patch: a wrongly typed value never reaches the merge (nor the store).
    // Upstream words the detail as structured-merge-diff does (`.spec.replicas: expected numeric
    // (int or float), got string`); Skiff gives its typed decoder's message for the same value.
    const [group, version] = scope.apiVersion.includes('/') ? scope.apiVersion.split('/') : ['', scope.apiVersion];
    const typeErr = decodeTypeError({ group: group!, version: version!, kind: scope.kind }, config, 'json');
    if (typeErr !== undefined) throw new TypedConversionError(typeErr);
    let r: ReturnType<typeof run>;
    const snapshot = new Map(managed);
    try {
      r = run(managed, force);
    } catch (err) {
      // lastAppliedManager: kubectl may take over fields whose live value is still its client-side last-applied one.
      if (!(err instanceof ApplyConflicts) || manager !== 'kubectl' || !live) throw err;
      const allowed = allowedConflictsFromLastApplied(base, scope.apiVersion, schema);
      if (!allowed) throw err;
      const rest = err.conflicts.filter((c) => !allowed.has(c.path));
      if (rest.length) throw new ApplyConflicts(rest);
      managed = snapshot;
      r = run(managed, true);
    }
    const out = r.object as KubeObject;
    if (out.metadata === base.metadata) out.metadata = { ...(out.metadata ?? {}) };
    setManagedFields(out, managed);
    updateLastApplied(out, config, manager);
    return out;
  } catch (err) {
    if (err instanceof ApplyConflicts) throw newApplyConflictError(err.conflicts);
    if (err instanceof TypedConversionError) {
      // Not an API error upstream: ErrorToAPIStatus makes it a 500 with an empty reason.
      const m = { namespace: live?.metadata?.namespace, name: live?.metadata?.name, ...(config.metadata ?? {}) };
      const gvk = `${scope.apiVersion.includes('/') ? scope.apiVersion : `/${scope.apiVersion}`}, Kind=${scope.kind}`;
      throw new StatusError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `failed to create typed patch object (${m.namespace ?? ''}/${m.name ?? ''}; ${gvk}): ${err.message}`,
        reason: '',
        code: 500,
      });
    }
    if (err instanceof StatusError) throw err;
    throw newInternalError(`failed to apply: ${(err as Error).message}`);
  }
}
