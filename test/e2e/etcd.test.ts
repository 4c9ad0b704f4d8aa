/**
 * e2e: `skiff server --datastore-endpoint <private etcd> --disable-agent` (a real child process,
 * real kubectl): system namespaces exist, a Deployment gets its ReplicaSet and pods from the
 * controllers (pods stay Pending: there is no node), the objects live in etcd under
 * `/registry/...`, and a restarted server on the same etcd sees them again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { startEtcd, type TestEtcd } from '../support/etcd.ts';
import { webDeploymentManifest } from '../support/kubectl.ts';
import { EtcdBackend } from '../../src/storage/etcd/etcd-backend.ts';

/** The shared `web` Deployment (2 replicas, app=web); its image is never pulled: there is no node. */
const DEPLOYMENT = webDeploymentManifest(8080);

describe('e2e: skiff server on etcd (control plane only)', { timeout: 300_000 }, () => {
  let etcd: TestEtcd;
  let id: RunIdentity;
  let c: TestCluster;

  before(async () => {
    etcd = await startEtcd();
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs: ['--datastore-endpoint', etcd.endpoint, '--disable-agent'] });
  });

  after(async () => {
    try {
      await c?.stop();
    } finally {
      if (id) removeRunDir(id);
      await etcd?.stop();
    }
  });

  test('kubectl get ns lists the system namespaces, stored in etcd', async () => {
    const out = await c.kubectl(['get', 'ns', '-o', 'name']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(out.includes(`namespace/${ns}\n`), out);
    const b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    try {
      const kv = await b.get('/registry/namespaces/default');
      assert.ok(kv, 'namespace default is under /registry/namespaces/ in etcd');
      const rv = (await c.kubectl(['get', 'ns', 'default', '-o', 'jsonpath={.metadata.resourceVersion}'])).trim();
      assert.equal(rv, String(kv.modRevision));
    } finally {
      await b.close();
    }
  });

  test('a Deployment gets its ReplicaSet and Pending pods', async () => {
    const applied = await c.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT });
    assert.equal(applied.trim(), 'deployment.apps/web created');
    const rs = await waitFor('the ReplicaSet', async () => {
      const list = JSON.parse(await c.kubectl(['get', 'rs', '-l', 'app=web', '-o', 'json']));
      return list.items.length === 1 ? list.items[0] : undefined;
    }, 60_000);
    assert.equal(rs.metadata.ownerReferences[0].kind, 'Deployment');
    assert.equal(rs.metadata.ownerReferences[0].name, 'web');
    assert.equal(rs.spec.replicas, 2);
    const pods = await waitFor('2 pods', async () => {
      const list = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json']));
      return list.items.length === 2 ? list.items : undefined;
    }, 60_000);
    for (const p of pods) {
      assert.equal(p.metadata.ownerReferences[0].name, rs.metadata.name);
      assert.equal(p.status.phase, 'Pending');
      assert.equal(p.spec.nodeName, undefined);
    }
    const b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    try {
      assert.equal(await b.count('/registry/pods/default/'), 2);
      assert.equal(await b.count('/registry/replicasets/default/'), 1);
    } finally {
      await b.close();
    }
  });

  test('a restarted server on the same etcd serves the same objects', async () => {
    await c.stop();
    c = await startCluster(id, { extraArgs: ['--datastore-endpoint', etcd.endpoint, '--disable-agent'] });
    const out = await c.kubectl(['get', 'deploy,rs,pods', '-l', 'app=web', '-o', 'name']);
    assert.match(out, /^deployment\.apps\/web$/m);
    assert.equal(out.split('\n').filter((l) => l.startsWith('pod/')).length, 2, out);
    const d = await c.kubectl(['delete', 'deploy', 'web']);
    assert.equal(d.trim(), 'deployment.apps "web" deleted');
    await waitFor('the garbage collector to remove the ReplicaSet and pods', async () => {
      const left = (await c.kubectl(['get', 'rs,pods', '-l', 'app=web', '-o', 'name'])).trim();
      return left === '' ? true : undefined;
    }, 60_000);
  });
});
