/**
 * Integration tests of RuncRuntime against real runc 1.1, conmon 2.1, CNI plugins and iproute2 (root).
 * Everything uses a per-run prefix, bridge, /24 subnet, cgroup parent, temp state dir and runc root;
 * `after` runs cleanupAll and then asserts nothing is left on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfig, ContainerStatus, PodSandboxConfig } from '../types.ts';
import { existingCgroupDirs } from './cgroups.ts';
import { RuncRuntime } from './runtime.ts';
import { buildBusyboxRootfs, leftovers, perRunNames, StaticImageResolver } from './test-support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` until it returns a truthy value (generous timeout; never a speed assertion). */
async function eventually<T>(f: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(50);
  }
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('RuncRuntime (real runc + conmon + CNI)', () => {
  const n = perRunNames();
  let base = '';
  let rt: RuncRuntime;
  let ipForward = '';
  let natTableExisted = true;
  let nat6TableExisted = true;
  const dirs = () => ({ ...n, stateDir: join(base, 'state'), runcRoot: join(base, 'runc') });
  const timings: string[] = [];

  const sandboxConfig = (name: string, extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig => ({
    metadata: { name, namespace: 'default', uid: `uid-${name}-${n.prefix}`, attempt: 0 },
    hostname: name,
    labels: { 'io.kubernetes.pod.name': name },
    annotations: {},
    portMappings: [],
    ...extra,
  });
  const containerConfig = (name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
    metadata: { name, attempt: 0 },
    image: '127.0.0.1:5000/busybox:test',
    command,
    envs: [],
    mounts: [],
    labels: { 'io.kubernetes.container.name': name },
    annotations: {},
    logPath: join(base, 'logs', `${name}.log`),
    ...extra,
  });
  const waitState = (id: string, state: ContainerStatus['state']) =>
    eventually(async () => {
      const s = await rt.containerStatus(id);
      return s.state === state && s;
    }, `container ${id.slice(0, 12)} ${state}`);

  before(async () => {
    base = await mkdtemp(join(tmpdir(), `${n.prefix}-rt-`));
    await buildBusyboxRootfs(join(base, 'image'));
    ipForward = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
    const tables = execFileSync('nft', ['list', 'tables']).toString();
    natTableExisted = tables.includes('table ip nat');
    nat6TableExisted = tables.includes('table ip6 nat');
    rt = new RuncRuntime({
      stateDir: join(base, 'state'),
      runcRoot: join(base, 'runc'),
      prefix: n.prefix,
      images: new StaticImageResolver(join(base, 'image'), { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/' }),
      cni: { bridge: n.bridge, subnet: n.subnet },
      cgroupParent: n.cgroupParent,
    });
  });

  after(async () => {
    let cleanupErr: unknown;
    try {
      if (rt) await rt.cleanupAll();
    } catch (e) {
      cleanupErr = e;
    }
    const left = base ? await leftovers(dirs()) : [];
    await writeFile('/proc/sys/net/ipv4/ip_forward', ipForward);
    const tablesNow = execFileSync('nft', ['list', 'tables']).toString();
    if (!natTableExisted && tablesNow.includes('table ip nat')) {
      const rules = execFileSync('iptables', ['-t', 'nat', '-S']).toString().split('\n').filter((l) => l && !l.startsWith('-P'));
      if (rules.every((l) => l.includes('CNI-HOSTPORT-'))) execFileSync('nft', ['delete', 'table', 'ip', 'nat'], { stdio: 'ignore' });
    }
    if (!nat6TableExisted && tablesNow.includes('table ip6 nat')) {
      // portmap also creates the ip6 nat table (empty here: no IPv6 pod addresses).
      const rules = execFileSync('ip6tables', ['-t', 'nat', '-S']).toString().split('\n').filter((l) => l && !l.startsWith('-P'));
      if (rules.every((l) => l.includes('CNI-HOSTPORT-'))) execFileSync('nft', ['delete', 'table', 'ip6', 'nat'], { stdio: 'ignore' });
    }
    if (left.length === 0 && base) await rm(base, { recursive: true, force: true });
    console.log(`# timings: ${timings.join('; ')}`);
    assert.equal(cleanupErr, undefined);
    assert.deepEqual(left, [], 'nothing left on the host');
  });

  test('version() reports runc', async () => {
    const v = await rt.version();
    assert.equal(v.runtimeName, 'runc');
    assert.match(v.runtimeVersion, /^\d+\.\d+\.\d+/);
  });

  test('single-container pod serves HTTP on its pod IP; stop + remove clean up cgroups', async () => {
    const sbc = sandboxConfig('web');
    let t = performance.now();
    const sb = await rt.runPodSandbox(sbc);
    timings.push(`sandbox create ${(performance.now() - t).toFixed(0)} ms`);
    const st = await rt.podSandboxStatus(sb);
    assert.equal(st.state, 'SANDBOX_READY');
    assert.ok(st.ip && st.ip.startsWith(n.subnet.split('.').slice(0, 3).join('.') + '.'), `pod ip ${st.ip}`);
    t = performance.now();
    const c = await rt.createContainer(sb, containerConfig('httpd', ['httpd', '-f', '-p', '8080', '-h', '/www'], {
      linux: { resources: { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024, pidsLimit: 64 } },
    }), sbc);
    assert.equal((await rt.containerStatus(c)).state, 'CONTAINER_CREATED');
    await rt.startContainer(c);
    timings.push(`container create+start ${(performance.now() - t).toFixed(0)} ms`);
    const res = await eventually(() => httpGet(`http://${st.ip}:8080/index.html`).catch(() => undefined), 'HTTP from the pod');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello from pod\n');
    const s = await rt.containerStatus(c);
    assert.equal(s.state, 'CONTAINER_RUNNING');
    assert.ok(s.startedAt >= s.createdAt && s.createdAt > 0);
    assert.equal(s.imageRef, `sha256:${'ab'.repeat(32)}`);
    // Resources reached the cgroup v1 hierarchy at <cgroupParent>/<podUid>/<id>.
    const cg = `${n.cgroupParent}/${sbc.metadata.uid}/${c}`;
    assert.equal((await readFile(`/sys/fs/cgroup/cpu${cg}/cpu.shares`, 'utf8')).trim(), '256');
    assert.equal((await readFile(`/sys/fs/cgroup/cpu${cg}/cpu.cfs_quota_us`, 'utf8')).trim(), '50000');
    assert.equal((await readFile(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8')).trim(), String(64 * 1024 * 1024));
    assert.equal((await readFile(`/sys/fs/cgroup/pids${cg}/pids.max`, 'utf8')).trim(), '64');
    // hosts / hostname files from the sandbox.
    const hosts = await rt.execSync(c, ['cat', '/etc/hosts'], 10);
    assert.match(hosts.stdout.toString(), new RegExp(`${st.ip!.replace(/\./g, '\\.')}\\tweb`));
    assert.equal((await rt.execSync(c, ['hostname'], 10)).stdout.toString(), 'web\n');

    t = performance.now();
    await rt.stopContainer(c, 0);
    await rt.removeContainer(c);
    await rt.stopPodSandbox(sb);
    assert.equal((await rt.podSandboxStatus(sb)).state, 'SANDBOX_NOTREADY');
    await rt.removePodSandbox(sb);
    timings.push(`stop+remove (container+pod) ${(performance.now() - t).toFixed(0)} ms`);
    await assert.rejects(rt.podSandboxStatus(sb), /not found/);
    await assert.rejects(rt.containerStatus(c), /not found/);
    assert.deepEqual(await existingCgroupDirs(`${n.cgroupParent}/${sbc.metadata.uid}`), [], 'pod cgroup dirs removed');
    // idempotent
    await rt.stopPodSandbox(sb);
    await rt.removePodSandbox(sb);
    await rt.removeContainer(c);
  });

  test('two containers share localhost and a bind-mounted dir; read-only mounts are read-only', async () => {
    const shared = join(base, 'shared');
    const ro = join(base, 'ro');
    await mkdir(shared, { recursive: true });
    await mkdir(ro, { recursive: true });
    await writeFile(join(ro, 'file'), 'ro-data');
    const sbc = sandboxConfig('duo');
    const sb = await rt.runPodSandbox(sbc);
    const server = await rt.createContainer(sb, containerConfig('server', ['httpd', '-f', '-p', '8080', '-h', '/shared'], {
      mounts: [{ containerPath: '/shared', hostPath: shared }],
    }), sbc);
    const writer = await rt.createContainer(sb, containerConfig('writer', ['sh', '-c', 'echo written-by-writer > /shared/index.html; exec sleep 3600'], {
      mounts: [{ containerPath: '/shared', hostPath: shared }, { containerPath: '/ro', hostPath: ro, readonly: true }],
    }), sbc);
    await rt.startContainer(server);
    await rt.startContainer(writer);
    const got = await eventually(async () => {
      const r = await rt.execSync(writer, ['wget', '-qO-', 'http://127.0.0.1:8080/index.html'], 10);
      return r.exitCode === 0 && r.stdout.toString();
    }, 'writer reaching server over localhost');
    assert.equal(got, 'written-by-writer\n');
    assert.equal(await readFile(join(shared, 'index.html'), 'utf8'), 'written-by-writer\n');
    const roRead = await rt.execSync(writer, ['cat', '/ro/file'], 10);
    assert.equal(roRead.stdout.toString(), 'ro-data');
    const roWrite = await rt.execSync(writer, ['sh', '-c', 'echo x > /ro/file'], 10);
    assert.notEqual(roWrite.exitCode, 0);
    assert.match(roWrite.stderr.toString(), /Read-only file system/);
    const list = await rt.listContainers({ podSandboxId: sb });
    assert.deepEqual(list.map((c) => c.metadata.name).sort(), ['server', 'writer']);
    assert.deepEqual((await rt.listContainers({ labelSelector: { 'io.kubernetes.container.name': 'writer' } })).map((c) => c.id), [writer]);
    // stopPodSandbox kills every container of the pod.
    await rt.stopPodSandbox(sb);
    for (const c of await rt.listContainers({ podSandboxId: sb })) assert.equal(c.state, 'CONTAINER_EXITED');
    await rt.removePodSandbox(sb);
    assert.deepEqual(await rt.listContainers({ podSandboxId: sb }), []);
  });

  test('container states agree with `runc state`: created → running → stopped (init killed behind runc)', async () => {
    const sbc = sandboxConfig('states');
    const sb = await rt.runPodSandbox(sbc);
    const c = await rt.createContainer(sb, containerConfig('box', ['sleep', '3600']), sbc);
    const runcState = () => JSON.parse(execFileSync('runc', ['--root', join(base, 'runc'), 'state', c]).toString()) as { status: string; pid: number };
    const listed = async () => (await rt.listContainers({ podSandboxId: sb })).map((x) => x.state);
    assert.equal(runcState().status, 'created');
    assert.equal((await rt.containerStatus(c)).state, 'CONTAINER_CREATED');
    assert.deepEqual(await listed(), ['CONTAINER_CREATED']);
    await rt.startContainer(c);
    assert.equal(runcState().status, 'running');
    assert.equal((await rt.containerStatus(c)).state, 'CONTAINER_RUNNING');
    assert.deepEqual(await listed(), ['CONTAINER_RUNNING']);
    // SIGKILL the init process behind runc's back: runc reports stopped, conmon records 137.
    process.kill(runcState().pid, 'SIGKILL');
    const s = await waitState(c, 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 137);
    assert.equal(runcState().status, 'stopped');
    assert.deepEqual(await listed(), ['CONTAINER_EXITED']);
    await rt.removePodSandbox(sb);
  });

  test('exit codes are collected: 3 → Error, 0 → Completed; logs land in CRI format', async () => {
    const sbc = sandboxConfig('exits');
    const sb = await rt.runPodSandbox(sbc);
    const failing = await rt.createContainer(sb, containerConfig('fails', ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; printf partial; exit 3']), sbc);
    const ok = await rt.createContainer(sb, containerConfig('succeeds', ['true']), sbc);
    await rt.startContainer(failing);
    await rt.startContainer(ok);
    const f = await waitState(failing, 'CONTAINER_EXITED');
    assert.equal(f.exitCode, 3);
    assert.equal(f.reason, 'Error');
    assert.ok(f.finishedAt >= f.startedAt - 1000 && f.finishedAt > 0, `finishedAt ${f.finishedAt} startedAt ${f.startedAt}`);
    const o = await waitState(ok, 'CONTAINER_EXITED');
    assert.equal(o.exitCode, 0);
    assert.equal(o.reason, 'Completed');

    const log = await eventually(async () => {
      const text = await readFile(f.logPath, 'utf8');
      return text.includes('partial') && text;
    }, 'log file');
    const lines = log.trim().split('\n');
    const crip = /^(\S+) (stdout|stderr) ([PF]) (.*)$/;
    for (const l of lines) assert.match(l, crip);
    const parsed = lines.map((l) => crip.exec(l)!).map((m) => [m[2], m[3], m[4]]);
    assert.deepEqual(parsed.find((p) => p[2] === 'to-stdout'), ['stdout', 'F', 'to-stdout']);
    assert.deepEqual(parsed.find((p) => p[2] === 'to-stderr'), ['stderr', 'F', 'to-stderr']);
    assert.deepEqual(parsed.find((p) => p[2] === 'partial'), ['stdout', 'P', 'partial']);
    assert.ok(!Number.isNaN(Date.parse(crip.exec(lines[0])![1])), 'RFC3339 timestamp');
    await rt.removePodSandbox(sb);
    // logs are kept (the kubelet owns the log dir)
    assert.ok((await readFile(f.logPath, 'utf8')).length > 0);
  });

  test('OOM kill under a memory limit is reported as OOMKilled; a created, never started container can be stopped and removed', async () => {
    const sbc = sandboxConfig('oom');
    const sb = await rt.runPodSandbox(sbc);
    const hog = await rt.createContainer(sb, containerConfig('hog', ['tail', '/dev/zero'], {
      linux: { resources: { memoryLimitBytes: 16 * 1024 * 1024 } },
    }), sbc);
    await rt.startContainer(hog);
    const s = await waitState(hog, 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 137);
    assert.equal(s.reason, 'OOMKilled');

    const never = await rt.createContainer(sb, containerConfig('never', ['sleep', '100']), sbc);
    assert.equal((await rt.containerStatus(never)).state, 'CONTAINER_CREATED');
    await rt.stopContainer(never, 5);
    const n2 = await rt.containerStatus(never);
    assert.equal(n2.state, 'CONTAINER_EXITED');
    assert.equal(n2.startedAt, 0);
    await rt.removeContainer(never);
    await assert.rejects(rt.containerStatus(never), /not found/);
    await rt.removePodSandbox(sb);
  });

  test('stop with a grace period: SIGTERM-ignoring PID 1 (httpd) is SIGKILLed after the timeout; a trapping one exits on SIGTERM', async () => {
    const sbc = sandboxConfig('grace');
    const sb = await rt.runPodSandbox(sbc);
    const stubborn = await rt.createContainer(sb, containerConfig('stubborn', ['httpd', '-f', '-p', '8080']), sbc);
    const polite = await rt.createContainer(sb, containerConfig('polite', ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done']), sbc);
    await rt.startContainer(stubborn);
    await rt.startContainer(polite);
    await waitState(stubborn, 'CONTAINER_RUNNING');
    let t = performance.now();
    await rt.stopContainer(stubborn, 2);
    const waited = performance.now() - t;
    timings.push(`stop with 2 s grace (SIGTERM ignored) ${waited.toFixed(0)} ms`);
    const s = await rt.containerStatus(stubborn);
    assert.equal(s.state, 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 137, 'killed by SIGKILL (128+9)');
    assert.ok(waited >= 1900, `waited the grace period first (${waited} ms)`);
    t = performance.now();
    await rt.stopContainer(polite, 30);
    const p = await rt.containerStatus(polite);
    assert.equal(p.state, 'CONTAINER_EXITED');
    assert.equal(p.exitCode, 0, 'exited from its TERM trap');
    assert.equal(p.reason, 'Completed');
    await rt.stopContainer(polite, 30); // idempotent
    await rt.removePodSandbox(sb);
  });

  test('execSync returns exit code and output; a timeout rejects and kills the command; streaming exec', async () => {
    const sbc = sandboxConfig('execs');
    const sb = await rt.runPodSandbox(sbc);
    const c = await rt.createContainer(sb, containerConfig('box', ['sleep', '3600'], { envs: [{ key: 'GREETING', value: 'hi there' }], workingDir: '/www' }), sbc);
    await rt.startContainer(c);
    const r = await rt.execSync(c, ['sh', '-c', 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 7'], 10);
    assert.equal(r.exitCode, 7);
    assert.equal(r.stdout.toString(), 'hi there from /www\n');
    assert.equal(r.stderr.toString(), 'oops\n');
    await assert.rejects(rt.execSync(c, ['sleep', '123'], 1), /timed out/);
    const ps = await eventually(async () => {
      const out = (await rt.execSync(c, ['ps'], 10)).stdout.toString();
      return !out.includes('sleep 123') && out;
    }, 'timed-out exec killed');
    assert.match(ps, /sleep 3600/);

    const session = await rt.exec(c, ['cat'], { stdin: true, tty: false });
    let out = '';
    session.stdout.on('data', (d: Buffer) => (out += d.toString()));
    session.stdin!.write('line one\n');
    session.stdin!.end();
    assert.equal(await session.exit, 0);
    assert.equal(out, 'line one\n');

    const tty = await rt.exec(c, ['sh', '-c', 'tty; read x; echo "got $x"; exit 5'], { stdin: true, tty: true });
    let ttyOut = '';
    tty.stdout.on('data', (d: Buffer) => (ttyOut += d.toString()));
    assert.equal(tty.stderr, null);
    await eventually(async () => ttyOut.includes('/dev/pts/'), 'tty output');
    tty.stdin!.write('hello\n');
    assert.equal(await tty.exit, 5);
    assert.match(ttyOut, /\/dev\/pts\/\d+\r?\n/);
    assert.match(ttyOut, /got hello\r?\n/);

    // resize reaches the container's pty (runc forwards SIGWINCH from the outer pty). The resize is
    // asynchronous (stty on the outer pty), so ask for the size until the new one shows up.
    const sized = await rt.exec(c, ['sh', '-c', 'while read x; do stty size; done'], { stdin: true, tty: true });
    let sizedOut = '';
    sized.stdout.on('data', (d: Buffer) => (sizedOut += d.toString()));
    sized.resize(123, 45);
    await eventually(async () => {
      sized.stdin!.write('go\n');
      await sleep(100);
      return /45 123/.test(sizedOut);
    }, 'the new terminal size inside the container');
    sized.stdin!.write('\x04'); // ^D: end of input on the terminal ends the read loop
    assert.equal(await sized.exit, 0);

    const collect = (sess: { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream | null }) => {
      const o = { out: '', err: '' };
      sess.stdout.on('data', (d: Buffer) => (o.out += d.toString('latin1')));
      sess.stderr?.on('data', (d: Buffer) => (o.err += d.toString('latin1')));
      return o;
    };
    // TERM=xterm in a tty exec only, as containerd's CRI exec (WithEnv TERM=xterm when tty).
    const envTty = await rt.exec(c, ['env'], { stdin: false, tty: true });
    const envTtyOut = collect(envTty);
    assert.equal(await envTty.exit, 0);
    assert.match(envTtyOut.out, /^TERM=xterm\r?$/m);
    const envPlain = await rt.exec(c, ['env'], { stdin: false, tty: false });
    const envPlainOut = collect(envPlain);
    assert.equal(await envPlain.exit, 0);
    assert.doesNotMatch(envPlainOut.out, /^TERM=/m);

    // Input written at once (kubectl may send a NUL first) is echoed once, by the container's own
    // terminal (cooked while `sleep` runs), never by the outer pty runc runs under.
    const early = await rt.exec(c, ['sh', '-c', 'sleep 1; echo done'], { stdin: true, tty: true });
    const earlyOut = collect(early);
    early.stdin!.write('\0x\n');
    assert.equal(await early.exit, 0);
    await eventually(async () => earlyOut.out.includes('done'), 'tty output');
    assert.ok(!earlyOut.out.includes('\0'), `no NUL bytes in ${JSON.stringify(earlyOut.out)}`);
    assert.equal(earlyOut.out.split('^@').length - 1, 1, `one echo in ${JSON.stringify(earlyOut.out)}`);
    assert.equal(earlyOut.out.split('x').length - 1, 1, `one echo in ${JSON.stringify(earlyOut.out)}`);

    // A missing executable: exit rejects with containerd's wording; runc's log line reaches no stream.
    for (const tty of [false, true]) {
      const bad = await rt.exec(c, ['nosuchcmd'], { stdin: tty, tty });
      const badOut = collect(bad);
      await assert.rejects(bad.exit, (e: Error) => {
        assert.match(e.message, /^failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in \$PATH: unknown$/);
        return true;
      });
      await sleep(100);
      assert.deepEqual(badOut, { out: '', err: '' }, `tty=${tty}`);
    }
    // A command that exits 255 itself is an exit code, not a start failure.
    const own255 = await rt.exec(c, ['sh', '-c', 'echo bye >&2; exit 255'], { stdin: false, tty: false });
    const own255Out = collect(own255);
    assert.equal(await own255.exit, 255);
    await eventually(async () => own255Out.err === 'bye\n', 'stderr of the command');
    await rt.removePodSandbox(sb);
    await assert.rejects(rt.execSync(c, ['true'], 5), /not found/);
  });

  test('hostPort via portmap on 127.0.0.1', async () => {
    const hostPort = 30000 + (parseInt(n.prefix.slice(2), 16) % 20000);
    const sbc = sandboxConfig('hostport', { portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort, hostIP: '127.0.0.1' }] });
    const sb = await rt.runPodSandbox(sbc);
    const c = await rt.createContainer(sb, containerConfig('web', ['httpd', '-f', '-p', '8080', '-h', '/www']), sbc);
    await rt.startContainer(c);
    const res = await eventually(() => httpGet(`http://127.0.0.1:${hostPort}/index.html`).catch(() => undefined), 'hostPort');
    assert.equal(res.body, 'hello from pod\n');
    await rt.removePodSandbox(sb);
    const nat = execFileSync('iptables', ['-t', 'nat', '-S']).toString();
    assert.ok(!nat.includes(`--dport ${hostPort}`), 'portmap DNAT rule removed by CNI DEL');
  });

  test('re-adoption: a container survives its agent process (SIGKILL) and a new RuncRuntime lists it as running', async () => {
    const logPath = join(base, 'logs', 'adopt.log');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'adopt-child.fixture.ts'), JSON.stringify({
      ...dirs(), rootfs: join(base, 'image'), logPath,
    })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]);
      });
      child.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
    });
    const { sandboxId, containerId } = JSON.parse(line) as { sandboxId: string; containerId: string };
    process.kill(child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const again = new RuncRuntime({
      stateDir: join(base, 'state'), runcRoot: join(base, 'runc'), prefix: n.prefix,
      images: new StaticImageResolver(join(base, 'image')), cni: { bridge: n.bridge, subnet: n.subnet }, cgroupParent: n.cgroupParent,
    });
    const sandboxes = await again.listPodSandbox({ labelSelector: { app: 'adopt' } });
    assert.deepEqual(sandboxes.map((s) => [s.id, s.state]), [[sandboxId, 'SANDBOX_READY']]);
    const containers = await again.listContainers({ podSandboxId: sandboxId });
    assert.deepEqual(containers.map((c) => [c.id, c.state, c.metadata.name]), [[containerId, 'CONTAINER_RUNNING', 'sleeper']]);
    const r = await again.execSync(containerId, ['echo', 'still here'], 10);
    assert.equal(r.stdout.toString(), 'still here\n');
    // The monitor (conmon) is still there to record the exit code.
    await again.stopContainer(containerId, 0);
    const s = await again.containerStatus(containerId);
    assert.equal(s.state, 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 137);
    await again.removePodSandbox(sandboxId);
  });

  test('cleanupAll removes a pod that was left running', async () => {
    const sbc = sandboxConfig('leftover');
    const sb = await rt.runPodSandbox(sbc);
    const c = await rt.createContainer(sb, containerConfig('left', ['sleep', '3600']), sbc);
    await rt.startContainer(c);
    await rt.cleanupAll();
    assert.deepEqual(await rt.listPodSandbox(), []);
    assert.deepEqual(await rt.listContainers(), []);
    assert.deepEqual(await leftovers(dirs()), []);
  });
});
