/**
 * e2e: ServiceAccount tokens in a real pod (real `skiff server`, runc container skiff.local/web:1):
 * the ServiceAccount admission mounts `kube-api-access-*` at /var/run/secrets/kubernetes.io/
 * serviceaccount, the kubelet writes a pod-bound token from a TokenRequest, `ca.crt` is the cluster
 * CA from the `kube-root-ca.crt` ConfigMap (root-ca-cert-publisher) and `namespace` the pod's
 * namespace. The token read from the container (`kubectl exec cat`) reads the pod itself over
 * HTTPS (TLS verified against that ca.crt, server name kubernetes.default.svc) thanks to a Role
 * `get pods` bound to the ServiceAccount, and nothing else (list, other namespaces: 403).
 *
 * The HTTPS calls run curl inside the pod's network namespace (through the Service IP) and from the
 * test. busybox wget in the image cannot be the client: its built-in TLS sends no
 * signature_algorithms, and OpenSSL 3 (Node's TLS) refuses the SHA-1 fallback that implies.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { checkServerIdentity } from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import YAML from 'yaml';
import { useCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const NS = 'sa-e2e';
const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

const OBJECTS = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: ${NS}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-getter, namespace: ${NS}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-gets-pods, namespace: ${NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-getter}
subjects:
- {kind: ServiceAccount, name: reader, namespace: ${NS}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${NS}}
spec:
  serviceAccountName: reader
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
`;

/** GET with the bearer token; TLS verified with `ca` for the name kubernetes.default.svc, or for the IP `asIP`. */
function httpsGet(url: string, token: string, ca: string, asIP?: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const tlsName = asIP ? { checkServerIdentity: (_h: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(asIP, cert) } : { servername: 'kubernetes.default.svc' };
    const req = request(url, { method: 'GET', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, ca, ...tlsName }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('e2e: ServiceAccount token mounted in a pod reads the API with the pod\'s RBAC permissions', { timeout: 150_000 }, () => {
  const run = useCluster({ webImages: true });
  let c: TestCluster;
  let id: RunIdentity;
  before(() => {
    ({ c, id } = run);
  });

  test('kube-api-access volume: token, ca.crt, namespace; the token gets its own pod and nothing more', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: OBJECTS });
    const pod = await waitFor('pod client Running', async () => {
      const p = JSON.parse(await c.kubectl(['get', 'pod', 'client', '-n', NS, '-o', 'json']));
      return p.status?.phase === 'Running' ? p : undefined;
    }, 90_000);
    const vol = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    assert.ok(vol, 'admission added the kube-api-access volume');
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath: MOUNT }]);

    const cat = (f: string) => c.kubectl(['exec', '-n', NS, 'client', '--', 'cat', `${MOUNT}/${f}`]);
    const kc = YAML.parse(readFileSync(c.kubeconfig, 'utf8'));
    const clusterCA = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8');
    const ca = await waitFor('ca.crt projected', async () => ((await cat('ca.crt').catch(() => '')) || undefined), 30_000);
    assert.equal(ca, clusterCA);
    assert.equal(await cat('namespace'), NS);
    const token = (await cat('token')).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    assert.equal(claims.sub, `system:serviceaccount:${NS}:reader`);
    assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'client', uid: pod.metadata.uid });
    assert.equal(claims['kubernetes.io'].node.name, pod.spec.nodeName);
    assert.equal(claims['kubernetes.io'].warnafter, claims.iat + 3607, 'kubelet token: warnafter at 3607 s');
    assert.equal(claims.exp, claims.iat + 365 * 24 * 3600, 'kubelet token: extended to a year');

    const self = await httpsGet(`${c.url}/api/v1/namespaces/${NS}/pods/client`, token, ca);
    assert.equal(self.code, 200, self.body);
    assert.equal(JSON.parse(self.body).metadata.uid, pod.metadata.uid);
    // The serving certificate also names the kubernetes Service's ClusterIP (KUBERNETES_SERVICE_HOST).
    const serviceIP = (await c.kubectl(['get', 'service', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.equal((await httpsGet(`${c.url}/api/v1/namespaces/${NS}/pods/client`, token, ca, serviceIP)).code, 200);
    // From the pod's own network namespace, https://kubernetes.default.svc (the Service IP) reaches the
    // apiserver: the proxy DNATs to the kubernetes endpoint (the node's pod gateway), where the agent
    // relays to the apiserver's loopback listener.
    const netns = execFileSync('ip', ['netns', 'list']).toString().split('\n').map((l) => l.split(' ')[0]!).find((n) => n.startsWith(`${id.prefix}-${pod.metadata.uid.replace(/-/g, '').slice(0, 12)}-`));
    assert.ok(netns, 'the pod has a network namespace');
    const caFile = path.join(id.dataDir, 'pod-ca.crt');
    writeFileSync(caFile, ca);
    const inPod = await waitFor('the API answers inside the pod network', async () => {
      try {
        return execFileSync('ip', ['netns', 'exec', netns, 'curl', '-sS', '--max-time', '5', '--cacert', caFile, '--resolve', `kubernetes.default.svc:443:${serviceIP}`, '-H', `Authorization: Bearer ${token}`, `https://kubernetes.default.svc/api/v1/namespaces/${NS}/pods/client`]).toString();
      } catch {
        return undefined;
      }
    }, 30_000);
    assert.equal(JSON.parse(inPod).metadata.uid, pod.metadata.uid);
    const eps = JSON.parse(await c.kubectl(['get', 'endpoints', 'kubernetes', '-n', 'default', '-o', 'json']));
    assert.equal(eps.subsets[0].addresses[0].ip, execFileSync('ip', ['netns', 'exec', netns, 'ip', '-4', 'route', 'show', 'default']).toString().split(' ')[2]);
    const list = await httpsGet(`${c.url}/api/v1/namespaces/${NS}/pods`, token, ca);
    assert.equal(list.code, 403);
    assert.equal(JSON.parse(list.body).message, `pods is forbidden: User "system:serviceaccount:${NS}:reader" cannot list resource "pods" in API group "" in the namespace "${NS}"`);
    const other = await httpsGet(`${c.url}/api/v1/namespaces/default/pods/client`, token, ca);
    assert.equal(other.code, 403);

    // The token dies with its pod.
    await c.kubectl(['delete', 'pod', 'client', '-n', NS, '--grace-period=0', '--force']);
    await waitFor('token rejected after the pod is gone', async () => ((await httpsGet(`${c.url}/api/v1/namespaces/${NS}/pods/client`, token, ca)).code === 401 ? true : undefined), 60_000);
  });
});
