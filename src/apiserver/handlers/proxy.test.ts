/**
 * pods/proxy and services/proxy resolution (upstream ResourceLocation for pods and services,
 * SplitSchemeNamePort, IsProxyableIP, Go's dial error wording) and the authorization attributes
 * of a proxy request (`<verb>` on `services/proxy`, name = the `[scheme:]name[:port]` segment).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkProxyableIP, dialErrorText, parseProxyPath, podResourceLocation, serviceResourceLocation, splitSchemeNamePort } from './proxy.ts';
import type { KubeObject } from '../../client/interface.ts';
import { StatusError } from '../../machinery/errors.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import type { AuthorizationAttributes } from '../auth/authorizer.ts';

function getter(objs: Record<string, unknown>) {
  return async (r: string, ns: string, n: string): Promise<KubeObject> => {
    const o = objs[`${r}/${ns}/${n}`];
    if (!o) throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${r} "${n}" not found`, reason: 'NotFound', code: 404 });
    return o as KubeObject;
  };
}

async function statusOf(p: Promise<unknown>): Promise<{ code: number; reason?: string; message?: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return { code: err.status.code, reason: err.status.reason, message: err.status.message };
  }
  assert.fail('expected an error');
}

describe('proxy resource locations', () => {
  test('parseProxyPath and splitSchemeNamePort', () => {
    assert.deepEqual(parseProxyPath('/api/v1/namespaces/default/services/https:web:443/proxy/a/b'), {
      prefix: '/api/v1/namespaces/default/services/https:web:443/proxy', namespace: 'default', resource: 'services', id: 'https:web:443', path: '/a/b',
    });
    assert.equal(parseProxyPath('/api/v1/namespaces/default/pods/p/proxy')?.path, '');
    assert.equal(parseProxyPath('/api/v1/namespaces/default/pods/p/log'), undefined);
    assert.equal(parseProxyPath('/api/v1/nodes/n/proxy/stats'), undefined);
    assert.deepEqual(splitSchemeNamePort('web'), { scheme: '', name: 'web', port: '', valid: true });
    assert.deepEqual(splitSchemeNamePort('web:80'), { scheme: '', name: 'web', port: '80', valid: true });
    assert.deepEqual(splitSchemeNamePort('https:web:443'), { scheme: 'https', name: 'web', port: '443', valid: true });
    assert.equal(splitSchemeNamePort('ftp:web:21').valid, false);
    assert.equal(splitSchemeNamePort(':80').valid, false);
    assert.equal(splitSchemeNamePort('a:b:c:d').valid, false);
  });

  test('IsProxyableIP: loopback, link-local and unparsable addresses are refused', () => {
    for (const ip of ['127.0.0.1', '::1', '169.254.1.1', 'fe80::1', '', 'x']) assert.throws(() => checkProxyableIP(ip), /address not allowed/);
    for (const ip of ['10.88.0.5', 'fd00::5']) assert.doesNotThrow(() => checkProxyableIP(ip));
    assert.doesNotThrow(() => checkProxyableIP('127.0.0.1', true));
  });

  test('pod: default port = first declared container port; scheme; errors', async () => {
    const get = getter({
      'pods/ns/p': { metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }, { name: 'b', ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }] }, status: { podIP: '10.88.0.5' } },
      'pods/ns/noport': { metadata: { name: 'noport' }, spec: { containers: [{ name: 'a' }] }, status: { podIP: '10.88.0.6' } },
      'pods/ns/pending': { metadata: { name: 'pending' }, spec: { containers: [{ name: 'a' }] }, status: {} },
      'pods/ns/v6': { metadata: { name: 'v6' }, spec: { containers: [{ name: 'a' }] }, status: { podIP: 'fd00::6' } },
    });
    assert.equal((await podResourceLocation(get, 'ns', 'p')).href, 'http://10.88.0.5:8080/');
    assert.equal((await podResourceLocation(get, 'ns', 'https:p:8443')).href, 'https://10.88.0.5:8443/');
    assert.equal((await podResourceLocation(get, 'ns', 'noport')).href, 'http://10.88.0.6/');
    assert.equal((await podResourceLocation(get, 'ns', 'v6:81')).href, 'http://[fd00::6]:81/');
    assert.deepEqual(await statusOf(podResourceLocation(get, 'ns', 'pending')), { code: 400, reason: 'BadRequest', message: 'address not allowed' });
    assert.deepEqual(await statusOf(podResourceLocation(get, 'ns', 'ftp:p:1')), { code: 400, reason: 'BadRequest', message: 'invalid pod request "ftp:p:1"' });
    assert.equal((await statusOf(podResourceLocation(get, 'ns', 'nope'))).code, 404);
  });

  test('service: port number → port name → Endpoints subset; only addresses whose targetRef pod has that IP', async () => {
    const svc = { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9100 }] } };
    const eps = {
      metadata: { name: 'web' },
      subsets: [
        { addresses: [{ ip: '10.88.0.9', targetRef: { kind: 'Pod', namespace: 'ns', name: 'gone' } }, { ip: '10.88.0.5', targetRef: { kind: 'Pod', namespace: 'ns', name: 'web-1' } }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }] },
      ],
    };
    const get = getter({
      'services/ns/web': svc,
      'endpoints/ns/web': eps,
      'pods/ns/web-1': { metadata: { name: 'web-1' }, status: { podIP: '10.88.0.5', podIPs: [{ ip: '10.88.0.5' }] } },
      'services/ns/empty': { metadata: { name: 'empty' }, spec: { ports: [{ port: 80 }] } },
      'endpoints/ns/empty': { metadata: { name: 'empty' } },
      'services/ns/orphan': { metadata: { name: 'orphan' }, spec: { ports: [{ port: 80 }] } },
      'endpoints/ns/orphan': { metadata: { name: 'orphan' }, subsets: [{ addresses: [{ ip: '10.88.0.7' }], ports: [{ port: 80 }] }] },
    });
    for (let i = 0; i < 10; i++) {
      assert.equal((await serviceResourceLocation(get, 'ns', 'web:80')).href, 'http://10.88.0.5:8080/');
      assert.equal((await serviceResourceLocation(get, 'ns', 'https:web:metrics')).href, 'https://10.88.0.5:9100/');
    }
    assert.deepEqual(await statusOf(serviceResourceLocation(get, 'ns', 'web:81')), { code: 503, reason: 'ServiceUnavailable', message: 'no service port 81 found for service "web"' });
    assert.deepEqual(await statusOf(serviceResourceLocation(get, 'ns', 'empty:80')), { code: 503, reason: 'ServiceUnavailable', message: 'no endpoints available for service "empty"' });
    // No targetRef (upstream isValidAddress skips it); an unnamed port requested by name finds nothing either.
    assert.deepEqual(await statusOf(serviceResourceLocation(get, 'ns', 'orphan')), { code: 503, reason: 'ServiceUnavailable', message: 'no endpoints available for service "orphan"' });
    assert.deepEqual(await statusOf(serviceResourceLocation(get, 'ns', 'web:grpc')), { code: 503, reason: 'ServiceUnavailable', message: 'no endpoints available for service "web:grpc"' });
    assert.equal((await statusOf(serviceResourceLocation(get, 'ns', 'nope:80'))).code, 404);
  });

  test("dial errors in Go's net wording", () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(dialErrorText(new URL('http://10.88.0.5:8080'), e('ECONNREFUSED')), 'dial tcp 10.88.0.5:8080: connect: connection refused');
    assert.equal(dialErrorText(new URL('http://10.88.0.5'), e('EHOSTUNREACH')), 'dial tcp 10.88.0.5:80: connect: no route to host');
    assert.equal(dialErrorText(new URL('https://[fd00::5]:8443'), e('ECONNREFUSED')), 'dial tcp [fd00::5]:8443: connect: connection refused');
  });
});

describe('proxy authorization', () => {
  const backend = SqliteBackend.open(':memory:');
  const seen: AuthorizationAttributes[] = [];
  const api = new APIServer({
    backend,
    kubelets: new KubeletConnections(),
    authorizer: {
      authorize: (a) => {
        seen.push(a);
        return { allowed: false };
      },
    },
  });
  after(async () => {
    await api.stop();
    await backend.close();
  });

  test('each method is its verb on services/proxy and pods/proxy, named by the id segment; denied → 403', async () => {
    const { url } = await api.listen({ host: '127.0.0.1', port: 0 });
    for (const [method, verb] of [['GET', 'get'], ['POST', 'create'], ['PUT', 'update'], ['PATCH', 'patch'], ['DELETE', 'delete']] as const) {
      seen.length = 0;
      const r = await fetch(`${url}/api/v1/namespaces/default/services/web:80/proxy/x`, { method });
      assert.equal(r.status, 403);
      const st = (await r.json()) as { message: string };
      assert.equal(st.message, `services "web:80" is forbidden: User "system:admin" cannot ${verb} resource "services/proxy" in API group "" in the namespace "default"`);
      assert.deepEqual({ verb: seen[0].verb, resource: seen[0].resource, subresource: seen[0].subresource, name: seen[0].name, namespace: seen[0].namespace }, { verb, resource: 'services', subresource: 'proxy', name: 'web:80', namespace: 'default' });
    }
    const p = await fetch(`${url}/api/v1/namespaces/ns1/pods/http:p:80/proxy/`);
    assert.equal(p.status, 403);
    assert.match(((await p.json()) as { message: string }).message, /cannot get resource "pods\/proxy" in API group "" in the namespace "ns1"/);
  });
});
