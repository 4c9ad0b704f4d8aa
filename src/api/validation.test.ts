/**
 * Validation table tests across kinds: each case runs the kind's strategy (defaults →
 * prepareForCreate → validate, or the update path) and compares the rendered errors with
 * upstream's output (`kubectl` prints `<field>: <body>` per cause).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../client/interface.ts';
import { fieldErrorString, type FieldError } from '../machinery/errors.ts';
import { findResource } from './resource-table.ts';
import { GoValue } from './common/go-value.ts';

const DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_LABEL =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function res(group: string, resource: string) {
  const ri = findResource(group, group === '' ? 'v1' : group === 'coordination.k8s.io' ? 'v1' : 'v1', resource);
  assert.ok(ri, `${group}/${resource} served`);
  return ri;
}

/** Runs the create path the generic store runs. */
function create(group: string, resource: string, obj: KubeObject): FieldError[] {
  const ri = res(group, resource);
  ri.strategy.defaults(obj);
  ri.strategy.prepareForCreate(obj);
  return ri.strategy.validate(obj);
}

/** Runs the update path: `old` through create, then `mutate(copy)` through update. */
function update(group: string, resource: string, old: KubeObject, mutate: (o: any) => void): FieldError[] {
  const ri = res(group, resource);
  ri.strategy.defaults(old);
  ri.strategy.prepareForCreate(old);
  old.metadata = { ...old.metadata, resourceVersion: '1', uid: 'u1' };
  const obj = structuredClone(old) as any;
  mutate(obj);
  ri.strategy.defaults(obj);
  ri.strategy.prepareForUpdate(obj, old);
  return ri.strategy.validateUpdate(obj, old);
}

const strs = (errs: FieldError[]) => errs.map(fieldErrorString);

const pod = (spec: any, name = 'web'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec });
const ctr = (extra: any = {}) => ({ name: 'app', image: 'nginx:1.25', ...extra });

describe('Pod validation', () => {
  const cases: { name: string; obj: KubeObject; want: string[] }[] = [
    { name: 'valid', obj: pod({ containers: [ctr()] }), want: [] },
    { name: 'bad name', obj: pod({ containers: [ctr()] }, 'Bad_Name'), want: [`metadata.name: Invalid value: "Bad_Name": ${DNS1123_SUBDOMAIN}`] },
    { name: 'no containers', obj: pod({ containers: [] }), want: ['spec.containers: Required value'] },
    { name: 'no image', obj: pod({ containers: [{ name: 'app' }] }), want: ['spec.containers[0].image: Required value'] },
    { name: 'bad container name', obj: pod({ containers: [ctr({ name: 'Web' })] }), want: [`spec.containers[0].name: Invalid value: "Web": ${DNS1123_LABEL}`] },
    { name: 'missing container name', obj: pod({ containers: [{ image: 'nginx' }] }), want: ['spec.containers[0].name: Required value'] },
    { name: 'duplicate container names', obj: pod({ containers: [ctr(), ctr()] }), want: ['spec.containers[1].name: Duplicate value: "app"'] },
    {
      name: 'restartPolicy',
      obj: pod({ containers: [ctr()], restartPolicy: 'Sometimes' }),
      want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    },
    {
      name: 'ports',
      obj: pod({ containers: [ctr({ ports: [{ containerPort: 0 }, { containerPort: 70000 }, { containerPort: 80, protocol: 'HTTP' }] })] }),
      want: [
        'spec.containers[0].ports[0].containerPort: Required value',
        'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    },
    {
      name: 'env var name',
      obj: pod({ containers: [ctr({ env: [{ name: '1BAD', value: 'x' }] })] }),
      want: [
        `spec.containers[0].env[0].name: Invalid value: "1BAD": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      ],
    },
    {
      name: 'requests above limits',
      obj: pod({ containers: [ctr({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] }),
      want: ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    },
    {
      name: 'probe without handler',
      obj: pod({ containers: [ctr({ livenessProbe: { periodSeconds: 5 } })] }),
      want: ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
    },
    {
      name: 'liveness successThreshold must be 1',
      obj: pod({ containers: [ctr({ livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } })] }),
      want: ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    },
    {
      name: 'duplicate host ports',
      obj: pod({ containers: [ctr({ ports: [{ containerPort: 80, hostPort: 8080 }] }), { name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] }] }),
      want: ['spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"'],
    },
    {
      name: 'security context IDs',
      obj: pod({ securityContext: { runAsUser: -1 }, containers: [ctr({ securityContext: { runAsGroup: -5 } })] }),
      want: [
        'spec.containers[0].securityContext.runAsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive',
        'spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive',
      ],
    },
    {
      name: 'node affinity',
      obj: pod({
        containers: [ctr()],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }, { key: 'x', operator: 'Near', values: ['a'] }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] } }],
          },
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } } }] },
        },
      }),
      want: [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].operator: Invalid value: "Near": not a valid selector operator',
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
        'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
      ],
    },
    {
      name: 'topology spread constraints',
      obj: pod({ containers: [ctr()], topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Maybe' }] }),
      want: [
        'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
        'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"',
      ],
    },
    {
      name: 'volume mount of an unknown volume',
      obj: pod({ containers: [ctr({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }),
      want: ['spec.containers[0].volumeMounts[0].name: FieldValueNotFound'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const errs = create('', 'pods', c.obj);
      if (c.name === 'volume mount of an unknown volume') {
        // field.NotFound: errors.ts has no NotFound rendering yet; check type, path and value.
        assert.deepEqual(errs.map((e) => `${e.field}: ${e.type}`), c.want);
        assert.equal(errs[0].value, 'data');
        return;
      }
      assert.deepEqual(strs(errs), c.want);
    });
  }

  test('update: image changes are allowed', () => {
    assert.deepEqual(strs(update('', 'pods', pod({ containers: [ctr()] }), (p) => (p.spec.containers[0].image = 'nginx:1.26'))), []);
  });
  test('update: other spec changes are forbidden', () => {
    const errs = update('', 'pods', pod({ containers: [ctr()] }), (p) => (p.spec.containers[0].env = [{ name: 'A', value: 'b' }]));
    assert.equal(errs.length, 1);
    assert.equal(errs[0].field, 'spec');
    assert.equal(errs[0].type, 'FieldValueForbidden');
    assert.ok(
      errs[0].detail!.startsWith(
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
      ),
      errs[0].detail,
    );
  });
  test('update: a replace without the admission-set priority is not a spec change', () => {
    const old = pod({ containers: [ctr()] });
    assert.deepEqual(strs(update('', 'pods', old, (p) => {
      delete p.spec.priority;
      delete p.spec.preemptionPolicy;
    })), []);
  });
  test('update: adding containers is forbidden', () => {
    const errs = update('', 'pods', pod({ containers: [ctr()] }), (p) => p.spec.containers.push({ name: 'b', image: 'x' }));
    assert.deepEqual(strs(errs), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
  });
  test('update: tolerations may only be added', () => {
    const base = pod({ containers: [ctr()], tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }] });
    assert.deepEqual(strs(update('', 'pods', structuredClone(base), (p) => p.spec.tolerations.push({ key: 'b', operator: 'Exists' }))), []);
    assert.deepEqual(strs(update('', 'pods', structuredClone(base), (p) => (p.spec.tolerations = []))), [
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
  });
});

const labels = { app: 'web' };
const deploy = (spec: any, name = 'web'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [ctr()] } }, ...spec },
});

describe('Deployment / ReplicaSet validation', () => {
  test('valid deployment', () => assert.deepEqual(strs(create('apps', 'deployments', deploy({}))), []));
  test('selector required (and then the template cannot match)', () => {
    const errs = create('apps', 'deployments', deploy({ selector: undefined }));
    assert.equal(fieldErrorString(errs[0]), 'spec.selector: Required value');
    assert.equal(errs[1].field, 'spec.template.metadata.labels');
    assert.equal(errs[1].detail, '`selector` does not match template `labels`');
    assert.equal(String(errs[1].value), 'map[string]string{"app":"web"}');
  });
  test('selector must match template labels', () => {
    const errs = create('apps', 'deployments', deploy({ selector: { matchLabels: { app: 'other' } } }));
    assert.equal(errs.length, 1);
    assert.equal(errs[0].field, 'spec.template.metadata.labels');
    assert.equal(errs[0].type, 'FieldValueInvalid');
    assert.equal(errs[0].detail, '`selector` does not match template `labels`');
    assert.ok(errs[0].value instanceof GoValue);
    // upstream: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`
    assert.equal(String(errs[0].value), 'map[string]string{"app":"web"}');
  });
  test('empty selector', () => {
    const errs = create('apps', 'deployments', deploy({ selector: {} }));
    assert.deepEqual(errs.map((e) => [e.field, e.detail]), [['spec.selector', 'empty selector is invalid for deployment']]);
  });
  test('replicas must be non-negative', () => {
    assert.deepEqual(strs(create('apps', 'deployments', deploy({ replicas: -1 }))), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  });
  test('maxSurge and maxUnavailable not both 0', () => {
    const errs = create('apps', 'deployments', deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }));
    assert.deepEqual(errs.map((e) => `${e.field}: Invalid value: ${String(e.value)}: ${e.detail}`), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
  });
  test('maxUnavailable above 100%', () => {
    const errs = create('apps', 'deployments', deploy({ strategy: { rollingUpdate: { maxUnavailable: '120%' } } }));
    assert.deepEqual(errs.map((e) => `${e.field}: Invalid value: ${String(e.value)}: ${e.detail}`), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 120%: must not be greater than 100%',
    ]);
  });
  test('bad percentage', () => {
    const errs = create('apps', 'deployments', deploy({ strategy: { rollingUpdate: { maxSurge: '5x' } } }));
    assert.deepEqual(errs.map((e) => [e.field, e.detail]), [
      ['spec.strategy.rollingUpdate.maxSurge', "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"],
    ]);
  });
  test('Recreate with rollingUpdate', () => {
    const errs = create('apps', 'deployments', deploy({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }));
    assert.deepEqual(strs(errs), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
  });
  test('unknown strategy type', () => {
    const errs = create('apps', 'deployments', deploy({ strategy: { type: 'BlueGreen' } }));
    assert.deepEqual(errs.map((e) => [e.field, e.type, String(e.value), e.detail]), [
      ['spec.strategy', 'FieldValueNotSupported', 'apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}', 'supported values: "Recreate", "RollingUpdate"'],
    ]);
  });
  test('template restartPolicy must be Always', () => {
    const d = deploy({});
    (d.spec as any).template.spec.restartPolicy = 'Never';
    assert.deepEqual(strs(create('apps', 'deployments', d)), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
  });
  test('progressDeadlineSeconds must exceed minReadySeconds', () => {
    assert.deepEqual(strs(create('apps', 'deployments', deploy({ minReadySeconds: 10, progressDeadlineSeconds: 10 }))), [
      'spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds',
    ]);
  });
  test('selector is immutable', () => {
    const errs = update('apps', 'deployments', deploy({}), (d) => {
      d.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
      d.spec.template.metadata.labels = { app: 'web', tier: 'x' };
    });
    assert.equal(errs.length, 1);
    assert.equal(errs[0].field, 'spec.selector');
    assert.equal(errs[0].detail, 'field is immutable');
    assert.equal(
      String(errs[0].value),
      'v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}',
    );
  });
  test('replicaset: selector mismatch and negative replicas', () => {
    const rs: KubeObject = {
      metadata: { name: 'rs', namespace: 'default' },
      spec: { replicas: -2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'c' } }, spec: { containers: [ctr()] } } },
    };
    const errs = create('apps', 'replicasets', rs);
    assert.deepEqual(errs.map((e) => e.field), ['spec.replicas', 'spec.template.metadata.labels']);
    assert.equal(fieldErrorString(errs[0]), 'spec.replicas: Invalid value: -2: must be greater than or equal to 0');
  });
});

const svc = (spec: any, name = 'web'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });

describe('Service validation', () => {
  test('valid', () => assert.deepEqual(strs(create('', 'services', svc({ selector: labels, ports: [{ port: 80 }] }))), []));
  test('name is a DNS-1035 label', () => {
    assert.deepEqual(strs(create('', 'services', svc({ ports: [{ port: 80 }] }, '1svc'))), [`metadata.name: Invalid value: "1svc": ${DNS1035_LABEL}`]);
  });
  test('ports required', () => assert.deepEqual(strs(create('', 'services', svc({}))), ['spec.ports: Required value']));
  test('headless services need no ports', () => assert.deepEqual(strs(create('', 'services', svc({ clusterIP: 'None' }))), []));
  test('several ports need names', () => {
    assert.deepEqual(strs(create('', 'services', svc({ ports: [{ port: 80 }, { port: 443 }] }))), [
      'spec.ports[0].name: Required value',
      'spec.ports[1].name: Required value',
    ]);
  });
  test('nodePort only for NodePort/LoadBalancer', () => {
    assert.deepEqual(strs(create('', 'services', svc({ ports: [{ port: 80, nodePort: 30080 }] }))), [
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]);
  });
  test('type', () => {
    assert.deepEqual(strs(create('', 'services', svc({ type: 'Foo', ports: [{ port: 80 }] }))), [
      'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]);
  });
  test('clusterIP may not change once set', () => {
    const errs = update('', 'services', svc({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] }), (s) => {
      s.spec.clusterIP = '10.96.0.20';
      s.spec.clusterIPs = ['10.96.0.20'];
    });
    assert.deepEqual(errs.map((e) => `${e.field}: Invalid value: ${String(e.value)}: ${e.detail}`), [
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.20"}: may not change once set',
    ]);
  });
  test('an update that omits the allocated clusterIP and nodePort keeps them', () => {
    const ri = res('', 'services');
    const old = svc({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] });
    ri.strategy.defaults(old);
    ri.strategy.prepareForCreate(old);
    const obj: any = svc({ type: 'NodePort', ports: [{ port: 80 }] });
    ri.strategy.defaults(obj);
    ri.strategy.prepareForUpdate(obj, old);
    assert.equal(obj.spec.clusterIP, '10.96.0.10');
    assert.deepEqual(obj.spec.clusterIPs, ['10.96.0.10']);
    assert.equal(obj.spec.ports[0].nodePort, 30080);
  });
});

describe('other kinds', () => {
  test('namespace name is a DNS-1123 label', () => {
    assert.deepEqual(strs(create('', 'namespaces', { metadata: { name: 'Dev' } })), [`metadata.name: Invalid value: "Dev": ${DNS1123_LABEL}`]);
  });
  test('namespace is cluster-scoped', () => {
    assert.deepEqual(strs(create('', 'namespaces', { metadata: { name: 'dev', namespace: 'default' } })), ['metadata.namespace: Forbidden: not allowed on this type']);
  });
  test('configmap keys', () => {
    assert.deepEqual(strs(create('', 'configmaps', { metadata: { name: 'c', namespace: 'default' }, data: { 'a b': 'x', ok: 'y' } })), [
      `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    ]);
  });
  test('immutable configmap', () => {
    const errs = update('', 'configmaps', { metadata: { name: 'c', namespace: 'default' }, immutable: true, data: { a: 'b' } }, (c) => (c.data.a = 'c'));
    assert.deepEqual(strs(errs), ['data: Forbidden: field is immutable when `immutable` is set']);
  });
  test('secret type is immutable', () => {
    const errs = update('', 'secrets', { metadata: { name: 's', namespace: 'default' }, type: 'Opaque' }, (s) => (s.type = 'kubernetes.io/basic-auth'));
    assert.deepEqual(strs(errs), ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable', 'data[username]: Required value', 'data[password]: Required value']);
  });
  test('tls secret requires tls.crt and tls.key', () => {
    assert.deepEqual(strs(create('', 'secrets', { metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/tls', data: {} })), [
      'data[tls.crt]: Required value',
      'data[tls.key]: Required value',
    ]);
  });
  test('node taint effect', () => {
    assert.deepEqual(strs(create('', 'nodes', { metadata: { name: 'n1' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } })), [
      'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
  });
  test('node podCIDRs are immutable once set', () => {
    const errs = update('', 'nodes', { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.88.0.0/24'] } }, (n) => (n.spec.podCIDRs = ['10.88.1.0/24']));
    assert.deepEqual(strs(errs), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
  });
  test('lease duration', () => {
    assert.deepEqual(strs(create('coordination.k8s.io', 'leases', { metadata: { name: 'l', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } })), [
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ]);
  });
  test('event namespace must match involvedObject.namespace', () => {
    const ev = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' }, reason: 'R' };
    assert.deepEqual(strs(create('', 'events', ev)), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  });
  test('binding target', () => {
    assert.deepEqual(strs(create('', 'bindings', { metadata: { name: 'p', namespace: 'default' }, target: { kind: 'Pod' } })), [
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
      'target.name: Required value',
    ]);
  });
});
