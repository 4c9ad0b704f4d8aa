// ImageStore end to end: pulls from a real registry (Debian's docker-registry, image built by
// scripts/build-image.sh and pushed with skopeo), reuse and sharing checked against a counting fake
// registry, removal with blob GC, and imports of an OCI archive and of a docker-archive.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar';
import { startRegistry, type TestRegistry } from '../../../../test/support/registry.ts';
import { loadOciLayout, startFakeRegistry, type FakeRegistry } from '../../../../test/support/fake-registry.ts';
import { ImageStore } from './image-store.ts';
import { DigestMismatchError, ImageNotFoundError, ImageNotPresentError, InvalidArchiveError, InvalidImageNameError, UnauthorizedError } from './errors.ts';

const repo = resolve(import.meta.dirname, '../../../..');
const layout = join(repo, '.data/images/oci');
const archive = join(repo, '.data/images/skiff-web.tar');
const blob = (d: string) => readFileSync(join(layout, 'blobs/sha256', d.slice(7)));
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface LayoutImage {
  manifestDigest: string;
  configDigest: string;
  layers: string[];
  /** Uncompressed size of all layers. */
  size: number;
}
function layoutImage(tag: string): LayoutImage {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  const d = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === tag)!.digest;
  const m = JSON.parse(blob(d).toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const size = m.layers.reduce((n, l) => n + gunzipSync(blob(l.digest)).length, 0);
  return { manifestDigest: d, configDigest: m.config.digest, layers: m.layers.map((l) => l.digest), size };
}

let work: string;
let v1: LayoutImage;
let v2: LayoutImage;
before(() => {
  execFileSync('bash', [join(repo, 'scripts/build-image.sh')], { stdio: 'ignore' });
  work = mkdtempSync(join(tmpdir(), 'skiff-imagestore-test-'));
  v1 = layoutImage('1');
  v2 = layoutImage('2');
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('pull from a real registry', () => {
  let reg: TestRegistry;
  let store: ImageStore;
  let root: string;
  before(async () => {
    reg = await startRegistry();
    await reg.push(layout, 'web:1');
    await reg.push(layout, 'web:2');
    root = mkdtempSync(join(work, 'store-'));
    store = new ImageStore(root);
  });
  after(() => reg.stop());

  test('web:1 is pulled, verified and unpacked; status carries tags, digests and the uncompressed size', async () => {
    const id = await store.pullImage(`${reg.url}/web:1`);
    assert.equal(id, v1.configDigest);
    const rootfs = join(root, 'rootfs', id.slice(7));
    assert.equal(readFileSync(join(rootfs, 'www/index.html'), 'utf8'), 'hello from skiff web v1\n');
    assert.equal(readFileSync(join(rootfs, 'www/v1-only.txt'), 'utf8'), 'only in v1\n');
    assert.ok(statSync(join(rootfs, 'bin/busybox')).size > 1_000_000);
    assert.equal(readFileSync(join(rootfs, 'etc/passwd'), 'utf8').split('\n')[0], 'root:x:0:0:root:/root:/bin/sh');
    for (const d of [v1.manifestDigest, v1.configDigest, ...v1.layers]) assert.ok(existsSync(join(root, 'blobs/sha256', d.slice(7))), d);
    assert.deepEqual(await store.imageStatus(`${reg.url}/web:1`), {
      id,
      repoTags: [`${reg.url}/web:1`],
      repoDigests: [`${reg.url}/web@${v1.manifestDigest}`],
      size: v1.size,
    });
    const r = await store.resolve(`${reg.url}/web:1`);
    assert.equal(r.id, id);
    assert.equal(r.rootfs, rootfs);
    assert.deepEqual(r.config.Cmd, ['/bin/web-start']);
    assert.equal(r.config.Entrypoint, undefined);
    assert.ok(r.config.Env?.includes('WEB_VERSION=v1'));
    assert.deepEqual(r.config.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(await store.resolve(id), r);
  });

  test('web:2 applies its whiteout; a second store on the same root sees both images', async () => {
    const id = await store.pullImage(`${reg.url}/web:2`);
    assert.equal(id, v2.configDigest);
    const rootfs = (await store.resolve(`${reg.url}/web:2`)).rootfs;
    assert.equal(readFileSync(join(rootfs, 'www/index.html'), 'utf8'), 'hello from skiff web v2\n');
    assert.equal(existsSync(join(rootfs, 'www/v1-only.txt')), false);
    assert.equal(existsSync(join(rootfs, 'www/.wh.v1-only.txt')), false);
    const again = new ImageStore(root);
    const tags = (await again.listImages()).map((i) => [i.id, i.repoTags]);
    assert.deepEqual(
      tags,
      [
        [v1.configDigest, [`${reg.url}/web:1`]],
        [v2.configDigest, [`${reg.url}/web:2`]],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  test('pulling again fetches and unpacks nothing; by-digest references resolve to the same image', async () => {
    const rootfs = (await store.resolve(`${reg.url}/web:1`)).rootfs;
    const ino = statSync(rootfs).ino;
    await store.pullImage(`${reg.url}/web:1`);
    assert.equal(store.lastPullTimings?.cached, true);
    assert.equal(statSync(rootfs).ino, ino);
    const id = await store.pullImage(`${reg.url}/web@${v1.manifestDigest}`);
    assert.equal(id, v1.configDigest);
    assert.equal(store.lastPullTimings?.cached, true);
    assert.equal((await store.imageStatus(`${reg.url}/web@${v1.manifestDigest}`))?.id, id);
  });

  test('pull failures are typed and record nothing', async () => {
    await assert.rejects(store.pullImage(`${reg.url}/web:nosuch`), ImageNotFoundError);
    await assert.rejects(store.pullImage(`${reg.url}/Web:1`), InvalidImageNameError);
    assert.equal(await store.imageStatus(`${reg.url}/web:nosuch`), undefined);
    await assert.rejects(store.resolve(`${reg.url}/web:nosuch`), ImageNotPresentError);
  });

  test('a tag that moves to another image leaves the old one untagged', async () => {
    await reg.push(layout, 'web:moving', '1');
    await store.pullImage(`${reg.url}/web:moving`);
    assert.deepEqual((await store.imageStatus(`${reg.url}/web:1`))?.repoTags, [`${reg.url}/web:1`, `${reg.url}/web:moving`]);
    await reg.push(layout, 'web:moving', '2');
    const id = await store.pullImage(`${reg.url}/web:moving`);
    assert.equal(id, v2.configDigest);
    assert.deepEqual((await store.imageStatus(`${reg.url}/web:1`))?.repoTags, [`${reg.url}/web:1`]);
    assert.deepEqual((await store.imageStatus(`${reg.url}/web:2`))?.repoTags, [`${reg.url}/web:2`, `${reg.url}/web:moving`]);
  });

  test('removeImage drops every reference, the rootfs and unshared blobs; it is idempotent', async () => {
    await store.removeImage(`${reg.url}/web:moving`);
    assert.equal(await store.imageStatus(`${reg.url}/web:2`), undefined);
    assert.equal(existsSync(join(root, 'rootfs', v2.configDigest.slice(7))), false);
    const blobs = readdirSync(join(root, 'blobs/sha256'));
    assert.ok(!blobs.includes(v2.layers[1]!.slice(7)), 'v2-only layer collected');
    assert.ok(!blobs.includes(v2.configDigest.slice(7)), 'v2 config collected');
    assert.ok(blobs.includes(v1.layers[0]!.slice(7)), 'shared base layer kept');
    await store.removeImage(`${reg.url}/web:moving`);
    await store.removeImage(v2.configDigest);
    assert.equal((await store.listImages()).length, 1);
    // resolve re-unpacks a rootfs that vanished
    rmSync(join(root, 'rootfs', v1.configDigest.slice(7)), { recursive: true });
    const r = await store.resolve(`${reg.url}/web:1`);
    assert.equal(readFileSync(join(r.rootfs, 'www/index.html'), 'utf8'), 'hello from skiff web v1\n');
  });
});

describe('bearer-token auth against a real registry (distribution `auth: token`)', () => {
  test('credentials from the pull get a token with pull access; anonymous and wrong credentials are refused', async () => {
    const reg = await startRegistry({ tokenAuth: { username: 'alice', password: 'open sesame' } });
    try {
      await reg.push(layout, 'private/web:1');
      const store = new ImageStore(mkdtempSync(join(work, 'store-')));
      const ref = `${reg.url}/private/web:1`;
      await assert.rejects(store.pullImage(ref), (e: unknown) => {
        assert.ok(e instanceof UnauthorizedError);
        assert.match(e.message, /pull access denied, repository does not exist or may require authorization/);
        assert.equal(e.kubeletReason, 'ErrImagePull');
        return true;
      });
      await assert.rejects(store.pullImage(ref, { username: 'alice', password: 'wrong' }), UnauthorizedError);
      const auth = Buffer.from('alice:open sesame').toString('base64');
      const id = await store.pullImage(ref, { auth });
      assert.equal(id, v1.configDigest);
      const last = reg.tokenRequests!.at(-1)!;
      assert.equal(new URLSearchParams(last.query).get('scope'), 'repository:private/web:pull');
      assert.equal(last.authorization, `Basic ${auth}`);
      assert.deepEqual((await store.imageStatus(ref))?.repoTags, [ref]);
    } finally {
      await reg.stop();
    }
  });
});

describe('reuse and sharing, counted on a fake registry', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry();
    loadOciLayout(reg, layout, 'web');
  });
  after(() => reg.stop());

  test('concurrent pulls of one reference share one pull; a second pull fetches no blob', async () => {
    const store = new ImageStore(mkdtempSync(join(work, 'store-')));
    const [a, b] = await Promise.all([store.pullImage(`${reg.host}/web:1`), store.pullImage(`${reg.host}/web:1`)]);
    assert.equal(a, v1.configDigest);
    assert.equal(b, a);
    const manifestGets = reg.requests.filter((q) => q.path === '/v2/web/manifests/1');
    assert.equal(manifestGets.length, 1);
    const blobGets = () => reg.requests.filter((q) => q.path.includes('/blobs/')).length;
    assert.equal(blobGets(), 2); // config + layer
    await store.pullImage(`${reg.host}/web:1`);
    assert.equal(blobGets(), 2);
    // web:2 shares the base layer: only its config and its own layer are fetched
    await store.pullImage(`${reg.host}/web:2`);
    assert.equal(blobGets(), 4);
  });

  test('removing an image whose rootfs is in use keeps the rootfs until garbageCollect finds it unused', async () => {
    const inUse = new Set<string>();
    const root = mkdtempSync(join(work, 'store-'));
    const store = new ImageStore(root, { isInUse: (id) => inUse.has(id) });
    const id = await store.pullImage(`${reg.host}/web:1`);
    const { rootfs } = await store.resolve(id);
    inUse.add(id);
    await store.removeImage(`${reg.host}/web:1`);
    assert.equal(await store.imageStatus(`${reg.host}/web:1`), undefined);
    await assert.rejects(store.resolve(id), ImageNotPresentError);
    assert.equal(readFileSync(join(rootfs, 'www/index.html'), 'utf8'), 'hello from skiff web v1\n');
    assert.deepEqual(readdirSync(join(root, 'blobs/sha256')), []);
    inUse.clear();
    await store.garbageCollect();
    assert.equal(existsSync(rootfs), false);
  });

  test('two stores on one root (agent + `skiff images import`) do not lose each other’s records; a dead holder’s lock is broken', async () => {
    const root = mkdtempSync(join(work, 'store-'));
    const deadPid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    writeFileSync(join(root, 'index.json.lock'), String(deadPid));
    const a = new ImageStore(root);
    const b = new ImageStore(root);
    await Promise.all([a.importImage(archive), b.pullImage(`${reg.host}/web:2`), b.pullImage(`${reg.host}/web:1`)]);
    const seen = await new ImageStore(root).listImages();
    const byId = Object.fromEntries(seen.map((i) => [i.id, [...i.repoTags].sort()]));
    assert.deepEqual(byId, {
      [v1.configDigest]: [`${reg.host}/web:1`, 'skiff.local/web:1'].sort(),
      [v2.configDigest]: [`${reg.host}/web:2`, 'skiff.local/web:2'].sort(),
    });
    assert.equal(existsSync(join(root, 'index.json.lock')), false);
  });

  test('a corrupted layer fails the pull with a digest error and leaves no image', async () => {
    const root = mkdtempSync(join(work, 'store-'));
    const store = new ImageStore(root);
    reg.corruptBlobs.set(v1.layers[0]!, Buffer.concat([blob(v1.layers[0]!).subarray(0, 1000), Buffer.alloc(10)]));
    try {
      await assert.rejects(store.pullImage(`${reg.host}/web:1`), DigestMismatchError);
    } finally {
      reg.corruptBlobs.clear();
    }
    assert.deepEqual(await store.listImages(), []);
    assert.deepEqual(readdirSync(join(root, 'rootfs')), []);
    assert.equal(existsSync(join(root, 'blobs/sha256', v1.layers[0]!.slice(7))), false);
  });
});

describe('import', () => {
  test('the OCI archive from build-image.sh imports as skiff.local/web:1 and :2', async () => {
    const store = new ImageStore(mkdtempSync(join(work, 'store-')));
    const images = await store.importImage(archive);
    assert.deepEqual(
      images.map((i) => [i.id, i.repoTags]),
      [
        [v1.configDigest, ['skiff.local/web:1']],
        [v2.configDigest, ['skiff.local/web:2']],
      ],
    );
    assert.deepEqual((await store.imageStatus('skiff.local/web:2'))?.repoDigests, [`skiff.local/web@${v2.manifestDigest}`]);
    const r = await store.resolve('skiff.local/web:2');
    assert.equal(readFileSync(join(r.rootfs, 'www/index.html'), 'utf8'), 'hello from skiff web v2\n');
    assert.ok(r.config.Env?.includes('WEB_VERSION=v2'));
    // importing again changes nothing
    assert.equal((await store.importImage(archive)).length, 2);
    assert.equal((await store.listImages()).length, 2);
  });

  test('a docker-archive (docker save format) imports with its RepoTags', async () => {
    const dir = mkdtempSync(join(work, 'docker-archive-'));
    const config = blob(v2.configDigest);
    writeFileSync(join(dir, `${v2.configDigest.slice(7)}.json`), config);
    const layerPaths: string[] = [];
    for (const l of v2.layers) {
      const t = gunzipSync(blob(l));
      const p = `${sha(t).slice(7)}/layer.tar`;
      mkdirSync(join(dir, sha(t).slice(7)));
      writeFileSync(join(dir, p), t);
      layerPaths.push(p);
    }
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([{ Config: `${v2.configDigest.slice(7)}.json`, RepoTags: ['busybox-web:latest', 'example.com/team/web:v2'], Layers: layerPaths }]),
    );
    const tarPath = join(work, 'docker-archive.tar');
    await tar.c({ file: tarPath, cwd: dir, portable: true }, readdirSync(dir));
    const store = new ImageStore(mkdtempSync(join(work, 'store-')));
    const images = await store.importImage(tarPath);
    assert.deepEqual(images, [
      { id: v2.configDigest, repoTags: ['docker.io/library/busybox-web:latest', 'example.com/team/web:v2'], repoDigests: [], size: v2.size },
    ]);
    const r = await store.resolve('busybox-web');
    assert.equal(r.id, v2.configDigest);
    assert.equal(readFileSync(join(r.rootfs, 'www/index.html'), 'utf8'), 'hello from skiff web v2\n');
    assert.equal(existsSync(join(r.rootfs, 'www/v1-only.txt')), false);
  });

  test('other tarballs are refused', async () => {
    const dir = mkdtempSync(join(work, 'junk-'));
    writeFileSync(join(dir, 'hello.txt'), 'hi');
    const tarPath = join(work, 'junk.tar');
    await tar.c({ file: tarPath, cwd: dir }, ['hello.txt']);
    await assert.rejects(new ImageStore(mkdtempSync(join(work, 'store-'))).importImage(tarPath), InvalidArchiveError);
  });
});
