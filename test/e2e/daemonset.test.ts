/**
 * e2e: a DaemonSet on the real node (runc containers, skiff.local/web:1/2 imported) through the real
 * kubectl: one pod Running on the node, `kubectl rollout status ds/x` succeeds, `kubectl set image`
 * rolls it to web:2 (revision 2 in `rollout history`), `kubectl rollout undo` patches the template
 * back from ControllerRevision 1 (now revision 3), `kubectl get ds` / `controllerrevisions` columns;
 * deleting the DaemonSet removes its pods and revisions (garbage collector).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const dsYaml = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web-ds}
  template:
    metadata:
      labels: {app: web-ds}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: skiff.local/web:1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
`;

describe('e2e: DaemonSet on the real node', { timeout: 180_000 }, () => {
  const run = useCluster({ webImages: true });
  let id: RunIdentity;
  let c: TestCluster;
  before(() => {
    ({ id, c } = run);
  });

  const podsJson = async () => JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web-ds', '-o', 'json'])).items as any[];

  test('one Running pod, rollout status, set image, history, undo', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: dsYaml });
    const status = await c.kubectl(['rollout', 'status', 'ds/web', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.match(status, /daemon set "web" successfully rolled out/);
    const pods = await podsJson();
    assert.equal(pods.length, 1);
    assert.equal(pods[0].spec.nodeName, id.nodeName);
    assert.equal(pods[0].status.phase, 'Running');

    const table = await c.kubectl(['get', 'ds']);
    assert.match(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\s*$/m);
    assert.match(table, /^web\s+1\s+1\s+1\s+1\s+1\s+<none>\s+\S+\s*$/m);

    await c.kubectl(['set', 'image', 'ds/web', 'web=skiff.local/web:2']);
    const status2 = await c.kubectl(['rollout', 'status', 'ds/web', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.match(status2, /daemon set "web" successfully rolled out/);
    await waitFor('one web:2 pod Running', async () => {
      const ps = (await podsJson()).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 1 && ps[0].spec.containers[0].image === 'skiff.local/web:2' && ps[0].status.phase === 'Running';
    }, 60_000);

    const history = await c.kubectl(['rollout', 'history', 'ds/web']);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE\s*$/m);
    assert.match(history, /^1\s+<none>\s*$/m);
    assert.match(history, /^2\s+<none>\s*$/m);
    const crs = await c.kubectl(['get', 'controllerrevisions']);
    assert.match(crs, /^NAME\s+CONTROLLER\s+REVISION\s+AGE\s*$/m);
    assert.match(crs, /^web-\S+\s+daemonset\.apps\/web\s+2\s+\S+\s*$/m);

    const undo = await c.kubectl(['rollout', 'undo', 'ds/web']);
    assert.match(undo, /daemonset\.apps\/web rolled back/);
    const status3 = await c.kubectl(['rollout', 'status', 'ds/web', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.match(status3, /successfully rolled out/);
    const ds = JSON.parse(await c.kubectl(['get', 'ds', 'web', '-o', 'json']));
    assert.equal(ds.spec.template.spec.containers[0].image, 'skiff.local/web:1');
    await waitFor('one web:1 pod Running again', async () => {
      const ps = (await podsJson()).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 1 && ps[0].spec.containers[0].image === 'skiff.local/web:1' && ps[0].status.phase === 'Running';
    }, 60_000);
    const history2 = await c.kubectl(['rollout', 'history', 'ds/web']);
    assert.match(history2, /^2\s+<none>\s*$/m);
    assert.match(history2, /^3\s+<none>\s*$/m);
    assert.doesNotMatch(history2, /^1\s/m);

    // Background cascading deletion: the garbage collector removes the pods and revisions.
    await c.kubectl(['delete', 'ds', 'web']);
    await waitFor('daemon pods and revisions gone', async () =>
      (await podsJson()).length === 0 && JSON.parse(await c.kubectl(['get', 'controllerrevisions', '-o', 'json'])).items.length === 0, 60_000);

  });
});
