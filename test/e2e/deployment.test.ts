/**
 * e2e: the newcomer walk-through with real parts — `skiff server` (child process), real kubectl,
 * a real OCI registry (Debian's docker-registry on 127.0.0.1), runc containers networked by the
 * CNI plugins. Apply a 3-replica Deployment → 3 Running pods → HTTP 200 from each pod IP →
 * scale to 5 → change the image → rolling update completes → `rollout undo` restores it →
 * delete → nothing left on the host (netns, links, mounts, cgroups, runc containers).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { startRegistryWithWebImages, type TestRegistry } from '../support/registry.ts';
import { deploymentYaml, httpGet } from '../support/http.ts';

interface PodView {
  name: string;
  phase: string;
  ip: string;
  ready: boolean;
  image: string;
  deleting: boolean;
}

async function pods(c: TestCluster, selector: string): Promise<PodView[]> {
  const list = JSON.parse(await c.kubectl(['get', 'pods', '-l', selector, '-o', 'json']));
  return list.items.map((p: any) => ({
    name: p.metadata.name,
    phase: p.status?.phase ?? '',
    ip: p.status?.podIP ?? '',
    ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    image: p.spec.containers[0].image,
    deleting: Boolean(p.metadata.deletionTimestamp),
  }));
}

describe('e2e: Deployment walk-through with real kubectl, registry and runc', { timeout: 900_000 }, () => {
  let id: RunIdentity;
  let reg: TestRegistry & { web1: string; web2: string };
  let c: TestCluster;

  before(async () => {
    reg = await startRegistryWithWebImages();
    id = newRunIdentity();
    c = await startCluster(id);
  });

  after(async () => {
    try {
      await c?.stop();
    } finally {
      await reg?.stop();
      const left = id ? await leftovers(id) : [];
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  test('one Ready node', async () => {
    const out = await waitFor('node Ready', async () => {
      const o = await c.kubectl(['get', 'nodes']);
      return /\sReady\s/.test(o) ? o : undefined;
    });
    assert.match(out, new RegExp(`^${id.nodeName}\\s+Ready\\s`, 'm'));
  });

  test('apply → rollout status → 3 Running pods answering HTTP on their IPs', async () => {
    const applied = await c.kubectl(['apply', '-f', '-'], { input: deploymentYaml(reg.web1) });
    assert.match(applied, /deployment\.apps\/web created/);
    const status = await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=240s'], { timeoutMs: 250_000 });
    assert.match(status, /deployment "web" successfully rolled out/);
    const ps = await pods(c, 'app=web');
    assert.equal(ps.length, 3);
    for (const p of ps) {
      assert.equal(p.phase, 'Running');
      assert.ok(p.ip, `pod ${p.name} has an IP`);
      const r = await httpGet(p.ip, 8080);
      assert.equal(r.status, 200);
      assert.match(r.body, /v1/);
    }
    const wide = await c.kubectl(['get', 'pods', '-o', 'wide']);
    assert.match(wide, /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    for (const p of ps) assert.match(wide, new RegExp(`${p.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.ip.replace(/\./g, '\\.')}\\s+${id.nodeName}`));
  });

  test('scale to 5', async () => {
    assert.match(await c.kubectl(['scale', 'deploy/web', '--replicas=5']), /deployment\.apps\/web scaled/);
    await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=240s'], { timeoutMs: 250_000 });
    const ps = (await pods(c, 'app=web')).filter((p) => !p.deleting);
    assert.equal(ps.length, 5);
    assert.ok(ps.every((p) => p.phase === 'Running' && p.ready));
  });

  test('change the image → rolling update completes → every pod serves v2', async () => {
    await c.kubectl(['set', 'image', 'deploy/web', `web=${reg.web2}`]);
    const status = await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=300s'], { timeoutMs: 310_000 });
    assert.match(status, /successfully rolled out/);
    const ps = await waitFor('old pods gone', async () => {
      const all = await pods(c, 'app=web');
      return all.length === 5 && all.every((p) => p.image === reg.web2 && p.ready) ? all : undefined;
    });
    for (const p of ps) assert.match((await httpGet(p.ip, 8080)).body, /v2/);
    const history = await c.kubectl(['rollout', 'history', 'deploy/web']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
  });

  test('rollout undo restores v1', async () => {
    assert.match(await c.kubectl(['rollout', 'undo', 'deploy/web']), /rolled back/);
    await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=300s'], { timeoutMs: 310_000 });
    const ps = await waitFor('all pods back on v1', async () => {
      const all = await pods(c, 'app=web');
      return all.length === 5 && all.every((p) => p.image === reg.web1 && p.ready) ? all : undefined;
    });
    for (const p of ps) assert.match((await httpGet(p.ip, 8080)).body, /v1/);
    const rs = JSON.parse(await c.kubectl(['get', 'rs', '-l', 'app=web', '-o', 'json']));
    assert.equal(rs.items.length, 2, 'undo reuses the v1 ReplicaSet');
    const revisions = rs.items.map((r: any) => r.metadata.annotations['deployment.kubernetes.io/revision']).sort();
    assert.deepEqual(revisions, ['2', '3']);
  });

  test('delete → pods, ReplicaSets, sandboxes and containers are gone', async () => {
    assert.match(await c.kubectl(['delete', 'deploy/web']), /deployment\.apps "web" deleted/);
    await waitFor('no pods', async () => (await pods(c, 'app=web')).length === 0, 180_000);
    await waitFor('no replicasets', async () => JSON.parse(await c.kubectl(['get', 'rs', '-o', 'json'])).items.length === 0);
    const left = await waitFor('host clean', async () => {
      const l = (await leftovers(id)).filter((x) => !x.startsWith('link') && !x.startsWith('iptables'));
      return l.length === 0 ? ['clean'] : undefined;
    }, 60_000);
    assert.deepEqual(left, ['clean']);
  });
});
