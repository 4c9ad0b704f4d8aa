/**
 * Test support: a small in-process OCI distribution registry over node:http, for cases a real
 * registry will not produce — corrupted blobs, lying `Docker-Content-Digest` headers, multi-arch
 * indexes, bearer-token and basic auth — and for counting requests.
 *
 *   const reg = await startFakeRegistry({ auth: { scheme: 'bearer', username: 'u', password: 'p' } });
 *   const d = reg.addBlob(Buffer.from('…'));
 *   reg.putManifest('web', '1', manifestObject);   // also reachable by digest
 *   … pull from `${reg.host}/web:1` …
 *   await reg.stop();
 *
 * Serves: `GET /v2/`, `GET|HEAD /v2/<name>/manifests/<ref>`, `GET /v2/<name>/blobs/<digest>`
 * (optionally via a 307 redirect to `/storage/<digest>`, like registries backed by object
 * storage), and the token endpoint `GET /token?service=&scope=` (basic credentials checked).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Auth the fake registry requires. */
export type FakeAuth =
  | { scheme: 'bearer'; username?: string; password?: string; service?: string }
  | { scheme: 'basic'; username: string; password: string };

/** One logged request. */
export interface LoggedRequest {
  method: string;
  path: string;
  authorization?: string;
}

/** The running fake. */
export interface FakeRegistry {
  /** `127.0.0.1:PORT`, usable as a reference domain. */
  host: string;
  /** Every request received, in order. */
  requests: LoggedRequest[];
  /** Stores a blob, returns its digest. */
  addBlob(data: Buffer | string): string;
  /** Stores a manifest/index (object or exact bytes) under `name`, tagged `tag` when given; returns its digest. */
  putManifest(name: string, tag: string | undefined, manifest: object | Buffer, mediaType?: string): string;
  /** Serve these bytes instead of the real blob for `digest` (corruption). */
  corruptBlobs: Map<string, Buffer>;
  /** Send this `Docker-Content-Digest` instead of the real one for manifests. */
  lieAboutManifestDigest?: string;
  /** Serve blobs through a 307 redirect to /storage/<digest>. */
  redirectBlobs: boolean;
  /** For these digests send the headers and half the body, then stall (never finish). */
  stallBlobs: Set<string>;
  stop(): Promise<void>;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Starts the fake registry on 127.0.0.1 with a free port. */
export async function startFakeRegistry(opts: { auth?: FakeAuth } = {}): Promise<FakeRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>(); // key name@digest
  const tags = new Map<string, string>(); // name:tag → digest
  const tokens = new Set<string>();
  const requests: LoggedRequest[] = [];
  let host = '';

  const reg: FakeRegistry = {
    host: '',
    requests,
    corruptBlobs: new Map(),
    redirectBlobs: false,
    stallBlobs: new Set(),
    addBlob(data) {
      const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
      const d = sha(b);
      blobs.set(d, b);
      return d;
    },
    putManifest(name, tag, manifest, mediaType) {
      const bytes = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest));
      const mt = mediaType ?? (Buffer.isBuffer(manifest) ? JSON.parse(bytes.toString()).mediaType : (manifest as { mediaType?: string }).mediaType) ?? 'application/vnd.oci.image.manifest.v1+json';
      const d = sha(bytes);
      manifests.set(`${name}@${d}`, { bytes, mediaType: mt });
      if (tag) tags.set(`${name}:${tag}`, d);
      return d;
    },
    stop: async () => {},
  };

  const deny = (res: ServerResponse, name: string) => {
    const a = opts.auth!;
    if (a.scheme === 'bearer') {
      res.setHeader('WWW-Authenticate', `Bearer realm="http://${host}/token",service="${a.service ?? 'fake-registry'}",scope="repository:${name}:pull"`);
    } else {
      res.setHeader('WWW-Authenticate', `Basic realm="fake-registry"`);
    }
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  };

  const basicOk = (req: IncomingMessage, username?: string, password?: string) => {
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Basic ')) return false;
    return Buffer.from(h.slice(6), 'base64').toString() === `${username}:${password}`;
  };

  const authorized = (req: IncomingMessage) => {
    const a = opts.auth;
    if (!a) return true;
    const h = req.headers.authorization ?? '';
    if (a.scheme === 'basic') return basicOk(req, a.username, a.password);
    return h.startsWith('Bearer ') && tokens.has(h.slice(7));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization });
    const notFound = (code: string, message: string) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code, message }] }));
    };
    if (url.pathname === '/token') {
      const a = opts.auth;
      if (a?.scheme !== 'bearer') return notFound('UNSUPPORTED', 'no token auth');
      if (a.username !== undefined && !basicOk(req, a.username, a.password)) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      const t = randomBytes(12).toString('hex');
      tokens.add(t);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: t, expires_in: 300 }));
      return;
    }
    if (url.pathname.startsWith('/storage/')) {
      const d = url.pathname.slice('/storage/'.length);
      const b = reg.corruptBlobs.get(d) ?? blobs.get(d);
      if (!b) return notFound('BLOB_UNKNOWN', 'blob unknown to registry');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': b.length });
      res.end(b);
      return;
    }
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      if (!authorized(req)) return deny(res, '');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) return notFound('NOT_FOUND', 'not found');
    const [, name, kind, ref] = m as unknown as [string, string, string, string];
    if (!authorized(req)) return deny(res, name);
    if (kind === 'manifests') {
      const digest = ref.startsWith('sha256:') ? ref : tags.get(`${name}:${ref}`);
      const man = digest ? manifests.get(`${name}@${digest}`) : undefined;
      if (!man) return notFound('MANIFEST_UNKNOWN', 'manifest unknown');
      res.writeHead(200, {
        'Content-Type': man.mediaType,
        'Content-Length': man.bytes.length,
        'Docker-Content-Digest': reg.lieAboutManifestDigest ?? digest!,
      });
      res.end(req.method === 'HEAD' ? undefined : man.bytes);
      return;
    }
    const b = reg.corruptBlobs.get(ref) ?? blobs.get(ref);
    if (!b) return notFound('BLOB_UNKNOWN', 'blob unknown to registry');
    if (reg.stallBlobs.has(ref)) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': b.length });
      res.write(b.subarray(0, Math.floor(b.length / 2)));
      return;
    }
    if (reg.redirectBlobs) {
      res.writeHead(307, { Location: `http://${host}/storage/${ref}` });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': b.length, 'Docker-Content-Digest': ref });
    res.end(b);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  host = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  reg.host = host;
  reg.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return reg;
}

/**
 * Loads every blob of an OCI layout directory into the fake and tags its manifests under `name`
 * (tag = the `org.opencontainers.image.ref.name` annotation). Returns tag → manifest digest.
 */
export function loadOciLayout(reg: FakeRegistry, dir: string, name: string): Record<string, string> {
  for (const f of readdirSync(join(dir, 'blobs', 'sha256'))) reg.addBlob(readFileSync(join(dir, 'blobs', 'sha256', f)));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; mediaType: string; annotations?: Record<string, string> }[];
  };
  const out: Record<string, string> = {};
  for (const m of index.manifests) {
    const bytes = readFileSync(join(dir, 'blobs', 'sha256', m.digest.slice(7)));
    const tag = m.annotations?.['org.opencontainers.image.ref.name'];
    reg.putManifest(name, tag, bytes, m.mediaType);
    if (tag) out[tag] = m.digest;
  }
  return out;
}
