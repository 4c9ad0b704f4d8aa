/**
 * LimitRanger admission: container defaults and the limit-ranger annotation, min/max/ratio for
 * Container and Pod, storage bounds for claims, upstream's 403 wording; end to end through the
 * real apiserver pipeline.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resource-table.ts';
import { StatusError } from '../../machinery/errors.ts';
import type { KubeObject } from '../../client/interface.ts';
import { setDefaultsLimitRange } from '../../api/core/v1/limitrange/defaults.ts';
import { LimitRanger, LimitRangerAnnotation } from './limit-ranger.ts';
import type { AdmissionAttributes } from './interface.ts';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';

const limitRange = (limits: Record<string, unknown>[]): KubeObject => {
  const lr: KubeObject = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } };
  setDefaultsLimitRange(lr);
  return lr;
};
const attrs = (resource: string, object: KubeObject, operation: AdmissionAttributes['operation'] = 'CREATE'): AdmissionAttributes => ({
  operation, resource: findResource('', 'v1', resource)!, subresource: '', namespace: 'ns', name: object.metadata?.name ?? '', object, user: '', dryRun: false,
});
const pod = (name: string, containers: Record<string, unknown>[], initContainers?: Record<string, unknown>[]): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers, ...(initContainers ? { initContainers } : {}) },
});

async function rejects(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof StatusError && e.code === 403 && e.status.reason === 'Forbidden' && e.message === message ? true : assert.fail(String((e as Error).message)));
}

describe('LimitRanger', () => {
  test('defaults missing requests/limits per container and annotates the pod', async () => {
    const lr = limitRange([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } }]);
    const plugin = new LimitRanger(async () => [lr]);
    const p = pod('x', [{ name: 'web', image: 'nginx' }, { name: 'side', image: 'b', resources: { limits: { memory: '1Gi' }, requests: { memory: '1Gi' } } }], [{ name: 'init', image: 'b' }]);
    await plugin.admit(attrs('pods', p));
    const spec = p.spec as any;
    assert.deepEqual(spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    assert.deepEqual(spec.containers[1].resources, { limits: { memory: '1Gi', cpu: '500m' }, requests: { memory: '1Gi', cpu: '100m' } });
    assert.equal(
      p.metadata!.annotations![LimitRangerAnnotation],
      'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web; cpu request for container side; cpu limit for container side; cpu, memory request for init container init; cpu, memory limit for init container init',
    );
    await plugin.validate(attrs('pods', p));
  });

  test('no defaults to apply: no annotation; updates are not touched', async () => {
    const plugin = new LimitRanger(async () => [limitRange([{ type: 'Container', max: { cpu: '1' } }])]);
    const p = pod('x', [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }]);
    await plugin.admit(attrs('pods', p));
    assert.equal(p.metadata!.annotations, undefined);
    const u = pod('x', [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '9' } } }]);
    await plugin.validate(attrs('pods', u, 'UPDATE'));
  });

  test('Container max/min/ratio with upstream messages', async () => {
    const plugin = new LimitRanger(async () => [limitRange([{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } }])]);
    await rejects(
      plugin.validate(attrs('pods', pod('x', [{ name: 'web', image: 'n', resources: { limits: { cpu: '2' }, requests: { cpu: '2', memory: '128Mi' } } }]))),
      'pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
    await rejects(
      plugin.validate(attrs('pods', pod('x', [{ name: 'web', image: 'n', resources: { limits: { cpu: '1' }, requests: { cpu: '250m', memory: '32Mi' } } }]))),
      'pods "x" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000]',
    );
    await rejects(
      plugin.validate(attrs('pods', pod('x', [{ name: 'web', image: 'n', resources: { requests: { cpu: '500m', memory: '64Mi' } } }]))),
      'pods "x" is forbidden: [maximum cpu usage per Container is 1.  No limit is specified, cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0]',
    );
  });

  test('Pod max over the summed containers', async () => {
    const plugin = new LimitRanger(async () => [limitRange([{ type: 'Pod', max: { memory: '1Gi' } }])]);
    const r = { limits: { memory: '600Mi' }, requests: { memory: '600Mi' } };
    await rejects(
      plugin.validate(attrs('pods', pod('x', [{ name: 'a', image: 'n', resources: r }, { name: 'b', image: 'n', resources: r }]))),
      'pods "x" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi',
    );
  });

  test('PersistentVolumeClaim storage bounds', async () => {
    const plugin = new LimitRanger(async () => [limitRange([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '5Gi' } }])]);
    const claim = (storage: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'ns' }, spec: { resources: { requests: { storage } } } });
    await rejects(plugin.validate(attrs('persistentvolumeclaims', claim('10Gi'))), 'persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi');
    await rejects(plugin.validate(attrs('persistentvolumeclaims', claim('500Mi'))), 'persistentvolumeclaims "c" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
    await plugin.validate(attrs('persistentvolumeclaims', claim('2Gi')));
  });
});

test('through the apiserver: defaults land on the stored pod; violations are 403', async () => {
  const backend = SqliteBackend.open(':memory:');
  const api = new APIServer({ backend, kubelets: new KubeletConnections() });
  try {
    const c = api.inProcessClient();
    await c.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
    await c.create({ group: '', version: 'v1', resource: 'limitranges' }, 'ns', {
      apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, max: { cpu: '1' } }] },
    });
    // The plugin reads the watch cache (as upstream's lister): wait until it has the LimitRange.
    for (let i = 0; i < 200 && (await c.list({ group: '', version: 'v1', resource: 'limitranges' }, 'ns', { resourceVersion: '0' })).items.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const stored = await c.get({ group: '', version: 'v1', resource: 'limitranges' }, 'ns', 'lr');
    assert.deepEqual((stored.spec as any).limits[0].defaultRequest, { cpu: '500m' }, 'SetDefaults_LimitRangeItem');
    const pods = { group: '', version: 'v1', resource: 'pods' };
    const created = await c.create(pods, 'ns', pod('web', [{ name: 'web', image: 'nginx' }]));
    assert.deepEqual((created.spec as any).containers[0].resources, { limits: { cpu: '500m' }, requests: { cpu: '500m' } });
    assert.equal(created.metadata!.annotations![LimitRangerAnnotation], 'LimitRanger plugin set: cpu request for container web; cpu limit for container web');
    await rejects(c.create(pods, 'ns', pod('big', [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '2' } } }])), 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  } finally {
    await api.stop();
    await backend.close();
  }
});
