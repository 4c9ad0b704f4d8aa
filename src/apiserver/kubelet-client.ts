/**
 * How the apiserver reaches a node's kubelet for the pod subresources that stream from the node:
 * `pods/log`, `pods/exec`, `pods/portforward` (upstream: pkg/kubelet/client + the kubelet's
 * server/streaming). In `skiff server` the embedded agent registers itself in a
 * {@link KubeletConnections} registry; a remote agent would be reached over HTTPS instead.
 */
import type { Duplex, Writable } from 'node:stream';
import { StatusError, newInternalError } from '../machinery/errors.ts';

/** Query options of `pods/log` (`PodLogOptions`). */
export interface PodLogOptions {
  container: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC3339 time; entries before it are skipped. */
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

/** Options of `pods/exec` (`PodExecOptions`). */
export interface PodExecOptions {
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Streams of one exec, as seen by the apiserver's WebSocket bridge. */
export interface ExecStreams {
  stdin?: NodeJS.ReadableStream;
  stdout?: Writable;
  stderr?: Writable;
  /** Terminal size changes (tty only). */
  resize?: AsyncIterable<{ width: number; height: number }>;
}

/**
 * A `KubeletConnection.exec` failure after the exec stream was set up: the runtime could not run
 * the command (e.g. `failed to exec in container: failed to start exec "<id>": OCI runtime exec
 * failed: exec failed: unable to start container process: exec: "x": executable file not found in
 * $PATH: unknown`). As the kubelet's remotecommand server (ServeExec) it carries the InternalError
 * Status `Internal error occurred: error executing command in container: <runtime message>`, which
 * the apiserver writes on the error channel as is (kubectl prints `error: <message>`, exit 1),
 * unlike errors before the stream (the kubelet refusing the upgrade).
 */
export class ExecInContainerError extends StatusError {
  /** `runtimeMessage`: the runtime's error text, without the `error executing command in container: ` prefix. */
  constructor(runtimeMessage: string) {
    super(newInternalError(`error executing command in container: ${runtimeMessage}`).status);
    this.name = 'ExecInContainerError';
  }
}

/** The kubelet's streaming endpoints for one node. Errors are StatusErrors (e.g. 400 container not found / not running). */
export interface KubeletConnection {
  /**
   * Writes the container's log (plain text, one line per entry; with `timestamps` each line is
   * prefixed by its RFC3339Nano time) to `out`. With `follow`, keeps writing until the container
   * exits and no more output remains, or until `signal` aborts.
   */
  getContainerLogs(namespace: string, podName: string, podUid: string, options: PodLogOptions, out: Writable, signal: AbortSignal): Promise<void>;
  /** Runs a command in the container; resolves with its exit code. */
  exec(namespace: string, podName: string, podUid: string, options: PodExecOptions, streams: ExecStreams, signal: AbortSignal): Promise<number>;
  /** Opens a TCP connection to `port` inside the pod's network namespace. */
  portForward(namespace: string, podName: string, podUid: string, port: number): Promise<Duplex>;
}

/** Registry of connections by node name. */
export class KubeletConnections {
  private readonly byNode = new Map<string, KubeletConnection>();
  /** Registers (or replaces) the connection for `nodeName`. */
  register(nodeName: string, connection: KubeletConnection): void {
    this.byNode.set(nodeName, connection);
  }
  /** Removes the connection for `nodeName`. */
  unregister(nodeName: string): void {
    this.byNode.delete(nodeName);
  }
  /** The connection for `nodeName`, or undefined when that node has no reachable kubelet. */
  get(nodeName: string): KubeletConnection | undefined {
    return this.byNode.get(nodeName);
  }
}
