import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../client/interface.ts';
import { StatusError } from '../../machinery/errors.ts';
import { applyManagedFields, managerOrUserAgent, prefixFromUserAgent, updateManagedFields, type FieldManagerScope } from './field-manager.ts';

const DEPLOY: FieldManagerScope = { apiVersion: 'apps/v1', kind: 'Deployment', hasStatus: true };
const T0 = Date.parse('2026-01-02T03:04:05Z');
const T1 = Date.parse('2026-01-02T03:05:00Z');

function deployment(replicas: number, image = 'nginx', extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, ...extra },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } },
    },
  };
}

type MF = Array<{ manager: string; operation: string; apiVersion: string; time?: string; fieldsType: string; fieldsV1: Record<string, unknown>; subresource?: string }>;
const mf = (o: KubeObject) => (o.metadata?.managedFields ?? []) as unknown as MF;

describe('manager names', () => {
  test('the User-Agent prefix before the first "/" (upstream prefixFromUserAgent)', () => {
    assert.equal(prefixFromUserAgent('kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9'), 'kubectl');
    assert.equal(prefixFromUserAgent('kube-controller-manager/v1.32.0'), 'kube-controller-manager');
    assert.equal(prefixFromUserAgent('a\u0007b/1'), 'ab');
    assert.equal(prefixFromUserAgent('x'.repeat(200)).length, 128);
    assert.equal(managerOrUserAgent('kubectl-create', 'kubectl/v1.32'), 'kubectl-create');
    assert.equal(managerOrUserAgent(undefined, 'kubectl/v1.32'), 'kubectl');
  });
});

describe('Update operations', () => {
  test('create records an Update entry as upstream (FieldsV1 shape, zero-value structs without ".")', () => {
    const obj = deployment(1);
    updateManagedFields(DEPLOY, undefined, obj, 'kubectl-create', T0);
    assert.deepEqual(mf(obj), [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  test('an update by another manager takes only the changed fields; time moves only when fields are taken', () => {
    const live = deployment(1);
    updateManagedFields(DEPLOY, undefined, live, 'kubectl-create', T0);
    const next = structuredClone(live);
    (next.spec as { replicas: number }).replicas = 3;
    updateManagedFields(DEPLOY, live, next, 'kube-controller-manager', T1);
    const entries = mf(next);
    assert.equal(entries.length, 2);
    const creator = entries.find((e) => e.manager === 'kubectl-create')!;
    assert.equal((creator.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], undefined);
    const kcm = entries.find((e) => e.manager === 'kube-controller-manager')!;
    assert.deepEqual(kcm.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(kcm.time, '2026-01-02T03:05:00Z');
    // A no-op write leaves managedFields unchanged.
    const again = structuredClone(next);
    updateManagedFields(DEPLOY, next, again, 'someone', T1 + 60_000);
    assert.deepEqual(mf(again), entries);
  });

  test('main-resource writes never own status; status writes own only status and record the subresource', () => {
    const live = deployment(1);
    updateManagedFields(DEPLOY, undefined, live, 'kubectl-create', T0);
    const next = structuredClone(live);
    next.status = { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] };
    updateManagedFields({ ...DEPLOY, subresource: 'status' }, live, next, 'kube-controller-manager', T1);
    const st = mf(next).find((e) => e.subresource === 'status')!;
    assert.equal(st.manager, 'kube-controller-manager');
    assert.deepEqual(st.fieldsV1, { 'f:status': { '.': {}, 'f:conditions': { '.': {}, 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } }, 'f:replicas': {} } });
    const main = structuredClone(live);
    main.status = { replicas: 5 };
    updateManagedFields(DEPLOY, live, main, 'x', T1);
    assert.equal(mf(main).length, 1);
  });

  test('managedFields in the request: [{}] resets, invalid entries fall back to the live ones, valid ones replace', () => {
    const live = deployment(1);
    updateManagedFields(DEPLOY, undefined, live, 'kubectl-create', T0);
    const reset = structuredClone(live);
    reset.metadata!.managedFields = [{}];
    updateManagedFields(DEPLOY, live, reset, 'x', T1);
    assert.equal(reset.metadata!.managedFields, undefined);
    const bad = structuredClone(live);
    bad.metadata!.managedFields = [{ manager: 'm', operation: 'Bogus', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: {} }];
    updateManagedFields(DEPLOY, live, bad, 'x', T1);
    assert.deepEqual(mf(bad), mf(live));
    const own = structuredClone(live);
    own.metadata!.managedFields = [{ manager: 'mine', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
    updateManagedFields(DEPLOY, live, own, 'x', T1);
    assert.deepEqual(
      mf(own).map((e) => e.manager),
      ['mine'],
    );
  });
});

describe('Apply', () => {
  test('apply on create: the Apply entry holds exactly the applied fields', () => {
    const out = applyManagedFields(DEPLOY, undefined, deployment(2), 'kubectl', false, T0);
    assert.equal((out.spec as { replicas: number }).replicas, 2);
    assert.deepEqual(mf(out), [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  test('a different value for a field another manager owns is a 409 with upstream wording; same value is shared', () => {
    const live = deployment(1);
    live.metadata!.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    updateManagedFields(DEPLOY, undefined, live, 'kubectl-client-side-apply', T0);
    const err = (() => {
      try {
        applyManagedFields(DEPLOY, live, deployment(3), 'kubectl', false, T1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    assert.deepEqual(err.status.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);

    const shared = applyManagedFields(DEPLOY, live, deployment(1), 'kubectl', false, T1);
    const entries = mf(shared);
    assert.equal(entries.length, 2);
    assert.deepEqual((entries[0].fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
    assert.deepEqual((entries[1].fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
    // Nothing changed in the object: the Apply entry has no new time... it was never set before.
    assert.equal(entries[0].operation, 'Apply');
  });

  test('several conflicts use the plural message, managers sorted, one cause per field', () => {
    const live = deployment(1);
    updateManagedFields(DEPLOY, undefined, live, 'b-manager', T0);
    const next = structuredClone(live);
    (next.metadata!.labels as Record<string, string>).tier = 'x';
    updateManagedFields(DEPLOY, live, next, 'a-manager', T0);
    const cfg = deployment(4, 'nginx:2');
    (cfg.metadata!.labels as Record<string, string>).tier = 'y';
    try {
      applyManagedFields(DEPLOY, next, cfg, 'kubectl', false, T1);
      assert.fail('expected a conflict');
    } catch (e) {
      assert.ok(e instanceof StatusError);
      assert.equal(
        e.message,
        'Apply failed with 3 conflicts: conflicts with "a-manager" using apps/v1:\n- .metadata.labels.tier\nconflicts with "b-manager" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
      );
      assert.equal(e.status.details?.causes?.length, 3);
    }
  });

  test('force takes the field from the other manager', () => {
    const live = deployment(1);
    updateManagedFields(DEPLOY, undefined, live, 'kubectl-create', T0);
    const out = applyManagedFields(DEPLOY, live, deployment(5), 'kubectl', true, T1);
    assert.equal((out.spec as { replicas: number }).replicas, 5);
    const creator = mf(out).find((e) => e.manager === 'kubectl-create')!;
    assert.equal((creator.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], undefined);
    const applier = mf(out).find((e) => e.manager === 'kubectl')!;
    assert.equal(applier.time, '2026-01-02T03:05:00Z');
  });

  test('fields no longer applied are removed unless another manager owns them', () => {
    const a = deployment(1);
    (a.metadata!.labels as Record<string, string>).tier = 'web';
    (a.metadata!.labels as Record<string, string>).team = 'x';
    const first = applyManagedFields(DEPLOY, undefined, a, 'kubectl', false, T0);
    // another manager also applies the same `team` label
    const other = applyManagedFields(DEPLOY, first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { team: 'x' } } }, 'other', false, T0);
    const out = applyManagedFields(DEPLOY, other, deployment(1), 'kubectl', false, T1);
    assert.deepEqual(out.metadata!.labels, { app: 'web', team: 'x' });
    // dropping a container removes it
    const two = deployment(1);
    ((two.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers).push({ name: 'side', image: 'busybox' });
    const withSide = applyManagedFields(DEPLOY, out, two, 'kubectl', false, T1);
    assert.equal((withSide.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers.length, 2);
    const back = applyManagedFields(DEPLOY, withSide, deployment(1), 'kubectl', false, T1);
    assert.deepEqual((back.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers, [{ name: 'nginx', image: 'nginx' }]);
  });

  test('associative lists: container ports keyed by containerPort+protocol (protocol defaults to TCP), args atomic', () => {
    const cfg = deployment(1);
    const c = (cfg.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0];
    c.ports = [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }];
    c.args = ['a', 'b'];
    const out = applyManagedFields(DEPLOY, undefined, cfg, 'kubectl', false, T0);
    const fv = mf(out)[0].fieldsV1 as any;
    const cont = fv['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}'];
    assert.deepEqual(Object.keys(cont['f:ports']).sort(), ['.', 'k:{"containerPort":53,"protocol":"UDP"}', 'k:{"containerPort":80,"protocol":"TCP"}'].filter((k) => k !== '.').sort());
    assert.deepEqual(cont['f:args'], {});
  });

  test('managedFields in the applied configuration is a 400; a missing list key is upstream\'s 500', () => {
    const cfg = deployment(1, 'nginx', { managedFields: [] });
    assert.throws(() => applyManagedFields(DEPLOY, undefined, cfg, 'kubectl', false), (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'metadata.managedFields must be nil');
    const nokey = deployment(1);
    (nokey.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [{ image: 'x' }];
    assert.throws(
      () => applyManagedFields(DEPLOY, undefined, nokey, 'kubectl', false),
      (e: unknown) =>
        e instanceof StatusError &&
        e.code === 500 &&
        e.message ===
          'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    );
  });
});

describe('wrongly typed applied values (ObjectToTyped of the patch fails: upstream 500, empty reason)', () => {
  const cases: Array<[string, (d: KubeObject) => void, string]> = [
    ['replicas: "3"', (d) => ((d.spec as Record<string, unknown>).replicas = '3'), 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'],
    ['a bool label value', (d) => ((d.metadata as Record<string, unknown>).labels = { canary: true }), 'json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string'],
  ];
  for (const [name, mutate, detail] of cases) {
    test(name, () => {
      const cfg = deployment(1);
      mutate(cfg);
      assert.throws(
        () => applyManagedFields(DEPLOY, undefined, cfg, 'kubectl', false),
        (e: unknown) => e instanceof StatusError && e.code === 500 && e.status.reason === '' && e.message === `failed to create typed patch object (default/web; apps/v1, Kind=Deployment): ${detail}`,
      );
    });
  }
});

describe('client-side → server-side apply migration (lastAppliedManager / lastAppliedUpdater)', () => {
  const CM: FieldManagerScope = { apiVersion: 'v1', kind: 'ConfigMap' };
  const LA = 'kubectl.kubernetes.io/last-applied-configuration';
  function csaConfigMap(): KubeObject {
    const cfg = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1', b: '2' } };
    const live: KubeObject = { ...structuredClone(cfg), metadata: { ...cfg.metadata, annotations: { [LA]: JSON.stringify(cfg) + '\n' } } };
    updateManagedFields(CM, undefined, live, 'kubectl-client-side-apply', T0);
    return live;
  }

  test('kubectl takes over fields still holding their last-applied value, and rewrites the annotation', () => {
    const live = csaConfigMap();
    const cfg: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '3' } };
    const out = applyManagedFields(CM, live, cfg, 'kubectl', false, T1);
    assert.deepEqual(out.data, { a: '1', b: '3' });
    assert.equal((out.metadata!.annotations as Record<string, string>)[LA], '{"apiVersion":"v1","data":{"a":"1","b":"3"},"kind":"ConfigMap","metadata":{"name":"c"}}\n');
    const csa = mf(out).find((e) => e.manager === 'kubectl-client-side-apply')!;
    assert.deepEqual(csa.fieldsV1['f:data'], { '.': {}, 'f:a': {} });
  });

  test('other managers, and fields changed since the last client-side apply, still conflict', () => {
    const live = csaConfigMap();
    const cfg: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { b: '3' } };
    assert.throws(() => applyManagedFields(CM, live, cfg, 'other', false, T1), (e: unknown) => e instanceof StatusError && e.message === 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.b');
    const drifted = structuredClone(live);
    (drifted.data as Record<string, string>).b = '5';
    updateManagedFields(CM, live, drifted, 'kubectl-client-side-apply', T1);
    assert.throws(() => applyManagedFields(CM, drifted, cfg, 'kubectl', false, T1), (e: unknown) => e instanceof StatusError && e.code === 409);
  });
});

describe('capManagersManager', () => {
  test('more than 10 Update managers: the oldest are merged into "ancient-changes"', () => {
    let live = deployment(1);
    updateManagedFields(DEPLOY, undefined, live, 'm00', T0);
    for (let i = 1; i <= 11; i++) {
      const next = structuredClone(live);
      (next.metadata!.labels as Record<string, string>)[`l${i}`] = 'x';
      updateManagedFields(DEPLOY, live, next, `m${String(i).padStart(2, '0')}`, T0 + i * 1000);
      live = next;
    }
    const names = mf(live).map((e) => e.manager);
    assert.equal(names.length, 10);
    assert.ok(names.includes('ancient-changes'));
    assert.ok(!names.includes('m00') && !names.includes('m01') && !names.includes('m02'));
    const ancient = mf(live).find((e) => e.manager === 'ancient-changes')!;
    assert.equal(ancient.operation, 'Update');
    assert.deepEqual((ancient.fieldsV1['f:metadata'] as Record<string, Record<string, unknown>>)['f:labels']['f:l1'], {});
  });
});
