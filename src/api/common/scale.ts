/**
 * The `/scale` subresource (autoscaling/v1 Scale) of Deployments and ReplicaSets, after
 * upstream pkg/registry/apps/{deployment,replicaset}/storage (scaleFromDeployment,
 * scaleUpdatedObjectInfo) and pkg/apis/autoscaling/validation.ValidateScale.
 */
import type { KubeObject } from '../../client/interface.ts';
import { FieldPath, invalid, newConflict, type FieldError } from '../../machinery/errors.ts';
import { labelSelectorAsSelector } from '../../machinery/labels.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../machinery/validation.ts';
import { deepCopy, rec } from './meta.ts';

/**
 * Builds the Scale view of a Deployment/ReplicaSet: metadata (name, namespace, uid,
 * resourceVersion, creationTimestamp), `spec.replicas`, `status.replicas` and
 * `status.selector` (the selector's string form, e.g. `app=web`).
 */
export function scaleFromObject(obj: KubeObject): KubeObject {
  const spec = rec(obj.spec);
  let selector = '';
  try {
    selector = labelSelectorAsSelector(spec.selector).toString();
  } catch {
    selector = '';
  }
  const m = obj.metadata ?? {};
  const metadata: Record<string, unknown> = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp ?? null };
  for (const k of Object.keys(metadata)) if (metadata[k] === undefined) delete metadata[k];
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: Number(spec.replicas ?? 0) },
    status: { replicas: Number(rec(obj.status).replicas ?? 0), selector },
  };
}

/** `ValidateScale`: ObjectMeta (DNS subdomain name, namespaced) and `spec.replicas` ≥ 0. */
export function validateScale(scale: KubeObject): FieldError[] {
  const errs = validateObjectMeta(scale.metadata, true, nameIsDNSSubdomain, 'metadata');
  const r = Number(rec(scale.spec).replicas ?? 0);
  if (r < 0) errs.push(invalid(FieldPath.root('spec').child('replicas'), r, 'must be greater than or equal to 0'));
  return errs;
}

/**
 * Applies a Scale to a copy of the object (as scaleUpdatedObjectInfo): `spec.replicas` from the
 * Scale; the Scale's resourceVersion (if any) becomes the object's, so the store's optimistic
 * concurrency check applies.
 * @param gr group-resource for the Conflict message, e.g. `{group:'apps', resource:'deployments'}`
 * @throws StatusError 409 when the Scale's uid precondition does not match the object
 */
export function applyScale(obj: KubeObject, scale: KubeObject, gr: { group: string; resource: string }): KubeObject {
  const out = deepCopy(obj);
  const uid = scale.metadata?.uid;
  if (uid && uid !== obj.metadata?.uid) {
    throw newConflict(gr, obj.metadata?.name ?? '', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${obj.metadata?.uid ?? ''}`);
  }
  const rv = scale.metadata?.resourceVersion;
  if (rv) out.metadata = { ...(out.metadata ?? {}), resourceVersion: rv };
  out.spec = { ...rec(out.spec), replicas: Number(rec(scale.spec).replicas ?? 0) };
  return out;
}
