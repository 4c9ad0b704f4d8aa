/**
 * The kubelet's streaming endpoints as a {@link KubeletConnection}, after pkg/kubelet/server
 * (getContainerLogs, getExec, getPortForward) and the CRI streaming server:
 * - logs: the newest run's CRI log file (or with `previous` the run before it), read by logs.ts;
 * - exec: `RuntimeService.exec` with the caller's streams; abort kills the session; a command the
 *   runtime could not start is an ExecInContainerError (InternalError `error executing command in container: …`);
 * - port-forward: a TCP connection to `127.0.0.1:<port>` inside the pod's network namespace. Node
 *   cannot `setns(2)`, so a tiny relay runs as `nsenter --net=<netns path> <node> -e <relay> <port>`:
 *   it connects, says `OK` on stderr, then pipes stdin/stdout to the socket; the returned Duplex
 *   wraps its stdio. Sandboxes without a netns path (fakes, host network) are reached directly at
 *   the pod IP.
 * Errors are StatusErrors with upstream's wording (400 for containers that are not running).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ExecInContainerError, type ExecStreams, type KubeletConnection, type PodExecOptions, type PodLogOptions } from '../../apiserver/kubelet-client.ts';
import { newBadRequest, newNotFound } from '../../machinery/errors.ts';
import type { ContainerStatus, RuntimeService } from '../runtime/types.ts';
import type { RuntimePodStatus } from './kuberuntime-manager.ts';
import { readLogs } from './logs.ts';
import { containersByName } from './status/generate.ts';
import type { Writable } from 'node:stream';

/** What the server needs from the kubelet. */
export interface KubeletServerDeps {
  runtime: RuntimeService;
  findPod(namespace: string, name: string, uid?: string): Pod | undefined;
  podStatus(uid: string): Promise<RuntimePodStatus>;
  now?: () => number;
}

const PODS = { group: '', resource: 'pods' };

const RELAY = `const net=require('net');const s=net.connect(+process.argv[1],'127.0.0.1',()=>{process.stderr.write('OK\\n');process.stdin.pipe(s);s.pipe(process.stdout)});s.on('error',e=>{process.stderr.write('ERR '+e.message+'\\n');process.exit(1)});s.on('close',()=>process.stdout.write('',()=>process.exit(0)));process.stdin.on('end',()=>s.end())`;

/** KubeletConnection backed by the local runtime. */
export class KubeletServer implements KubeletConnection {
  constructor(private readonly d: KubeletServerDeps) {}

  private pod(namespace: string, name: string, uid: string): Pod {
    const pod = this.d.findPod(namespace, name, uid || undefined);
    if (!pod) throw newNotFound(PODS, name);
    return pod;
  }

  private containerName(pod: Pod, requested: string | undefined): string {
    const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
    if (!requested) {
      if (pod.spec?.containers.length === 1) return pod.spec.containers[0].name;
      throw newBadRequest(`a container name must be specified for pod ${pod.metadata!.name}, choose one of: [${pod.spec?.containers.map((c) => c.name).join(' ')}]`);
    }
    if (!all.some((c) => c.name === requested)) throw newBadRequest(`container ${requested} is not valid for pod ${pod.metadata!.name}`);
    return requested;
  }

  async getContainerLogs(namespace: string, podName: string, podUid: string, options: PodLogOptions, out: Writable, signal: AbortSignal): Promise<void> {
    const pod = this.pod(namespace, podName, podUid);
    const name = this.containerName(pod, options.container);
    const rs = await this.d.podStatus(pod.metadata!.uid!);
    const runs = containersByName(rs.containers, name);
    let run: ContainerStatus | undefined;
    if (options.previous) {
      run = runs.slice(1).find((c) => c.state === 'CONTAINER_EXITED');
      if (!run) throw newBadRequest(`previous terminated container "${name}" in pod "${podName}" not found`);
    } else {
      run = runs[0];
      if (!run) {
        const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === name);
        const reason = st?.state?.waiting?.reason ?? 'ContainerCreating';
        throw newBadRequest(`container "${name}" in pod "${podName}" is waiting to start: ${reason}`);
      }
    }
    const now = (this.d.now ?? Date.now)();
    let sinceMs: number | undefined;
    if (options.sinceSeconds !== undefined) sinceMs = now - options.sinceSeconds * 1000;
    if (options.sinceTime) sinceMs = Date.parse(options.sinceTime);
    const id = run.id;
    const isRunning = async () => {
      if (options.previous) return false;
      const s = await this.d.runtime.containerStatus(id).catch(() => undefined);
      return s?.state === 'CONTAINER_RUNNING' || s?.state === 'CONTAINER_CREATED';
    };
    try {
      await readLogs(run.logPath, { follow: options.follow, tailLines: options.tailLines, sinceMs, timestamps: options.timestamps, limitBytes: options.limitBytes }, out, signal, isRunning);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing logged yet
      throw e;
    }
  }

  async exec(namespace: string, podName: string, podUid: string, options: PodExecOptions, streams: ExecStreams, signal: AbortSignal): Promise<number> {
    const pod = this.pod(namespace, podName, podUid);
    const name = this.containerName(pod, options.container);
    const rs = await this.d.podStatus(pod.metadata!.uid!);
    const run = containersByName(rs.containers, name)[0];
    if (!run || run.state !== 'CONTAINER_RUNNING') throw newBadRequest(`container not found ("${name}")`);
    const session = await this.d.runtime.exec(run.id, options.command, { stdin: options.stdin, tty: options.tty });
    const onAbort = () => session.kill();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (streams.stdin && session.stdin) streams.stdin.pipe(session.stdin as NodeJS.WritableStream);
      const pumps: Promise<void>[] = [];
      const pump = (from: NodeJS.ReadableStream | null, to: Writable | undefined) => {
        if (!from) return;
        pumps.push(
          new Promise<void>((resolve) => {
            from.on('data', (d: Buffer) => to?.write(d));
            from.on('end', resolve);
            from.on('close', resolve);
            from.on('error', () => resolve());
          }),
        );
      };
      pump(session.stdout, options.stdout ? streams.stdout : undefined);
      pump(session.stderr, options.stderr ? streams.stderr : undefined);
      if (streams.resize) {
        void (async () => {
          for await (const size of streams.resize!) session.resize(size.width, size.height);
        })().catch(() => undefined);
      }
      const code = await session.exit.catch((e: unknown) => {
        throw new ExecInContainerError(e instanceof Error ? e.message : String(e));
      });
      await Promise.race([Promise.all(pumps), new Promise((r) => setTimeout(r, 2000))]);
      return code;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (streams.stdin && session.stdin) streams.stdin.unpipe?.(session.stdin as NodeJS.WritableStream);
    }
  }

  async portForward(namespace: string, podName: string, podUid: string, port: number): Promise<Duplex> {
    const pod = this.pod(namespace, podName, podUid);
    const rs = await this.d.podStatus(pod.metadata!.uid!);
    const sb = rs.sandboxes.find((s) => s.state === 'SANDBOX_READY');
    if (!sb) throw newBadRequest(`pod ${podName} does not have a running sandbox`);
    if (!sb.netnsPath) {
      const host = sb.ip ?? '127.0.0.1';
      return await new Promise<Duplex>((resolve, reject) => {
        const s = net.connect(port, host);
        s.once('connect', () => resolve(s));
        s.once('error', (e) => reject(newBadRequest(`error forwarding port ${port} to pod ${podName}: ${e.message}`)));
      });
    }
    const child = spawn('nsenter', [`--net=${sb.netnsPath}`, process.execPath, '-e', RELAY, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const onData = (d: Buffer) => {
        err += d.toString();
        if (err.startsWith('OK\n')) {
          child.stderr.off('data', onData);
          resolve();
        }
      };
      child.stderr.on('data', onData);
      child.once('error', (e) => reject(newBadRequest(`error forwarding port ${port} to pod ${podName}: ${e.message}`)));
      child.once('exit', () => reject(newBadRequest(`error forwarding port ${port} to pod ${podName}: ${err.replace(/^ERR /, '').trim() || 'relay exited'}`)));
    });
    // A hand-made Duplex over the relay's stdio: closing it kills the relay, and the relay's own
    // end/exit ends it, without stray 'Premature close' errors.
    const duplex = new Duplex({
      read() {
        child.stdout.resume();
      },
      write(chunk, _enc, cb) {
        if (child.stdin.destroyed) return cb();
        child.stdin.write(chunk, (err) => cb(err ?? null));
      },
      final(cb) {
        child.stdin.end();
        cb();
      },
      destroy(err, cb) {
        if (child.exitCode === null) child.kill('SIGTERM');
        cb(err);
      },
    });
    child.stdout.on('data', (d: Buffer) => {
      if (!duplex.push(d)) child.stdout.pause();
    });
    child.stdout.on('end', () => duplex.push(null));
    child.stdin.on('error', () => undefined);
    child.once('close', () => {
      if (!child.stdout.readableEnded) duplex.push(null);
    });
    return duplex;
  }
}
