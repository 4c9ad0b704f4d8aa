/**
 * Test support: the control plane in-process, wired as `skiff server --simulated-nodes N
 * --disable-agent` wires it — the real apiserver pipeline (resource table, SQLite file in a temp
 * dir), the controller manager, the scheduler and KWOK-style simulated nodes — talking through the
 * in-process client. For integration tests of controllers at scale without containers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { realMachinery } from '../../src/apiserver/machinery-real.ts';
import { RESOURCES } from '../../src/api/resource-table.ts';
import type { Client } from '../../src/client/interface.ts';
import { startControllers, type ControllerManagerOptions } from '../../src/controllers/manager.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { SimulatedNodes, type SimulatedNodesConfig } from '../../src/agent/simulated/simulated-nodes.ts';

/** A running in-process control plane. */
export interface InProcessCluster {
  api: APIServer;
  client: Client;
  sim: SimulatedNodes;
  /** Stops nodes, controllers, scheduler and apiserver, closes the store and removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane with `nodes.count` simulated nodes (other SimulatedNodes options as
 * given; `client` is filled in) and the controller manager with `controllers` options.
 */
export async function startInProcessCluster(opts: {
  nodes: Omit<SimulatedNodesConfig, 'client'>;
  controllers?: ControllerManagerOptions;
}): Promise<InProcessCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-inproc-'));
  const backend = SqliteBackend.open(join(dir, 'state.db'));
  const api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator(), resources: RESOURCES, machinery: realMachinery() });
  await api.waitReady();
  const client = api.inProcessClient();
  const ac = new AbortController();
  void startControllers(client, ac.signal, { workers: 4, ...opts.controllers });
  void new Scheduler({ client }).start(ac.signal);
  const sim = new SimulatedNodes({ ...opts.nodes, client });
  await sim.start(ac.signal);
  return {
    api,
    client,
    sim,
    async stop() {
      ac.abort();
      await sim.stop();
      await new Promise((r) => setTimeout(r, 100));
      await api.stop();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` every `intervalMs` until it returns a truthy value; throws after `timeoutMs` with the last value or error. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
