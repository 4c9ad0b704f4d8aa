/**
 * Garbage collector over ownerReferences, after pkg/controller/garbagecollector
 * (garbagecollector.go attemptToDeleteItem / orphanDependents / processDeletingDependentsItem).
 *
 * Simplification: instead of upstream's dependency graph (GraphBuilder), dependents are found
 * through an `ownerUid` index on the informers of the monitored resources, and owners are looked
 * up with a live GET (authoritative, as upstream does for owners absent from its graph).
 *
 * For each monitored object (queued on add/update/delete events of it or of its owners/dependents):
 * - being deleted with the `orphan` finalizer → remove its ownerReference from every dependent,
 *   then remove the finalizer (Orphan propagation);
 * - being deleted with `foregroundDeletion` → make sure every dependent is being deleted; once no
 *   dependent with `blockOwnerDeletion: true` is left, remove the finalizer (Foreground);
 * - otherwise, with ownerReferences, classify each owner as solid (exists, same uid), dangling
 *   (404, different uid, or a namespaced owner of a cluster-scoped dependent) or waiting (owner
 *   being deleted in foreground):
 *   - some solid owner → keep; strip dangling/waiting references;
 *   - waiting owners and the object has dependents itself → delete it with Foreground;
 *   - otherwise → delete it (policy Orphan/Foreground if it carries that finalizer, else Background).
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { GVR, type Client, type GroupVersionResource, type KubeObject } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { apiVersionFor, gvrForKind, isNamespacedResource, kindForResource } from '../../client/resource-kinds.ts';
import { isNotFound } from '../../machinery/errors.ts';
import type { EventRecorder } from '../../client/record.ts';
import { BaseController } from '../shared/base-controller.ts';

/** Finalizer for Orphan propagation. */
export const FinalizerOrphanDependents = 'orphan';
/** Finalizer for Foreground propagation. */
export const FinalizerDeleteDependents = 'foregroundDeletion';
/** Index name: objects by the uid of each owner. */
export const OwnerUidIndex = 'gc-owner-uid';

/** Resources the GC watches by default. */
export const DefaultGCResources: GroupVersionResource[] = [
  GVR.pods,
  GVR.replicasets,
  GVR.deployments,
  GVR.services,
  GVR.endpoints,
  GVR.endpointslices,
  GVR.configmaps,
  GVR.secrets,
  GVR.serviceaccounts,
  GVR.nodes,
  GVR.leases,
  { group: 'batch', version: 'v1', resource: 'jobs' },
  { group: 'batch', version: 'v1', resource: 'cronjobs' },
  { group: '', version: 'v1', resource: 'replicationcontrollers' },
  { group: 'apps', version: 'v1', resource: 'daemonsets' },
  { group: 'apps', version: 'v1', resource: 'statefulsets' },
  { group: 'apps', version: 'v1', resource: 'controllerrevisions' },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
];

/** Options for {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  client: Client;
  factory: SharedInformerFactory;
  /** Resources to monitor (default {@link DefaultGCResources}). */
  resources?: GroupVersionResource[];
  logger?: Logger;
  /** Events (component `garbage-collector-controller` upstream): OwnerRefInvalidNamespace; none when absent. */
  recorder?: EventRecorder;
}

const gvrId = (g: GroupVersionResource) => `${g.group}/${g.version}/${g.resource}`;

/** Queue key `<group>/<version>/<resource>|<namespace>|<name>`. */
function itemKey(gvr: GroupVersionResource, ns: string | undefined, name: string): string {
  return `${gvrId(gvr)}|${ns ?? ''}|${name}`;
}

/** GarbageCollector; see module comment. */
export class GarbageCollector extends BaseController {
  private readonly client: Client;
  private readonly informers = new Map<string, { gvr: GroupVersionResource; inf: SharedInformer }>();
  /** uid → identity of every object seen in the monitored informers. */
  private readonly uidIndex = new Map<string, { gvr: GroupVersionResource; ns?: string; name: string }>();

  private readonly recorder?: EventRecorder;

  constructor(opts: GarbageCollectorOptions) {
    super('garbagecollector', (key) => this.attemptToDeleteItem(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    for (const gvr of opts.resources ?? DefaultGCResources) {
      const inf = opts.factory.forResource(gvr);
      inf.addIndexers({ [OwnerUidIndex]: (o) => (o.metadata?.ownerReferences ?? []).map((r: OwnerReference) => r.uid) });
      inf.addEventHandler({
        onAdd: (o) => this.onAddOrUpdate(gvr, undefined, o),
        onUpdate: (old, cur) => this.onAddOrUpdate(gvr, old, cur),
        onDelete: (o) => this.onDelete(o instanceof DeletedFinalStateUnknown ? o.obj : o),
      });
      this.informers.set(gvrId(gvr), { gvr, inf });
    }
  }

  /** Waits for the monitored informers, then runs workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const { inf } of this.informers.values()) if (!(await inf.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  private enqueue(gvr: GroupVersionResource, o: KubeObject): void {
    this.queue.add(itemKey(gvr, o.metadata?.namespace, o.metadata!.name!));
  }

  private onAddOrUpdate(gvr: GroupVersionResource, old: KubeObject | undefined, cur: KubeObject): void {
    const uid = cur.metadata?.uid;
    if (uid) this.uidIndex.set(uid, { gvr, ns: cur.metadata?.namespace, name: cur.metadata!.name! });
    const refsChanged = JSON.stringify(old?.metadata?.ownerReferences ?? []) !== JSON.stringify(cur.metadata?.ownerReferences ?? []);
    if (!old || refsChanged) this.reportInvalidNamespaceOwnerRefs(gvr, cur, old);
    const deleting = !!cur.metadata?.deletionTimestamp;
    const startedDeleting = deleting && !old?.metadata?.deletionTimestamp;
    const finalizersChanged = JSON.stringify(old?.metadata?.finalizers ?? []) !== JSON.stringify(cur.metadata?.finalizers ?? []);
    if ((cur.metadata?.ownerReferences?.length && (!old || refsChanged)) || (deleting && (startedDeleting || finalizersChanged || !old))) {
      this.enqueue(gvr, cur);
    }
    // An owner entering foreground deletion: its dependents must be processed.
    if (startedDeleting && cur.metadata?.finalizers?.includes(FinalizerDeleteDependents) && uid) {
      for (const [g, dep] of this.dependentsOf(uid)) this.enqueue(g, dep);
    }
  }

  private onDelete(o: KubeObject): void {
    const uid = o.metadata?.uid;
    if (uid) {
      this.uidIndex.delete(uid);
      // Dependents may now have no solid owner.
      for (const [g, dep] of this.dependentsOf(uid)) this.enqueue(g, dep);
    }
    // Owners waiting in foreground deletion may now be unblocked.
    for (const ref of o.metadata?.ownerReferences ?? []) {
      const id = this.uidIndex.get(ref.uid);
      if (id) this.queue.add(itemKey(id.gvr, id.ns, id.name));
    }
  }

  /**
   * Upstream addDependentToOwners/reportInvalidNamespaceOwnerRef: a dependent whose ownerReference
   * names an observed namespaced owner in another namespace (or a namespaced owner of a
   * cluster-scoped dependent) gets a Warning `OwnerRefInvalidNamespace` Event, message
   * `ownerRef [<apiVersion>/<kind>, namespace: <dependent ns>, name: <name>, uid: <uid>] does not
   * exist in namespace "<dependent ns>"`. Only references new since `old` are reported.
   */
  private reportInvalidNamespaceOwnerRefs(gvr: GroupVersionResource, cur: KubeObject, old: KubeObject | undefined): void {
    if (!this.recorder) return;
    const seen = new Set((old?.metadata?.ownerReferences ?? []).map((r: OwnerReference) => r.uid));
    const ns = cur.metadata?.namespace ?? '';
    for (const ref of (cur.metadata?.ownerReferences ?? []) as OwnerReference[]) {
      if (seen.has(ref.uid)) continue;
      const owner = this.uidIndex.get(ref.uid);
      if (!owner?.ns || owner.ns === ns) continue;
      const depRef = { apiVersion: cur.apiVersion ?? apiVersionFor(gvr), kind: cur.kind ?? kindForResource(gvr.resource), namespace: cur.metadata?.namespace, name: cur.metadata?.name, uid: cur.metadata?.uid };
      this.recorder.event(depRef as never, 'Warning', 'OwnerRefInvalidNamespace', `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${ns}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace "${ns}"`);
      return;
    }
  }

  /** Cached objects (across monitored resources) whose ownerReferences include `uid`. */
  private dependentsOf(uid: string): [GroupVersionResource, KubeObject][] {
    const out: [GroupVersionResource, KubeObject][] = [];
    for (const { gvr, inf } of this.informers.values()) for (const o of inf.store.byIndex(OwnerUidIndex, uid)) out.push([gvr, o]);
    return out;
  }

  /** Resolves the GVR for an ownerReference: a monitored resource of that kind first, then the built-in table. */
  private ownerGvr(ref: OwnerReference): GroupVersionResource | undefined {
    const guess = gvrForKind(ref.apiVersion, ref.kind);
    if (!guess) return undefined;
    for (const { gvr } of this.informers.values()) if (gvr.resource === guess.resource && gvr.group === guess.group) return gvr;
    return guess;
  }

  /**
   * Classifies one ownerReference of a dependent in namespace `ns` (undefined = cluster-scoped).
   * Unknown kinds count as solid: without a mapping we cannot prove the owner is gone. A namespaced
   * owner of a cluster-scoped dependent is 'invalid' (the item is left alone, as upstream).
   */
  async classifyOwner(ref: OwnerReference, ns: string | undefined): Promise<'solid' | 'dangling' | 'waiting' | 'invalid'> {
    const gvr = this.ownerGvr(ref);
    if (!gvr) {
      this.log.warn({ kind: ref.kind, apiVersion: ref.apiVersion }, 'garbage collector: unknown owner kind; treating as existing');
      return 'solid';
    }
    const namespaced = isNamespacedResource(gvr.resource);
    // A cluster-scoped dependent cannot have a namespaced owner: upstream gives up on the item
    // (namespacedOwnerOfClusterScopedObjectErr) instead of deleting it.
    if (namespaced && !ns) return 'invalid';
    let owner: KubeObject;
    try {
      owner = await this.client.get(gvr, namespaced ? ns : undefined, ref.name);
    } catch (e) {
      if (isNotFound(e)) return 'dangling';
      throw e;
    }
    if (owner.metadata?.uid !== ref.uid) return 'dangling';
    if (owner.metadata?.deletionTimestamp && owner.metadata.finalizers?.includes(FinalizerDeleteDependents)) return 'waiting';
    return 'solid';
  }

  /** Processes one queued object (see module comment). @throws on API errors (retried). */
  async attemptToDeleteItem(key: string): Promise<void> {
    const [id, nsPart, name] = key.split('|');
    const [group, version, resource] = id.split('/');
    const gvr: GroupVersionResource = { group, version, resource };
    const ns = nsPart || undefined;
    let latest: KubeObject;
    try {
      latest = await this.client.get(gvr, ns, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const md = latest.metadata!;
    if (md.deletionTimestamp) {
      if (md.finalizers?.includes(FinalizerOrphanDependents)) return this.orphanDependents(gvr, latest);
      if (md.finalizers?.includes(FinalizerDeleteDependents)) return this.processDeletingDependents(gvr, latest);
      return;
    }
    const refs: OwnerReference[] = md.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const c = await this.classifyOwner(ref, ns);
      if (c === 'invalid') {
        this.log.info({ item: key, owner: `${ref.kind}/${ref.name}` }, 'item is cluster-scoped, but refers to a namespaced owner');
        return;
      }
      (c === 'solid' ? solid : c === 'dangling' ? dangling : waiting).push(ref);
    }
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await this.client.patch(gvr, ns, name, 'application/merge-patch+json', {
        metadata: { ownerReferences: refs.filter((r) => !drop.has(r.uid)), uid: md.uid },
      });
      return;
    }
    if (waiting.length && this.dependentsOf(md.uid!).length) {
      await this.deleteObject(gvr, latest, 'Foreground');
      return;
    }
    const policy = md.finalizers?.includes(FinalizerOrphanDependents)
      ? 'Orphan'
      : md.finalizers?.includes(FinalizerDeleteDependents)
        ? 'Foreground'
        : 'Background';
    await this.deleteObject(gvr, latest, policy);
  }

  private async deleteObject(gvr: GroupVersionResource, o: KubeObject, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    try {
      await this.client.delete(gvr, o.metadata?.namespace, o.metadata!.name!, { propagationPolicy: policy, preconditions: { uid: o.metadata?.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Orphan propagation: drop our reference from each dependent, then the `orphan` finalizer. */
  private async orphanDependents(gvr: GroupVersionResource, owner: KubeObject): Promise<void> {
    const uid = owner.metadata!.uid!;
    for (const [dg, dep] of this.dependentsOf(uid)) {
      let fresh: KubeObject;
      try {
        fresh = await this.client.get(dg, dep.metadata?.namespace, dep.metadata!.name!);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      const refs: OwnerReference[] = fresh.metadata?.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === uid)) continue;
      try {
        await this.client.patch(dg, fresh.metadata?.namespace, fresh.metadata!.name!, 'application/merge-patch+json', {
          metadata: { ownerReferences: refs.filter((r) => r.uid !== uid), uid: fresh.metadata?.uid },
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    await this.removeFinalizer(gvr, owner, FinalizerOrphanDependents);
  }

  /** Foreground propagation: delete dependents; remove the finalizer once no blocking dependent remains. */
  private async processDeletingDependents(gvr: GroupVersionResource, owner: KubeObject): Promise<void> {
    const uid = owner.metadata!.uid!;
    const deps = this.dependentsOf(uid);
    const blocking = deps.filter(([, d]) => (d.metadata?.ownerReferences ?? []).some((r: OwnerReference) => r.uid === uid && r.blockOwnerDeletion));
    if (blocking.length === 0) {
      await this.removeFinalizer(gvr, owner, FinalizerDeleteDependents);
      return;
    }
    for (const [dg, d] of deps) if (!d.metadata?.deletionTimestamp) this.enqueue(dg, d);
  }

  private async removeFinalizer(gvr: GroupVersionResource, obj: KubeObject, finalizer: string): Promise<void> {
    let fresh: KubeObject;
    try {
      fresh = await this.client.get(gvr, obj.metadata?.namespace, obj.metadata!.name!);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const finalizers: string[] = fresh.metadata?.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return;
    await this.client.update(gvr, fresh.metadata?.namespace, { ...fresh, metadata: { ...fresh.metadata, finalizers: finalizers.filter((f) => f !== finalizer) } });
  }
}
