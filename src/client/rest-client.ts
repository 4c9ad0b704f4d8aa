/**
 * The HTTP(S) Client: the same {@link Client} interface as the in-process transport, speaking
 * the Kubernetes REST API (JSON) with a bearer token and a pinned CA, as client-go's REST client
 * does. Used by remote agents (`skiff agent --server URL --token T`) and tests. Watches stream
 * newline-delimited JSON events. Every non-2xx answer is thrown as a StatusError carrying the
 * server's Status (or a synthesized one when the body is not a Status).
 */
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ClientRequest } from 'node:http';
import { StatusError, type Status } from '../machinery/errors.ts';
import type {
  Client,
  DeleteOptions,
  GroupVersionResource,
  KubeList,
  KubeObject,
  ListOptions,
  PatchType,
  WatchEventObject,
  WatchOptions,
  WriteOptions,
} from './interface.ts';

/** Options of {@link newRestClient}. */
export interface RestClientOptions {
  /** Base URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** Bearer token (sent as `Authorization: Bearer <token>`). */
  token?: string;
  /** PEM CA bundle to verify the server certificate. */
  caPem?: string;
  /** User-Agent header (default `skiff/0.1`). */
  userAgent?: string;
  /** Per-request timeout for non-watch calls in ms (default 60000). */
  timeoutMs?: number;
}

/** REST path of a resource: `/api/v1/namespaces/ns/pods/name/sub` or `/apis/g/v/...`. */
export function resourcePath(gvr: GroupVersionResource, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = gvr.group ? `/apis/${gvr.group}/${gvr.version}` : `/api/${gvr.version}`;
  if (namespace && !(gvr.group === '' && gvr.resource === 'namespaces')) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${gvr.resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function statusFrom(code: number, text: string): StatusError {
  try {
    const j = JSON.parse(text) as Status;
    if (j && j.kind === 'Status') return new StatusError({ ...j, code: j.code || code });
  } catch {
    /* not JSON */
  }
  const reason = code === 404 ? 'NotFound' : code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : code >= 500 ? 'InternalError' : 'BadRequest';
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: text.slice(0, 500) || `HTTP ${code}`, reason, code });
}

/** Creates a REST Client for `opts.server`. */
export function newRestClient(opts: RestClientOptions): Client {
  const url = new URL(opts.server);
  const https = url.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, ca: opts.caPem, maxSockets: 64 }) : new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const baseHeaders: Record<string, string> = { 'User-Agent': opts.userAgent ?? 'skiff/0.1', Accept: 'application/json' };
  if (opts.token) baseHeaders.Authorization = `Bearer ${opts.token}`;

  const open = (method: string, path: string, headers: Record<string, string>, onResponse: (res: IncomingMessage) => void, onError: (e: Error) => void): ClientRequest => {
    const reqOpts = { method, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || (https ? 443 : 80), path, headers: { ...baseHeaders, ...headers }, agent, ca: opts.caPem };
    const req = https ? httpsRequest(reqOpts, onResponse) : httpRequest(reqOpts, onResponse);
    req.on('error', onError);
    return req;
  };

  const call = <T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = {};
      if (payload !== undefined) {
        headers['Content-Type'] = contentType;
        headers['Content-Length'] = String(Buffer.byteLength(payload));
      }
      const req = open(
        method,
        path,
        headers,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const code = res.statusCode ?? 0;
            if (code < 200 || code >= 300) return reject(statusFrom(code, text));
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(statusFrom(500, `invalid JSON from server: ${text.slice(0, 200)}`));
            }
          });
          res.on('error', reject);
        },
        reject,
      );
      req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error(`request timed out: ${method} ${path}`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });

  const writeQuery = (o?: WriteOptions) =>
    query({ fieldManager: o?.fieldManager, dryRun: o?.dryRun ? 'All' : undefined, fieldValidation: o?.fieldValidation, force: o?.force });

  return {
    get<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, name: string): Promise<T> {
      return call<T>('GET', resourcePath(gvr, namespace, name));
    },
    list<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, o: ListOptions = {}): Promise<KubeList<T>> {
      return call<KubeList<T>>(
        'GET',
        resourcePath(gvr, namespace) +
          query({ labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: o.continue, resourceVersion: o.resourceVersion, resourceVersionMatch: o.resourceVersionMatch }),
      );
    },
    create<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, o?: WriteOptions): Promise<T> {
      return call<T>('POST', resourcePath(gvr, namespace) + writeQuery(o), obj);
    },
    update<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, o?: WriteOptions & { subresource?: string }): Promise<T> {
      return call<T>('PUT', resourcePath(gvr, namespace, obj.metadata?.name ?? '', o?.subresource) + writeQuery(o), obj);
    },
    patch<T extends KubeObject = KubeObject>(
      gvr: GroupVersionResource,
      namespace: string | undefined,
      name: string,
      patchType: PatchType,
      patch: unknown,
      o?: WriteOptions & { subresource?: string },
    ): Promise<T> {
      const fm = patchType === 'application/apply-patch+yaml' ? o?.fieldManager ?? 'skiff' : o?.fieldManager;
      return call<T>('PATCH', resourcePath(gvr, namespace, name, o?.subresource) + writeQuery({ ...o, fieldManager: fm }), JSON.stringify(patch), patchType);
    },
    delete(gvr: GroupVersionResource, namespace: string | undefined, name: string, o?: DeleteOptions): Promise<KubeObject> {
      return call<KubeObject>('DELETE', resourcePath(gvr, namespace, name), o ?? {});
    },
    createSubresource<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, name: string, subresource: string, body: KubeObject): Promise<T> {
      return call<T>('POST', resourcePath(gvr, namespace, name, subresource), body);
    },
    watch<T extends KubeObject = KubeObject>(
      gvr: GroupVersionResource,
      namespace: string | undefined,
      o: WatchOptions,
      onEvent: (event: WatchEventObject<T>) => void,
      signal: AbortSignal,
    ): Promise<void> {
      const path =
        resourcePath(gvr, namespace) +
        query({
          watch: 'true',
          labelSelector: o.labelSelector,
          fieldSelector: o.fieldSelector,
          resourceVersion: o.resourceVersion,
          allowWatchBookmarks: o.allowWatchBookmarks ? 'true' : undefined,
          timeoutSeconds: o.timeoutSeconds,
        });
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return resolve();
        let settled = false;
        const finish = (err?: Error) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          if (err && !signal.aborted) reject(err);
          else resolve();
        };
        const req = open(
          'GET',
          path,
          {},
          (res) => {
            const code = res.statusCode ?? 0;
            if (code < 200 || code >= 300) {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => finish(statusFrom(code, Buffer.concat(chunks).toString('utf8'))));
              return;
            }
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buf += chunk;
              let i: number;
              while ((i = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, i).trim();
                buf = buf.slice(i + 1);
                if (!line) continue;
                let ev: WatchEventObject<T>;
                try {
                  ev = JSON.parse(line) as WatchEventObject<T>;
                } catch {
                  req.destroy();
                  return finish(new Error(`malformed watch event: ${line.slice(0, 200)}`));
                }
                try {
                  onEvent(ev);
                } catch (e) {
                  req.destroy();
                  return finish(e as Error);
                }
              }
            });
            res.on('end', () => finish());
            res.on('error', (e) => finish(e));
            res.on('aborted', () => finish());
          },
          (e) => finish(e),
        );
        const onAbort = () => {
          req.destroy();
          finish();
        };
        signal.addEventListener('abort', onAbort);
        req.end();
      });
    },
  };
}
