// The pull client against a fake registry (test/support/fake-registry.ts): manifest negotiation,
// platform selection, digest verification, bearer/basic auth, typed errors.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { startFakeRegistry, type FakeRegistry } from '../../../../test/support/fake-registry.ts';
import { freePort } from '../../../../test/support/registry.ts';
import { ContentStore } from './content-store.ts';
import { DigestMismatchError, ImageNotFoundError, RegistryUnavailableError, UnauthorizedError, UnsupportedError } from './errors.ts';
import { parseWWWAuthenticate, RegistryClient } from './registry-client.ts';
import { parseDockerRef } from './reference.ts';
import type { Platform } from './oci-types.ts';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function tarOf(name: string, body: string): Buffer {
  const h = Buffer.alloc(512);
  new Header({ path: name, type: 'File', mode: 0o644, size: body.length, mtime: new Date(0) }).encode(h, 0);
  const b = Buffer.from(body);
  return Buffer.concat([h, b, Buffer.alloc((512 - (b.length % 512)) % 512), Buffer.alloc(1024)]);
}

/** Pushes a one-layer image into the fake; returns its digests. */
function addImage(reg: FakeRegistry, name: string, tag: string | undefined, arch: string, docker = false) {
  const layerTar = tarOf('arch.txt', arch);
  const layer = gzipSync(layerTar);
  const layerDigest = reg.addBlob(layer);
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha(layerTar)] } }));
  const configDigest = reg.addBlob(config);
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = reg.putManifest(name, tag, bytes, manifest.mediaType);
  return { digest, size: bytes.length, configDigest, layerDigest, layer, mediaType: manifest.mediaType };
}

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'skiff-regclient-test-'));
});
after(() => rmSync(work, { recursive: true, force: true }));
const store = () => new ContentStore(mkdtempSync(join(work, 'blobs-')));
const amd64: Platform = { os: 'linux', architecture: 'amd64' };

describe('manifests and blobs', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry();
  });
  after(() => reg.stop());

  test('a tagged OCI manifest resolves, blobs stream into the store verified (also through 307 redirects)', async () => {
    const img = addImage(reg, 'web', '1', 'amd64');
    const client = new RegistryClient({ platform: amd64 });
    const ref = parseDockerRef(`${reg.host}/web:1`);
    const r = await client.resolve(ref);
    assert.equal(r.digest, img.digest);
    assert.equal(r.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(r.index, undefined);
    assert.equal(sha(r.bytes), img.digest);
    const cs = store();
    reg.redirectBlobs = true;
    await client.fetchBlob(ref, r.manifest.layers[0]!, cs);
    reg.redirectBlobs = false;
    assert.deepEqual(await cs.read(img.layerDigest), img.layer);
    const accept = reg.requests.find((q) => q.path === '/v2/web/manifests/1');
    assert.ok(accept);
    assert.ok(reg.requests.some((q) => q.path === `/storage/${img.layerDigest}`), 'blob fetched through the redirect');
    // by digest
    const byDigest = await client.resolve(parseDockerRef(`${reg.host}/web@${img.digest}`));
    assert.equal(byDigest.digest, img.digest);
  });

  test('an index resolves to the platform’s manifest; attestation manifests never match; no match is NotFound', async () => {
    const a = addImage(reg, 'multi', undefined, 'amd64');
    const b = addImage(reg, 'multi', undefined, 'arm64', true);
    const att = addImage(reg, 'multi', undefined, 'unknown');
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: att.mediaType, digest: att.digest, size: att.size, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
        { mediaType: b.mediaType, digest: b.digest, size: b.size, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: a.mediaType, digest: a.digest, size: a.size, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    };
    const indexDigest = reg.putManifest('multi', 'latest', index);
    const ref = parseDockerRef(`${reg.host}/multi`);
    const r1 = await new RegistryClient({ platform: amd64 }).resolve(ref);
    assert.equal(r1.digest, a.digest);
    assert.equal(r1.index?.digest, indexDigest);
    const r2 = await new RegistryClient({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }).resolve(ref);
    assert.equal(r2.digest, b.digest);
    assert.equal(r2.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    await assert.rejects(new RegistryClient({ platform: { os: 'linux', architecture: 's390x' } }).resolve(ref), (e: unknown) => {
      assert.ok(e instanceof ImageNotFoundError);
      assert.match(e.message, /no match for platform in manifest/);
      return true;
    });
    // Docker manifest list, same selection
    const list = { ...index, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' };
    reg.putManifest('multi', 'list', list);
    const r3 = await new RegistryClient({ platform: amd64 }).resolve(parseDockerRef(`${reg.host}/multi:list`));
    assert.equal(r3.digest, a.digest);
    // A child whose size disagrees with the index descriptor is refused.
    const bad = { ...index, manifests: [{ ...index.manifests[2]!, size: a.size + 1 }] };
    reg.putManifest('multi', 'badsize', bad);
    await assert.rejects(new RegistryClient({ platform: amd64 }).resolve(parseDockerRef(`${reg.host}/multi:badsize`)), DigestMismatchError);
  });

  test('a corrupted blob fails verification and leaves nothing behind', async () => {
    const img = addImage(reg, 'corrupt', '1', 'amd64');
    const tampered = Buffer.from(img.layer);
    tampered[tampered.length - 5]! ^= 0xff;
    reg.corruptBlobs.set(img.layerDigest, tampered);
    const client = new RegistryClient({ platform: amd64 });
    const ref = parseDockerRef(`${reg.host}/corrupt:1`);
    const r = await client.resolve(ref);
    const cs = store();
    await assert.rejects(client.fetchBlob(ref, r.manifest.layers[0]!, cs), (e: unknown) => {
      assert.ok(e instanceof DigestMismatchError);
      assert.match(e.message, /unexpected commit digest sha256:[0-9a-f]{64}, expected sha256:/);
      assert.equal(e.kubeletReason, 'ErrImagePull');
      return true;
    });
    assert.equal(await cs.has(img.layerDigest), false);
    assert.deepEqual(readdirSync(join(cs.dir, 'ingest')), []);
    // Truncated/oversized blobs: size check.
    reg.corruptBlobs.set(img.layerDigest, Buffer.concat([img.layer, Buffer.from('extra')]));
    await assert.rejects(client.fetchBlob(ref, r.manifest.layers[0]!, cs), /unexpected size/);
    reg.corruptBlobs.delete(img.layerDigest);
  });

  test('a blob download that stalls fails instead of hanging', async () => {
    const img = addImage(reg, 'stall', '1', 'amd64');
    reg.stallBlobs.add(img.layerDigest);
    try {
      const client = new RegistryClient({ platform: amd64, blobIdleTimeoutMs: 300 });
      const ref = parseDockerRef(`${reg.host}/stall:1`);
      const r = await client.resolve(ref);
      const cs = store();
      await assert.rejects(client.fetchBlob(ref, r.manifest.layers[0]!, cs), (e: unknown) => {
        assert.ok(e instanceof RegistryUnavailableError);
        assert.match(e.message, /no data received for 0\.3s/);
        return true;
      });
      assert.equal(await cs.has(img.layerDigest), false);
    } finally {
      reg.stallBlobs.clear();
    }
  });

  test('a Docker-Content-Digest that does not match the body is refused', async () => {
    addImage(reg, 'liar', '1', 'amd64');
    reg.lieAboutManifestDigest = `sha256:${'1'.repeat(64)}`;
    try {
      await assert.rejects(new RegistryClient({ platform: amd64 }).resolve(parseDockerRef(`${reg.host}/liar:1`)), DigestMismatchError);
    } finally {
      reg.lieAboutManifestDigest = undefined;
    }
  });

  test('unknown manifests are NotFound with the registry’s message', async () => {
    await assert.rejects(new RegistryClient().resolve(parseDockerRef(`${reg.host}/nosuch:9`)), (e: unknown) => {
      assert.ok(e instanceof ImageNotFoundError);
      assert.equal(e.message, `failed to resolve reference "${reg.host}/nosuch:9": ${reg.host}/nosuch:9: not found (manifest_unknown: manifest unknown)`);
      assert.equal(e.kubeletReason, 'ErrImagePull');
      return true;
    });
  });

  test('schema 1 manifests are unsupported', async () => {
    reg.putManifest('old', '1', { schemaVersion: 1, name: 'old', tag: '1', fsLayers: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    await assert.rejects(new RegistryClient().resolve(parseDockerRef(`${reg.host}/old:1`)), UnsupportedError);
  });
});

describe('auth', () => {
  test('bearer: 401 challenge → token from the realm with basic credentials → retried; one token for the repository', async () => {
    const reg = await startFakeRegistry({ auth: { scheme: 'bearer', username: 'alice', password: 's3cret', service: 'fake' } });
    try {
      addImage(reg, 'private/app', 'v1', 'amd64');
      const client = new RegistryClient({ platform: amd64, auth: { username: 'alice', password: 's3cret' } });
      const ref = parseDockerRef(`${reg.host}/private/app:v1`);
      const r = await client.resolve(ref);
      await client.fetchBlob(ref, r.manifest.config, store());
      const tokenReqs = reg.requests.filter((q) => q.path.startsWith('/token'));
      assert.equal(tokenReqs.length, 1);
      const u = new URL(`http://x${tokenReqs[0]!.path}`);
      assert.equal(u.searchParams.get('service'), 'fake');
      assert.equal(u.searchParams.get('scope'), 'repository:private/app:pull');
      assert.equal(tokenReqs[0]!.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
      const blobReq = reg.requests.find((q) => q.path.includes('/blobs/'));
      assert.match(blobReq!.authorization ?? '', /^Bearer [0-9a-f]+$/);
      // `auth` (base64 user:pass) form of the credentials works too
      const c2 = new RegistryClient({ platform: amd64, auth: { auth: Buffer.from('alice:s3cret').toString('base64') } });
      assert.equal((await c2.resolve(ref)).digest, r.digest);
      // wrong password: the token server refuses
      await assert.rejects(new RegistryClient({ auth: { username: 'alice', password: 'nope' } }).resolve(ref), (e: unknown) => {
        assert.ok(e instanceof UnauthorizedError);
        assert.match(e.message, /failed to authorize: failed to fetch oauth token: unexpected status: 401/);
        return true;
      });
      // a pre-issued registry token that the registry does not accept
      await assert.rejects(new RegistryClient({ auth: { registryToken: 'bogus' } }).resolve(ref), (e: unknown) => {
        assert.ok(e instanceof UnauthorizedError);
        assert.match(e.message, /pull access denied, repository does not exist or may require authorization/);
        return true;
      });
    } finally {
      await reg.stop();
    }
  });

  test('bearer: anonymous tokens when the token server needs no credentials', async () => {
    const reg = await startFakeRegistry({ auth: { scheme: 'bearer' } });
    try {
      const img = addImage(reg, 'library/busybox', 'latest', 'amd64');
      const r = await new RegistryClient({ platform: amd64 }).resolve(parseDockerRef(`${reg.host}/library/busybox`));
      assert.equal(r.digest, img.digest);
      assert.equal(reg.requests.find((q) => q.path.startsWith('/token'))!.authorization, undefined);
    } finally {
      await reg.stop();
    }
  });

  test('basic: answered with credentials; refused without', async () => {
    const reg = await startFakeRegistry({ auth: { scheme: 'basic', username: 'bob', password: 'pw' } });
    try {
      const img = addImage(reg, 'app', '1', 'amd64');
      const ref = parseDockerRef(`${reg.host}/app:1`);
      const client = new RegistryClient({ platform: amd64, auth: { username: 'bob', password: 'pw' } });
      const r = await client.resolve(ref);
      assert.equal(r.digest, img.digest);
      await client.fetchBlob(ref, r.manifest.layers[0]!, store());
      await assert.rejects(new RegistryClient().resolve(ref), UnauthorizedError);
    } finally {
      await reg.stop();
    }
  });
});

test('an unreachable registry is a network error (ErrImagePull)', async () => {
  const port = await freePort();
  await assert.rejects(new RegistryClient().resolve(parseDockerRef(`127.0.0.1:${port}/web:1`)), (e: unknown) => {
    assert.ok(e instanceof RegistryUnavailableError);
    assert.match(e.message, /failed to do request: GET "http:\/\/127\.0\.0\.1:\d+\/v2\/web\/manifests\/1": .*ECONNREFUSED/);
    assert.equal(e.kubeletReason, 'ErrImagePull');
    return true;
  });
});

test('https for non-loopback registries, http for loopback ones', () => {
  const c = new RegistryClient();
  assert.equal(c.baseUrl(parseDockerRef('busybox')), 'https://registry-1.docker.io');
  assert.equal(c.baseUrl(parseDockerRef('example.com:5000/a')), 'https://example.com:5000');
  assert.equal(c.baseUrl(parseDockerRef('127.0.0.1:5000/a')), 'http://127.0.0.1:5000');
  assert.equal(c.baseUrl(parseDockerRef('localhost:5000/a')), 'http://localhost:5000');
  assert.equal(c.baseUrl(parseDockerRef('[::1]:5000/a')), 'http://[::1]:5000');
});

test('parseWWWAuthenticate', () => {
  assert.deepEqual(parseWWWAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
  });
  assert.deepEqual(parseWWWAuthenticate('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
  assert.deepEqual(parseWWWAuthenticate('Bearer realm=https://x/token, service=reg'), { scheme: 'bearer', params: { realm: 'https://x/token', service: 'reg' } });
  assert.equal(parseWWWAuthenticate(''), undefined);
});
