/** LimitRange defaults, validation (upstream messages and paths) and printer. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { setDefaultsLimitRange } from './defaults.ts';
import { validateLimitRange } from './validation.ts';
import { limitRangeTable } from './printer.ts';
import { findResource } from '../../../resource-table.ts';

const lr = (limits: Record<string, unknown>[]): KubeObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } });
const errs = (limits: Record<string, unknown>[]) => validateLimitRange(lr(limits)).map(fieldErrorString);

describe('SetDefaults_LimitRangeItem', () => {
  test('Container: default ← max, defaultRequest ← default, then min', () => {
    const o = lr([{ type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { memory: '100Mi', 'ephemeral-storage': '1Gi' }, default: { memory: '512Mi' } }]);
    setDefaultsLimitRange(o);
    const item = (o.spec as any).limits[0];
    assert.deepEqual(item.default, { memory: '512Mi', cpu: '2' });
    assert.deepEqual(item.defaultRequest, { memory: '512Mi', cpu: '2', 'ephemeral-storage': '1Gi' });
  });
  test('Pod items are not defaulted', () => {
    const o = lr([{ type: 'Pod', max: { cpu: '2' } }]);
    setDefaultsLimitRange(o);
    assert.equal((o.spec as any).limits[0].default, undefined);
  });
});

describe('ValidateLimitRange', () => {
  test('valid', () => {
    assert.deepEqual(errs([
      { type: 'Container', min: { cpu: '100m' }, defaultRequest: { cpu: '200m' }, default: { cpu: '500m' }, max: { cpu: '1' }, maxLimitRequestRatio: { cpu: '5' } },
      { type: 'Pod', max: { memory: '2Gi' } },
      { type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } },
    ]), []);
  });
  const cases: [string, Record<string, unknown>[], string[]][] = [
    ['min > max', [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }], ['spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1']],
    ['min > default request', [{ type: 'Container', min: { cpu: '2' }, defaultRequest: { cpu: '1' } }], ['spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1']],
    ['default request > default', [{ type: 'Container', defaultRequest: { memory: '2Gi' }, default: { memory: '1Gi' } }], ['spec.limits[0].defaultRequest[memory]: Invalid value: "2Gi": default request value 2Gi is greater than default limit value 1Gi']],
    ['default > max', [{ type: 'Container', default: { cpu: '2' }, max: { cpu: '1' } }], ['spec.limits[0].default[cpu]: Invalid value: "1": default value 2 is greater than max value 1']],
    ['ratio < 1', [{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }], ['spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1']],
    ['ratio > max/min', [{ type: 'Pod', min: { cpu: '1' }, max: { cpu: '2' }, maxLimitRequestRatio: { cpu: '3' } }], ['spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "3": ratio 3 is greater than max/min = 2.000000']],
    ['Pod with default', [{ type: 'Pod', default: { cpu: '1' } }], ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]],
    ['PVC without storage bounds', [{ type: 'PersistentVolumeClaim', max: { cpu: '1' } }], ['spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided']],
    ['unknown type', [{ type: 'Node' }], ['spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified']],
    ['duplicate type', [{ type: 'Container' }, { type: 'Container' }], ['spec.limits[1].type: Duplicate value: "Container"']],
    ['storage is not a container resource', [{ type: 'Container', max: { storage: '1Gi' } }], ['spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers']],
  ];
  for (const [name, limits, want] of cases) test(name, () => assert.deepEqual(errs(limits), want));
});

describe('printer and table entry', () => {
  test('NAME, CREATED AT (RFC 3339)', () => {
    assert.deepEqual(limitRangeTable.columns.map((c) => c.name), ['Name', 'Created At']);
    const o = lr([]);
    o.metadata!.creationTimestamp = '2026-01-02T03:04:05Z';
    assert.deepEqual(limitRangeTable.cells(o, Date.now()), ['lr', '2026-01-02T03:04:05Z']);
  });
  test('limitranges, short name limits', () => {
    assert.deepEqual(findResource('', 'v1', 'limitranges')?.shortNames, ['limits']);
  });
});
