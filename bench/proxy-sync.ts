/**
 * Benchmark: one full proxy sync for N Services × 2 endpoints (default N = 1000), as the Proxier does
 * it: generate the whole ruleset in memory (generateRules), then ONE `iptables-restore --noflush`
 * (nat + filter, jump rules included), under a per-run chain prefix; then a second full sync of the
 * same set (every chain flushed and rewritten), a partial sync after one Service's endpoint changed
 * (only changed chains written), then cleanup (all chains and jumps removed).
 * Objects live only in memory; no packets are sent. Needs root and iptables.
 *
 * Usage: node --import tsx bench/proxy-sync.ts [services]
 * Prints JSON: {services, rules, generateMs, restoreMs, resyncRestoreMs, partialRulesWritten,
 * partialGenerateMs, partialRestoreMs, cleanupMs} (ms).
 */
import { randomBytes } from 'node:crypto';
import { generateRules, jumpRules, type ProxyEndpointSlice, type ProxyService } from '../src/agent/network/proxy/rules.ts';
import { cleanupChains, hostIptables, missingJumps, parseSave } from '../src/agent/network/proxy/iptables.ts';

const count = Number(process.argv[2] ?? 1000);
const prefix = `bn${randomBytes(2).toString('hex')}`;
const cfg = { chainPrefix: prefix.toUpperCase(), commentPrefix: prefix, nodeName: 'bench-node', clusterCIDR: '10.199.0.0/16' };

const services: ProxyService[] = [];
const slices: ProxyEndpointSlice[] = [];
for (let i = 0; i < count; i++) {
  services.push({
    metadata: { name: `svc-${i}`, namespace: 'bench' },
    spec: { type: 'ClusterIP', clusterIP: `10.198.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  slices.push({
    metadata: { name: `svc-${i}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    endpoints: [0, 1].map((k) => ({ addresses: [`10.199.${(2 * i + k) >> 8}.${(2 * i + k) & 255}`], conditions: { ready: true }, nodeName: 'bench-node' })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
}

async function main(): Promise<void> {
  try {
    const extra = missingJumps(jumpRules(cfg), { nat: parseSave(''), filter: parseSave('') });
    let t = performance.now();
    const gen = generateRules(cfg, services, slices, undefined, extra);
    const generateMs = performance.now() - t;
    t = performance.now();
    await hostIptables.restore(gen.restore);
    const restoreMs = performance.now() - t;
    const again = generateRules(cfg, services, slices, { nat: gen.natChains, filter: gen.filterChains });
    t = performance.now();
    await hostIptables.restore(again.restore);
    const resyncRestoreMs = performance.now() - t;
    // Partial sync: one Service's endpoint changed; only its chains (plus the fixed ones) are written.
    slices[0] = { ...slices[0]!, endpoints: [{ addresses: ['10.199.255.254'], conditions: { ready: true }, nodeName: 'bench-node' }] };
    t = performance.now();
    const partial = generateRules(cfg, services, slices, { nat: again.natChains, filter: again.filterChains }, undefined, again.chainContent);
    const partialGenerateMs = performance.now() - t;
    t = performance.now();
    await hostIptables.restore(partial.restore);
    const partialRestoreMs = performance.now() - t;
    t = performance.now();
    await cleanupChains(hostIptables, cfg.chainPrefix);
    const cleanupMs = performance.now() - t;
    const r = (x: number) => Math.round(x * 10) / 10;
    console.log(JSON.stringify({ services: count, endpointsPerService: 2, rules: gen.ruleCount, chains: gen.natChains.length + gen.filterChains.length, generateMs: r(generateMs), restoreMs: r(restoreMs), resyncRestoreMs: r(resyncRestoreMs), partialRulesWritten: partial.rulesWritten, partialGenerateMs: r(partialGenerateMs), partialRestoreMs: r(partialRestoreMs), cleanupMs: r(cleanupMs) }));
  } finally {
    await cleanupChains(hostIptables, cfg.chainPrefix);
  }
}

await main();
