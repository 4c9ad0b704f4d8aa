/** Defaulting tests: values from upstream pkg/apis/core/v1/defaults.go and apps/v1/defaults.go. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { imageTag } from './common/pod-spec-defaults.ts';
import { findResource } from './resource-table.ts';

const defaults = (group: string, resource: string, obj: any) => {
  findResource(group, 'v1', resource)!.strategy.defaults(obj);
  return obj;
};

describe('Pod defaults', () => {
  test('pod spec and container defaults', () => {
    const pod = defaults('', 'pods', {
      metadata: { name: 'p', namespace: 'default' },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 3 },
            resources: { limits: { cpu: '1', memory: '1Gi' } },
          },
        ],
        volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 'x' } }],
      },
    });
    const s = pod.spec;
    assert.equal(s.restartPolicy, 'Always');
    assert.equal(s.dnsPolicy, 'ClusterFirst');
    assert.equal(s.schedulerName, 'default-scheduler');
    assert.equal(s.terminationGracePeriodSeconds, 30);
    assert.deepEqual(s.securityContext, {});
    assert.equal(s.enableServiceLinks, true);
    const c = s.containers[0];
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
    assert.equal(c.imagePullPolicy, 'Always');
    assert.equal(c.ports[0].protocol, 'TCP');
    assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
    assert.deepEqual(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.equal(c.readinessProbe.periodSeconds, 3);
    assert.deepEqual(c.resources.requests, { cpu: '1', memory: '1Gi' }, 'requests default to limits');
    assert.deepEqual(s.volumes[0], { name: 'v', emptyDir: {} });
    assert.equal(s.volumes[1].secret.defaultMode, 420);
  });

  test('imagePullPolicy follows the tag', () => {
    const cases: [string, string][] = [
      ['nginx', 'Always'],
      ['nginx:latest', 'Always'],
      ['nginx:1.25', 'IfNotPresent'],
      ['registry.local:5000/team/app', 'Always'],
      ['registry.local:5000/team/app:v1', 'IfNotPresent'],
      ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ];
    for (const [image, want] of cases) {
      const pod = defaults('', 'pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image }] } });
      assert.equal(pod.spec.containers[0].imagePullPolicy, want, image);
    }
    assert.equal(imageTag('Nginx'), '', 'an unparsable reference has no tag');
  });

  test('an explicit imagePullPolicy is kept; hostNetwork defaults hostPort', () => {
    const pod = defaults('', 'pods', { metadata: { name: 'p' }, spec: { hostNetwork: true, containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Never', ports: [{ containerPort: 53 }] }] } });
    assert.equal(pod.spec.containers[0].imagePullPolicy, 'Never');
    assert.equal(pod.spec.containers[0].ports[0].hostPort, 53);
  });

  test('serviceAccount mirrors serviceAccountName', () => {
    assert.equal(defaults('', 'pods', { spec: { serviceAccount: 'sa1', containers: [] } }).spec.serviceAccountName, 'sa1');
    assert.equal(defaults('', 'pods', { spec: { serviceAccountName: 'sa2', containers: [] } }).spec.serviceAccount, 'sa2');
  });
});

describe('workload defaults', () => {
  test('Deployment', () => {
    const d = defaults('apps', 'deployments', { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'x:1' }] } } } });
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    assert.equal(d.spec.template.spec.restartPolicy, 'Always');
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(d.spec.template.spec.enableServiceLinks, undefined, 'enableServiceLinks is Pod-only');
  });
  test('Deployment Recreate gets no rollingUpdate; replicas 0 kept', () => {
    const d = defaults('apps', 'deployments', { spec: { replicas: 0, strategy: { type: 'Recreate' } } });
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
    assert.equal(d.spec.replicas, 0);
  });
  test('ReplicaSet', () => {
    const rs = defaults('apps', 'replicasets', { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } });
    assert.equal(rs.spec.replicas, 1);
    assert.equal(rs.spec.template.spec.dnsPolicy, 'ClusterFirst');
  });
});

describe('other defaults', () => {
  test('Service', () => {
    const s = defaults('', 'services', { spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } });
    assert.equal(s.spec.type, 'ClusterIP');
    assert.equal(s.spec.sessionAffinity, 'None');
    assert.equal(s.spec.internalTrafficPolicy, 'Cluster');
    assert.equal(s.spec.externalTrafficPolicy, undefined);
    assert.deepEqual(s.spec.ports, [
      { port: 80, protocol: 'TCP', targetPort: 80 },
      { port: 53, protocol: 'UDP', targetPort: 'dns' },
    ]);
    const np = defaults('', 'services', { spec: { type: 'NodePort', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } });
    assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
    assert.deepEqual(np.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });
  test('Namespace', () => {
    const ns = defaults('', 'namespaces', { metadata: { name: 'dev' } });
    assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'dev' });
    assert.equal(ns.status.phase, 'Active');
  });
  test('Secret type Opaque and stringData merged into data', () => {
    const s = defaults('', 'secrets', { metadata: { name: 's' }, data: { a: 'eA==' }, stringData: { b: 'hello' } });
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.data, { a: 'eA==', b: 'aGVsbG8=' });
    assert.equal(s.stringData, undefined);
  });
  test('Node allocatable from capacity', () => {
    const n = defaults('', 'nodes', { metadata: { name: 'n' }, status: { capacity: { cpu: '4', pods: '110' } } });
    assert.deepEqual(n.status.allocatable, { cpu: '4', pods: '110' });
  });
});
