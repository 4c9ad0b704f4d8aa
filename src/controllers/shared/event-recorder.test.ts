import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getReference, type EventRecorder, type EventSubject } from '../../client/record.ts';
import { KindDefaultingRecorder } from './event-recorder.ts';

class Capture implements EventRecorder {
  readonly refs: unknown[] = [];
  event(obj: EventSubject): void {
    this.refs.push(getReference(obj));
  }
  eventf(obj: EventSubject): void {
    this.event(obj);
  }
}

test('KindDefaultingRecorder fills apiVersion/kind of kind-less objects (informer LIST items), keeps others', () => {
  const inner = new Capture();
  const r = new KindDefaultingRecorder(inner, { apiVersion: 'apps/v1', kind: 'ReplicaSet' });
  r.eventf({ metadata: { name: 'web', namespace: 'default', uid: 'u1' } }, 'Normal', 'SuccessfulCreate', 'Created pod: %s', 'web-x');
  r.event({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u2' } }, 'Normal', 'X', 'y');
  r.event({ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'n1' } as never, 'Normal', 'X', 'y');
  assert.deepEqual(inner.refs, [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'default', name: 'web', uid: 'u1' },
    { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'p', uid: 'u2' },
    { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'n1' },
  ]);
});

test('KindDefaultingRecorder with a per-object choice (claims vs volumes)', () => {
  const inner = new Capture();
  const r = new KindDefaultingRecorder(inner, (o) => (o.metadata?.namespace ? { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } : { apiVersion: 'v1', kind: 'PersistentVolume' }));
  r.event({ metadata: { name: 'data', namespace: 'default' } }, 'Normal', 'X', 'y');
  r.event({ metadata: { name: 'pv-1' } }, 'Warning', 'X', 'y');
  assert.deepEqual(inner.refs.map((x: any) => x.kind), ['PersistentVolumeClaim', 'PersistentVolume']);
});
