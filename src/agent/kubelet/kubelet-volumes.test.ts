/**
 * Kubelet-level volume behaviour with the fake runtime: configMap refresh on the periodic sync
 * without restarting containers, and the eviction manager's emptyDir sizeLimit eviction.
 */
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { MemoryRecorder } from './events.ts';
import { Kubelet } from './kubelet.ts';
import { FakeImages, FakeRuntime } from './testing/fake-runtime.ts';

const NODE = 'node-v';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup() {
  const fake = new FakeClient();
  const runtime = new FakeRuntime();
  const recorder = new MemoryRecorder();
  const rootDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-vol-'));
  const kubelet = new Kubelet({
    client: fake,
    nodeName: NODE,
    runtime,
    images: new FakeImages(),
    rootDir,
    nodeIP: '192.0.2.10',
    recorder,
    resyncIntervalMs: 200,
    relistIntervalMs: 30,
    evictionMonitoringIntervalMs: 100,
    allowMounts: false,
    resolvConf: '/nonexistent',
    log: () => undefined,
  });
  const ac = new AbortController();
  const done = kubelet.start(ac.signal);
  cleanups.push(async () => {
    ac.abort();
    await done;
    await rm(rootDir, { recursive: true, force: true });
  });
  return { fake, runtime, recorder, rootDir };
}

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pod(name: string, spec: Partial<Pod['spec']>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: NODE, containers: [{ name: 'app', image: 'web:1' }], ...spec },
    status: { phase: 'Pending' },
  };
}

describe('Kubelet volumes', () => {
  test('a configMap update reaches the running pod on the periodic sync, without a container restart', async () => {
    const env = await setup();
    await env.fake.create(GVR.configmaps, 'default', { metadata: { name: 'cfg' }, data: { k: 'v1' } });
    await env.fake.create(
      GVR.pods,
      'default',
      pod('cm', { volumes: [{ name: 'c', configMap: { name: 'cfg' } }], containers: [{ name: 'app', image: 'web:1', volumeMounts: [{ name: 'c', mountPath: '/c' }] }] }),
    );
    const running = await waitFor('Running', () => {
      const p = env.fake.peek(GVR.pods, 'default', 'cm') as Pod;
      return p.status?.phase === 'Running' && p;
    });
    const file = path.join(env.runtime.byName('app')[0]!.config.mounts.find((m) => m.containerPath === '/c')!.hostPath, 'k');
    assert.equal(await readFile(file, 'utf8'), 'v1');
    const cm = env.fake.peek(GVR.configmaps, 'default', 'cfg')!;
    await env.fake.update(GVR.configmaps, 'default', { ...cm, data: { k: 'v2' } } as KubeObject);
    await waitFor('file updated', async () => (await readFile(file, 'utf8')) === 'v2');
    assert.equal(env.runtime.byName('app').length, 1, 'no new container');
    assert.equal((env.fake.peek(GVR.pods, 'default', 'cm') as Pod).status?.containerStatuses?.[0]?.restartCount, running.status?.containerStatuses?.[0]?.restartCount);
  });

  test('an emptyDir over its sizeLimit evicts the pod: Failed/Evicted, event, containers stopped, emptyDir removed, no restart', async () => {
    const env = await setup();
    const created = (await env.fake.create(
      GVR.pods,
      'default',
      pod('hog', {
        restartPolicy: 'Always',
        volumes: [{ name: 'cache', emptyDir: { sizeLimit: '64Ki' } }],
        containers: [{ name: 'app', image: 'web:1', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }],
      }),
    )) as Pod;
    await waitFor('Running', () => (env.fake.peek(GVR.pods, 'default', 'hog') as Pod).status?.phase === 'Running');
    const dir = path.join(env.rootDir, 'pods', created.metadata!.uid!, 'volumes', 'kubernetes.io~empty-dir', 'cache');
    // Under the limit: nothing happens.
    await writeFile(path.join(dir, 'small'), Buffer.alloc(8 * 1024, 1));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((env.fake.peek(GVR.pods, 'default', 'hog') as Pod).status?.phase, 'Running');
    // "The container" writes past the limit.
    await writeFile(path.join(dir, 'big'), Buffer.alloc(256 * 1024, 1));
    const p = await waitFor('Failed', () => {
      const p = env.fake.peek(GVR.pods, 'default', 'hog') as Pod;
      return p.status?.phase === 'Failed' && p;
    });
    const msg = 'Usage of EmptyDir volume "cache" exceeds the limit "64Ki". ';
    assert.equal(p.status?.reason, 'Evicted');
    assert.equal(p.status?.message, msg);
    assert.deepEqual(env.recorder.messages('Evicted'), [msg]);
    assert.equal(env.recorder.events.find((e) => e.reason === 'Evicted')?.type, 'Warning');
    assert.equal(env.runtime.byName('app').length, 1);
    assert.equal(env.runtime.byName('app')[0]!.state, 'CONTAINER_EXITED');
    assert.equal(existsSync(dir), false);
    // Terminal: later syncs neither restart it nor change the status.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(env.runtime.byName('app').length, 1);
    assert.equal((env.fake.peek(GVR.pods, 'default', 'hog') as Pod).status?.reason, 'Evicted');
  });
});
