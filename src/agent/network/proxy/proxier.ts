/**
 * The node's service proxy in iptables mode (after kubernetes pkg/proxy/iptables/proxier.go and
 * cmd/kube-proxy): informers on Services and EndpointSlices feed a {@link BoundedFrequencyRunner};
 * each run (`syncProxyRules`) regenerates the whole ruleset ({@link generateRules}) and writes it
 * with ONE `iptables-restore --noflush` (nat + filter), including any missing jump rules from the
 * built-in chains and `-X` of chains that disappeared since the previous sync. Between full syncs
 * (first, after a failure, every `syncPeriodMs`) only per-service chains that changed are written.
 *
 * After each sync, stale UDP conntrack entries of Skiff's Services (flows still pinned to an
 * endpoint that is gone, or recorded while a Service had none) are deleted with the `conntrack`
 * tool (conntrack.ts, upstream CleanStaleEntries).
 *
 * Lifecycle:
 * - `start()`: removes stale `<PREFIX>-*` chains and jumps left by a crashed run, makes sure the
 *   service CIDR route exists, starts the informers and the runner. The first sync happens once
 *   both informers have synced (upstream isInitialized).
 * - `stop()`: stops informers and runner, then removes every chain and jump rule of the prefix, the
 *   route, and restores the sysctls it changed. Idempotent.
 *
 * The chain prefix is the upper-cased `resourcePrefix` (`skiff` → `SKIFF-SERVICES`).
 */
import type { Client, KubeObject } from '../../../client/interface.ts';
import { GVR } from '../../../client/interface.ts';
import { SharedInformer, type Logger } from '../../../client/informer.ts';
import { BoundedFrequencyRunner } from './bounded-frequency-runner.ts';
import { HostNetworkState } from './host.ts';
import { cleanStaleEntries, hostConntrack, udpServiceState, type ConntrackExec } from './conntrack.ts';
import { cleanupChains, hostIptables, missingJumps, parseSave, type IptablesExec } from './iptables.ts';
import { generateRules, jumpRules, type ProxyEndpointSlice, type ProxyService, type RuleConfig } from './rules.ts';

/** Options of {@link Proxier}. */
export interface ProxierOptions {
  client: Client;
  nodeName: string;
  /** Lower-case resource prefix (`skiff`): chains `SKIFF-*`, comments "skiff service portals". */
  resourcePrefix: string;
  /** Service CIDR (route target); no route when undefined. */
  serviceCIDR?: string;
  /** Pod bridge (default `<prefix>0`): the route's device and where route_localnet is set. */
  bridge?: string;
  /** Pod CIDR: sources outside it are masqueraded on ClusterIP traffic. */
  clusterCIDR?: string;
  /** NodePort destination CIDRs (default: every local address). */
  nodePortAddresses?: string[];
  masqueradeAll?: boolean;
  /** Min interval between syncs, ms (default 100); periodic full sync, ms (default 30000). */
  minSyncPeriodMs?: number;
  syncPeriodMs?: number;
  /** Replace iptables access (tests). */
  iptables?: IptablesExec;
  /** Skip host route/sysctl changes (tests with a fake iptables). */
  manageHost?: boolean;
  /**
   * Stale UDP conntrack cleanup after syncs (conntrack.ts). Default: the host `conntrack` tool when
   * `manageHost` is not false; `false` turns it off.
   */
  conntrack?: ConntrackExec | false;
  log?: Logger;
}

/** Measurements of the last sync. Durations in ms. */
export interface SyncStats {
  servicePorts: number;
  rules: number;
  /** Rules in this sync's restore (fewer than `rules` on a partial sync). */
  rulesWritten: number;
  /** Whether every chain was rewritten. */
  full: boolean;
  generateMs: number;
  restoreMs: number;
  at: number;
}

/** The iptables proxier; see the module comment. */
export class Proxier {
  readonly chainPrefix: string;
  readonly services: SharedInformer<KubeObject>;
  readonly endpointSlices: SharedInformer<KubeObject>;
  readonly host: HostNetworkState;
  private readonly cfg: RuleConfig;
  private readonly ipt: IptablesExec;
  private readonly runner: BoundedFrequencyRunner;
  private readonly ac = new AbortController();
  private informerRuns: Promise<void>[] = [];
  private prevChains = { nat: [] as string[], filter: [] as string[] };
  private prevContent: Map<string, string> | undefined;
  private jumpsChecked = false;
  private lastJumpCheck = 0;
  private started = false;
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  private syncWaiters: (() => void)[] = [];
  /** Stats of the last successful sync. */
  lastSync: SyncStats | undefined;
  /** Number of successful syncs. */
  syncCount = 0;
  /** Conntrack entries deleted by the stale-UDP cleanup so far. */
  conntrackDeleted = 0;
  private readonly conntrack: ConntrackExec | undefined;
  /** UDP service state of the last successful conntrack cleanup (skip when unchanged). */
  private lastConntrackState = '';
  private conntrackWarned = false;

  constructor(private readonly opts: ProxierOptions) {
    this.chainPrefix = opts.resourcePrefix.toUpperCase();
    this.cfg = {
      chainPrefix: this.chainPrefix,
      commentPrefix: opts.resourcePrefix,
      nodeName: opts.nodeName,
      clusterCIDR: opts.clusterCIDR,
      nodePortAddresses: opts.nodePortAddresses,
      masqueradeAll: opts.masqueradeAll,
    };
    this.ipt = opts.iptables ?? hostIptables;
    this.conntrack = opts.conntrack === false ? undefined : (opts.conntrack ?? (opts.manageHost === false ? undefined : hostConntrack));
    this.host = new HostNetworkState(opts.manageHost === false ? undefined : opts.serviceCIDR, opts.bridge ?? `${opts.resourcePrefix}0`);
    this.log = opts.log ?? { info: () => {}, warn: (o, m) => console.error(m, o), error: (o, m) => console.error(m, o) };
    this.services = new SharedInformer(opts.client, GVR.services, { logger: this.log });
    this.endpointSlices = new SharedInformer(opts.client, GVR.endpointslices, { logger: this.log });
    this.runner = new BoundedFrequencyRunner(() => this.syncProxyRules(), {
      minIntervalMs: opts.minSyncPeriodMs ?? 100,
      maxIntervalMs: opts.syncPeriodMs ?? 30_000,
      retryAfterMs: 1000,
      onError: (err) => this.log.warn({ err: (err as Error).message }, 'proxy: sync failed; retrying'),
    });
    const h = { onAdd: () => this.runner.run(), onUpdate: () => this.runner.run(), onDelete: () => this.runner.run() };
    this.services.addEventHandler(h);
    this.endpointSlices.addEventHandler(h);
  }

  /**
   * Cleans leftovers of a previous run with the same prefix, installs the route, starts informers and
   * the sync loop. Resolves without waiting for the first sync (see {@link waitForSync}).
   * @throws Error when the stale-chain cleanup fails (iptables missing or broken)
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const stale = await cleanupChains(this.ipt, this.chainPrefix);
    if (stale.chains.length) this.log.info({ chains: stale.chains.length, jumps: stale.jumps.length }, 'proxy: removed stale chains of a previous run');
    if (this.opts.manageHost !== false) {
      await this.host.enableBridgeNetfilter().catch((e) => this.log.warn({ err: (e as Error).message }, 'proxy: bridge-nf-call-iptables'));
      // A failure here (e.g. the bridge changing under us) is retried by every sync; never fatal.
      await this.host.ensureRoute().catch((e) => this.log.warn({ err: (e as Error).message }, 'proxy: service CIDR route (retried at the next sync)'));
    }
    this.informerRuns = [this.services.run(this.ac.signal), this.endpointSlices.run(this.ac.signal)];
    this.runner.start();
    this.runner.run();
  }

  /** Requests a sync (coalesced, rate-limited). */
  requestSync(): void {
    this.runner.run();
  }

  /** Resolves after the next successful sync that starts after this call (false if stopped first). */
  waitForSync(timeoutMs = 60_000): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.syncWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      this.runner.run();
    });
  }

  /**
   * One full sync (upstream syncProxyRules): no-op until both informers have synced; otherwise
   * generate + one iptables-restore, then route/sysctl upkeep.
   * @throws Error when iptables-restore fails (the runner retries)
   */
  async syncProxyRules(): Promise<void> {
    if (this.stopping) return;
    if (!this.services.hasSynced() || !this.endpointSlices.hasSynced()) return;
    const waiters = this.syncWaiters.splice(0);
    try {
      let extra = { nat: [] as string[], filter: [] as string[] };
      // Full sync (verify the jump rules, rewrite every chain) on the first sync, after a failure and
      // once per sync period; partial syncs (only changed service chains) otherwise, as upstream.
      const period = this.opts.syncPeriodMs ?? 30_000;
      const fullSync = !this.jumpsChecked || !this.prevContent || Date.now() - this.lastJumpCheck >= period;
      if (fullSync) {
        const tables = { nat: parseSave(await this.ipt.save('nat')), filter: parseSave(await this.ipt.save('filter')) };
        extra = missingJumps(jumpRules(this.cfg), tables);
        this.lastJumpCheck = Date.now();
      }
      const t1 = performance.now();
      const gen = generateRules(
        this.cfg,
        this.services.store.list() as ProxyService[],
        this.endpointSlices.store.list() as ProxyEndpointSlice[],
        this.prevChains,
        extra,
        fullSync ? undefined : this.prevContent,
      );
      const t2 = performance.now();
      if (this.stopping) {
        this.syncWaiters.unshift(...waiters);
        return;
      }
      this.prevContent = undefined; // a failed restore leaves the kernel state unknown: next sync is full
      await this.ipt.restore(gen.restore);
      const t3 = performance.now();
      this.prevContent = gen.chainContent;
      this.jumpsChecked = true;
      this.prevChains = { nat: gen.natChains, filter: gen.filterChains };
      if (this.opts.manageHost !== false) {
        await this.host.ensureRoute();
        if (gen.hasNodePorts) await this.host.enableRouteLocalnet();
      }
      if (this.conntrack) await this.cleanStaleConntrack(fullSync);
      this.lastSync = { servicePorts: gen.servicePorts, rules: gen.ruleCount, rulesWritten: gen.rulesWritten, full: fullSync, generateMs: t2 - t1, restoreMs: t3 - t2, at: Date.now() };
      this.syncCount++;
      for (const w of waiters) w();
    } catch (e) {
      this.syncWaiters.unshift(...waiters);
      throw e;
    }
  }

  /**
   * After a rules sync: deletes stale UDP conntrack entries (conntrack.ts) when the UDP services'
   * serving endpoints changed since the last cleanup, and on every full sync. Failures are logged
   * (once) and retried at the next sync; they never fail the rules sync.
   */
  private async cleanStaleConntrack(fullSync: boolean): Promise<void> {
    const services = this.services.store.list() as ProxyService[];
    const slices = this.endpointSlices.store.list() as ProxyEndpointSlice[];
    const st = udpServiceState(services, slices);
    const sig = JSON.stringify([[...st.frontends].map(([k, v]) => [k, [...v].sort()]).sort(), [...st.nodePorts].map(([k, v]) => [k, [...v].sort()]).sort()]);
    if (!fullSync && sig === this.lastConntrackState) return;
    try {
      const n = await cleanStaleEntries(this.conntrack!, services, slices, this.opts.clusterCIDR);
      this.conntrackDeleted += n;
      if (n) this.log.info({ deleted: n }, 'proxy: deleted stale UDP conntrack entries');
      this.lastConntrackState = sig;
    } catch (e) {
      if (!this.conntrackWarned) this.log.warn({ err: (e as Error).message }, 'proxy: stale UDP conntrack cleanup failed (is the conntrack tool installed?)');
      this.conntrackWarned = true;
    }
  }

  /**
   * Stops informers and the sync loop, then removes every `<PREFIX>-*` chain and jump rule, the
   * service CIDR route, and restores changed sysctls. Idempotent; errors are logged, not thrown.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.ac.abort();
      await this.runner.stop();
      await Promise.all(this.informerRuns);
      try {
        await cleanupChains(this.ipt, this.chainPrefix);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'proxy: removing chains failed');
      }
      if (this.opts.manageHost !== false) await this.host.restore().catch((e) => this.log.error({ err: (e as Error).message }, 'proxy: restoring host settings failed'));
    })();
    return this.stopping;
  }
}
