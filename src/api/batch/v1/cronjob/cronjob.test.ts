import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { cronJobStrategy } from './strategy.ts';
import { cronJobTable } from './printer.ts';
import { parseStandard } from './schedule.ts';

const newCJ = (over: Record<string, unknown> = {}, name = 'hello'): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name, namespace: 'default' },
  spec: {
    schedule: '*/1 * * * *',
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
    ...over,
  },
});

function create(cj: KubeObject): string[] {
  cronJobStrategy.defaults(cj);
  cronJobStrategy.prepareForCreate(cj);
  return cronJobStrategy.validate(cj).map(fieldErrorString);
}

describe('batch/v1 CronJob API', () => {
  test('defaults as SetDefaults_CronJob; the job template spec itself is not defaulted', () => {
    const cj = newCJ();
    assert.deepEqual(create(cj), []);
    const s = cj.spec as any;
    assert.deepEqual(
      [s.concurrencyPolicy, s.suspend, s.successfulJobsHistoryLimit, s.failedJobsHistoryLimit],
      ['Allow', false, 3, 1],
    );
    assert.equal(s.jobTemplate.spec.backoffLimit, undefined);
    assert.equal(s.jobTemplate.spec.template.spec.containers[0].terminationMessagePath, '/dev/termination-log');
  });

  test('schedule, timeZone, concurrencyPolicy and job template validation', () => {
    assert.deepEqual(create(newCJ({ schedule: '' })), ['spec.schedule: Required value']);
    assert.deepEqual(create(newCJ({ schedule: '0 0 * * * *' })), ['spec.schedule: Invalid value: "0 0 * * * *": expected exactly 5 fields, found 6: [0 0 * * * *]']);
    assert.equal(create(newCJ({ schedule: '61 * * * *' })).length, 1);
    assert.deepEqual(create(newCJ({ schedule: 'TZ=UTC 0 0 * * *' })), ['spec.schedule: Invalid value: "TZ=UTC 0 0 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
    assert.deepEqual(create(newCJ({ schedule: '@hourly' })), []);
    assert.deepEqual(create(newCJ({ schedule: '@every 5m' })), []);
    assert.deepEqual(create(newCJ({ timeZone: 'Asia/Tokyo' })), []);
    assert.deepEqual(create(newCJ({ timeZone: 'Mars/Olympus' })), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
    assert.deepEqual(create(newCJ({ timeZone: '' })), ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string']);
    assert.deepEqual(create(newCJ({ timeZone: 'Local' })), ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']);
    assert.deepEqual(create(newCJ({ concurrencyPolicy: 'Sometimes' })), ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']);
    assert.deepEqual(create(newCJ({ startingDeadlineSeconds: -1, successfulJobsHistoryLimit: -1 })), [
      'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    ]);
    const always = newCJ();
    (always.spec as any).jobTemplate.spec.template.spec.restartPolicy = 'Always';
    assert.deepEqual(create(always), ['spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
    assert.deepEqual(create(newCJ({}, 'x'.repeat(53))), ['metadata.name: Invalid value: "' + 'x'.repeat(53) + '": must be no more than 52 characters']);
  });

  test('schedule math: next strictly after, in the time zone', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseStandard('*/5 * * * *').next(t0), Date.parse('2026-01-01T00:05:00Z'));
    assert.equal(parseStandard('0 9 * * *').next(t0), Date.parse('2026-01-01T09:00:00Z'));
    assert.equal(parseStandard('TZ=Asia/Tokyo 0 9 * * *').next(t0), Date.parse('2026-01-02T00:00:00Z'));
    assert.equal(parseStandard('0 9 * * *', 'America/New_York').next(t0), Date.parse('2026-01-01T14:00:00Z'));
    assert.equal(parseStandard('@every 90s').next(t0 + 500), t0 + 90_000);
  });

  test('printer: SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE', () => {
    const cj = newCJ({ timeZone: 'Etc/UTC' });
    create(cj);
    const now = Date.parse('2026-01-01T01:00:00Z');
    cj.metadata!.creationTimestamp = '2026-01-01T00:00:00Z';
    cj.status = { active: [{ name: 'hello-1' }], lastScheduleTime: '2026-01-01T00:59:00Z' };
    assert.deepEqual(cronJobTable.columns.map((c) => c.name), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers', 'Images', 'Selector']);
    assert.deepEqual(cronJobTable.cells(cj, now), ['hello', '*/1 * * * *', 'Etc/UTC', 'False', 1, '60s', '60m', 'c', 'busybox', '<none>']);
  });
});
