import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachBackend } from '../../../../test/support/each-backend.ts';
import { APIServer } from '../../server.ts';
import { KubeletConnections } from '../../kubelet-client.ts';
import { AUTO_UPDATE_ANNOTATION, ensureBootstrapPolicy } from './bootstrap-policy.ts';

const CR = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };
const CRB = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings' };
type Obj = Record<string, any>;

describeEachBackend('RBAC bootstrap policy over the real store', (store) => {
  test('bootstrap reconcile: creates, is idempotent, restores removed rules/subjects, keeps additions, honours autoupdate=false', async () => {
    const backend = await store.open();
    const api = new APIServer({ backend, kubelets: new KubeletConnections(), authorizationMode: 'RBAC' });
    try {
      await api.waitReady();
      const c = api.inProcessClient();
      const names = (await c.list(CR, undefined)).items.map((o) => o.metadata!.name).sort();
      for (const n of ['admin', 'cluster-admin', 'edit', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'view']) assert.ok(names.includes(n), n);
      const ca = (await c.get(CR, undefined, 'cluster-admin')) as Obj;
      assert.equal(ca.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
      assert.equal(ca.metadata.annotations[AUTO_UPDATE_ANNOTATION], 'true');
      assert.deepEqual((await c.get(CRB, undefined, 'system:public-info-viewer') as Obj).subjects.map((s: { name: string }) => s.name), ['system:authenticated', 'system:unauthenticated']);

      // Idempotent: a second run writes nothing.
      const rv = ca.metadata.resourceVersion;
      await ensureBootstrapPolicy(c);
      assert.equal(((await c.get(CR, undefined, 'cluster-admin')) as Obj).metadata.resourceVersion, rv);

      // A removed rule and subject come back; an added subject stays.
      const disc = (await c.get(CR, undefined, 'system:discovery')) as Obj;
      await c.update(CR, undefined, { ...disc, rules: [] });
      const b = (await c.get(CRB, undefined, 'system:discovery')) as Obj;
      await c.update(CRB, undefined, { ...b, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'extra' }] });
      // autoupdate=false: left alone.
      const basic = (await c.get(CR, undefined, 'system:basic-user')) as Obj;
      await c.update(CR, undefined, { ...basic, metadata: { ...basic.metadata, annotations: { [AUTO_UPDATE_ANNOTATION]: 'false' } }, rules: [] });
      await ensureBootstrapPolicy(c);
      assert.equal(((await c.get(CR, undefined, 'system:discovery')) as Obj).rules.length, 1);
      assert.deepEqual(((await c.get(CRB, undefined, 'system:discovery')) as Obj).subjects.map((s: { name: string }) => s.name), ['extra', 'system:authenticated']);
      assert.deepEqual(((await c.get(CR, undefined, 'system:basic-user')) as Obj).rules, []);
    } finally {
      await api.stop();
      await backend.close();
    }
  });
});
