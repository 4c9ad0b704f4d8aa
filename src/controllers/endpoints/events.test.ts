/**
 * Events of the Endpoints controller (upstream endpoints_controller.go syncService): a failed
 * create/update is a Warning FailedToCreateEndpoint / FailedToUpdateEndpoint about the Endpoints
 * object; a create refused because the namespace is terminating records nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { getReference, sprintf, type EventRecorder, type EventSubject } from '../../client/record.ts';
import { StatusError } from '../../machinery/errors.ts';
import { EndpointsController } from './endpoints-controller.ts';

class RefRecorder implements EventRecorder {
  readonly events: { kind?: string; name?: string; line: string }[] = [];
  event(obj: EventSubject, type: string, reason: string, message: string): void {
    const ref = getReference(obj);
    this.events.push({ kind: ref.kind, name: ref.name, line: `${type} ${reason} ${message}` });
  }
  eventf(obj: EventSubject, type: 'Normal' | 'Warning', reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, sprintf(fmt, ...args));
  }
}

const forbidden = (causes: { reason: string; message: string }[] = []) =>
  new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403, message: 'endpoints "web" is forbidden: nope', details: { causes } });

const cases: { name: string; existing: boolean; err: StatusError; want: { kind?: string; name?: string; line: string }[] }[] = [
  { name: 'create refused', existing: false, err: forbidden(), want: [{ kind: 'Endpoints', name: 'web', line: 'Warning FailedToCreateEndpoint Failed to create endpoint for service default/web: endpoints "web" is forbidden: nope' }] },
  { name: 'update refused', existing: true, err: forbidden(), want: [{ kind: 'Endpoints', name: 'web', line: 'Warning FailedToUpdateEndpoint Failed to update endpoint default/web: endpoints "web" is forbidden: nope' }] },
  { name: 'create in a terminating namespace', existing: false, err: forbidden([{ reason: 'NamespaceTerminating', message: 'namespace default is being terminated' }]), want: [] },
];

for (const tc of cases) {
  test(`Endpoints events: ${tc.name}`, async () => {
    const c = new FakeClient();
    await c.create(GVR.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } as KubeObject);
    await c.create(GVR.pods, 'default', { metadata: { name: 'p', labels: { app: 'web' } }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running', podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True' }] } } as KubeObject);
    if (tc.existing) await c.create(GVR.endpoints, 'default', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' } } as KubeObject);
    c.prependReactor(tc.existing ? 'update' : 'create', 'endpoints', () => {
      throw tc.err;
    });
    const recorder = new RefRecorder();
    const factory = new SharedInformerFactory(c);
    const ec = new EndpointsController({ client: c, factory, recorder });
    const ac = new AbortController();
    factory.start(ac.signal);
    try {
      assert.ok(await factory.waitForCacheSync(ac.signal));
      await ec.syncService('default/web').catch(() => undefined);
      assert.deepEqual(recorder.events, tc.want);
    } finally {
      ac.abort();
      await factory.shutdown();
    }
  });
}
