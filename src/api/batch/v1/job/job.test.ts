import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { jobStrategy, jobStatusStrategy } from './strategy.ts';
import { jobTable } from './printer.ts';

const newJob = (over: Record<string, unknown> = {}, restartPolicy = 'Never'): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
  spec: { template: { spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } }, ...over },
});

/** Defaults + prepareForCreate + validate, as the create pipeline runs them. */
function create(job: KubeObject): string[] {
  jobStrategy.defaults(job);
  jobStrategy.prepareForCreate(job);
  return jobStrategy.validate(job).map(fieldErrorString);
}

describe('batch/v1 Job API', () => {
  test('defaults as upstream SetDefaults_Job', () => {
    const j = newJob();
    jobStrategy.defaults(j);
    const s = j.spec as any;
    assert.deepEqual(
      { completions: s.completions, parallelism: s.parallelism, backoffLimit: s.backoffLimit, completionMode: s.completionMode, suspend: s.suspend, podReplacementPolicy: s.podReplacementPolicy, manualSelector: s.manualSelector },
      { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed', manualSelector: undefined },
    );
    // A work-queue Job (parallelism only) keeps completions unset.
    const w = newJob({ parallelism: 3 });
    jobStrategy.defaults(w);
    assert.equal((w.spec as any).completions, undefined);
    assert.equal((w.spec as any).parallelism, 3);
  });

  test('the selector and template labels are generated from the uid', () => {
    const j = newJob();
    assert.deepEqual(create(j), []);
    const s = j.spec as any;
    assert.deepEqual(s.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    assert.deepEqual(s.template.metadata.labels, {
      'batch.kubernetes.io/controller-uid': 'u-1',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'u-1',
      'job-name': 'pi',
    });
    assert.equal(j.metadata?.generation, 1);
    assert.deepEqual(j.status, {});
  });

  test('restartPolicy Always is refused with upstream wording', () => {
    assert.deepEqual(create(newJob({}, 'Always')), ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
    assert.deepEqual(create(newJob({}, 'OnFailure')), []);
  });

  test('negative counters, Indexed without completions', () => {
    assert.deepEqual(create(newJob({ parallelism: -1, completions: 2, backoffLimit: -2 })), [
      'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0',
    ]);
    assert.deepEqual(create(newJob({ completionMode: 'Indexed', parallelism: 2 })), ['spec.completions: Required value: when completion mode is Indexed']);
    assert.deepEqual(create(newJob({ podFailurePolicy: { rules: [{ action: 'Explode', onExitCodes: { operator: 'In', values: [1] } }] } }, 'OnFailure')), [
      'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Explode": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
    ]);
  });

  test('update: template, selector and completions are immutable; generation bumps on spec change', () => {
    const old = newJob();
    create(old);
    const upd = structuredClone(old) as any;
    upd.metadata.resourceVersion = '2';
    (old.metadata as any).resourceVersion = '1';
    upd.spec.template.spec.containers[0].image = 'busybox:2';
    upd.spec.completions = 5;
    jobStrategy.prepareForUpdate(upd, old);
    const errs = jobStrategy.validateUpdate(upd, old).map(fieldErrorString);
    assert.ok(errs.some((e) => e.startsWith('spec.template: Invalid value: ') && e.endsWith(': field is immutable')), errs.join('\n'));
    assert.ok(errs.includes('spec.completions: Invalid value: 5: field is immutable'), errs.join('\n'));
    assert.equal(upd.metadata.generation, 2);
    // Suspending is a legal update.
    const sus = structuredClone(old) as any;
    sus.metadata.resourceVersion = '2';
    sus.spec.suspend = true;
    assert.deepEqual(jobStrategy.validateUpdate(sus, old), []);
  });

  test('/status keeps the spec', () => {
    const old = newJob();
    create(old);
    const upd = structuredClone(old) as any;
    upd.spec.parallelism = 9;
    upd.status = { active: 1 };
    jobStatusStrategy.prepareForUpdate(upd, old);
    assert.equal(upd.spec.parallelism, 1);
    assert.deepEqual(upd.status, { active: 1 });
  });

  test('printer: STATUS, COMPLETIONS, DURATION columns', () => {
    assert.deepEqual(
      jobTable.columns.map((c) => [c.name, c.priority]),
      [['Name', 0], ['Status', 0], ['Completions', 0], ['Duration', 0], ['Age', 0], ['Containers', 1], ['Images', 1], ['Selector', 1]],
    );
    const now = Date.parse('2026-01-01T00:10:00Z');
    const j = newJob({ completions: 3, parallelism: 2 });
    create(j);
    (j.metadata as any).creationTimestamp = '2026-01-01T00:00:00Z';
    j.status = { startTime: '2026-01-01T00:00:00Z', succeeded: 1 };
    assert.deepEqual(jobTable.cells(j, now), ['pi', 'Running', '1/3', '10m', '10m', 'c', 'busybox', 'batch.kubernetes.io/controller-uid=u-1']);
    j.status = { startTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T00:00:42Z', succeeded: 3, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] };
    assert.deepEqual(jobTable.cells(j, now).slice(1, 4), ['Complete', '3/3', '42s']);
    j.status = { startTime: '2026-01-01T00:00:00Z', failed: 2, conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] };
    assert.equal(jobTable.cells(j, now)[1], 'Failed');
    j.status = { conditions: [{ type: 'Suspended', status: 'True' }] };
    assert.deepEqual(jobTable.cells(j, now).slice(1, 4), ['Suspended', '0/3', '']);
    const w = newJob({ parallelism: 4 });
    create(w);
    assert.equal(jobTable.cells(w, now)[2], '0/1 of 4');
  });
});
