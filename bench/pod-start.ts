/**
 * bench/pod-start: pod start latency through Skiff vs the floor, measured in the same run.
 *
 * - skiff: 20 pods, one at a time, image already present. Time from sending the POST to the first
 *   watch event showing `status.phase: Running` (the kubelet has created the sandbox, started the
 *   container and written status).
 * - floor: the same image started by hand with the same tools, no Skiff in the path: `ip netns add`,
 *   CNI ADD (loopback, bridge + host-local), overlay mount, config.json, `runc create` + `runc start`.
 *   Time until `runc start` returns.
 *
 * Prints one JSON object: {pods, skiff:{p50Ms,p99Ms,meanMs,phases:{createToBound,boundToRunning}}, floor:{…},
 * ratioP50}. Goal: ratioP50 ≤ 2. `createToBound` ends at the first watch event carrying spec.nodeName
 * (scheduler + binding), `boundToRunning` is the rest (kubelet + runtime + status write).
 * Usage: `npm run bench` (root; builds the example image if needed). Cleans up everything it made.
 * BENCH_PODS=n sets the sample count; BENCH_INTERLEAVE=1 alternates floor and skiff samples (both set
 * up at once) so that a busy host slows both alike.
 */
import { execFile, spawn } from 'node:child_process';
import https from 'node:https';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { newRunIdentity, removeRunDir, startCluster } from '../test/support/cluster.ts';
import { buildWebImages } from '../test/support/registry.ts';
import { ImageStore } from '../src/agent/runtime/images/image-store.ts';
import { CniRunner, defaultNetworkConfigList, loopbackConfigList, resultIPv4 } from '../src/agent/network/cni.ts';
import { buildSpec, containerArgs, containerEnv } from '../src/agent/runtime/runc/spec.ts';

const execFileP = promisify(execFile);
const N = Number(process.env.BENCH_PODS ?? 20);
const IMAGE = 'skiff.local/web:1';

/** p-th percentile (nearest rank) of `xs` in ms. */
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const summary = (xs: number[]) => ({
  p50Ms: Math.round(percentile(xs, 50)),
  p99Ms: Math.round(percentile(xs, 99)),
  meanMs: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length),
  samplesMs: xs.map((x) => Math.round(x)),
});

/** A summary without its samples (for the per-phase breakdown). */
function withoutSamples(s: ReturnType<typeof summary>): Omit<ReturnType<typeof summary>, 'samplesMs'> {
  const { samplesMs: _drop, ...rest } = s;
  return rest;
}

interface Api {
  request(method: string, p: string, body?: unknown): Promise<any>;
  watch(p: string, onEvent: (e: any) => void): () => void;
}

function apiFromKubeconfig(file: string): Api {
  const cfg = YAML.parse(readFileSync(file, 'utf8'));
  const server = new URL(cfg.clusters[0].cluster.server);
  const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64');
  const token = cfg.users[0].user.token;
  const agent = new https.Agent({ ca, keepAlive: true });
  const base = { host: server.hostname, port: server.port, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
  return {
    request(method, p, body) {
      return new Promise((resolve, reject) => {
        const req = https.request({ ...base, method, path: p }, (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => ((res.statusCode ?? 500) >= 400 ? reject(new Error(`${method} ${p}: ${res.statusCode} ${data}`)) : resolve(JSON.parse(data))));
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    },
    watch(p, onEvent) {
      const req = https.request({ ...base, method: 'GET', path: p }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) onEvent(JSON.parse(line));
          }
        });
      });
      req.on('error', () => {});
      req.end();
      return () => req.destroy();
    },
  };
}

/** One pod-start sample source: set up once, take samples one at a time, tear down (always). */
interface Sampler {
  setup(): Promise<void>;
  /** Starts pod number `i`; resolves with the latency in ms. */
  sample(i: number): Promise<number>;
  teardown(): Promise<void>;
}

/**
 * Skiff: samples are create → Running (ms); `phases` splits them at the bind (the first watch event
 * carrying spec.nodeName).
 */
function skiffSampler(): Sampler & { toBound: number[]; boundToRunning: number[] } {
  const id = newRunIdentity();
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  let api: Api;
  let stop = () => {};
  const running = new Map<string, number>();
  const bound = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const toBound: number[] = [];
  const boundToRunning: number[] = [];
  return {
    toBound,
    boundToRunning,
    async setup() {
      const { archive } = buildWebImages();
      cluster = await startCluster(id, { extraArgs: ['--import-images', archive] });
      api = apiFromKubeconfig(cluster.kubeconfig);
      // Wait for the node to be Ready so the first sample does not include node start-up.
      for (;;) {
        const nodes = await api.request('GET', '/api/v1/nodes');
        if (nodes.items.some((n: any) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const list = await api.request('GET', '/api/v1/namespaces/default/pods');
      stop = api.watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, (e) => {
        const name = e.object?.metadata?.name;
        if (name && e.object.spec?.nodeName && !bound.has(name)) bound.set(name, performance.now());
        if (name && e.object.status?.phase === 'Running' && !running.has(name)) {
          running.set(name, performance.now());
          waiters.get(name)?.();
        }
      });
    },
    async sample(i) {
      const name = `bench-${i}`;
      const done = new Promise<void>((r) => waiters.set(name, r));
      const t0 = performance.now();
      await api.request('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent' }] },
      });
      await done;
      const r = running.get(name)!;
      const b = bound.get(name) ?? r;
      toBound.push(b - t0);
      boundToRunning.push(r - b);
      return r - t0;
    },
    async teardown() {
      stop();
      await cluster?.stop();
      removeRunDir(id);
    },
  };
}

/** The floor: netns + CNI (lo, eth0) + overlay + runc create/start by hand; samples end when `runc start` returns. */
function floorSampler(): Sampler {
  const id = newRunIdentity();
  const runcRoot = path.join(id.dataDir, 'runc');
  const cni = new CniRunner({ cacheDir: path.join(id.dataDir, 'cni-cache') });
  const net = defaultNetworkConfigList({ name: `${id.prefix}-bench`, bridge: `${id.prefix}b0`, subnet: id.clusterCIDR, ipamDataDir: path.join(id.dataDir, 'ipam') });
  const lo = loopbackConfigList(`${id.prefix}-lo`);
  const made: Array<{ name: string; bundle: string; rootfs: string; netns: string }> = [];
  let img: Awaited<ReturnType<ImageStore['resolve']>>;
  return {
    async setup() {
      const { archive } = buildWebImages();
      const store = new ImageStore(path.join(id.dataDir, 'images'));
      await store.importImage(archive);
      img = await store.resolve(IMAGE);
    },
    async sample(i) {
      const name = `${id.prefix}-floor-${i}`;
      const bundle = path.join(id.dataDir, 'bundles', name);
      const rootfs = path.join(bundle, 'rootfs');
      const netns = `/var/run/netns/${name}`;
      const t0 = performance.now();
      await execFileP('ip', ['netns', 'add', name]);
      made.push({ name, bundle, rootfs, netns });
      await cni.addNetworkList(lo, { containerId: name, netns, ifName: 'lo' });
      const res = await cni.addNetworkList(net, { containerId: name, netns, ifName: 'eth0' });
      if (!resultIPv4(res)) throw new Error('no IP from CNI');
      for (const d of ['upper', 'work', 'rootfs']) mkdirSync(path.join(bundle, d), { recursive: true });
      await execFileP('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${img.rootfs},upperdir=${bundle}/upper,workdir=${bundle}/work`, rootfs]);
      for (const f of ['hosts', 'resolv.conf', 'hostname']) writeFileSync(path.join(bundle, f), f === 'hostname' ? `${name}\n` : '');
      const spec = buildSpec({
        args: containerArgs(img.config),
        env: containerEnv(img.config, name, []),
        cwd: img.config.WorkingDir || '/',
        uid: 0,
        gid: 0,
        hostname: name,
        rootfs,
        netnsPath: netns,
        cgroupsPath: `/${id.prefix}/${name}`,
        etcFiles: { hosts: path.join(bundle, 'hosts'), resolvConf: path.join(bundle, 'resolv.conf'), hostname: path.join(bundle, 'hostname') },
        mounts: [],
      });
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
      await new Promise<void>((resolve, reject) => {
        const p = spawn('runc', ['--root', runcRoot, 'create', '--bundle', bundle, name], { stdio: 'ignore' });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc create exited ${code}`))));
      });
      await execFileP('runc', ['--root', runcRoot, 'start', name]);
      return performance.now() - t0;
    },
    async teardown() {
      for (const m of made.reverse()) {
        await execFileP('runc', ['--root', runcRoot, 'delete', '--force', m.name]).catch(() => {});
        await execFileP('umount', [m.rootfs]).catch(() => {});
        await cni.delNetworkList(net, { containerId: m.name, netns: m.netns, ifName: 'eth0' }).catch(() => {});
        await cni.delNetworkList(lo, { containerId: m.name, netns: m.netns, ifName: 'lo' }).catch(() => {});
        await execFileP('ip', ['netns', 'del', m.name]).catch(() => {});
      }
      await execFileP('ip', ['link', 'del', `${id.prefix}b0`]).catch(() => {});
      for (const ctrl of ['memory', 'cpu,cpuacct', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'net_cls', 'perf_event', 'hugetlb', 'cpuset', 'net_cls,net_prio', 'net_prio', 'systemd']) {
        for (const m of made) await execFileP('rmdir', [`/sys/fs/cgroup/${ctrl}/${id.prefix}/${m.name}`]).catch(() => {});
        await execFileP('rmdir', [`/sys/fs/cgroup/${ctrl}/${id.prefix}`]).catch(() => {});
      }
      rmSync(id.dataDir, { recursive: true, force: true });
    },
  };
}

/** Sets up `s`, takes N samples, always tears down. */
async function runAlone(s: Sampler): Promise<number[]> {
  const out: number[] = [];
  try {
    await s.setup();
    for (let i = 0; i < N; i++) out.push(await s.sample(i));
  } finally {
    await s.teardown();
  }
  return out;
}

/** Both samplers set up at once, samples alternating floor/skiff so both see the same host load. */
async function runInterleaved(floor: Sampler, skiff: Sampler): Promise<[number[], number[]]> {
  const f: number[] = [];
  const k: number[] = [];
  try {
    await floor.setup();
    await skiff.setup();
    for (let i = 0; i < N; i++) {
      f.push(await floor.sample(i));
      k.push(await skiff.sample(i));
    }
  } finally {
    await skiff.teardown().catch(() => {});
    await floor.teardown();
  }
  return [f, k];
}

const interleave = process.env.BENCH_INTERLEAVE === '1';
const sk = skiffSampler();
let floor: number[];
let skiff: number[];
if (interleave) [floor, skiff] = await runInterleaved(floorSampler(), sk);
else {
  floor = await runAlone(floorSampler());
  skiff = await runAlone(sk);
}
const phases = { createToBound: summary(sk.toBound), boundToRunning: summary(sk.boundToRunning) };
const result = {
  bench: 'pod-start',
  pods: N,
  interleaved: interleave,
  image: IMAGE,
  skiff: { ...summary(skiff), phases: { createToBound: withoutSamples(phases.createToBound), boundToRunning: withoutSamples(phases.boundToRunning) } },
  floor: summary(floor),
  ratioP50: Number((percentile(skiff, 50) / percentile(floor, 50)).toFixed(2)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
