/**
 * Test helpers for controller tests: polling `until`, and a fake "kubelet" that marks pods of a
 * FakeClient Running + Ready (so rollouts can progress without a node agent).
 */
import type { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';

/** Polls `cond` every 5 ms until true; throws after `timeoutMs` (generous by default). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Marks every active pod in `namespace` without a Ready=True condition as Running + Ready (status subresource). */
export async function markPodsReady(c: FakeClient, namespace: string, filter: (p: KubeObject) => boolean = () => true): Promise<number> {
  let n = 0;
  for (const p of c.peekAll(GVR.pods, namespace)) {
    if (p.metadata?.deletionTimestamp || !filter(p)) continue;
    const st = (p.status ?? {}) as { conditions?: { type: string; status: string }[] };
    if (st.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) continue;
    const now = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await c.update(
      GVR.pods,
      namespace,
      { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } },
      { subresource: 'status' },
    );
    n++;
  }
  return n;
}
