import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';
import { TokenAuthenticator } from './token.ts';
import { standInResources } from '../testing/stand-in-resources.ts';

test('a denied request is 403 with upstream wording; allowed ones pass', async () => {
  const backend = SqliteBackend.open(':memory:');
  const api = new APIServer({
    backend,
    kubelets: new KubeletConnections(),
    resources: standInResources(),
    authenticator: new TokenAuthenticator().add('t-viewer', { name: 'viewer', groups: [] }),
    authorizer: { authorize: (a) => ({ allowed: a.verb === 'get' || a.verb === 'list' }) },
  });
  const { url } = await api.listen({ host: '127.0.0.1', port: 0 });
  try {
    const h = { authorization: 'Bearer t-viewer', 'content-type': 'application/json' };
    const list = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { headers: h });
    assert.equal(list.status, 200);
    const create = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: h, body: '{}' });
    assert.equal(create.status, 403);
    const st = await create.json();
    assert.equal(st.reason, 'Forbidden');
    assert.equal(st.message, 'configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "default"');
    const del = await fetch(`${url}/api/v1/nodes/n1`, { method: 'DELETE', headers: h });
    assert.equal((await del.json()).message, 'nodes "n1" is forbidden: User "viewer" cannot delete resource "nodes" in API group "" at the cluster scope');
  } finally {
    await api.stop();
    await backend.close();
  }
});
