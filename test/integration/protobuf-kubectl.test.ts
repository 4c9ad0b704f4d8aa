/**
 * kubectl 1.32's typed generators send protobuf bodies (KUBECTL.md §0.2). For each `kubectl create
 * <generator>` this test takes the object kubectl builds itself (`--dry-run=client -o json`) as the
 * expected value, then runs the same command for real through a recording HTTP proxy in front of
 * the apiserver and checks that `decodeK8sProtobuf` turns the captured protobuf body into that same
 * object. Kinds the server serves must also be created (kubectl prints `<kind>/<name> created`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI } from '../../src/apiserver/pki.ts';
import { decodeK8sProtobuf, PROTOBUF_MEDIA_TYPE } from '../../src/apiserver/handlers/protobuf.ts';
import { RESOURCES } from '../../src/api/resource-table.ts';
import { GVR, type Client } from '../../src/client/interface.ts';
import { runKubectl, type KubectlRun } from '../support/kubectl.ts';

const TOKEN = 'pb-token';
let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let proxy: Server;
let kubeconfig: string;
let client: Client;
let certFile: string;
let keyFile: string;
/** Protobuf request bodies seen by the proxy, in order. */
const captured: { method: string; url: string; body: Buffer }[] = [];

function kubectl(args: string[]): Promise<KubectlRun> {
  return runKubectl(kubeconfig, dir, args);
}

/** Drops nulls, empty objects and empty arrays (JSON omitempty vs. proto absence), recursively. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p === null || p === undefined) continue;
      if (Array.isArray(p) && p.length === 0) continue;
      if (p && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

/** Whether the server serves `group/resource` (kinds other engineers may still be adding). */
function served(group: string, resource: string): boolean {
  return RESOURCES.some((r) => r.group === group && r.resource === resource);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-pb-'));
  const pki = ensurePKI(dir);
  certFile = join(dir, 'tls.crt');
  keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, pki.certPem);
  writeFileSync(keyFile, pki.keyPem);
  backend = SqliteBackend.open(':memory:');
  api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator().add(TOKEN, { name: 'admin', groups: ['system:masters'] }) });
  const { url } = await api.listen({ host: '127.0.0.1', port: 0 });
  const target = new URL(url);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.headers['content-type'] === PROTOBUF_MEDIA_TYPE) captured.push({ method: req.method ?? '', url: req.url ?? '', body });
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${TOKEN}` } }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const addr = proxy.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'pb', cluster: { server: `http://127.0.0.1:${port}` } }],
      // kubectl sends no bearer token over plain HTTP; the proxy adds it.
      users: [{ name: 'admin', user: {} }],
      contexts: [{ name: 'pb', context: { cluster: 'pb', user: 'admin', namespace: 'default' } }],
      'current-context': 'pb',
    }),
  );
  client = api.inProcessClient();
  await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
});

after(async () => {
  await new Promise<void>((r) => proxy?.close(() => r()));
  await api?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `kubectl create <args> --dry-run=client -o json` (expected object) and `kubectl create
 * <args>` (captured body), and checks the decoded body equals the expected object. When the
 * resource is served, the create must succeed with `<printed> created`.
 */
async function check(args: string[], group: string, resource: string, printed: string): Promise<Record<string, any>> {
  const dry = await kubectl(['create', '--dry-run=client', '-o', 'json', ...args]);
  assert.equal(dry.code, 0, dry.stderr);
  const expected = JSON.parse(dry.stdout);
  const n = captured.length;
  const real = await kubectl(['create', ...args]);
  const mine = captured.slice(n).filter((c) => c.method === 'POST');
  assert.equal(mine.length, 1, `one protobuf POST for kubectl create ${args.join(' ')}: ${real.stderr}`);
  const decoded = decodeK8sProtobuf(mine[0]!.body);
  assert.deepEqual(prune(decoded), prune(expected));
  if (served(group, resource)) {
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stdout.trim(), `${printed} created`);
  }
  return decoded as Record<string, any>;
}

test('create job, cronjob and job --from=cronjob', async () => {
  const j = await check(['job', 'j1', '--image=busybox', '--', 'echo', 'hi'], 'batch', 'jobs', 'job.batch/j1');
  assert.deepEqual(j.spec.template.spec.containers[0].command, ['echo', 'hi']);
  const cj = await check(['cronjob', 'cj1', '--image=busybox', '--schedule=*/5 * * * *', '--restart=OnFailure', '--', 'date'], 'batch', 'cronjobs', 'cronjob.batch/cj1');
  assert.equal(cj.spec.schedule, '*/5 * * * *');
  assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
  // --from=cronjob copies the stored (defaulted) template and adds the owner reference.
  const fromCJ = await check(['job', 'j2', '--from=cronjob/cj1'], 'batch', 'jobs', 'job.batch/j2');
  assert.equal(fromCJ.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
  assert.equal(fromCJ.metadata.ownerReferences[0].kind, 'CronJob');
});

test('create job --from=cronjob keeps a rich pod template (env sources, envFrom, probes, lifecycle, security context, volumes)', async () => {
  await client.create({ group: 'batch', version: 'v1', resource: 'cronjobs' }, 'default', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'rich', labels: { app: 'rich' } },
    spec: {
      schedule: '0 * * * *',
      jobTemplate: {
        metadata: { labels: { app: 'rich' } },
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { labels: { app: 'rich' }, annotations: { note: 'x' } },
            spec: {
              restartPolicy: 'OnFailure',
              nodeSelector: { disk: 'ssd' },
              tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
              volumes: [
                { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
                { name: 'cfg', configMap: { name: 'c1', defaultMode: 420, items: [{ key: 'a', path: 'a.txt' }] } },
                { name: 'sec', secret: { secretName: 'sg', optional: true } },
                { name: 'host', hostPath: { path: '/tmp', type: 'Directory' } },
              ],
              containers: [
                {
                  name: 'main',
                  image: 'busybox',
                  args: ['sh', '-c', 'true'],
                  workingDir: '/work',
                  env: [
                    { name: 'PLAIN', value: 'v' },
                    { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                    { name: 'MEM', valueFrom: { resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } } },
                    { name: 'CM', valueFrom: { configMapKeyRef: { name: 'c1', key: 'a', optional: true } } },
                    { name: 'SEC', valueFrom: { secretKeyRef: { name: 'sg', key: 'user' } } },
                  ],
                  envFrom: [{ prefix: 'C_', configMapRef: { name: 'c1' } }, { secretRef: { name: 'sg', optional: false } }],
                  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                  resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
                  volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/cfg', readOnly: true, subPath: 'a.txt' }],
                  readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5, failureThreshold: 2 },
                  livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 3 },
                  startupProbe: { tcpSocket: { port: 8080 } },
                  lifecycle: { preStop: { exec: { command: ['sleep', '1'] } }, postStart: { sleep: { seconds: 1 } } },
                  securityContext: { runAsUser: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                  stdin: true,
                  tty: true,
                },
              ],
            },
          },
        },
      },
    },
  });
  const j = await check(['job', 'rich-now', '--from=cronjob/rich'], 'batch', 'jobs', 'job.batch/rich-now');
  assert.equal(j.spec.template.spec.containers[0].env[2].valueFrom.resourceFieldRef.divisor, '1Mi');
});

test('create service clusterip, nodeport, loadbalancer, externalname', async () => {
  await check(['service', 'clusterip', 's1', '--tcp=80:8080'], '', 'services', 'service/s1');
  await check(['service', 'clusterip', 's1h', '--clusterip=None'], '', 'services', 'service/s1h');
  await check(['service', 'nodeport', 's2', '--tcp=80:8080', '--node-port=30080'], '', 'services', 'service/s2');
  await check(['service', 'loadbalancer', 's3', '--tcp=443:https'], '', 'services', 'service/s3');
  const en = await check(['service', 'externalname', 's4', '--external-name=example.com'], '', 'services', 'service/s4');
  assert.equal(en.spec.externalName, 'example.com');
});

test('create secret generic, tls, docker-registry; configmap from literals and files', async () => {
  const f = join(dir, 'settings.conf');
  writeFileSync(f, 'a=1\nb=2\n');
  await check(['secret', 'generic', 'sg', '--from-literal=user=admin', `--from-file=${f}`], '', 'secrets', 'secret/sg');
  const tls = await check(['secret', 'tls', 'st', `--cert=${certFile}`, `--key=${keyFile}`], '', 'secrets', 'secret/st');
  assert.equal(tls.type, 'kubernetes.io/tls');
  const dr = await check(['secret', 'docker-registry', 'sd', '--docker-server=r.example', '--docker-username=u', '--docker-password=p'], '', 'secrets', 'secret/sd');
  assert.equal(dr.type, 'kubernetes.io/dockerconfigjson');
  await check(['configmap', 'c1', '--from-literal=a=b', `--from-file=${f}`], '', 'configmaps', 'configmap/c1');
});

test('create quota, priorityclass, poddisruptionbudget', async () => {
  const q = await check(['quota', 'q1', '--hard=cpu=1,memory=1G,pods=2'], '', 'resourcequotas', 'resourcequota/q1');
  assert.deepEqual(q.spec.hard, { cpu: '1', memory: '1G', pods: '2' });
  await check(['quota', 'q2', '--hard=pods=5', '--scopes=BestEffort'], '', 'resourcequotas', 'resourcequota/q2');
  const pc = await check(['priorityclass', 'pc1', '--value=1000', '--description=high', '--preemption-policy=Never'], 'scheduling.k8s.io', 'priorityclasses', 'priorityclass.scheduling.k8s.io/pc1');
  assert.equal(pc.value, 1000);
  await check(['poddisruptionbudget', 'pdb1', '--selector=app=web', '--min-available=50%'], 'policy', 'poddisruptionbudgets', 'poddisruptionbudget.policy/pdb1');
  await check(['poddisruptionbudget', 'pdb2', '--selector=app=web', '--max-unavailable=1'], 'policy', 'poddisruptionbudgets', 'poddisruptionbudget.policy/pdb2');
});

test('create role, clusterrole, rolebinding, clusterrolebinding', async () => {
  const r = await check(['role', 'r1', '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=web'], 'rbac.authorization.k8s.io', 'roles', 'role.rbac.authorization.k8s.io/r1');
  assert.ok(r.rules.some((x: any) => x.apiGroups[0] === '' && x.resources[0] === 'pods'));
  await check(['clusterrole', 'cr1', '--verb=get', '--resource=nodes', '--non-resource-url=/healthz'], 'rbac.authorization.k8s.io', 'clusterroles', 'clusterrole.rbac.authorization.k8s.io/cr1');
  await check(['clusterrole', 'cr2', '--aggregation-rule=rbac.example.com/aggregate-to-view=true'], 'rbac.authorization.k8s.io', 'clusterroles', 'clusterrole.rbac.authorization.k8s.io/cr2');
  await check(['rolebinding', 'rb1', '--role=r1', '--user=alice', '--group=devs', '--serviceaccount=default:sa1'], 'rbac.authorization.k8s.io', 'rolebindings', 'rolebinding.rbac.authorization.k8s.io/rb1');
  const crb = await check(['clusterrolebinding', 'crb1', '--clusterrole=cr1', '--user=bob'], 'rbac.authorization.k8s.io', 'clusterrolebindings', 'clusterrolebinding.rbac.authorization.k8s.io/crb1');
  assert.deepEqual(crb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cr1' });
});

test('create ingress', async () => {
  const ing = await check(
    ['ingress', 'ing1', '--class=nginx', '--rule=foo.com/bar*=svc1:8080,tls=my-cert', '--rule=/api=svc2:http', '--default-backend=defsvc:80'],
    'networking.k8s.io',
    'ingresses',
    'ingress.networking.k8s.io/ing1',
  );
  assert.equal(ing.spec.rules[0].http.paths[0].pathType, 'Prefix');
  assert.equal(ing.spec.rules[0].http.paths[0].backend.service.port.number, 8080);
  assert.equal(ing.spec.rules[1].http.paths[0].backend.service.port.name, 'http');
});
