/**
 * Micro benchmark of the pod-start write path with managedFields: per iteration, create a Pod,
 * update it (PUT, one label changed) and write its status (PUT pods/status, as the kubelet does),
 * through the in-process client on an in-memory SQLite store. Prints the mean ms per iteration.
 *
 *   node --import tsx bench/fieldmanager-pod.ts [iterations] [repo root to load src/ from]
 *
 * The second argument lets the same loop run against another checkout (e.g. a git worktree of the
 * commit before managedFields) to compare before/after on the same machine.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const iterations = Number(process.argv[2] ?? 300);
const root = resolve(process.argv[3] ?? '.');
const mod = async (p: string) => import(pathToFileURL(resolve(root, p)).href);

const { SqliteBackend } = await mod('src/storage/sqlite/sqlite-backend.ts');
const { APIServer } = await mod('src/apiserver/server.ts');
const { KubeletConnections } = await mod('src/apiserver/kubelet-client.ts');
const { TokenAuthenticator } = await mod('src/apiserver/auth/token.ts');
const { GVR } = await mod('src/client/interface.ts');

const backend = SqliteBackend.open(':memory:');
const api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator() });
await api.waitReady();
const c = api.inProcessClient();
await c.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });

function pod(i: number) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, labels: { app: 'bench', i: String(i) } },
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'], ports: [{ containerPort: 8080 }], env: [{ name: 'A', value: '1' }], resources: { requests: { cpu: '100m', memory: '64Mi' } } },
      ],
    },
  };
}

async function once(i: number): Promise<void> {
  const created = await c.create(GVR.pods, 'default', pod(i));
  created.metadata.labels.phase = 'updated';
  const updated = await c.update(GVR.pods, 'default', created);
  updated.status = {
    phase: 'Running',
    podIP: '10.0.0.1',
    conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }],
    containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox:1.36', imageID: 'x', started: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }],
  };
  await c.update(GVR.pods, 'default', updated, { subresource: 'status' });
}

for (let i = 0; i < 50; i++) await once(100000 + i); // warm-up
const t0 = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) await once(i);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`${root}: ${iterations} × (create + update + status update) of a Pod: ${(ms / iterations).toFixed(3)} ms per iteration`);
await api.stop();
await backend.close();
