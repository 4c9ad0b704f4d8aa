import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { MemoryRecorder } from './events.ts';
import { Kubelet, type KubeletOptions } from './kubelet.ts';
import { FakeImages, FakeRuntime } from './testing/fake-runtime.ts';

const NODE = 'node-a';

interface Env {
  fake: FakeClient;
  runtime: FakeRuntime;
  images: FakeImages;
  recorder: MemoryRecorder;
  kubelet: Kubelet;
  ac: AbortController;
  done: Promise<void>;
  rootDir: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(opts: Partial<KubeletOptions> & { fake?: FakeClient; runtime?: FakeRuntime; images?: FakeImages; rootDir?: string; client?: Client } = {}): Promise<Env> {
  const fake = opts.fake ?? new FakeClient();
  const runtime = opts.runtime ?? new FakeRuntime();
  const images = opts.images ?? new FakeImages();
  const recorder = new MemoryRecorder();
  const rootDir = opts.rootDir ?? (await mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-test-')));
  const kubelet = new Kubelet({
    client: opts.client ?? fake,
    nodeName: NODE,
    runtime,
    images,
    rootDir,
    nodeIP: '192.0.2.10',
    recorder,
    resyncIntervalMs: 300,
    relistIntervalMs: 30,
    crashLoopBackOff: { initialMs: 300, maxMs: 1200 },
    imagePullBackOff: { initialMs: 300, maxMs: 1200 },
    allowMounts: false,
    resolvConf: '/nonexistent',
    log: () => undefined,
    ...opts,
  });
  const ac = new AbortController();
  const done = kubelet.start(ac.signal);
  cleanups.push(async () => {
    ac.abort();
    await done;
    if (!opts.rootDir) await rm(rootDir, { recursive: true, force: true });
  });
  return { fake, runtime, images, recorder, kubelet, ac, done, rootDir };
}

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
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
    await new Promise((r) => setTimeout(r, 20));
  }
}

function podSpec(name: string, spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...meta },
    spec: { nodeName: NODE, containers: [{ name: 'app', image: 'web:1' }], ...spec },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', lastProbeTime: null as unknown as string }] },
  };
}

function getPod(env: Env, name: string): Pod {
  return env.fake.peek(GVR.pods, 'default', name) as Pod;
}

function cond(p: Pod, type: string) {
  return p.status?.conditions?.find((c) => c.type === type);
}

describe('Kubelet', () => {
  test('a pod gets a sandbox and containers and becomes Running/Ready with conditions and events', async () => {
    const env = await setup();
    const created = (await env.fake.create(GVR.pods, 'default', podSpec('web', { containers: [{ name: 'app', image: 'web:1' }, { name: 'side', image: 'web:1', imagePullPolicy: 'IfNotPresent' }] }))) as Pod;
    const p = await waitFor('Running and Ready', () => {
      const p = getPod(env, 'web');
      return p.status?.phase === 'Running' && cond(p, 'Ready')?.status === 'True' && p;
    });
    assert.equal(p.status?.podIP?.startsWith('10.88.0.'), true);
    assert.deepEqual(p.status?.podIPs, [{ ip: p.status?.podIP }]);
    assert.equal(p.status?.hostIP, '192.0.2.10');
    assert.ok(p.status?.startTime);
    assert.equal(p.status?.qosClass, 'BestEffort');
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled']) assert.equal(cond(p, t)?.status, 'True', t);
    // PodScheduled (written by the scheduler) is kept as it was.
    assert.equal(cond(p, 'PodScheduled')?.lastTransitionTime, '2026-01-01T00:00:00Z');
    const cs = p.status!.containerStatuses!;
    assert.deepEqual(cs.map((c) => c.name), ['app', 'side']);
    for (const c of cs) {
      assert.ok(c.state?.running?.startedAt);
      assert.equal(c.ready, true);
      assert.equal(c.started, true);
      assert.equal(c.restartCount, 0);
      assert.equal(c.image, 'web:1');
      assert.match(c.containerID!, /^runc:\/\//);
      assert.match(c.imageID!, /^sha256:/);
    }
    assert.equal(env.runtime.calls.filter((c) => c.startsWith('runPodSandbox')).length, 1);
    // Status is written only through the status subresource.
    const updates = env.fake.actions.filter((a) => a.verb === 'update' && a.resource === 'pods');
    assert.ok(updates.length > 0);
    assert.ok(updates.every((a) => a.subresource === 'status'));
    // Events with upstream wording.
    assert.deepEqual(env.recorder.messages('Pulling'), ['Pulling image "web:1"']);
    assert.match(env.recorder.messages('Pulled')[0], /^Successfully pulled image "web:1" in \d+(\.\d+)?m?s \(\d+(\.\d+)?m?s including waiting\)\. Image size: 1234 bytes\.$/);
    assert.deepEqual(env.recorder.messages('Pulled')[1], 'Container image "web:1" already present on machine');
    assert.deepEqual(env.recorder.messages('Created'), ['Created container: app', 'Created container: side']);
    assert.deepEqual(env.recorder.messages('Started'), ['Started container app', 'Started container side']);
    assert.equal(env.recorder.events.find((e) => e.reason === 'Created')?.fieldPath, 'spec.containers{app}');
    // Container config: labels, restart count annotation, log path.
    const c = env.runtime.byName('app')[0];
    assert.equal(c.labels['io.kubernetes.pod.uid'], created.metadata!.uid);
    assert.equal(c.annotations['io.kubernetes.container.restartCount'], '0');
    assert.equal(c.logPath, path.join(env.rootDir, 'logs', `default_web_${created.metadata!.uid}`, 'app', '0.log'));
    // Unchanged status is not rewritten.
    const n = env.fake.actions.length;
    await new Promise((r) => setTimeout(r, 700));
    const later = env.fake.actions.slice(n).filter((a) => a.verb === 'update' && a.resource === 'pods');
    assert.equal(later.length, 0);
  });

  test('env, command expansion, mounts and resources reach the container config', async () => {
    const fake = new FakeClient();
    await fake.create(GVR.configmaps, 'default', { metadata: { name: 'cfg' }, data: { greeting: 'hello', 'file.txt': 'content' } });
    await fake.create(GVR.services, 'default', { metadata: { name: 'my-svc' }, spec: { clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    await fake.create(GVR.services, 'default', { metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    const env = await setup({ fake });
    await fake.create(
      GVR.pods,
      'default',
      podSpec(
        'envpod',
        {
          hostAliases: [{ ip: '192.0.2.50', hostnames: ['alias.example'] }],
          volumes: [
            { name: 'scratch', emptyDir: {} },
            { name: 'conf', configMap: { name: 'cfg' } },
          ],
          containers: [
            {
              name: 'app',
              image: 'web:1',
              command: ['/bin/sh', '-c'],
              args: ['echo $(GREETING) $(POD_NAME) $$(x)'],
              workingDir: '/work',
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
                { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
                { name: 'COMBINED', value: '$(POD_NAME)-$(POD_NS)' },
              ],
              volumeMounts: [
                { name: 'scratch', mountPath: '/scratch' },
                { name: 'conf', mountPath: '/etc/conf', readOnly: true },
              ],
              resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
            },
          ],
        },
        { labels: { app: 'demo' } },
      ),
    );
    const p = await waitFor('running', () => getPod(env, 'envpod').status?.phase === 'Running' && getPod(env, 'envpod'));
    const cfg = env.runtime.byName('app')[0].config;
    const envs = Object.fromEntries(cfg.envs.map((e) => [e.key, e.value]));
    assert.equal(envs.POD_NAME, 'envpod');
    assert.equal(envs.POD_NS, 'default');
    assert.equal(envs.POD_IP, p.status?.podIP);
    assert.equal(envs.NODE, NODE);
    assert.equal(envs.APP, 'demo');
    assert.equal(envs.GREETING, 'hello');
    assert.equal(envs.COMBINED, 'envpod-default');
    // Service links (docker-link style variables).
    assert.equal(envs.MY_SVC_SERVICE_HOST, '10.96.0.5');
    assert.equal(envs.MY_SVC_SERVICE_PORT, '80');
    assert.equal(envs.MY_SVC_SERVICE_PORT_HTTP, '80');
    assert.equal(envs.MY_SVC_PORT, 'tcp://10.96.0.5:80');
    assert.equal(envs.MY_SVC_PORT_80_TCP, 'tcp://10.96.0.5:80');
    assert.equal(envs.MY_SVC_PORT_80_TCP_PROTO, 'tcp');
    assert.equal(envs.MY_SVC_PORT_80_TCP_PORT, '80');
    assert.equal(envs.MY_SVC_PORT_80_TCP_ADDR, '10.96.0.5');
    assert.equal(envs.HEADLESS_SERVICE_HOST, undefined);
    assert.deepEqual(cfg.command, ['/bin/sh', '-c']);
    assert.deepEqual(cfg.args, ['echo hello envpod $(x)']);
    assert.equal(cfg.workingDir, '/work');
    assert.deepEqual(cfg.linux?.resources, { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024 });
    const uid = p.metadata!.uid!;
    const scratch = cfg.mounts.find((m) => m.containerPath === '/scratch')!;
    assert.equal(scratch.hostPath, path.join(env.rootDir, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'scratch'));
    const conf = cfg.mounts.find((m) => m.containerPath === '/etc/conf')!;
    assert.equal(conf.readonly, true);
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(path.join(conf.hostPath, 'file.txt'), 'utf8'), 'content');
    // hostAliases need the kubelet-managed /etc/hosts.
    const hosts = cfg.mounts.find((m) => m.containerPath === '/etc/hosts')!;
    assert.match(await readFile(hosts.hostPath, 'utf8'), /^192\.0\.2\.50\talias\.example$/m);
    assert.match(await readFile(hosts.hostPath, 'utf8'), new RegExp(`^${p.status!.podIP!.replace(/\./g, '\\.')}\tenvpod$`, 'm'));
    // requests (250m) differ from limits (500m) → Burstable (upstream GetPodQOS).
    assert.equal(p.status?.qosClass, 'Burstable');
  });

  test('a crashing container goes into CrashLoopBackOff and keeps its previous log', async () => {
    const runtime = new FakeRuntime();
    runtime.onStart = (c) => setTimeout(() => runtime.exitContainer(c.id, 1), 10);
    const env = await setup({ runtime });
    const created = (await env.fake.create(GVR.pods, 'default', podSpec('crash'))) as Pod;
    const uid = created.metadata!.uid!;
    const p = await waitFor('CrashLoopBackOff', () => {
      const p = getPod(env, 'crash');
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && p;
    });
    const cs = p.status!.containerStatuses![0];
    assert.match(cs.state!.waiting!.message!, new RegExp(`^back-off \\d+(ms|s) restarting failed container=app pod=crash_default\\(${uid}\\)$`));
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    assert.ok(cs.restartCount >= 1);
    assert.equal(cs.ready, false);
    assert.equal(p.status?.phase, 'Running');
    assert.equal(cond(p, 'Ready')?.status, 'False');
    assert.equal(cond(p, 'Ready')?.reason, 'ContainersNotReady');
    assert.equal(cond(p, 'Ready')?.message, 'containers with unready status: [app]');
    assert.ok(env.recorder.messages('BackOff').includes(`Back-off restarting failed container app in pod crash_default(${uid})`));
    // Restarts keep happening after each back-off, with increasing restart counts.
    await waitFor('restartCount >= 3', () => (getPod(env, 'crash').status?.containerStatuses?.[0].restartCount ?? 0) >= 3);
    // Older runs are pruned: only the current and the previous run remain.
    await waitFor('older runs pruned', () => env.runtime.byName('app').length <= 2);
    // --previous serves the prior attempt's log.
    const conn = env.kubelet.connection();
    const chunks: Buffer[] = [];
    const out = new Writable({ write(c, _e, cb) { chunks.push(c); cb(); } });
    await conn.getContainerLogs('default', 'crash', uid, { container: 'app', previous: true }, out, new AbortController().signal);
    const m = /^started app attempt (\d+)\n$/.exec(Buffer.concat(chunks).toString());
    assert.ok(m, Buffer.concat(chunks).toString());
    const latest = Math.max(...env.runtime.byName('app').map((c) => c.metadata.attempt));
    assert.ok(Number(m[1]) < latest, 'the previous run, not the current one');
  });

  test('restartPolicy Never with exit 0 → Succeeded, no restart, network torn down', async () => {
    const runtime = new FakeRuntime();
    runtime.onStart = (c) => setTimeout(() => runtime.exitContainer(c.id, 0), 10);
    const env = await setup({ runtime });
    await env.fake.create(GVR.pods, 'default', podSpec('job', { restartPolicy: 'Never' }));
    const p = await waitFor('Succeeded', () => getPod(env, 'job').status?.phase === 'Succeeded' && getPod(env, 'job'));
    const cs = p.status!.containerStatuses![0];
    assert.equal(cs.state?.terminated?.exitCode, 0);
    assert.equal(cs.state?.terminated?.reason, 'Completed');
    assert.equal(cs.restartCount, 0);
    assert.equal(cond(p, 'Ready')?.status, 'False');
    assert.equal(cond(p, 'Ready')?.reason, 'PodCompleted');
    assert.equal(cond(p, 'ContainersReady')?.reason, 'PodCompleted');
    await waitFor('sandbox stopped', () => [...env.runtime.sandboxes.values()].every((s) => s.state === 'SANDBOX_NOTREADY'));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(env.runtime.byName('app').length, 1);
    assert.equal(getPod(env, 'job').status?.phase, 'Succeeded');
  });

  test('restartPolicy Never with a failing container → Failed', async () => {
    const runtime = new FakeRuntime();
    runtime.onStart = (c) => setTimeout(() => runtime.exitContainer(c.id, 3), 10);
    const env = await setup({ runtime });
    await env.fake.create(GVR.pods, 'default', podSpec('fail', { restartPolicy: 'Never' }));
    const p = await waitFor('Failed', () => getPod(env, 'fail').status?.phase === 'Failed' && getPod(env, 'fail'));
    assert.equal(p.status!.containerStatuses![0].state?.terminated?.exitCode, 3);
  });

  test('termination message from the file, or the log tail with FallbackToLogsOnError', async () => {
    const runtime = new FakeRuntime();
    const { writeFile } = await import('node:fs/promises');
    runtime.onStart = (c) =>
      setTimeout(async () => {
        const m = c.config.mounts.find((x) => x.containerPath === '/dev/termination-log');
        if (m && c.metadata.name === 'file') await writeFile(m.hostPath, 'bye from file');
        runtime.exitContainer(c.id, 1);
      }, 10);
    const env = await setup({ runtime });
    await env.fake.create(
      GVR.pods,
      'default',
      podSpec('term', {
        restartPolicy: 'Never',
        containers: [
          { name: 'file', image: 'web:1' },
          { name: 'logs', image: 'web:1', terminationMessagePolicy: 'FallbackToLogsOnError' },
        ],
      }),
    );
    const p = await waitFor('Failed', () => getPod(env, 'term').status?.phase === 'Failed' && getPod(env, 'term'));
    const byName = Object.fromEntries(p.status!.containerStatuses!.map((c) => [c.name, c.state?.terminated?.message]));
    assert.deepEqual(byName, { file: 'bye from file', logs: 'started logs attempt 0\n' });
  });

  test('activeDeadlineSeconds kills the pod: Failed / DeadlineExceeded', async () => {
    const env = await setup();
    await env.fake.create(GVR.pods, 'default', podSpec('deadline', { activeDeadlineSeconds: 1 }));
    const p = await waitFor('DeadlineExceeded', () => getPod(env, 'deadline').status?.reason === 'DeadlineExceeded' && getPod(env, 'deadline'));
    assert.equal(p.status?.phase, 'Failed');
    assert.equal(p.status?.message, 'Pod was active on the node longer than the specified deadline');
    assert.ok(p.status?.containerStatuses?.[0].state?.terminated);
    assert.deepEqual(env.recorder.messages('DeadlineExceeded'), ['Pod was active on the node longer than the specified deadline']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(env.runtime.byName('app').length, 1, 'not restarted');
  });

  test('init containers run first, in order', async () => {
    const runtime = new FakeRuntime();
    runtime.onStart = (c) => {
      if (c.metadata.name.startsWith('init')) setTimeout(() => runtime.exitContainer(c.id, 0), 10);
    };
    const env = await setup({ runtime });
    await env.fake.create(GVR.pods, 'default', podSpec('inits', { initContainers: [{ name: 'init1', image: 'web:1' }, { name: 'init2', image: 'web:1' }] }));
    const p = await waitFor('Running', () => getPod(env, 'inits').status?.phase === 'Running' && getPod(env, 'inits'));
    const starts = env.runtime.calls.filter((c) => c.startsWith('startContainer')).map((c) => c.split(' ')[1]);
    assert.deepEqual(starts, ['init1', 'init2', 'app']);
    assert.equal(cond(p, 'Initialized')?.status, 'True');
    assert.deepEqual(p.status?.initContainerStatuses?.map((s) => s.state?.terminated?.reason), ['Completed', 'Completed']);
  });

  test('sidecar init containers (restartPolicy Always) start first and keep running', async () => {
    const runtime = new FakeRuntime();
    runtime.onStart = (c) => {
      if (c.metadata.name === 'init1') setTimeout(() => runtime.exitContainer(c.id, 0), 10);
    };
    const env = await setup({ runtime });
    await env.fake.create(
      GVR.pods,
      'default',
      podSpec('sidecar', { initContainers: [{ name: 'proxy', image: 'web:1', restartPolicy: 'Always' }, { name: 'init1', image: 'web:1' }] }),
    );
    const p = await waitFor('Running+Ready', () => {
      const p = getPod(env, 'sidecar');
      return p.status?.phase === 'Running' && cond(p, 'Ready')?.status === 'True' && p;
    });
    const starts = env.runtime.calls.filter((c) => c.startsWith('startContainer')).map((c) => c.split(' ')[1]);
    assert.deepEqual(starts, ['proxy', 'init1', 'app']);
    assert.equal(cond(p, 'Initialized')?.status, 'True');
    assert.ok(p.status?.initContainerStatuses?.find((s) => s.name === 'proxy')?.state?.running);
    // A crashed sidecar is restarted without disturbing the app.
    runtime.exitContainer(runtime.byName('proxy')[0].id, 1);
    await waitFor('sidecar restarted', () => getPod(env, 'sidecar').status?.initContainerStatuses?.find((s) => s.name === 'proxy')?.restartCount === 1 && runtime.byName('proxy').some((c) => c.state === 'CONTAINER_RUNNING'));
    assert.equal(runtime.byName('app').length, 1);
    assert.equal(runtime.byName('init1').length, 1);
  });

  test('a failing readiness probe keeps Ready=False; success flips it', async () => {
    const runtime = new FakeRuntime();
    let healthy = false;
    runtime.onExecSync = () => (healthy ? { exitCode: 0, stdout: Buffer.from(''), stderr: Buffer.from('') } : { exitCode: 1, stdout: Buffer.from('not ready'), stderr: Buffer.from('') });
    const env = await setup({ runtime });
    await env.fake.create(
      GVR.pods,
      'default',
      podSpec('probe', { containers: [{ name: 'app', image: 'web:1', readinessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 1 } }] }),
    );
    const p = await waitFor('Running, unready', () => {
      const p = getPod(env, 'probe');
      return p.status?.phase === 'Running' && env.recorder.messages('Unhealthy').length > 0 && p;
    });
    assert.equal(cond(p, 'Ready')?.status, 'False');
    assert.equal(cond(p, 'ContainersReady')?.message, 'containers with unready status: [app]');
    assert.equal(p.status?.containerStatuses?.[0].ready, false);
    assert.equal(env.recorder.messages('Unhealthy')[0], 'Readiness probe failed: not ready');
    healthy = true;
    await waitFor('Ready', () => cond(getPod(env, 'probe'), 'Ready')?.status === 'True');
  });

  test('a failing liveness probe kills and restarts the container', async () => {
    const runtime = new FakeRuntime();
    let fails = true;
    runtime.onExecSync = () => ({ exitCode: fails ? 1 : 0, stdout: Buffer.from(fails ? 'dead' : ''), stderr: Buffer.from('') });
    const env = await setup({ runtime });
    await env.fake.create(
      GVR.pods,
      'default',
      podSpec('live', { containers: [{ name: 'app', image: 'web:1', livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 1 } }] }),
    );
    await waitFor('Killing event', () => env.recorder.messages('Killing').length > 0);
    fails = false;
    assert.equal(env.recorder.messages('Killing')[0], 'Container app failed liveness probe, will be restarted');
    assert.equal(env.recorder.messages('Unhealthy')[0], 'Liveness probe failed: dead');
    await waitFor('restarted', () => {
      const cs = getPod(env, 'live').status?.containerStatuses?.[0];
      return (cs?.restartCount ?? 0) >= 1 && cs?.state?.running;
    });
  });

  test('image pull failure → ErrImagePull then ImagePullBackOff; Never policy → ErrImageNeverPull', async () => {
    const images = new FakeImages();
    images.failPulls.set('bad:1', 'manifest unknown');
    const env = await setup({ images });
    await env.fake.create(GVR.pods, 'default', podSpec('pull', { containers: [{ name: 'app', image: 'bad:1' }] }));
    await env.fake.create(GVR.pods, 'default', podSpec('never', { containers: [{ name: 'app', image: 'absent:1', imagePullPolicy: 'Never' }] }));
    const seen = new Set<string>();
    await waitFor('ImagePullBackOff', () => {
      const w = getPod(env, 'pull').status?.containerStatuses?.[0].state?.waiting;
      if (w?.reason) seen.add(w.reason);
      return w?.reason === 'ImagePullBackOff' && w;
    });
    assert.ok(seen.has('ErrImagePull') || env.recorder.messages('Failed').includes('Error: ErrImagePull'));
    assert.ok(env.recorder.messages('Failed').includes('Failed to pull image "bad:1": manifest unknown'));
    assert.ok(env.recorder.messages('Failed').includes('Error: ErrImagePull'));
    await waitFor('BackOff event', () => env.recorder.messages('BackOff').includes('Back-off pulling image "bad:1"'));
    const p = getPod(env, 'pull');
    assert.equal(p.status?.phase, 'Pending');
    const w = await waitFor('ErrImageNeverPull', () => getPod(env, 'never').status?.containerStatuses?.[0].state?.waiting?.reason === 'ErrImageNeverPull' && getPod(env, 'never').status!.containerStatuses![0].state!.waiting!);
    assert.equal(w.message, 'Container image "absent:1" is not present with pull policy of Never');
    assert.ok(!images.pulls.includes('absent:1'));
  });

  test('imagePullSecrets supply registry credentials', async () => {
    const fake = new FakeClient();
    const cfg = { auths: { 'other.example': { username: 'x', password: 'y' }, '127.0.0.1:5000': { auth: Buffer.from('alice:s3cret').toString('base64') } } };
    await fake.create(GVR.secrets, 'default', { metadata: { name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify(cfg)).toString('base64') } });
    const images = new FakeImages();
    images.requireAuth.set('127.0.0.1:5000/private:1', { username: 'alice', password: 's3cret' });
    const env = await setup({ fake, images });
    await fake.create(GVR.pods, 'default', podSpec('priv', { imagePullSecrets: [{ name: 'missing' }, { name: 'regcred' }], containers: [{ name: 'app', image: '127.0.0.1:5000/private:1' }] }));
    await waitFor('Running', () => getPod(env, 'priv').status?.phase === 'Running');
    assert.deepEqual(images.auths.map((a) => a?.username), ['alice']);
    // Without the secret the same image fails to pull.
    await fake.create(GVR.pods, 'default', podSpec('nopriv', { containers: [{ name: 'app', image: '127.0.0.1:5000/private:1', imagePullPolicy: 'Always' }] }));
    await waitFor('ErrImagePull', () => env.recorder.messages('Failed').includes('Failed to pull image "127.0.0.1:5000/private:1": unauthorized: authentication required'));
  });

  test('deletion with grace: containers stopped with the grace period, then DELETE gracePeriodSeconds=0 with uid precondition', async () => {
    const fake = new FakeClient();
    // The fake apiserver records deletionGracePeriodSeconds=0; present the pod as the real one would (grace 7).
    const client = new Proxy(fake, {
      get(target, prop, recv) {
        if (prop === 'watch') {
          return (gvr: never, ns: never, o: never, onEvent: (e: { type: string; object: KubeObject }) => void, sig: AbortSignal) =>
            target.watch(gvr, ns, o, (ev) => {
              if (ev.object.metadata?.deletionTimestamp) ev.object.metadata.deletionGracePeriodSeconds = 7;
              onEvent(ev);
            }, sig);
        }
        const v = Reflect.get(target, prop, recv);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    let callsAtDelete: string[] | undefined;
    fake.prependReactor('delete', 'pods', (a) => {
      if ((a.options as { gracePeriodSeconds?: number } | undefined)?.gracePeriodSeconds === 0) callsAtDelete = [...env.runtime.calls];
      return undefined;
    });
    const env = await setup({ fake, client: client as unknown as Client });
    const created = (await fake.create(
      GVR.pods,
      'default',
      podSpec('gone', { containers: [{ name: 'app', image: 'web:1', lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'echo bye'] } } } }] }, { finalizers: ['test.skiff/hold'] }),
    )) as Pod;
    await waitFor('Running', () => getPod(env, 'gone').status?.phase === 'Running');
    await fake.delete(GVR.pods, 'default', 'gone', { gracePeriodSeconds: 7 });
    await waitFor('DELETE grace 0', () => callsAtDelete);
    const del = fake.actions.find((a) => a.verb === 'delete' && (a.options as { gracePeriodSeconds?: number })?.gracePeriodSeconds === 0)!;
    assert.deepEqual(del.options, { gracePeriodSeconds: 0, preconditions: { uid: created.metadata!.uid } });
    assert.ok(callsAtDelete!.includes('stopContainer app 7'), callsAtDelete!.join('\n'));
    const preStop = callsAtDelete!.findIndex((c) => c.startsWith('execSync') && c.endsWith('/bin/sh -c echo bye'));
    assert.ok(preStop >= 0 && preStop < callsAtDelete!.indexOf('stopContainer app 7'), 'preStop hook runs before the stop');
    assert.ok(callsAtDelete!.some((c) => c.startsWith('removePodSandbox')));
    assert.equal(env.runtime.containers.size, 0);
    assert.equal(env.runtime.sandboxes.size, 0);
    assert.ok(env.recorder.messages('Killing').includes('Stopping container app'));
    const final = getPod(env, 'gone');
    assert.ok(final.status?.containerStatuses?.[0].state?.terminated, 'final status shows the container terminated');
    const { stat } = await import('node:fs/promises');
    await assert.rejects(stat(path.join(env.rootDir, 'pods', created.metadata!.uid!)));
  });

  test('an edited container image replaces the container', async () => {
    const env = await setup();
    await env.fake.create(GVR.pods, 'default', podSpec('edit'));
    await waitFor('Running', () => getPod(env, 'edit').status?.phase === 'Running');
    const p = getPod(env, 'edit');
    await env.fake.update(GVR.pods, 'default', { ...(p as KubeObject), spec: { ...p.spec, containers: [{ name: 'app', image: 'web:2' }] } });
    const cs = await waitFor('new image running', () => {
      const c = getPod(env, 'edit').status?.containerStatuses?.[0];
      return c?.image === 'web:2' && c.state?.running && c;
    });
    assert.equal(cs.restartCount, 1);
    assert.ok(env.recorder.messages('Killing').includes('Container app definition changed, will be restarted'));
    assert.equal(env.runtime.byName('app').filter((c) => c.state === 'CONTAINER_RUNNING').length, 1);
  });

  test('a force-deleted pod (gone from the API) is killed and cleaned up', async () => {
    const env = await setup();
    await env.fake.create(GVR.pods, 'default', podSpec('force'));
    await waitFor('Running', () => getPod(env, 'force').status?.phase === 'Running');
    await env.fake.delete(GVR.pods, 'default', 'force', { gracePeriodSeconds: 0 });
    await waitFor('cleaned up', () => env.runtime.sandboxes.size === 0 && env.runtime.containers.size === 0);
  });

  test('orphaned sandboxes of pods not bound here are removed', async () => {
    const runtime = new FakeRuntime();
    const sb = await runtime.runPodSandbox({
      metadata: { name: 'ghost', namespace: 'default', uid: 'ghost-uid', attempt: 0 },
      hostname: 'ghost',
      labels: { 'io.kubernetes.pod.uid': 'ghost-uid' },
      annotations: {},
      portMappings: [],
    });
    await setup({ runtime });
    await waitFor('orphan removed', () => !runtime.sandboxes.has(sb));
  });

  test('re-adoption after a restart does not recreate sandbox or containers; restartCount comes from annotations', async () => {
    const fake = new FakeClient();
    const runtime = new FakeRuntime();
    const rootDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-test-'));
    cleanups.push(() => rm(rootDir, { recursive: true, force: true }));
    const first = await setup({ fake, runtime, rootDir });
    await fake.create(GVR.pods, 'default', podSpec('keep'));
    await waitFor('Running', () => getPod(first, 'keep').status?.phase === 'Running' && cond(getPod(first, 'keep'), 'Ready')?.status === 'True');
    first.ac.abort();
    await first.done;
    // Pretend the container had restarted 3 times before (as recorded by the runtime).
    const c = runtime.byName('app')[0];
    c.annotations['io.kubernetes.container.restartCount'] = '3';
    const before = runtime.calls.length;
    const second = await setup({ fake, runtime, rootDir });
    await waitFor('restartCount 3 reported', () => getPod(second, 'keep').status?.containerStatuses?.[0].restartCount === 3);
    await new Promise((r) => setTimeout(r, 500));
    const after = runtime.calls.slice(before);
    assert.deepEqual(after.filter((x) => /^(runPodSandbox|createContainer|startContainer|stopContainer)/.test(x)), []);
    assert.equal(getPod(second, 'keep').status?.phase, 'Running');
  });
});
