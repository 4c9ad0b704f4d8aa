import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { replicationControllerStrategy } from './strategy.ts';
import { replicationControllerTable } from './printer.ts';

const newRC = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'web', namespace: 'default' },
  spec,
});
const template = (labels: Record<string, string> | undefined, restartPolicy?: string) => ({
  metadata: labels ? { labels } : {},
  spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'c', image: 'nginx:1.25' }] },
});

function create(rc: KubeObject): string[] {
  replicationControllerStrategy.defaults(rc);
  replicationControllerStrategy.prepareForCreate(rc);
  return replicationControllerStrategy.validate(rc).map(fieldErrorString);
}

describe('core/v1 ReplicationController API', () => {
  test('defaults as SetDefaults_ReplicationController: selector and labels from the template, replicas 1', () => {
    const rc = newRC({ template: template({ app: 'web' }) });
    assert.deepEqual(create(rc), []);
    assert.deepEqual((rc.spec as any).selector, { app: 'web' });
    assert.deepEqual(rc.metadata?.labels, { app: 'web' });
    assert.equal((rc.spec as any).replicas, 1);
    assert.equal((rc.spec as any).template.spec.restartPolicy, 'Always');
    // an explicit selector and labels are kept
    const rc2 = newRC({ replicas: 0, selector: { app: 'web' }, template: template({ app: 'web', tier: 'fe' }) });
    rc2.metadata!.labels = { owner: 'me' };
    assert.deepEqual(create(rc2), []);
    assert.deepEqual((rc2.spec as any).selector, { app: 'web' });
    assert.deepEqual(rc2.metadata?.labels, { owner: 'me' });
    assert.equal((rc2.spec as any).replicas, 0);
  });

  test('validation with upstream field paths and wording', () => {
    assert.deepEqual(create(newRC({ template: template(undefined) })), ['spec.selector: Required value']);
    assert.deepEqual(create(newRC({ selector: { app: 'x' } })), ['spec.template: Required value']);
    assert.deepEqual(create(newRC({ selector: { app: 'x' }, template: template({ app: 'web' }) })), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
    assert.deepEqual(create(newRC({ replicas: -1, template: template({ app: 'web' }, 'Never') })), [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  test('printer: DESIRED CURRENT READY AGE, wide CONTAINERS IMAGES SELECTOR', () => {
    const rc = newRC({ replicas: 3, selector: { app: 'web', tier: 'fe' }, template: template({ app: 'web', tier: 'fe' }) });
    rc.status = { replicas: 2, readyReplicas: 1 };
    assert.deepEqual(replicationControllerTable.columns.map((c) => c.name), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
    assert.deepEqual(replicationControllerTable.cells(rc, Date.now()), ['web', 3, 2, 1, '<unknown>', 'c', 'nginx:1.25', 'app=web,tier=fe']);
  });
});
