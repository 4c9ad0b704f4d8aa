/**
 * Host settings the proxy owns besides iptables (see shared/RUNTIME-NOTES.md §B5): the route for
 * the Service CIDR, `route_localnet` on the pod bridge (localhost NodePorts), and
 * `net.bridge.bridge-nf-call-iptables` (pod → ClusterIP → pod on the same bridge). Each is changed
 * only when needed, remembered, and put back by {@link HostNetworkState.restore}.
 *
 * Route: `<serviceCIDR> dev <bridge>` once the bridge exists (host → ClusterIP leaves with the
 * bridge's address; DNAT in nat OUTPUT then reroutes to the pod), and until then
 * `unreachable <serviceCIDR>`, so a Service address never leaves through a real interface.
 * Upstream kube-proxy has no such route (it relies on the default route); this is Skiff's safety net.
 *
 * route_localnet: set on the bridge device only, not `all`: the kernel ORs `all` with the
 * output device's value for 127/8 sources (__mkroute_output), so the per-device knob suffices and
 * concurrent agents with different bridges never undo each other. Incoming localnet connections
 * are dropped by the FIREWALL chain (upstream's CVE-2020-8558 rule).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { run } from '../exec.ts';

/** Applies and later reverts the proxy's host settings for one bridge and service CIDR. */
export class HostNetworkState {
  /** Current route kind we installed: 'dev', 'unreachable' or undefined (none). */
  private route: 'dev' | 'unreachable' | undefined;
  private readonly sysctlOriginals = new Map<string, string>();

  constructor(
    readonly serviceCIDR: string | undefined,
    readonly bridge: string,
  ) {}

  /** True when the bridge exists and is administratively up (IFF_UP): a route via a down device is refused ("Device for nexthop is not up"). */
  private bridgeUp(): boolean {
    try {
      return (Number.parseInt(readFileSync(`/sys/class/net/${this.bridge}/flags`, 'utf8').trim(), 16) & 0x1) === 0x1;
    } catch {
      return false;
    }
  }

  /**
   * Makes sure the service CIDR route exists in the main table (`dev <bridge>` when the bridge exists
   * and is up, else `unreachable`; the next sync moves it to the bridge). One `ip route show` per call; `ip route replace` only when it differs.
   * @throws Error when `ip route replace` fails
   */
  async ensureRoute(): Promise<void> {
    if (!this.serviceCIDR) return;
    const want: 'dev' | 'unreachable' = this.bridgeUp() ? 'dev' : 'unreachable';
    const cur = await this.currentRoute();
    if (cur === want) {
      this.route = want;
      return;
    }
    const args = want === 'dev' ? ['route', 'replace', this.serviceCIDR, 'dev', this.bridge] : ['route', 'replace', 'unreachable', this.serviceCIDR];
    const r = await run('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
    this.route = want;
  }

  /** The main-table route for the service CIDR, classified: ours ('dev' / 'unreachable'), 'other', or undefined. */
  async currentRoute(): Promise<'dev' | 'unreachable' | 'other' | undefined> {
    if (!this.serviceCIDR) return undefined;
    const r = await run('ip', ['-o', 'route', 'show', 'exact', this.serviceCIDR]);
    const line = r.stdout.split('\n').find((l) => l.trim());
    if (!line) return undefined;
    if (line.startsWith('unreachable ')) return 'unreachable';
    if (new RegExp(`\\bdev ${this.bridge}\\b`).test(line)) return 'dev';
    return 'other';
  }

  /** Removes the service CIDR route if it is still one of ours (never another owner's route). Idempotent. */
  async removeRoute(): Promise<void> {
    if (!this.serviceCIDR) return;
    const cur = await this.currentRoute();
    if (cur === 'dev') await run('ip', ['route', 'del', this.serviceCIDR, 'dev', this.bridge]);
    else if (cur === 'unreachable' && this.route) await run('ip', ['route', 'del', 'unreachable', this.serviceCIDR]);
    this.route = undefined;
  }

  /** Sets a sysctl file to `value` if it differs, remembering the first original value. Missing files are ignored. */
  private async setSysctl(file: string, value: string): Promise<boolean> {
    const cur = await readFile(file, 'utf8').then((s) => s.trim(), () => undefined);
    if (cur === undefined) return false;
    if (cur === value) return true;
    if (!this.sysctlOriginals.has(file)) this.sysctlOriginals.set(file, cur);
    await writeFile(file, value);
    return true;
  }

  /** `net.ipv4.conf.<bridge>.route_localnet=1` (NodePort on 127.0.0.1); false when the bridge does not exist yet. */
  async enableRouteLocalnet(): Promise<boolean> {
    return this.setSysctl(`/proc/sys/net/ipv4/conf/${this.bridge}/route_localnet`, '1');
  }

  /** `net.bridge.bridge-nf-call-iptables=1` (needed for pod → ClusterIP → pod on one bridge). */
  async enableBridgeNetfilter(): Promise<void> {
    await this.setSysctl('/proc/sys/net/bridge/bridge-nf-call-iptables', '1');
  }

  /** Sysctl files changed so far with their original values. */
  changedSysctls(): Record<string, string> {
    return Object.fromEntries(this.sysctlOriginals);
  }

  /** Puts back every sysctl it changed (if the file still exists) and removes the route. Idempotent. */
  async restore(): Promise<void> {
    for (const [file, orig] of this.sysctlOriginals) {
      if (existsSync(file)) await writeFile(file, orig).catch(() => undefined);
    }
    this.sysctlOriginals.clear();
    await this.removeRoute();
  }
}
