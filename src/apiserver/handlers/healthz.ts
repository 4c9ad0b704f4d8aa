/**
 * `/healthz`, `/livez`, `/readyz` and their per-check paths, after
 * k8s.io/apiserver/pkg/server/healthz/healthz.go (InstallPathHandler, handleRootHealth,
 * adaptCheckToHandler, getExcludedChecks) and the check sets kube-apiserver 1.32 installs
 * (pkg/server/config.go: healthz = ping, log, etcd, post-start hooks; livez = the same;
 * readyz adds etcd-readiness, informer-sync and shutdown).
 *
 * Output, as upstream:
 * - `GET /readyz` → `ok` (200) when every check passes; with `?verbose` one line per check
 *   (`[+]ping ok`, `[+]etcd excluded: ok`) then `readyz check passed`.
 * - any failing check → 500 with the per-check lines (`[-]etcd failed: reason withheld`) and
 *   `readyz check failed`, whether verbose or not; the reason itself is only logged.
 * - `?exclude=a&exclude=b,c` skips checks; names that match nothing add
 *   `warn: some health checks cannot be excluded: no matches for "x"`.
 * - `GET /readyz/<check>` → `ok`, or 500 `internal server error: <reason>`; unknown names → 404.
 */
import type { ServerResponse } from 'node:http';

/** One named health check. `check` resolves when healthy and throws (or rejects) with the reason otherwise. */
export interface HealthChecker {
  /** Upstream's check name, e.g. `ping`, `etcd`, `poststarthook/rbac/bootstrap-roles`. */
  name: string;
  check(): Promise<void> | void;
}

/** The three health endpoints. */
export type HealthEndpoint = 'healthz' | 'livez' | 'readyz';

/** A check that always passes (upstream healthz.PingHealthz; `log` is the same here, see {@link logHealthz}). */
export const pingHealthz: HealthChecker = { name: 'ping', check: () => undefined };

/**
 * Upstream's `log` check fails when klog's flush has been blocked for a minute. Skiff logs with
 * pino to stderr, which never blocks the event loop this way, so it passes whenever the process answers.
 */
export const logHealthz: HealthChecker = { name: 'log', check: () => undefined };

/**
 * A post-start hook check (upstream postStartHookHealthz): fails with `not finished` until `done()` is true.
 * `name` is the hook name without the `poststarthook/` prefix.
 */
export function postStartHookHealthz(name: string, done: () => boolean): HealthChecker {
  return {
    name: `poststarthook/${name}`,
    check: () => {
      if (!done()) throw new Error('not finished');
    },
  };
}

/**
 * Wraps an async check with a timeout (ms), as upstream's etcd check bounds its probe
 * (`--etcd-healthcheck-timeout`, default 2 s): a hung store fails with `timed out after Nms`.
 */
export function withTimeout(c: HealthChecker, timeoutMs: number): HealthChecker {
  return {
    name: c.name,
    check: async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => c.check()),
          new Promise<never>((_r, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
          }),
        ]);
      } finally {
        if (timer) clearTimeout(timer);
      }
    },
  };
}

/** The excluded check names of a request (`exclude` may repeat and hold comma-separated names; getExcludedChecks). */
export function excludedChecks(q: URLSearchParams): string[] {
  const out: string[] = [];
  for (const v of q.getAll('exclude')) {
    for (const n of v.split(',')) {
      const t = n.trim();
      if (t && !out.includes(t)) out.push(t);
    }
  }
  return out;
}

/** Result of {@link evaluateHealth}: HTTP code and text body (no trailing newline on success bodies, as upstream). */
export interface HealthResult {
  code: 200 | 404 | 500;
  body: string;
  /** `[-]name failed: <reason>` lines for the log (never sent to the client). */
  failures: string[];
}

/**
 * Evaluates `/<endpoint>` (subPath '') or `/<endpoint>/<check>` against `checks`.
 * `q` carries `verbose` and `exclude`. Never throws.
 */
export async function evaluateHealth(endpoint: HealthEndpoint, subPath: string, q: URLSearchParams, checks: HealthChecker[]): Promise<HealthResult> {
  if (subPath) {
    const c = checks.find((x) => x.name === subPath);
    if (!c) return { code: 404, body: '404 page not found\n', failures: [] };
    try {
      await c.check();
      return { code: 200, body: 'ok', failures: [] };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { code: 500, body: `internal server error: ${reason}\n`, failures: [`[-]${c.name} failed: ${reason}`] };
    }
  }
  const excluded = new Set(excludedChecks(q));
  const results = await Promise.all(
    checks.map(async (c) => {
      if (excluded.has(c.name)) return { c, skipped: true, err: undefined as string | undefined };
      try {
        await c.check();
        return { c, skipped: false, err: undefined };
      } catch (err) {
        return { c, skipped: false, err: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  let out = '';
  const failures: string[] = [];
  for (const r of results) {
    if (r.skipped) {
      excluded.delete(r.c.name);
      out += `[+]${r.c.name} excluded: ok\n`;
    } else if (r.err !== undefined) {
      out += `[-]${r.c.name} failed: reason withheld\n`;
      failures.push(`[-]${r.c.name} failed: ${r.err}`);
    } else {
      out += `[+]${r.c.name} ok\n`;
    }
  }
  if (excluded.size > 0) out += `warn: some health checks cannot be excluded: no matches for ${[...excluded].sort().map((n) => JSON.stringify(n)).join(',')}\n`;
  if (failures.length) return { code: 500, body: `${out}${endpoint} check failed\n`, failures };
  if (!q.has('verbose')) return { code: 200, body: 'ok', failures };
  return { code: 200, body: `${out}${endpoint} check passed\n`, failures };
}

/**
 * Serves a health request (`pathname` is `/readyz`, `/livez/etcd`, …) as text/plain. Failures are
 * passed to `log` (upstream logs them at V(2)); the client sees only `reason withheld`.
 */
export async function serveHealth(res: ServerResponse, pathname: string, q: URLSearchParams, checks: Record<HealthEndpoint, HealthChecker[]>, log?: (lines: string[]) => void): Promise<void> {
  const m = /^\/(healthz|livez|readyz)(?:\/(.*))?$/.exec(pathname);
  const endpoint = (m?.[1] ?? 'healthz') as HealthEndpoint;
  const r = await evaluateHealth(endpoint, m?.[2] ?? '', q, checks[endpoint]);
  if (r.failures.length) log?.(r.failures);
  res.writeHead(r.code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, private' });
  res.end(r.body);
}
