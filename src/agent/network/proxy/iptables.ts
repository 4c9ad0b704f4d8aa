/**
 * The iptables side of the proxy (after kubernetes pkg/util/iptables: SaveInto/RestoreAll, and
 * kube-proxy's CleanupLeftovers): `iptables-save` parsing, one `iptables-restore --noflush` per
 * write, and removal of every chain and jump rule carrying a chain prefix.
 *
 * Only the iptables binary on PATH is used (the nft backend on these hosts); `iptables-legacy` is
 * never mixed in. Nothing outside `<PREFIX>-*` chains and the jump rules into them is touched.
 */
import { run } from '../exec.ts';
import type { JumpRule } from './rules.ts';

/** Runs iptables-restore / iptables-save; replaceable in tests. */
export interface IptablesExec {
  /** Feeds `input` to `iptables-restore -w 5 --noflush`. @throws Error with stderr on failure */
  restore(input: string): Promise<void>;
  /** `iptables-save -t <table>` output ('' when the table does not exist). */
  save(table: 'nat' | 'filter'): Promise<string>;
}

/** The real host implementation; a failed restore is retried twice (nft generation races with other writers). */
export const hostIptables: IptablesExec = {
  async restore(input: string): Promise<void> {
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await run('iptables-restore', ['-w', '5', '--noflush'], { input, timeoutMs: 60_000 });
      if (r.code === 0) return;
      last = (r.stderr || r.stdout).trim();
      await new Promise((res) => setTimeout(res, 50 * (attempt + 1)));
    }
    throw new Error(`iptables-restore failed: ${last}`);
  },
  async save(table: 'nat' | 'filter'): Promise<string> {
    const r = await run('iptables-save', ['-t', table], { timeoutMs: 60_000 });
    return r.code === 0 ? r.stdout : '';
  },
};

/** One table of `iptables-save` output: chain names and `-A` rules as [chain, rest-of-rule]. */
export interface SavedTable {
  chains: string[];
  rules: [string, string][];
}

/** Parses one `*table … COMMIT` section of iptables-save output. */
export function parseSave(text: string): SavedTable {
  const chains: string[] = [];
  const rules: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.push(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      rules.push(sp < 0 ? [rest, ''] : [rest.slice(0, sp), rest.slice(sp + 1)]);
    }
  }
  return { chains, rules };
}

const ownsChain = (prefix: string, chain: string) => chain.startsWith(`${prefix}-`);
const jumpsToOwn = (prefix: string, rule: string) => new RegExp(`(^| )-[jg] ${prefix}-\\S`).test(rule);

/**
 * The restore text that removes every `<prefix>-*` chain and every rule of another chain that jumps
 * into one (deleted by its exact saved text), for the given saved tables. Empty string when there is
 * nothing to remove. (kube-proxy CleanupLeftovers, restricted to one prefix.)
 */
export function cleanupRestoreInput(prefix: string, tables: Partial<Record<'nat' | 'filter', SavedTable>>): string {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const t = tables[table];
    if (!t) continue;
    const own = t.chains.filter((c) => ownsChain(prefix, c));
    const jumps = t.rules.filter(([chain, rule]) => !ownsChain(prefix, chain) && jumpsToOwn(prefix, rule));
    if (own.length === 0 && jumps.length === 0) continue;
    out.push(`*${table}`);
    for (const c of own) out.push(`:${c} - [0:0]`);
    for (const [chain, rule] of jumps) out.push(`-D ${chain} ${rule}`);
    for (const c of own) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * Removes every chain named `<prefix>-*` and every jump into one, in nat and filter, with one
 * iptables-restore. Idempotent. Resolves with what was removed (chain names and deleted rules).
 * @throws Error when iptables-restore fails
 */
export async function cleanupChains(ipt: IptablesExec, prefix: string): Promise<{ chains: string[]; jumps: string[] }> {
  const nat = parseSave(await ipt.save('nat'));
  const filter = parseSave(await ipt.save('filter'));
  const input = cleanupRestoreInput(prefix, { nat, filter });
  if (input) await ipt.restore(input);
  const chains = [...nat.chains, ...filter.chains].filter((c) => ownsChain(prefix, c));
  const jumps = [...nat.rules, ...filter.rules].filter(([c, r]) => !ownsChain(prefix, c) && jumpsToOwn(prefix, r)).map(([c, r]) => `-A ${c} ${r}`);
  return { chains, jumps };
}

/**
 * The restore lines (`-I <chain> 1 <rule>`, grouped as `{nat, filter}`) for the jump rules missing
 * from the saved tables (upstream ensures them with `iptables -C`/`-I` at every sync; we batch).
 */
export function missingJumps(jumps: JumpRule[], tables: Record<'nat' | 'filter', SavedTable>): { nat: string[]; filter: string[] } {
  const out = { nat: [] as string[], filter: [] as string[] };
  for (const j of jumps) {
    const have = tables[j.table].rules.some(([c, r]) => c === j.chain && r === j.rule);
    if (!have) out[j.table].push(`-I ${j.chain} 1 ${j.rule}`);
  }
  return out;
}
