import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../apiserver/server.ts';
import { KubeletConnections } from '../../apiserver/kubelet-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { KubeObject } from '../../client/interface.ts';
import { waitFor } from '../../../test/support/cluster.ts';
import { ClusterRoleAggregationController, GVR_CLUSTERROLES } from './clusterrole-aggregation-controller.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('a ClusterRole labelled aggregate-to-view extends view, edit and admin; removing the label takes the rule away', async () => {
  const backend = SqliteBackend.open(':memory:');
  const api = new APIServer({ backend, kubelets: new KubeletConnections(), authorizationMode: 'RBAC' });
  const ac = new AbortController();
  try {
    await api.waitReady();
    const client = api.inProcessClient();
    const factory = new SharedInformerFactory(client, { logger: quiet });
    const c = new ClusterRoleAggregationController({ client, factory, logger: quiet });
    factory.start(ac.signal);
    void c.run(1, ac.signal);
    const widgetRule = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] };
    await client.create(GVR_CLUSTERROLES, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
      metadata: { name: 'widget-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [widgetRule],
    } as KubeObject);
    const hasWidget = async (name: string) => {
      const r = (await client.get(GVR_CLUSTERROLES, undefined, name)) as KubeObject & { rules?: unknown[] };
      return (r.rules ?? []).some((x) => JSON.stringify(x) === JSON.stringify(widgetRule));
    };
    for (const name of ['view', 'edit', 'admin']) await waitFor(`${name} aggregates widgets`, () => hasWidget(name), 30_000, 100);
    // The bootstrap content survives the controller's rewrite.
    const view = (await client.get(GVR_CLUSTERROLES, undefined, 'view')) as KubeObject & { rules: Array<{ resources?: string[] }> };
    assert.ok(view.rules.some((r) => r.resources?.includes('pods')));
    await client.patch(GVR_CLUSTERROLES, undefined, 'widget-viewer', 'application/merge-patch+json', { metadata: { labels: { 'rbac.authorization.k8s.io/aggregate-to-view': null } } });
    for (const name of ['view', 'edit', 'admin']) await waitFor(`${name} drops widgets`, async () => !(await hasWidget(name)), 30_000, 100);
  } finally {
    ac.abort();
    await api.stop();
    await backend.close();
  }
});
