/**
 * The structural schema server-side apply needs: which lists are associative (and by which key
 * fields), which are sets, which maps/structs are atomic. Upstream reads this from OpenAPI
 * (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`), falling back
 * to the strategic-merge tags (`x-kubernetes-patch-strategy: merge` + `patch-merge-key` →
 * associative list; `merge` without a key → set) when no list type is declared
 * (k8s.io/kube-openapi/pkg/schemaconv). Skiff derives the same from its SMP table
 * (src/machinery/patch-meta.ts) plus the `+listType`/`+listMapKey`/`+structType=atomic` markers of
 * k8s.io/api where they differ from the SMP tags. Lists not described are atomic, objects granular.
 */
import { patchMetaFor, type PatchField, type PatchSchema } from '../../machinery/patch-meta.ts';

/** How a value at one position is tracked. Undescribed positions: objects granular, lists atomic. */
export interface TypeNode {
  /** How an array here is tracked: atomic (default), set (by value) or map (associative, by `keys`). */
  list?: 'atomic' | 'set' | 'map';
  /** `x-kubernetes-list-map-keys` of an associative list. */
  keys?: string[];
  /** The object here (or each list item) is atomic (`x-kubernetes-map-type: atomic`). */
  atomic?: boolean;
  /** Schemas of named fields of the object here (or of each list item). */
  fields?: Record<string, TypeNode>;
  /** Schema of every value of a map[string]T. */
  values?: TypeNode;
}

/** Defaults of list-map key fields that upstream's schema declares (`protocol` defaults to TCP). */
export const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

const ATOMIC: TypeNode = { atomic: true };

function convert(f: PatchField, memo: Map<PatchSchema, Record<string, TypeNode>>): TypeNode {
  const n: TypeNode = {};
  const strategy = f.strategy ?? '';
  if (strategy.includes('merge')) {
    if (f.mergeKey) {
      n.list = 'map';
      n.keys = [f.mergeKey];
    } else n.list = 'set';
  }
  if (f.schema) {
    const s = f.schema;
    let fields = memo.get(s);
    if (!fields) {
      fields = {};
      memo.set(s, fields);
      for (const [k, v] of Object.entries(s.fields ?? {})) fields[k] = convert(v, memo);
    }
    n.fields = fields;
    if (s.values) n.values = convert(s.values, memo);
  }
  return n;
}

/** Sets `patch` at a dotted path below `root` (creating field nodes), merging into what is there. */
function override(root: TypeNode, path: string, patch: TypeNode): void {
  let n = root;
  for (const k of path.split('.')) {
    n.fields = { ...(n.fields ?? {}) };
    n.fields[k] = { ...(n.fields[k] ?? {}) };
    n = n.fields[k];
  }
  Object.assign(n, patch);
}

function containerOverrides(root: TypeNode, prefix: string): void {
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    const c = `${prefix}${list}`;
    override(root, `${c}.ports`, { list: 'map', keys: ['containerPort', 'protocol'] });
    for (const ref of ['configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef']) override(root, `${c}.env.valueFrom.${ref}`, ATOMIC);
  }
  override(root, `${prefix}topologySpreadConstraints`, { list: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] });
  override(root, `${prefix}topologySpreadConstraints.labelSelector`, ATOMIC);
  override(root, `${prefix}imagePullSecrets`, { atomic: true });
  override(root, `${prefix}affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`, ATOMIC);
  for (const a of ['podAffinity', 'podAntiAffinity']) {
    for (const t of ['requiredDuringSchedulingIgnoredDuringExecution']) {
      override(root, `${prefix}affinity.${a}.${t}.labelSelector`, ATOMIC);
      override(root, `${prefix}affinity.${a}.${t}.namespaceSelector`, ATOMIC);
    }
    override(root, `${prefix}affinity.${a}.preferredDuringSchedulingIgnoredDuringExecution.podAffinityTerm.labelSelector`, ATOMIC);
  }
}

const cache = new Map<string, TypeNode | null>();

/**
 * The schema of a built-in kind, e.g. `schemaFor('apps/v1', 'Deployment')`; undefined for kinds
 * Skiff does not describe (then every object is granular and every list atomic, as upstream's
 * deduced type for schemaless custom resources). Cached per kind.
 */
export function schemaFor(apiVersion: string, kind: string): TypeNode | undefined {
  const key = `${apiVersion}/${kind}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const pm = patchMetaFor(apiVersion, kind);
  if (!pm) {
    cache.set(key, null);
    return undefined;
  }
  const root = convert({ schema: pm }, new Map());
  // Replace the shared (memoized) field maps by private copies before overriding.
  const podSpecPaths: Record<string, string> = {
    Pod: 'spec.',
    PodTemplate: 'template.spec.',
    Deployment: 'spec.template.spec.',
    ReplicaSet: 'spec.template.spec.',
    StatefulSet: 'spec.template.spec.',
    DaemonSet: 'spec.template.spec.',
    ReplicationController: 'spec.template.spec.',
    Job: 'spec.template.spec.',
    CronJob: 'spec.jobTemplate.spec.template.spec.',
  };
  const ps = podSpecPaths[kind];
  if (ps) containerOverrides(root, ps);
  if (['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'].includes(kind)) override(root, 'spec.selector', ATOMIC);
  if (kind === 'CronJob') override(root, 'spec.jobTemplate.spec.selector', ATOMIC);
  if (kind === 'PodDisruptionBudget') override(root, 'spec.selector', ATOMIC);
  if (kind === 'Service') {
    override(root, 'spec.ports', { list: 'map', keys: ['port', 'protocol'] });
    override(root, 'spec.selector', ATOMIC);
  }
  cache.set(key, root);
  return root;
}

/**
 * Non-pointer struct fields that a Go zero value of the kind already holds, so a create does not
 * record them as added (`.` entries) — upstream compares the new object against `New()` of the kind.
 */
export function zeroObject(kind: string): Record<string, unknown> {
  // PodSpec.containers has no omitempty: a zero PodSpec serializes `containers: null`.
  const tmpl = () => ({ metadata: {}, spec: { containers: null } });
  switch (kind) {
    case 'Pod':
      return { metadata: {}, spec: { containers: null }, status: {} };
    case 'Node':
    case 'Namespace':
    case 'PersistentVolume':
    case 'Service':
    case 'PersistentVolumeClaim':
    case 'ResourceQuota':
    case 'LimitRange':
    case 'NetworkPolicy':
    case 'Ingress':
    case 'PodDisruptionBudget':
    case 'HorizontalPodAutoscaler':
    case 'Lease':
      return { metadata: {}, spec: {}, status: {} };
    case 'Deployment':
      return { metadata: {}, spec: { template: tmpl(), strategy: {} }, status: {} };
    case 'StatefulSet':
    case 'DaemonSet':
      return { metadata: {}, spec: { template: tmpl(), updateStrategy: {} }, status: {} };
    case 'ReplicaSet':
    case 'Job':
      return { metadata: {}, spec: { template: tmpl() }, status: {} };
    case 'ReplicationController':
      return { metadata: {}, spec: {}, status: {} };
    case 'PodTemplate':
      return { metadata: {}, template: tmpl() };
    case 'CronJob':
      return { metadata: {}, spec: { jobTemplate: { metadata: {}, spec: { template: tmpl() } } }, status: {} };
    default:
      return { metadata: {} };
  }
}
