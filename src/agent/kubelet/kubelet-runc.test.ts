/**
 * The kubelet driving the real RuncRuntime (netns + CNI + conmon + runc) over a busybox-static
 * rootfs: a pod with an HTTP readiness probe becomes Ready, logs/exec/port-forward work through
 * the KubeletConnection, and deletion stops and removes everything. Host resources carry a per-run
 * prefix and are removed in `after` (runtime.cleanupAll), even on failure. Needs root, runc, conmon
 * and the CNI plugins (as the project's CI machine has).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR } from '../../client/interface.ts';
import { RuncRuntime } from '../runtime/runc/runtime.ts';
import { buildBusyboxRootfs, leftovers, perRunNames, StaticImageResolver } from '../runtime/runc/test-support.ts';
import { MemoryRecorder } from './events.ts';
import { Kubelet } from './kubelet.ts';
import { FakeImages } from './testing/fake-runtime.ts';

const NODE = 'node-runc';

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kubelet with the runc runtime', { timeout: 240_000 }, () => {
  const names = perRunNames();
  let work: string;
  let runtime: RuncRuntime;
  let kubelet: Kubelet;
  let fake: FakeClient;
  let ac: AbortController;
  let done: Promise<void>;
  const recorder = new MemoryRecorder();

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), `skiff-kubelet-runc-${names.prefix}-`));
    const rootfs = path.join(work, 'rootfs');
    await buildBusyboxRootfs(rootfs);
    runtime = new RuncRuntime({
      stateDir: path.join(work, 'state'),
      runcRoot: path.join(work, 'runc'),
      prefix: names.prefix,
      images: new StaticImageResolver(rootfs),
      cni: { bridge: names.bridge, subnet: names.subnet },
      cgroupParent: names.cgroupParent,
    });
    const images = new FakeImages();
    await images.pullImage('busybox:test');
    fake = new FakeClient();
    kubelet = new Kubelet({
      client: fake,
      nodeName: NODE,
      runtime,
      images,
      rootDir: path.join(work, 'kubelet'),
      nodeIP: '127.0.0.1',
      recorder,
      relistIntervalMs: 200,
      resyncIntervalMs: 2000,
      log: () => undefined,
    });
    ac = new AbortController();
    done = kubelet.start(ac.signal);
  });

  after(async () => {
    ac?.abort();
    await done;
    const errs: unknown[] = [];
    await runtime?.cleanupAll().catch((e) => errs.push(e));
    const left = await leftovers({ ...names, stateDir: path.join(work, 'state'), runcRoot: path.join(work, 'runc') });
    await rm(work, { recursive: true, force: true });
    assert.deepEqual(left, [], `left behind: ${left.join('\n')}`);
    assert.deepEqual(errs, []);
  });

  test('a finished container reports its exit code and termination message', async () => {
    await fake.create(GVR.pods, 'default', {
      metadata: { name: 'once', namespace: 'default' },
      spec: {
        nodeName: NODE,
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox:test', imagePullPolicy: 'IfNotPresent', command: ['/bin/sh', '-c', 'echo bye > /dev/termination-log; exit 4'] }],
      },
    });
    const p = await waitFor('Failed', () => {
      const p = fake.peek(GVR.pods, 'default', 'once') as Pod;
      return p.status?.phase === 'Failed' && p;
    });
    const t = p.status!.containerStatuses![0].state!.terminated!;
    assert.equal(t.exitCode, 4);
    assert.equal(t.reason, 'Error');
    assert.equal(t.message, 'bye\n');
    await fake.delete(GVR.pods, 'default', 'once');
    await waitFor('cleaned up', async () => (await runtime.listPodSandbox()).length === 0);
  });

  test('pod runs, probes, logs, exec, port-forward, graceful deletion', async () => {
    await fake.create(GVR.pods, 'default', {
      metadata: { name: 'web', namespace: 'default', finalizers: ['test.skiff/hold'] },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'web',
            image: 'busybox:test',
            imagePullPolicy: 'IfNotPresent',
            command: ['/bin/sh', '-c', 'echo starting $(GREETING); exec httpd -f -p 8080 -h /www'],
            env: [{ name: 'GREETING', value: 'hi' }],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/index.html', port: 'http' }, periodSeconds: 1 },
            livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    });
    const pod = await waitFor('Ready', () => {
      const p = fake.peek(GVR.pods, 'default', 'web') as Pod;
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p;
    });
    assert.equal(pod.status?.phase, 'Running');
    assert.ok(pod.status?.podIP?.startsWith(names.subnet.split('.').slice(0, 3).join('.')));
    const uid = pod.metadata!.uid!;
    const conn = kubelet.connection();

    // logs
    const chunks: Buffer[] = [];
    const out = new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
    await conn.getContainerLogs('default', 'web', uid, { container: 'web' }, out, new AbortController().signal);
    assert.equal(Buffer.concat(chunks).toString(), 'starting hi\n');

    // exec
    const stdout = new PassThrough();
    const got: Buffer[] = [];
    stdout.on('data', (d) => got.push(d));
    const code = await conn.exec('default', 'web', uid, { container: 'web', command: ['/bin/sh', '-c', 'cat /www/index.html; exit 3'], stdin: false, stdout: true, stderr: true, tty: false }, { stdout }, new AbortController().signal);
    assert.equal(code, 3);
    assert.equal(Buffer.concat(got).toString(), 'hello from pod\n');

    // port-forward through the pod's netns
    const sock = await conn.portForward('default', 'web', uid, 8080);
    const resp: Buffer[] = [];
    sock.on('data', (d: Buffer) => resp.push(d));
    sock.write('GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n');
    await waitFor('http response', () => Buffer.concat(resp).toString().includes('hello from pod'), 20_000);
    sock.destroy();

    // graceful deletion: httpd as PID 1 ignores SIGTERM → killed after the 2 s grace, then DELETE grace 0
    await fake.delete(GVR.pods, 'default', 'web');
    await waitFor('DELETE grace 0', () => fake.actions.find((a) => a.verb === 'delete' && (a.options as { gracePeriodSeconds?: number })?.gracePeriodSeconds === 0));
    assert.deepEqual(await runtime.listPodSandbox(), []);
    assert.deepEqual(await runtime.listContainers(), []);
    assert.ok(recorder.messages('Killing').includes('Stopping container web'));
  });
});
