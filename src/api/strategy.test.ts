/** Strategy tests: generation, status handling, status subresource, QoS, binding, scale, field selector attributes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isStatusCode } from '../machinery/errors.ts';
import { findResource } from './resource-table.ts';
import { applyPodBinding } from './core/v1/pod/strategy.ts';
import { getPodQOS } from './core/v1/pod/qos.ts';
import { applyScale, scaleFromObject, validateScale } from './common/scale.ts';
import { namespaceFinalizeStrategy } from './core/v1/namespace/strategy.ts';

const dep = () => ({
  metadata: { name: 'web', namespace: 'default', annotations: { a: '1' }, labels: { l: '1' } },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } },
  status: { replicas: 7 },
});

function created(resource: string, obj: any, group = 'apps') {
  const ri = findResource(group, 'v1', resource)!;
  ri.strategy.defaults(obj);
  ri.strategy.prepareForCreate(obj);
  return obj;
}

function updated(resource: string, old: any, mutate: (o: any) => void, group = 'apps') {
  const ri = findResource(group, 'v1', resource)!;
  const obj = structuredClone(old);
  mutate(obj);
  ri.strategy.defaults(obj);
  ri.strategy.prepareForUpdate(obj, old);
  return obj;
}

describe('Deployment strategy', () => {
  test('create: generation 1, status cleared', () => {
    const d = created('deployments', dep());
    assert.equal(d.metadata.generation, 1);
    assert.deepEqual(d.status, {});
  });
  test('update: spec change bumps generation, status kept from old', () => {
    const old = created('deployments', dep());
    old.status = { replicas: 3, observedGeneration: 1 };
    const d = updated('deployments', old, (o) => {
      o.spec.template.spec.containers[0].image = 'x:2';
      o.status = { replicas: 99 };
    });
    assert.equal(d.metadata.generation, 2);
    assert.deepEqual(d.status, { replicas: 3, observedGeneration: 1 });
  });
  test('update: annotation change bumps generation, label change does not', () => {
    const old = created('deployments', dep());
    assert.equal(updated('deployments', old, (o) => (o.metadata.annotations.a = '2')).metadata.generation, 2);
    assert.equal(updated('deployments', old, (o) => (o.metadata.labels.l = '2')).metadata.generation, 1);
  });
  test('update: re-sending the defaulted spec is no change', () => {
    const old = created('deployments', dep());
    const d = updated('deployments', old, (o) => {
      delete o.spec.revisionHistoryLimit; // defaults fill it in again
    });
    assert.equal(d.metadata.generation, 1);
  });
  test('status: spec and labels come from the old object', () => {
    const ri = findResource('apps', 'v1', 'deployments')!;
    const old = created('deployments', dep());
    const obj = structuredClone(old);
    obj.spec.replicas = 50;
    obj.metadata.labels = { hacked: 'yes' };
    obj.status = { replicas: 1 };
    ri.statusStrategy!.prepareForUpdate(obj, old);
    assert.equal(obj.spec.replicas, 1);
    assert.deepEqual(obj.metadata.labels, { l: '1' });
    assert.deepEqual(obj.status, { replicas: 1 });
  });
  test('status validation: counters', () => {
    const ri = findResource('apps', 'v1', 'deployments')!;
    const old = created('deployments', dep());
    old.metadata.resourceVersion = '5';
    const obj = structuredClone(old);
    obj.status = { replicas: 1, readyReplicas: 2, availableReplicas: 1 };
    const errs = ri.statusStrategy!.validateUpdate(obj, old);
    assert.deepEqual(errs.map((e) => [e.field, e.detail]), [['status.readyReplicas', 'cannot be greater than status.replicas']]);
  });
});

describe('ReplicaSet strategy', () => {
  test('generation bumps on spec change only', () => {
    const rs = created('replicasets', dep());
    assert.equal(rs.metadata.generation, 1);
    assert.equal(updated('replicasets', rs, (o) => (o.spec.replicas = 3)).metadata.generation, 2);
    assert.equal(updated('replicasets', rs, (o) => (o.metadata.annotations.a = 'z')).metadata.generation, 1);
  });
  test('field selector attributes include status.replicas', () => {
    const ri = findResource('apps', 'v1', 'replicasets')!;
    assert.deepEqual(ri.strategy.getAttrs({ metadata: { name: 'r', namespace: 'ns' }, status: { replicas: 3 } }), {
      'metadata.name': 'r',
      'metadata.namespace': 'ns',
      'status.replicas': '3',
    });
  });
});

describe('Pod strategy', () => {
  const pod = (resources: any = undefined): any => ({
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'a', image: 'x', resources }] },
    status: { phase: 'Running', podIP: '1.2.3.4' },
  });
  test('create: status reset to Pending with a QoS class; priority 0', () => {
    const p = created('pods', pod(), '');
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
    assert.equal(p.spec.priority, 0);
  });
  test('create: scheduling gates add a PodScheduled=False condition', () => {
    const p = pod();
    p.spec.schedulingGates = [{ name: 'example.com/gate' }];
    created('pods', p, '');
    assert.equal(p.status.conditions[0].type, 'PodScheduled');
    assert.equal(p.status.conditions[0].reason, 'SchedulingGated');
  });
  test('QoS classes (upstream GetPodQOS)', () => {
    assert.equal(getPodQOS(pod()), 'BestEffort');
    assert.equal(getPodQOS(pod({ requests: { cpu: '100m' } })), 'Burstable');
    assert.equal(getPodQOS(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
    assert.equal(getPodQOS(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } })), 'Guaranteed');
    assert.equal(getPodQOS(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } })), 'Burstable');
    assert.equal(getPodQOS(pod({ limits: { cpu: '1' } })), 'Burstable');
    assert.equal(getPodQOS(pod({ requests: { 'example.com/gpu': '1' } })), 'BestEffort');
  });
  test('pod defaults copy limits to requests, so limits alone are Guaranteed', () => {
    const p = created('pods', pod({ limits: { cpu: '1', memory: '1Gi' } }), '');
    assert.equal(p.status.qosClass, 'Guaranteed');
  });
  test('update keeps status; status subresource keeps spec and ownerReferences', () => {
    const ri = findResource('', 'v1', 'pods')!;
    const old = created('pods', pod(), '');
    old.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }];
    const upd = updated('pods', old, (o) => (o.status = { phase: 'Failed' }), '');
    assert.equal(upd.status.phase, 'Pending');
    const st = structuredClone(old);
    st.spec.nodeName = 'sneaky';
    st.metadata.ownerReferences = [];
    st.status = { phase: 'Running' };
    ri.statusStrategy!.prepareForUpdate(st, old);
    assert.equal(st.spec.nodeName, undefined);
    assert.equal(st.metadata.ownerReferences.length, 1);
    assert.deepEqual(st.status, { phase: 'Running', qosClass: 'BestEffort' });
  });
  test('field selector attributes', () => {
    const ri = findResource('', 'v1', 'pods')!;
    const attrs = ri.strategy.getAttrs({
      metadata: { name: 'p', namespace: 'ns' },
      spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' },
      status: { phase: 'Running', podIPs: [{ ip: '10.88.0.2' }], nominatedNodeName: '' },
    });
    assert.deepEqual(attrs, {
      'metadata.name': 'p',
      'metadata.namespace': 'ns',
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'false',
      'status.phase': 'Running',
      'status.podIP': '10.88.0.2',
      'status.nominatedNodeName': '',
    });
  });
  test('binding sets nodeName and PodScheduled; a second binding is a 409', () => {
    const p = created('pods', pod(), '');
    p.metadata.uid = 'uid1';
    applyPodBinding(p, { metadata: { name: 'p', annotations: { x: 'y' } }, target: { kind: 'Node', name: 'node1' } }, Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(p.spec.nodeName, 'node1');
    assert.equal(p.metadata.annotations.x, 'y');
    assert.deepEqual(p.status.conditions, [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    assert.throws(
      () => applyPodBinding(p, { metadata: { name: 'p' }, target: { name: 'node2' } }),
      (e: any) => isStatusCode(e, 409) && e.message === 'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "node1"',
    );
  });
});

describe('Namespace strategy', () => {
  test('create adds the kubernetes finalizer and Active phase; update keeps finalizers and status', () => {
    const ri = findResource('', 'v1', 'namespaces')!;
    const ns: any = created('namespaces', { metadata: { name: 'dev' }, status: { phase: 'Terminating' } }, '');
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
    assert.deepEqual(ns.status, { phase: 'Active' });
    const upd = updated('namespaces', ns, (o) => {
      o.spec.finalizers = [];
      o.status.phase = 'Terminating';
    }, '');
    assert.deepEqual(upd.spec.finalizers, ['kubernetes']);
    assert.equal(upd.status.phase, 'Active');
    assert.deepEqual(ri.strategy.getAttrs(ns), { 'metadata.name': 'dev', 'metadata.namespace': '', 'status.phase': 'Active' });
  });
});

describe('Namespace finalize and status', () => {
  test('finalize changes only spec.finalizers; status validation ties phase to deletionTimestamp', () => {
    const ri = findResource('', 'v1', 'namespaces')!;
    const old: any = created('namespaces', { metadata: { name: 'dev', resourceVersion: '3' } }, '');
    const obj: any = structuredClone(old);
    obj.spec.finalizers = [];
    obj.status = { phase: 'Terminating' };
    obj.metadata.labels.extra = 'x';
    namespaceFinalizeStrategy.prepareForUpdate(obj, old);
    assert.deepEqual(obj.spec.finalizers, []);
    assert.deepEqual(obj.status, { phase: 'Active' });
    assert.deepEqual(namespaceFinalizeStrategy.validateUpdate(obj, old), []);
    const st: any = structuredClone(old);
    st.status = { phase: 'Terminating' };
    ri.statusStrategy!.prepareForUpdate(st, old);
    assert.deepEqual(
      ri.statusStrategy!.validateUpdate(st, old).map((e) => [e.field, e.detail]),
      [['status.Phase', "may only be 'Active' if `deletionTimestamp` is empty"]],
    );
  });
});

describe('Scale subresource', () => {
  test('scale view, validation and application', () => {
    const d: any = created('deployments', dep());
    d.metadata.uid = 'u1';
    d.metadata.resourceVersion = '10';
    d.status = { replicas: 1 };
    const s = scaleFromObject(d);
    assert.deepEqual(s, {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '10', creationTimestamp: null },
      spec: { replicas: 1 },
      status: { replicas: 1, selector: 'app=web' },
    });
    assert.deepEqual(validateScale({ metadata: { name: 'web', namespace: 'default' }, spec: { replicas: -1 } }).map((e) => e.detail), ['must be greater than or equal to 0']);
    const scaled: any = applyScale(d, { metadata: { name: 'web', resourceVersion: '10' }, spec: { replicas: 5 } }, { group: 'apps', resource: 'deployments' });
    assert.equal(scaled.spec.replicas, 5);
    assert.equal(d.spec.replicas, 1, 'input not mutated');
    assert.throws(() => applyScale(d, { metadata: { uid: 'other' }, spec: { replicas: 2 } }, { group: 'apps', resource: 'deployments' }), (e: any) => isStatusCode(e, 409));
  });
});
