/**
 * Controller references (k8s.io/apimachinery/pkg/apis/meta/v1/controller_ref.go): the one ownerReference with
 * `controller: true` says which controller manages an object.
 */

/** `metav1.OwnerReference`. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Anything with (optional) metadata.ownerReferences / metadata.uid. */
export interface ObjectWithOwners {
  metadata?: { name?: string; uid?: string; ownerReferences?: OwnerReference[] | null } | null;
}

/** `schema.GroupVersionKind`. `group` is '' for the core group. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** `GroupVersion.String()`: `v1` for core, `apps/v1` otherwise. */
export function groupVersionString(gvk: { group: string; version: string }): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/**
 * `metav1.GetControllerOf`: a copy of the first ownerReference with `controller: true`, or undefined.
 */
export function getControllerOf(obj: ObjectWithOwners | null | undefined): OwnerReference | undefined {
  const ref = getControllerOfNoCopy(obj);
  return ref ? { ...ref } : undefined;
}

/** `metav1.GetControllerOfNoCopy`: like {@link getControllerOf} without copying. */
export function getControllerOfNoCopy(obj: ObjectWithOwners | null | undefined): OwnerReference | undefined {
  return (obj?.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}

/** `metav1.IsControlledBy`: true when `obj`'s controller reference points at `owner`'s uid. */
export function isControlledBy(obj: ObjectWithOwners | null | undefined, owner: ObjectWithOwners | null | undefined): boolean {
  const ref = getControllerOfNoCopy(obj);
  const uid = owner?.metadata?.uid;
  return ref !== undefined && uid !== undefined && ref.uid === uid;
}

/**
 * `metav1.NewControllerRef`: an ownerReference to `owner` with `controller: true` and `blockOwnerDeletion: true`.
 * @param gvk the owner's kind, e.g. `{group: 'apps', version: 'v1', kind: 'ReplicaSet'}`
 */
export function newControllerRef(owner: ObjectWithOwners, gvk: GroupVersionKind): OwnerReference {
  return {
    apiVersion: groupVersionString(gvk),
    kind: gvk.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    blockOwnerDeletion: true,
    controller: true,
  };
}
