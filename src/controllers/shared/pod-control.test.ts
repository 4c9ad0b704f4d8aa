/**
 * Events of the shared pod control (upstream controller_utils.go RealPodControl): SuccessfulCreate
 * "Created pod: <name>", FailedCreate "Error creating: <err>" (none when the namespace is
 * terminating), SuccessfulDelete "Deleted pod: <name>", FailedDelete "Error deleting: <err>" (none
 * for NotFound).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import type { KubeObject } from '../../client/interface.ts';
import { FakeRecorder } from '../../client/record.ts';
import { StatusError } from '../../machinery/errors.ts';
import { RealPodControl } from './pod-control.ts';

const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true };
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
const forbidden = (causes: { reason: string; message: string }[] = []) =>
  new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403, message: 'pods "web-x" is forbidden: nope', details: { causes } });

const cases: { name: string; op: 'create' | 'delete'; fail?: StatusError; want: RegExp[] }[] = [
  { name: 'create ok', op: 'create', want: [/^Normal SuccessfulCreate Created pod: web-\w+$/] },
  { name: 'create refused', op: 'create', fail: forbidden(), want: [/^Warning FailedCreate Error creating: pods "web-x" is forbidden: nope$/] },
  { name: 'create in a terminating namespace', op: 'create', fail: forbidden([{ reason: 'NamespaceTerminating', message: 'namespace default is being terminated' }]), want: [] },
  { name: 'delete ok', op: 'delete', want: [/^Normal SuccessfulDelete Deleted pod: p1$/] },
  { name: 'delete refused', op: 'delete', fail: forbidden(), want: [/^Warning FailedDelete Error deleting: pods "web-x" is forbidden: nope$/] },
  { name: 'delete of a pod already gone', op: 'delete', fail: new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "p1" not found' }), want: [] },
];

for (const tc of cases) {
  test(`RealPodControl events: ${tc.name}`, async () => {
    const c = new FakeClient();
    await c.create({ group: '', version: 'v1', resource: 'pods' }, 'default', { metadata: { name: 'p1', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    if (tc.fail) {
      const err = tc.fail;
      c.prependReactor(tc.op, 'pods', () => {
        throw err;
      });
    }
    const recorder = new FakeRecorder();
    const pc = new RealPodControl(c, recorder);
    const op = tc.op === 'create' ? pc.createPods('default', template, rs, ref) : pc.deletePod('default', 'p1', rs);
    if (tc.fail) await assert.rejects(op);
    else await op;
    assert.equal(recorder.events.length, tc.want.length, recorder.events.join('\n'));
    tc.want.forEach((re, i) => assert.match(recorder.events[i]!, re));
  });
}
