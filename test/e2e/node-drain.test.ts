/**
 * e2e: `kubectl cordon|drain|uncordon` against `skiff server --simulated-nodes 2 --disable-agent`
 * (real server process, real kubectl). Cordon sets `spec.unschedulable` and the node lifecycle
 * controller adds `node.kubernetes.io/unschedulable:NoSchedule`; `kubectl drain --ignore-daemonsets
 * --force` evicts a Deployment's pods through pods/eviction (honouring `--grace-period`) and deletes
 * a bare pod, and the ReplicaSet replaces the pods on the other node only (NodeUnschedulable);
 * uncordon clears the flag and the taint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: drain-web
spec:
  replicas: 4
  selector:
    matchLabels: {app: drain-web}
  template:
    metadata:
      labels: {app: drain-web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

describe('e2e: kubectl cordon / drain / uncordon', { timeout: 180_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;

  before(async () => {
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs: ['--simulated-nodes', '2', '--disable-agent'] });
  });

  after(async () => {
    await c?.stop();
    const left = id ? await leftovers(id) : [];
    if (id) removeRunDir(id);
    assert.deepEqual(left, [], 'nothing left on the host');
  });

  const pods = async (sel: string) => JSON.parse(await c.kubectl(['get', 'pods', '-l', sel, '-o', 'json'])).items as any[];
  const node = async (name: string) => JSON.parse(await c.kubectl(['get', 'node', name, '-o', 'json']));

  test('drain evicts the pods to the other node; cordon/uncordon follow with the unschedulable taint', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deployment });
    await c.kubectl(['rollout', 'status', 'deployment/drain-web', '--timeout=90s'], { timeoutMs: 120_000 });
    const running = await waitFor('4 Running pods', async () => {
      const list = await pods('app=drain-web');
      return list.length === 4 && list.every((p) => p.status?.phase === 'Running') && list;
    });
    const target = running[0].spec.nodeName as string;
    const other = target === 'sim-node-0' ? 'sim-node-1' : 'sim-node-0';
    await c.kubectl(['run', 'bare', '--image=nginx:1.27', '--labels=app=bare', '--overrides', JSON.stringify({ spec: { nodeName: target } })]);
    await waitFor('bare pod Running', async () => (await pods('app=bare'))[0]?.status?.phase === 'Running');

    const cordon = await c.kubectl(['cordon', target]);
    assert.match(cordon, new RegExp(`node/${target} cordoned`));
    const cordoned = await waitFor('unschedulable taint', async () => {
      const n = await node(target);
      return n.spec.unschedulable === true && (n.spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule') && n;
    });
    assert.equal(cordoned.spec.unschedulable, true);
    const table = await c.kubectl(['get', 'node', target, '--no-headers']);
    assert.match(table, /Ready,SchedulingDisabled/);

    const drain = await c.kubectlRaw(['drain', target, '--ignore-daemonsets', '--force', '--grace-period=1', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(drain.code, 0, `drain failed: ${drain.stderr}`);
    const out = drain.stdout + drain.stderr;
    assert.match(out, /evicting pod default\/bare/, out);
    assert.match(out, /deleting Pods that declare no controller: default\/bare/, out);
    assert.match(out, /evicting pod default\/drain-web-/, out);
    assert.match(out, /pod\/drain-web-[a-z0-9-]+ evicted/, out);
    assert.match(out, new RegExp(`node/${target} drained`), out);

    await waitFor('4 Running pods on the other node', async () => {
      const list = (await pods('app=drain-web')).filter((p) => !p.metadata.deletionTimestamp);
      return list.length === 4 && list.every((p) => p.spec.nodeName === other && p.status?.phase === 'Running');
    }, 90_000);
    assert.deepEqual(await pods('app=bare'), [], 'bare pod deleted');

    const un = await c.kubectl(['uncordon', target]);
    assert.match(un, new RegExp(`node/${target} uncordoned`));
    await waitFor('taint removed', async () => {
      const n = await node(target);
      return !n.spec.unschedulable && !(n.spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unschedulable');
    });
    await c.kubectl(['delete', 'deployment', 'drain-web']);
  });
});
