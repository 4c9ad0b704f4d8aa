import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from './fake-client.ts';
import { GVR } from './interface.ts';
import { ClientEventRecorder } from './record.ts';

describe('ClientEventRecorder', () => {
  test('creates core/v1 Events and aggregates repeats within 10 minutes by PATCHing count', async () => {
    const c = new FakeClient();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const r = new ClientEventRecorder(c, { component: 'replicaset-controller', now: () => now });
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'ns1', uid: 'u1' } };
    r.eventf(rs, 'Normal', 'SuccessfulCreate', 'Created pod: %s', 'web-abc');
    await r.flush();
    let evs = c.peekAll(GVR.events);
    assert.equal(evs.length, 1);
    const e = evs[0] as Record<string, any>;
    assert.match(e.metadata.name, /^web\.[0-9a-f]+$/);
    assert.equal(e.metadata.namespace, 'ns1');
    assert.deepEqual(e.involvedObject, { kind: 'ReplicaSet', apiVersion: 'apps/v1', namespace: 'ns1', name: 'web', uid: 'u1' });
    assert.equal(e.reason, 'SuccessfulCreate');
    assert.equal(e.message, 'Created pod: web-abc');
    assert.equal(e.type, 'Normal');
    assert.equal(e.count, 1);
    assert.equal(e.source.component, 'replicaset-controller');
    assert.equal(e.reportingComponent, 'replicaset-controller');
    assert.equal(e.firstTimestamp, '2026-01-01T00:00:00Z');
    now += 60_000;
    r.eventf(rs, 'Normal', 'SuccessfulCreate', 'Created pod: %s', 'web-abc');
    await r.flush();
    evs = c.peekAll(GVR.events);
    assert.equal(evs.length, 1);
    assert.equal((evs[0] as Record<string, any>).count, 2);
    assert.equal((evs[0] as Record<string, any>).lastTimestamp, '2026-01-01T00:01:00Z');
    assert.ok(c.actions.some((a) => a.verb === 'patch' && a.resource === 'events'));
    now += 11 * 60_000;
    r.eventf(rs, 'Normal', 'SuccessfulCreate', 'Created pod: %s', 'web-abc');
    await r.flush();
    assert.equal(c.peekAll(GVR.events).length, 2);
  });

  test('cluster-scoped objects record into default; failures never throw', async () => {
    const c = new FakeClient();
    const r = new ClientEventRecorder(c, { component: 'x' });
    r.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' } }, 'Warning', 'Bad', 'm');
    await r.flush();
    assert.equal(c.peekAll(GVR.events, 'default').length, 1);
    c.prependReactor('create', 'events', () => {
      throw new Error('boom');
    });
    r.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } }, 'Normal', 'R', 'm2');
    await r.flush();
    assert.equal(c.peekAll(GVR.events).length, 1);
  });
});
