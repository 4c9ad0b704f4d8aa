/**
 * e2e: the pod streaming subresources with the real kubectl against a real `skiff server` and a
 * runc container (skiff.local/web:1, busybox httpd on :8080):
 * - `kubectl port-forward` (WebSocket-tunnelled SPDY/3.1): sequential and concurrent HTTP requests
 *   through the local port; a closed pod port reports the kubelet's error on the error stream;
 * - `kubectl exec`: stdout, stderr, exit codes, stdin, container errors, a missing executable
 *   (InternalError, exit 1), TERM=xterm only with a tty, no double echo of early tty input (`^@^@`);
 * - `kubectl cp` both ways (exec + tar);
 * - exec with a tty (resize on channel 4) and with the v4 protocol, through our own WebSocket
 *   client (kubectl cannot get a tty in a test).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import YAML from 'yaml';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { buildWebImages } from '../support/registry.ts';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    ports:
    - containerPort: 8080
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, pathName = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathName, agent: false, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function getBytes(port: number, pathName: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathName, agent: false, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('e2e: kubectl port-forward, exec and cp', { timeout: 600_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;
  let tmp: string;
  const children: ChildProcess[] = [];

  /** Starts `kubectl port-forward` and waits for its "Forwarding from" line. */
  async function portForward(spec: string | string[], mode: 'websocket' | 'spdy' = 'websocket'): Promise<{ proc: ChildProcess; out: () => string }> {
    const specs = Array.isArray(spec) ? spec : [spec];
    // -v=7 logs the tunnelling handshake; KUBECTL_PORT_FORWARD_WEBSOCKETS=false makes kubectl use a raw SPDY upgrade.
    const env = { ...process.env, KUBECTL_PORT_FORWARD_WEBSOCKETS: mode === 'websocket' ? 'true' : 'false' };
    const proc = spawn('/usr/bin/kubectl', ['--kubeconfig', c.kubeconfig, '--cache-dir', path.join(id.dataDir, 'kubectl-cache'), 'port-forward', '-v=7', 'pod/web', ...specs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await waitFor(`port-forward ready (${specs.join(' ')})`, () => {
      if (proc.exitCode !== null) throw new Error(`kubectl port-forward exited ${proc.exitCode}: ${out}`);
      return specs.every((sp) => out.includes(`Forwarding from 127.0.0.1:${sp.split(':')[0]}`));
    }, 60_000, 100);
    return { proc, out: () => out };
  }

  function kill(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    process.kill(proc.pid!, 'SIGTERM');
    return exited;
  }

  /**
   * Opens an exec WebSocket with `protocol` and the kubeconfig's CA and token; collects channel
   * output until the server closes. `drive` runs once open and may send frames.
   */
  async function wsExec(query: string, protocol: string, drive: (send: (ch: number, data: string) => void, out: () => string) => Promise<void>): Promise<{ stdout: string; stderr: string; status: Record<string, any> }> {
    const kc = YAML.parse(readFileSync(c.kubeconfig, 'utf8'));
    const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64');
    const token = kc.users[0].user.token as string;
    const ws = new WebSocket(`${c.url.replace(/^http/, 'ws')}/api/v1/namespaces/default/pods/web/exec?${query}`, [protocol], { ca, headers: { Authorization: `Bearer ${token}` } });
    const chunks: Record<number, string> = { 1: '', 2: '', 3: '' };
    const closed = new Promise<void>((resolve, reject) => {
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    ws.on('message', (d: Buffer) => {
      chunks[d[0]!] = (chunks[d[0]!] ?? '') + d.subarray(1).toString();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, protocol);
    await drive((ch, data) => ws.send(Buffer.concat([Buffer.from([ch]), Buffer.from(data)])), () => chunks[1]!);
    await closed;
    return { stdout: chunks[1]!, stderr: chunks[2]!, status: JSON.parse(chunks[3]!) };
  }

  /** kubectl with extra environment (e.g. KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false for the SPDY path). */
  function kubectlEnv(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile('/usr/bin/kubectl', ['--kubeconfig', c.kubeconfig, '--cache-dir', path.join(id.dataDir, 'kubectl-cache'), ...args], { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
      child.stdin!.end(input ?? '');
    });
  }

  before(async () => {
    const { archive } = buildWebImages();
    id = newRunIdentity();
    tmp = mkdtempSync(path.join(tmpdir(), 'skiff-cp-'));
    c = await startCluster(id, { extraArgs: ['--import-images', archive] });
    await c.kubectl(['apply', '-f', '-'], { input: POD });
    await c.kubectl(['wait', '--for=condition=Ready', 'pod/web', '--timeout=120s'], { timeoutMs: 130_000 });
  });

  after(async () => {
    try {
      for (const p of children) await kill(p);
      await c?.stop();
    } finally {
      const left = id ? await leftovers(id) : [];
      if (id) removeRunDir(id);
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  for (const mode of ['websocket', 'spdy'] as const) {
    test(`port-forward (${mode}): sequential and concurrent connections reach the pod port`, async () => {
      const port = await freePort();
      const pf = await portForward(`${port}:8080`, mode);
      for (let i = 0; i < 3; i++) {
        const r = await get(port);
        assert.equal(r.status, 200);
        assert.match(r.body, /hello from skiff web v1/);
      }
      const many = await Promise.all(Array.from({ length: 8 }, () => get(port)));
      for (const r of many) {
        assert.equal(r.status, 200);
        assert.match(r.body, /hello from skiff web v1/);
      }
      assert.match(pf.out(), /Handling connection for/);
      // 4 MiB through the tunnel, byte-exact.
      const sum = (await c.kubectl(['exec', 'web', '--', 'sh', '-c', 'test -f /www/big || dd if=/dev/urandom of=/www/big bs=1024 count=4096 2>/dev/null; md5sum /www/big'])).split(' ')[0];
      const big = await getBytes(port, '/big');
      assert.equal(big.length, 4096 * 1024);
      assert.equal(createHash('md5').update(big).digest('hex'), sum);
      await kill(pf.proc);

      // 4 MiB up, with half-close: an md5sum server in the pod answers once our side ends.
      // Two ports in one kubectl (one SPDY session, streams with different port headers).
      await c.kubectl(['exec', 'web', '--', 'sh', '-c', 'nc -ll -p 9000 -e md5sum </dev/null >/dev/null 2>&1 &']);
      const upPort = await freePort();
      const webPort = await freePort();
      const up = await portForward([`${webPort}:8080`, `${upPort}:9000`], mode);
      assert.match((await get(webPort)).body, /hello from skiff web v1/);
      const payload = randomBytes(4 * 1024 * 1024);
      const answer = await waitFor('the md5sum server answers through the tunnel', async () => {
        const reply = await new Promise<string>((resolve, reject) => {
          const sock = net.connect(upPort, '127.0.0.1', () => sock.end(payload));
          let out = '';
          sock.on('data', (d) => (out += d));
          sock.on('end', () => resolve(out));
          sock.on('error', reject);
        });
        return reply.trim() ? reply : undefined;
      }, 30_000);
      assert.equal(answer.split(/\s+/)[0], createHash('md5').update(payload).digest('hex'));
      await kill(up.proc);
      if (mode === 'websocket') {
        assert.match(pf.out(), /negotiated protocol: portforward\.k8s\.io/);
        assert.doesNotMatch(pf.out(), /fallback to secondary dialer/);
      } else {
        assert.match(pf.out(), /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\/web\/portforward/);
      }
    });
  }

  test('port-forward: a closed pod port is reported on the error stream', async () => {
    const port = await freePort();
    const pf = await portForward(`${port}:9`);
    await assert.rejects(get(port));
    const out = await waitFor('kubectl reports the forwarding error', () => (/error forwarding port 9 to pod web/.test(pf.out()) ? pf.out() : undefined), 30_000, 100);
    assert.match(out, /an error occurred forwarding \d+ -> 9: error forwarding port 9 to pod web, uid [0-9a-f-]+:/);
    await kill(pf.proc);
  });

  test('exec: stdout, stderr, exit code, stdin', async () => {
    const r = await c.kubectlRaw(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');

    const e = await c.kubectlRaw(['exec', 'web', '--', 'sh', '-c', 'exit 3']);
    assert.equal(e.code, 3);
    assert.match(e.stderr, /command terminated with exit code 3/);

    const i = await c.kubectlRaw(['exec', '-i', 'web', '--', 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
    assert.equal(i.code, 0);
    assert.equal(i.stdout, 'line one\nline two\ndone\n');

    const bad = await c.kubectlRaw(['exec', 'web', '-c', 'nope', '--', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod web/);
  });

  test('exec: a missing executable is an InternalError (exit 1); TERM=xterm only with a tty (WebSocket and SPDY)', async () => {
    // Upstream (containerd CRI + kubelet remotecommand): the error channel carries an InternalError Status.
    const want = /^error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in \$PATH: unknown\n$/;
    for (const ws of ['true', 'false']) {
      const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: ws };
      const r = await kubectlEnv(['exec', 'web', '--', 'nosuchcmd'], env);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, want);
      const e = await kubectlEnv(['exec', 'web', '--', 'sh', '-c', 'exit 3'], env);
      assert.equal(e.code, 3);
      assert.equal(e.stderr, 'command terminated with exit code 3\n');
      const plain = await kubectlEnv(['exec', 'web', '--', 'sh', '-c', 'echo "TERM=$TERM"'], env);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(plain.stdout, 'TERM=\n');
    }
    const q = ['sh', '-c', 'echo "TERM=$TERM"'].map((a) => `command=${encodeURIComponent(a)}`).join('&');
    const t = await wsExec(`${q}&stdout=true&tty=true`, 'v5.channel.k8s.io', async () => undefined);
    assert.equal(t.stdout, 'TERM=xterm\r\n');
    assert.deepEqual(t.status, { metadata: {}, status: 'Success' });
  });

  test('exec -it: early input is echoed once by the container terminal, no ^@^@ (kubectl under script, stdin at EOF)', async () => {
    // kubectl under `script` whose stdin is at EOF reads a NUL from its terminal and sends it first.
    const cmd = ['/usr/bin/kubectl', '--kubeconfig', c.kubeconfig, '--cache-dir', path.join(id.dataDir, 'kubectl-cache'), 'exec', '-it', 'web', '--', 'sh', '-c', "echo hi; sleep 1"]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let o = '';
      child.stdout!.on('data', (d: Buffer) => (o += d.toString('latin1')));
      child.stderr!.on('data', (d: Buffer) => (o += d.toString('latin1')));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(o) : reject(new Error(`script/kubectl exited ${code}: ${o}`))));
    });
    assert.match(out, /hi\r\n/);
    assert.ok(!out.includes('\0'), `no NUL bytes in ${JSON.stringify(out)}`);
    assert.doesNotMatch(out, /\^@\^@/);

    // The same through our WebSocket client: a NUL and a line sent at once are echoed exactly once.
    const q = ['sh', '-c', 'sleep 1; echo done'].map((a) => `command=${encodeURIComponent(a)}`).join('&');
    const r = await wsExec(`${q}&stdin=true&stdout=true&tty=true`, 'v5.channel.k8s.io', async (send) => send(0, '\0x\n'));
    assert.ok(!r.stdout.includes('\0'), `no NUL bytes in ${JSON.stringify(r.stdout)}`);
    assert.equal(r.stdout, '^@x\r\ndone\r\n');
    assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
  });

  test('cp: a file and a directory to the pod and back', async () => {
    const src = path.join(tmp, 'hello.txt');
    const content = 'hello from the host\n' + 'x'.repeat(200_000) + '\n';
    writeFileSync(src, content);
    await c.kubectl(['cp', src, 'default/web:/tmp/hello.txt']);
    assert.equal((await c.kubectl(['exec', 'web', '--', 'wc', '-c', '/tmp/hello.txt'])).trim().split(/\s+/)[0], String(content.length));
    const back = path.join(tmp, 'back.txt');
    await c.kubectl(['cp', 'default/web:/tmp/hello.txt', back]);
    assert.equal(readFileSync(back, 'utf8'), content);

    const dir = path.join(tmp, 'dir');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'a.txt'), 'a\n');
    writeFileSync(path.join(dir, 'sub', 'b.txt'), 'b\n');
    await c.kubectl(['cp', dir, 'default/web:/tmp/dir']);
    assert.equal(await c.kubectl(['exec', 'web', '--', 'cat', '/tmp/dir/a.txt', '/tmp/dir/sub/b.txt']), 'a\nb\n');
    const dirBack = path.join(tmp, 'dir-back');
    await c.kubectl(['cp', 'default/web:/tmp/dir', dirBack]);
    assert.equal(readFileSync(path.join(dirBack, 'sub', 'b.txt'), 'utf8'), 'b\n');
  });

  test('exec with a tty: resize reaches the terminal, exit code in the status', async () => {
    const r = await wsExec('command=sh&stdin=true&stdout=true&tty=true', 'v5.channel.k8s.io', async (send, out) => {
      send(4, JSON.stringify({ Width: 123, Height: 45 }));
      // The terminal exists only once the shell runs; ask until the size shows up.
      await waitFor('the tty reports the resized window', () => {
        if (/45 123/.test(out())) return true;
        send(0, 'stty size\n');
        return false;
      }, 30_000, 500);
      send(0, 'exit 7\n');
    });
    assert.match(r.stdout, /45 123/);
    assert.equal(r.stderr, '', 'a tty merges stderr into stdout');
    assert.equal(r.status.status, 'Failure');
    assert.equal(r.status.reason, 'NonZeroExitCode');
    assert.deepEqual(r.status.details.causes, [{ reason: 'ExitCode', message: '7' }]);
  });

  test('exec with v4.channel.k8s.io: stdin, stdout, stderr, exit code', async () => {
    const q = ['sh', '-c', 'read l; echo got $l; echo oops >&2; exit 5'].map((a) => `command=${encodeURIComponent(a)}`).join('&');
    const r = await wsExec(`${q}&stdin=true&stdout=true&stderr=true`, 'v4.channel.k8s.io', async (send) => send(0, 'abc\n'));
    assert.equal(r.stdout, 'got abc\n');
    assert.equal(r.stderr, 'oops\n');
    assert.deepEqual(r.status.details.causes, [{ reason: 'ExitCode', message: '5' }]);
    assert.match(r.status.message, /command terminated with non-zero exit code: error executing command \[sh -c read l; echo got \$l; echo oops >&2; exit 5\], exit code 5/);
  });

  test('exec and cp over the SPDY fallback (v4.channel.k8s.io streams)', async () => {
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const r = await kubectlEnv(['exec', '-v=7', 'web', '--', 'sh', '-c', 'echo out; echo err >&2'], spdy);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\/web\/exec/);
    assert.match(r.stderr, /Response Status: 101 Switching Protocols/);
    assert.match(r.stderr, /^err$/m);

    const e = await kubectlEnv(['exec', 'web', '--', 'sh', '-c', 'exit 4'], spdy);
    assert.equal(e.code, 4);
    assert.match(e.stderr, /command terminated with exit code 4/);

    const i = await kubectlEnv(['exec', '-i', 'web', '--', 'sh', '-c', 'cat; echo done'], spdy, 'via spdy\n');
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout, 'via spdy\ndone\n');

    const src = path.join(tmp, 'spdy.txt');
    writeFileSync(src, 'y'.repeat(100_000));
    const cp = await kubectlEnv(['cp', src, 'default/web:/tmp/spdy.txt'], spdy);
    assert.equal(cp.code, 0, cp.stderr);
    const back = path.join(tmp, 'spdy-back.txt');
    const cpBack = await kubectlEnv(['cp', 'default/web:/tmp/spdy.txt', back], spdy);
    assert.equal(cpBack.code, 0, cpBack.stderr);
    assert.equal(readFileSync(back, 'utf8'), 'y'.repeat(100_000));
  });

  test('a container that is not running: exec and port-forward errors; attach is refused', async () => {
    await c.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata:
  name: waiting
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
  containers:
  - name: web
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
`,
    });
    await waitFor('init container running', async () => {
      const p = JSON.parse(await c.kubectl(['get', 'pod', 'waiting', '-o', 'json']));
      return p.status?.initContainerStatuses?.[0]?.state?.running ? p : undefined;
    }, 120_000);
    // The init container runs and can be exec'd into; the main container is still waiting.
    assert.equal(await c.kubectl(['exec', 'waiting', '-c', 'init', '--', 'echo', 'in init']), 'in init\n');
    const r = await c.kubectlRaw(['exec', 'waiting', '-c', 'web', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'error: Internal error occurred: unable to upgrade connection: container not found ("web")');
    const spdy = await kubectlEnv(['exec', 'waiting', '-c', 'web', '--', 'true'], { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' });
    assert.equal(spdy.stderr.trim(), 'error: unable to upgrade connection: container not found ("web")');

    const port = await freePort();
    const pf = await c.kubectlRaw(['port-forward', 'pod/waiting', `${port}:8080`]);
    assert.notEqual(pf.code, 0);
    assert.match(pf.stderr, /unable to forward port because pod is not running. Current status=Pending/);

    const at = await c.kubectlRaw(['attach', 'web'], { timeoutMs: 60_000 });
    assert.notEqual(at.code, 0);
    assert.match(at.stderr, /attach is not supported/);
    await c.kubectl(['delete', 'pod', 'waiting', '--wait=false']);
  });
});
