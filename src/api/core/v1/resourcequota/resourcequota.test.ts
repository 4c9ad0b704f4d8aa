/** ResourceQuota validation (upstream messages and field paths), strategy and printer. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate } from './validation.ts';
import { resourceQuotaStatusStrategy, resourceQuotaStrategy } from './strategy.ts';
import { resourceQuotaTable } from './printer.ts';
import { findResource } from '../../../resource-table.ts';

const rq = (spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'q', namespace: 'ns', resourceVersion: '5' },
  spec,
  ...(status ? { status } : {}),
});
const errs = (o: KubeObject) => validateResourceQuota(o).map(fieldErrorString);

describe('ValidateResourceQuota', () => {
  test('valid quotas', () => {
    for (const spec of [
      { hard: { pods: '2', 'requests.cpu': '1', 'limits.memory': '1Gi', 'count/deployments.apps': '3', 'gold.storageclass.storage.k8s.io/requests.storage': '10Gi' } },
      { hard: { pods: '1', cpu: '500m' }, scopes: ['NotTerminating', 'NotBestEffort'] },
      { hard: { pods: '10' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
      { hard: { 'requests.example.com/gpu': '2', 'hugepages-2Mi': '1Gi' } },
    ]) assert.deepEqual(errs(rq(spec)), [], JSON.stringify(spec));
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ['non-standard name', { hard: { foo: '1' } }, [
      'spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
      'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota',
    ]],
    ['storage is not a quota resource', { hard: { storage: '1Gi' } }, ['spec.hard[storage]: Invalid value: "storage": must be a standard resource for quota']],
    ['negative quantity', { hard: { 'requests.cpu': '-1' } }, ['spec.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0']],
    ['fractional count', { hard: { pods: '1.5' } }, ['spec.hard[pods]: Invalid value: "1500m": must be an integer']],
    ['unsupported scope', { hard: { pods: '1' }, scopes: ['Foo'] }, ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"Foo"}: unsupported scope']],
    ['BestEffort on cpu', { hard: { cpu: '1' }, scopes: ['BestEffort'] }, ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource']],
    ['conflicting scopes', { hard: { pods: '1' }, scopes: ['Terminating', 'NotTerminating'] }, ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating"}: conflicting scopes']],
    ['scopeSelector Exists with values', { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Exists', values: ['a'] }] } }, [
      'spec.scopeSelector.matchExpressions.values: Invalid value: []string{"a"}: must be no value when `operator` is \'Exist\' or \'DoesNotExist\' for scope selector',
    ]],
    ['scopeSelector In without values', { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In' }] } }, [
      "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
    ]],
    ['scopeSelector BestEffort with In', { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'BestEffort', operator: 'In', values: ['x'] }] } }, [
      "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
    ]],
    ['scopeSelector bad operator', { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Gt', values: ['x'] }] } }, [
      'spec.scopeSelector.matchExpressions.operator: Invalid value: "Gt": not a valid selector operator',
    ]],
  ];
  for (const [name, spec, want] of cases) {
    test(name, () => {
      assert.deepEqual(errs(rq(spec)), want);
    });
  }

  test('status names and values are validated', () => {
    assert.deepEqual(errs(rq({ hard: { pods: '1' } }, { hard: { pods: '1' }, used: { pods: '-1' } })), [
      'status.used[pods]: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });

  test('scopes are immutable on update', () => {
    const old = rq({ hard: { pods: '1' }, scopes: ['Terminating'] });
    const got = validateResourceQuotaUpdate(rq({ hard: { pods: '1' }, scopes: ['NotTerminating'] }), old).map(fieldErrorString);
    assert.equal(got.length, 1);
    assert.equal(got[0], 'spec.scopes: Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: field is immutable');
    assert.deepEqual(validateResourceQuotaUpdate(rq({ hard: { pods: '5' }, scopes: ['Terminating'] }), old), []);
  });

  test('status update checks status', () => {
    const old = rq({ hard: { pods: '1' } });
    assert.deepEqual(validateResourceQuotaStatusUpdate(rq({ hard: { pods: '1' } }, { hard: { pods: '1' }, used: { pods: '1' } }), old), []);
    assert.equal(validateResourceQuotaStatusUpdate(rq({ hard: { pods: '1' } }, { used: { bogus: '1' } }), old).length, 2);
  });
});

describe('strategy', () => {
  test('create clears status, update keeps it, /status keeps spec', () => {
    const o = rq({ hard: { pods: '1' } }, { used: { pods: '9' } });
    resourceQuotaStrategy.prepareForCreate(o);
    assert.deepEqual(o.status, {});
    const old = rq({ hard: { pods: '1' } }, { hard: { pods: '1' }, used: { pods: '0' } });
    const upd = rq({ hard: { pods: '2' } }, { used: { pods: '7' } });
    resourceQuotaStrategy.prepareForUpdate(upd, old);
    assert.deepEqual(upd.status, old.status);
    const st = rq({ hard: { pods: '99' } }, { hard: { pods: '1' }, used: { pods: '1' } });
    resourceQuotaStatusStrategy.prepareForUpdate(st, old);
    assert.deepEqual(st.spec, old.spec);
  });

  test('table entry: resourcequotas, short name quota, status subresource', () => {
    const ri = findResource('', 'v1', 'resourcequotas')!;
    assert.deepEqual(ri.shortNames, ['quota']);
    assert.ok(ri.subresources.some((s) => s.name === 'status'));
  });
});

describe('printer (printResourceQuota)', () => {
  test('columns NAME, AGE, REQUEST, LIMIT', () => {
    assert.deepEqual(resourceQuotaTable.columns.map((c) => c.name), ['Name', 'Age', 'Request', 'Limit']);
  });
  test('request and limit cells: used/hard per status.hard name, sorted; missing used prints 0', () => {
    const o = rq({}, { hard: { pods: '2', 'requests.cpu': '1', 'limits.cpu': '2', 'limits.memory': '1Gi', configmaps: '5' }, used: { pods: '1', 'requests.cpu': '500m', 'limits.cpu': '1' } });
    o.metadata!.creationTimestamp = new Date(Date.now() - 30_000).toISOString();
    const cells = resourceQuotaTable.cells(o, Date.now());
    assert.equal(cells[0], 'q');
    assert.equal(cells[2], 'configmaps: 0/5, pods: 1/2, requests.cpu: 500m/1');
    assert.equal(cells[3], 'limits.cpu: 1/2, limits.memory: 0/1Gi');
  });
});
