/**
 * e2e: `kill -9` the server while pods run, start it again on the same data dir: every object is
 * intact (same uids and resourceVersions), the running containers are re-adopted (same container
 * ids, restartCount unchanged, still answering HTTP) and none is duplicated.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { startRegistryWithWebImages, type TestRegistry } from '../support/registry.ts';
import { deploymentYaml, httpGet } from '../support/http.ts';

const execFileP = promisify(execFile);

async function runcContainers(id: RunIdentity): Promise<string[]> {
  const { stdout } = await execFileP('runc', ['--root', path.join(id.dataDir, 'agent', 'runc'), 'list', '-q']);
  return stdout.split('\n').filter(Boolean).sort();
}

describe('e2e: server crash and restart re-adopts running containers', { timeout: 600_000 }, () => {
  let id: RunIdentity;
  let reg: TestRegistry & { web1: string; web2: string };
  let c: TestCluster;

  before(async () => {
    reg = await startRegistryWithWebImages();
    id = newRunIdentity();
    c = await startCluster(id, { cleanupOnExit: false });
  });

  after(async () => {
    try {
      await c?.kill9();
      // A last run with --cleanup-on-exit removes what the crashed runs left.
      const last = await startCluster(id);
      await last.stop();
    } finally {
      await reg?.stop();
      const left = id ? await leftovers(id) : [];
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  test('objects intact, containers re-adopted, none duplicated', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deploymentYaml(reg.web1, 2) });
    await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=240s'], { timeoutMs: 250_000 });
    const before = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json']));
    assert.equal(before.items.length, 2);
    const containersBefore = await runcContainers(id);
    assert.equal(containersBefore.length, 2, 'one runc container per pod');
    const deployBefore = JSON.parse(await c.kubectl(['get', 'deploy', 'web', '-o', 'json']));

    await c.kill9();
    // The containers outlive the server: conmon is their parent, not the server.
    assert.deepEqual(await runcContainers(id), containersBefore);
    for (const p of before.items) assert.equal((await httpGet(p.status.podIP, 8080)).status, 200);

    c = await startCluster(id, { cleanupOnExit: false });
    const deployAfter = JSON.parse(await c.kubectl(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(deployAfter.metadata.uid, deployBefore.metadata.uid);
    assert.equal(deployAfter.metadata.generation, deployBefore.metadata.generation);

    // Give the restarted kubelet and controllers time to resync, then compare.
    const after = await waitFor('pods Ready after restart', async () => {
      const l = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json']));
      const ready = l.items.every((p: any) => (p.status.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True'));
      return l.items.length === 2 && ready ? l : undefined;
    });
    await new Promise((r) => setTimeout(r, 5000));
    const settled = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json']));
    assert.deepEqual(
      settled.items.map((p: any) => p.metadata.uid).sort(),
      before.items.map((p: any) => p.metadata.uid).sort(),
      'same pods (no replacements)',
    );
    for (const p of settled.items) {
      const old = before.items.find((b: any) => b.metadata.uid === p.metadata.uid);
      assert.equal(p.status.containerStatuses[0].containerID, old.status.containerStatuses[0].containerID, 'same container');
      assert.equal(p.status.containerStatuses[0].restartCount, 0);
      assert.equal(p.status.podIP, old.status.podIP);
    }
    assert.equal(after.items.length, 2);
    assert.deepEqual(await runcContainers(id), containersBefore, 'no duplicate containers');
  });
});
