/**
 * ResourceQuota admission: decisions and messages as upstream (exceeded quota, failed quota /
 * must specify, status unknown, scopes, update deltas), and the compare-and-swap on the quota's
 * status through the real store so concurrent creates cannot both take the last slot (on SQLite and
 * on a private etcd, describeEachBackend).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resource-table.ts';
import { StatusError, newConflict } from '../../machinery/errors.ts';
import type { Client, KubeObject } from '../../client/interface.ts';
import { ResourceQuotaAdmission, type QuotaAccessor } from './resource-quota.ts';
import type { AdmissionAttributes } from './interface.ts';
import type { Backend } from '../../storage/backend.ts';
import { describeEachBackend } from '../../../test/support/each-backend.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';

/** An in-memory quota store with resourceVersion compare-and-swap. */
class FakeQuotas implements QuotaAccessor {
  quotas = new Map<string, KubeObject>();
  writes = 0;
  add(name: string, hard: Record<string, string>, used: Record<string, string> | undefined, spec: Record<string, unknown> = {}): void {
    this.quotas.set(name, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: 'ns', resourceVersion: '1' }, spec: { hard, ...spec }, status: used ? { hard, used } : {} });
  }
  async list(): Promise<KubeObject[]> {
    return [...this.quotas.values()].map((q) => structuredClone(q));
  }
  async updateStatus(q: KubeObject): Promise<KubeObject> {
    const cur = this.quotas.get(q.metadata!.name!)!;
    if (cur.metadata!.resourceVersion !== q.metadata!.resourceVersion) throw newConflict({ group: '', resource: 'resourcequotas' }, q.metadata!.name!);
    const next = structuredClone(q);
    next.metadata!.resourceVersion = String(Number(cur.metadata!.resourceVersion) + 1);
    this.quotas.set(q.metadata!.name!, next);
    this.writes++;
    return next;
  }
}

const attrs = (resource: string, object: KubeObject, operation: AdmissionAttributes['operation'] = 'CREATE', oldObject?: KubeObject, dryRun = false): AdmissionAttributes => ({
  operation, resource: findResource('', 'v1', resource)!, subresource: '', namespace: 'ns', name: object.metadata?.name ?? '', object, oldObject, user: '', dryRun,
});

const pod = (name: string, resources?: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'web', image: 'nginx', ...(resources ? { resources } : {}) }], ...extra },
});

async function rejects(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 403);
    assert.equal(e.status.reason, 'Forbidden');
    assert.equal(e.message, message);
    return true;
  });
}

describe('ResourceQuota admission decisions', () => {
  test('pods count: charges status.used, then refuses with the upstream message', async () => {
    const q = new FakeQuotas();
    q.add('q', { pods: '2' }, { pods: '1' });
    const p = new ResourceQuotaAdmission(q);
    await p.validate(attrs('pods', pod('a')));
    assert.deepEqual(q.quotas.get('q')!.status, { hard: { pods: '2' }, used: { pods: '2' } });
    await rejects(p.validate(attrs('pods', pod('b'))), 'pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
  });

  test('compute resources: only the exceeded names are printed', async () => {
    const q = new FakeQuotas();
    q.add('compute', { pods: '10', 'requests.cpu': '1', 'requests.memory': '1Gi' }, { pods: '1', 'requests.cpu': '800m', 'requests.memory': '100Mi' });
    const p = new ResourceQuotaAdmission(q);
    await rejects(
      p.validate(attrs('pods', pod('big', { requests: { cpu: '500m', memory: '64Mi' } }))),
      'pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=800m, limited: requests.cpu=1',
    );
    assert.equal(q.writes, 0);
  });

  test('a quota tracking cpu requires every container to state it', async () => {
    const q = new FakeQuotas();
    q.add('q', { 'requests.cpu': '2', 'limits.cpu': '4' }, { 'requests.cpu': '0', 'limits.cpu': '0' });
    const p = new ResourceQuotaAdmission(q);
    await rejects(p.validate(attrs('pods', pod('web'))), 'pods "web" is forbidden: failed quota: q: must specify limits.cpu for: web; requests.cpu for: web');
    await rejects(p.validate(attrs('pods', pod('web', { requests: { cpu: '1' } }))), 'pods "web" is forbidden: failed quota: q: must specify limits.cpu for: web');
    await p.validate(attrs('pods', pod('web', { requests: { cpu: '1' }, limits: { cpu: '1' } })));
    assert.deepEqual((q.quotas.get('q')!.status as any).used, { 'requests.cpu': '1', 'limits.cpu': '1' });
  });

  test('a quota without usage for a tracked resource refuses (status unknown)', async () => {
    const q = new FakeQuotas();
    q.add('q', { pods: '2', 'count/pods': '5', services: '1' }, { services: '0', 'count/pods': '0' });
    await rejects(new ResourceQuotaAdmission(q).validate(attrs('pods', pod('a'))), 'pods "a" is forbidden: status unknown for quota: q, resources: count/pods,pods');
  });

  test('a quota the controller has not synced yet (empty status) does not constrain', async () => {
    const q = new FakeQuotas();
    q.add('q', { pods: '0' }, undefined);
    await new ResourceQuotaAdmission(q).validate(attrs('pods', pod('a')));
    assert.equal(q.writes, 0);
  });

  test('scopes: a BestEffort quota ignores pods with requests; terminal-scope mismatch skips', async () => {
    const q = new FakeQuotas();
    q.add('be', { pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] });
    const p = new ResourceQuotaAdmission(q);
    await p.validate(attrs('pods', pod('burstable', { requests: { cpu: '100m' } })));
    await rejects(p.validate(attrs('pods', pod('be'))), 'pods "be" is forbidden: exceeded quota: be, requested: pods=1, used: pods=0, limited: pods=0');
  });

  test('object counts: configmaps and count/<resource>; services and node ports', async () => {
    const q = new FakeQuotas();
    q.add('objs', { configmaps: '1', 'count/configmaps': '5', services: '5', 'services.nodeports': '1' }, { configmaps: '1', 'count/configmaps': '1', services: '0', 'services.nodeports': '0' });
    const p = new ResourceQuotaAdmission(q);
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } };
    await rejects(p.validate(attrs('configmaps', cm)), 'configmaps "c" is forbidden: exceeded quota: objs, requested: configmaps=1, used: configmaps=1, limited: configmaps=1');
    const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns', resourceVersion: '3' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }, { port: 443 }] } };
    await p.validate(attrs('services', svc));
    assert.equal((q.quotas.get('objs')!.status as any).used.services, '1');
    // Becoming a NodePort service charges its two node ports on UPDATE: over the limit of 1.
    const np = structuredClone(svc);
    (np.spec as any).type = 'NodePort';
    await rejects(p.validate(attrs('services', np, 'UPDATE', svc)), 'services "s" is forbidden: exceeded quota: objs, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1');
  });

  test('pods are charged on CREATE only; dry runs check but do not write', async () => {
    const q = new FakeQuotas();
    q.add('q', { pods: '1' }, { pods: '1' });
    const p = new ResourceQuotaAdmission(q);
    await p.validate(attrs('pods', pod('a'), 'UPDATE', pod('a')));
    q.add('q', { pods: '2' }, { pods: '1' });
    await p.validate(attrs('pods', pod('dry'), 'CREATE', undefined, true));
    assert.equal(q.writes, 0);
  });
});

describeEachBackend('ResourceQuota admission over the real store', (store) => {
  let backend: Backend;
  let api: APIServer;
  let c: Client;
  const nsGVR = { group: '', version: 'v1', resource: 'namespaces' };
  const pods = { group: '', version: 'v1', resource: 'pods' };
  const quotas = { group: '', version: 'v1', resource: 'resourcequotas' };

  before(async () => {
    backend = await store.open();
    api = new APIServer({ backend, kubelets: new KubeletConnections() });
    c = api.inProcessClient();
  });
  after(async () => {
    await api?.stop();
    await backend?.close();
  });

  /** A namespace with quota `q` (pods: hard) whose status the controller would have written, then `n` pod creates at once. */
  async function concurrentPodCreates(namespace: string, hard: number, n: number): Promise<PromiseSettledResult<KubeObject>[]> {
    await c.create(nsGVR, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const q = await c.create(quotas, namespace, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: String(hard) } } });
    // What the controller would write: hard and used from the (empty) namespace.
    await c.update(quotas, namespace, { ...q, status: { hard: { pods: String(hard) }, used: { pods: '0' } } }, { subresource: 'status' });
    // The plugin's fast path reads the watch cache: wait until it has the status.
    for (let i = 0; i < 500 && !(await c.list(quotas, namespace, { resourceVersion: '0' })).items.some((x) => (x.status as any)?.used); i++) await new Promise((r) => setTimeout(r, 10));
    const podIn = (name: string): KubeObject => ({ ...pod(name), metadata: { name, namespace } });
    return Promise.allSettled(Array.from({ length: n }, (_, i) => c.create(pods, namespace, podIn(`p${i}`))));
  }

  test('concurrent creates cannot both take the last slot; kubectl-visible status.used is charged', async () => {
    const results = await concurrentPodCreates('ns', 3, 8);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 3);
    assert.equal(refused.length, 5);
    for (const r of refused) assert.match((r.reason as Error).message, /^pods "p\d" is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3$/);
    assert.deepEqual((await c.get(quotas, 'ns', 'q')).status, { hard: { pods: '3' }, used: { pods: '3' } });
  });

  test('more concurrent creates than conflict retries: every one that fits is admitted (checks of a namespace run one at a time)', async () => {
    const results = await concurrentPodCreates('busy', 14, 16);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of refused) assert.match((r.reason as Error).message, /^pods "p\d+" is forbidden: exceeded quota: q, requested: pods=1, used: pods=14, limited: pods=14$/);
    assert.equal(results.length - refused.length, 14);
    assert.equal(refused.length, 2);
    assert.deepEqual((await c.get(quotas, 'busy', 'q')).status, { hard: { pods: '14' }, used: { pods: '14' } });
    assert.equal((await c.list(pods, 'busy')).items.length, 14);
  });
});
