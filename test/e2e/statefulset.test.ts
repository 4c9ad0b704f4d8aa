/**
 * e2e: a StatefulSet on the real node (runc containers of skiff.local/web:1 from
 * `--import-images`, real kubectl): 2 replicas behind a headless Service with a
 * volumeClaimTemplate on the default `local-path` class start in order (web-1 is created only
 * after web-0 is Ready: creationTimestamp and the SuccessfulCreate events), each pod gets its
 * own bound claim `www-web-<n>`, and a file written into web-0's volume is still there after
 * `kubectl delete pod web-0` brings back a new web-0 on the same claim.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { buildWebImages } from '../support/registry.ts';

const MANIFEST = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: c
        image: skiff.local/web:1
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
        volumeMounts:
        - name: www
          mountPath: /data
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 16Mi
`;

describe('e2e: StatefulSet with a headless Service and a volumeClaimTemplate', { timeout: 180_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;
  const json = async (args: string[]) => JSON.parse(await c.kubectl([...args, '-o', 'json']));
  const readyAt = (p: any): string | undefined => p.status?.conditions?.find((x: any) => x.type === 'Ready' && x.status === 'True')?.lastTransitionTime;

  before(async () => {
    const { archive } = buildWebImages();
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs: ['--import-images', archive] });
  });

  after(async () => {
    try {
      await c?.stop();
    } finally {
      const left = id ? await leftovers(id) : [];
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  test('ordered start, per-pod claims, data survives pod deletion', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: MANIFEST });
    const sts = await waitFor(
      'web 2/2 ready',
      async () => {
        const s = await json(['get', 'statefulset', 'web']);
        return s.status?.readyReplicas === 2 ? s : undefined;
      },
      90_000,
    );
    assert.equal(sts.status.replicas, 2);
    const get = await c.kubectl(['get', 'sts', 'web']);
    assert.match(get, /^NAME\s+READY\s+AGE$/m);
    assert.match(get, /^web\s+2\/2\s+/m);

    const web0 = await json(['get', 'pod', 'web-0']);
    const web1 = await json(['get', 'pod', 'web-1']);
    const ready0 = readyAt(web0);
    assert.ok(ready0, 'web-0 Ready');
    // Timestamps have 1 s resolution: web-1 cannot have been created before web-0 became Ready.
    assert.ok(Date.parse(web1.metadata.creationTimestamp) >= Date.parse(ready0), `web-1 created ${web1.metadata.creationTimestamp} before web-0 Ready ${ready0}`);
    assert.equal(web0.spec.hostname, 'web-0');
    assert.equal(web0.spec.subdomain, 'web');

    const events = (await json(['get', 'events', '--field-selector', 'involvedObject.name=web'])).items
      .filter((e: any) => e.reason === 'SuccessfulCreate')
      .map((e: any) => e.message);
    const i0 = events.indexOf('create Pod web-0 in StatefulSet web successful');
    const i1 = events.indexOf('create Pod web-1 in StatefulSet web successful');
    assert.ok(i0 >= 0 && i1 > i0, events.join('\n'));
    assert.ok(events.includes('create Claim www-web-0 Pod web-0 in StatefulSet web success'), events.join('\n'));

    for (const n of ['www-web-0', 'www-web-1']) {
      await waitFor(`${n} Bound`, async () => ((await json(['get', 'pvc', n])).status?.phase === 'Bound' ? true : undefined), 60_000);
    }

    await c.kubectl(['exec', 'web-0', '--', 'sh', '-c', 'echo kept > /data/file']);
    const uid0 = web0.metadata.uid;
    await c.kubectl(['delete', 'pod', 'web-0', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    const again = await waitFor(
      'new web-0 Running and Ready',
      async () => {
        const r = await c.kubectlRaw(['get', 'pod', 'web-0', '-o', 'json']);
        if (r.code !== 0) return undefined;
        const p = JSON.parse(r.stdout);
        return p.metadata.uid !== uid0 && readyAt(p) ? p : undefined;
      },
      60_000,
    );
    assert.deepEqual(again.spec.volumes.find((v: any) => v.name === 'www').persistentVolumeClaim, { claimName: 'www-web-0' });
    assert.equal(await c.kubectl(['exec', 'web-0', '--', 'cat', '/data/file']), 'kept\n');

    // The headless Service gives each pod a stable name: web-0.web.default.svc.cluster.local.
    const ip0 = await waitFor('new web-0 IP', async () => (await json(['get', 'pod', 'web-0'])).status?.podIP, 30_000);
    const out = await waitFor(
      'web-0.web resolves to the new web-0',
      async () => {
        const r = await c.kubectlRaw(['exec', 'web-1', '--', 'nslookup', 'web-0.web.default.svc.cluster.local']);
        return r.code === 0 && r.stdout.includes(ip0) ? r.stdout : undefined;
      },
      30_000,
      1000,
    );
    assert.match(out, /web-0\.web\.default\.svc\.cluster\.local/);

    // kubectl's StatefulSet rollout status and history read status and the ControllerRevisions.
    const rs = await c.kubectl(['rollout', 'status', 'statefulset/web', '--timeout=30s'], { timeoutMs: 40_000 });
    // The defaulted partition (0) makes kubectl report a partitioned rollout, as on upstream clusters.
    assert.equal(rs, 'partitioned roll out complete: 2 new pods have been updated...\n');
    assert.match(await c.kubectl(['rollout', 'history', 'statefulset/web']), /^REVISION\s+CHANGE-CAUSE\n1\s+<none>$/m);

    // Scale down through /scale: web-1 goes, its claim stays (Retain).
    await c.kubectl(['scale', 'statefulset', 'web', '--replicas=1']);
    await waitFor('web-1 gone', async () => ((await c.kubectlRaw(['get', 'pod', 'web-1'])).code !== 0 ? true : undefined), 30_000);
    assert.equal((await json(['get', 'pvc', 'www-web-1'])).status.phase, 'Bound');
  });
});
