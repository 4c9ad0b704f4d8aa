/**
 * Development helper: runs an APIServer over HTTPS with the real resource table (or the stand-ins
 * when SKIFF_STAND_INS=1) on 127.0.0.1:<port>, writing <dir>/kubeconfig. Usage:
 *   node --import tsx src/apiserver/testing/dev-server.ts <dir> [port]
 */
import { join } from 'node:path';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';
import { realMachinery } from '../machinery-real.ts';
import { TokenAuthenticator } from '../auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../pki.ts';
import { standInResources } from './stand-in-resources.ts';

const dir = process.argv[2] ?? '/tmp/skiff-dev';
const port = Number(process.argv[3] ?? '0');
const pki = ensurePKI(dir);
const token = ensureAdminToken(dir);
const backend = SqliteBackend.open(join(dir, 'state.db'));
const api = new APIServer({
  backend,
  kubelets: new KubeletConnections(),
  authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }),
  resources: process.env.SKIFF_STAND_INS ? standInResources() : undefined,
  machinery: realMachinery(),
});
const { url } = await api.listen({ host: '127.0.0.1', port, tls: { cert: pki.certPem, key: pki.keyPem } });
writeKubeconfig(join(dir, 'kubeconfig'), { server: url, caPem: pki.caPem, token });
const c = api.inProcessClient();
try {
  await c.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
} catch {
  /* exists */
}
console.log(`listening ${url}`);
