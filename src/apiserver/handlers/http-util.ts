/**
 * HTTP plumbing shared by the handlers: Status error responses, JSON writing, bounded body
 * reading (3 MiB as upstream's maxRequestBodyBytes → 413), and query → options decoding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, invalid, newBadRequest, newInternalError, newInvalid, newRequestEntityTooLarge, tooLong, type Status } from '../../machinery/errors.ts';
import type { DeleteOptions, ListOptions, WatchOptions } from '../../client/interface.ts';
import type { WriteParams } from '../pipeline.ts';

/** Upstream's default request body limit: 3 MiB. */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** Converts any thrown value into a Status (non-StatusErrors → 500 InternalError). */
export function toStatus(err: unknown): Status {
  if (err instanceof StatusError) return err.status;
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    // Pathologically nested input (e.g. 100k nested arrays) exhausts recursion: the request is at fault.
    return newBadRequest('the request body is nested too deeply').status;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return newInternalError(msg).status;
}

/** Writes `body` as JSON with HTTP `code`. */
export function writeJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

/** Writes a Status error (code from the Status). */
export function writeError(res: ServerResponse, err: unknown): void {
  const st = toStatus(err);
  if (st.code >= 500 && !(err instanceof StatusError)) {
    // Unexpected failures are logged; the client still gets a JSON Status.
    console.error('apiserver: internal error:', err);
  }
  writeJSON(res, st.code || 500, st);
}

/**
 * Reads the request body up to `max` bytes. A larger body is drained (so the client can read
 * our answer) and then rejected with 413 RequestEntityTooLarge.
 */
export function readBody(req: IncomingMessage, max = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > max) tooLarge = true;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) tooLarge = true;
      if (!tooLarge) chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) reject(newRequestEntityTooLarge(`limit is ${max}`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => reject(newBadRequest(`error reading the request body: ${e.message}`)));
    req.on('aborted', () => reject(newBadRequest('the request body was not fully sent')));
  });
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw newBadRequest(`invalid value for ${name}: "${v}": strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw newBadRequest(`invalid value for ${name}: "${v}": strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/** ListOptions/WatchOptions from the query string; 400 on malformed numbers/booleans. */
export function listOptionsFromQuery(q: URLSearchParams): WatchOptions {
  const o: WatchOptions = {};
  const ls = q.get('labelSelector');
  if (ls) o.labelSelector = ls;
  const fs = q.get('fieldSelector');
  if (fs) o.fieldSelector = fs;
  const limit = intParam(q, 'limit');
  if (limit !== undefined) {
    if (limit < 0) throw newBadRequest(`limit must be a non-negative integer`);
    o.limit = limit;
  }
  const c = q.get('continue');
  if (c) o.continue = c;
  const rv = q.get('resourceVersion');
  if (rv !== null) o.resourceVersion = rv;
  const rvm = q.get('resourceVersionMatch');
  if (rvm) {
    if (rvm !== 'Exact' && rvm !== 'NotOlderThan') throw newBadRequest(`resourceVersionMatch: Unsupported value: "${rvm}": supported values: "Exact", "NotOlderThan"`);
    o.resourceVersionMatch = rvm;
  }
  const b = boolParam(q, 'allowWatchBookmarks');
  if (b !== undefined) o.allowWatchBookmarks = b;
  const t = intParam(q, 'timeoutSeconds');
  if (t !== undefined) {
    if (t < 0) throw newBadRequest('timeoutSeconds must be non-negative');
    o.timeoutSeconds = t;
  }
  return o;
}

/** dryRun query: only `All` is supported (upstream: `Invalid dryRun: unsupported value`). */
function dryRunParam(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  for (const v of vals) if (v !== 'All') throw newBadRequest(`Invalid dryRun: unsupported value "${v}"`);
  return vals.length > 0;
}

/**
 * Write parameters from the query string. `optionsKind` names the options type in errors
 * (CreateOptions / UpdateOptions / PatchOptions), as upstream's ValidateFieldManager: a
 * fieldManager over 128 bytes or with non-printable characters → 422 Invalid.
 */
export function writeParamsFromQuery(q: URLSearchParams, optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' = 'PatchOptions'): WriteParams {
  const p: WriteParams = { dryRun: dryRunParam(q) };
  const fm = q.get('fieldManager');
  if (fm) {
    const kind = { group: 'meta.k8s.io', kind: optionsKind };
    if (Buffer.byteLength(fm, 'utf8') > 128) throw newInvalid(kind, '', [tooLong('fieldManager', undefined, 128)]);
    // Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    if (/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(fm)) {
      throw newInvalid(kind, '', [invalid('fieldManager', fm, 'must only contain printable characters')]);
    }
    p.fieldManager = fm;
  }
  const fv = q.get('fieldValidation');
  if (fv) p.fieldValidation = fv;
  const force = boolParam(q, 'force');
  if (force !== undefined) p.force = force;
  return p;
}

/** DeleteOptions from query parameters, overlaid by a JSON body when present. */
export function deleteOptionsFrom(q: URLSearchParams, body: unknown): DeleteOptions {
  const o: DeleteOptions = {};
  const g = intParam(q, 'gracePeriodSeconds');
  if (g !== undefined) o.gracePeriodSeconds = g;
  const pp = q.get('propagationPolicy');
  if (pp) o.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  const orphan = boolParam(q, 'orphanDependents');
  if (orphan !== undefined && !o.propagationPolicy) o.propagationPolicy = orphan ? 'Orphan' : 'Background';
  if (dryRunParam(q)) o.dryRun = ['All'];
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the DeleteOptions body must be a JSON object');
    const b = body as Record<string, unknown>;
    if (b.kind !== undefined && b.kind !== 'DeleteOptions') throw newBadRequest(`the kind in the data (${String(b.kind)}) does not match the expected kind (DeleteOptions)`);
    if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null) {
      if (typeof b.gracePeriodSeconds !== 'number') throw newBadRequest('gracePeriodSeconds must be an integer');
      o.gracePeriodSeconds = b.gracePeriodSeconds;
    }
    if (b.propagationPolicy !== undefined && b.propagationPolicy !== null) {
      if (typeof b.propagationPolicy !== 'string') throw newBadRequest('propagationPolicy must be a string');
      o.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
    } else if (typeof b.orphanDependents === 'boolean') {
      o.propagationPolicy = b.orphanDependents ? 'Orphan' : 'Background';
    }
    if (b.preconditions !== undefined && b.preconditions !== null) {
      if (typeof b.preconditions !== 'object' || Array.isArray(b.preconditions)) throw newBadRequest('preconditions must be an object');
      const pc = b.preconditions as Record<string, unknown>;
      o.preconditions = {};
      if (typeof pc.uid === 'string') o.preconditions.uid = pc.uid;
      if (typeof pc.resourceVersion === 'string') o.preconditions.resourceVersion = pc.resourceVersion;
    }
    if (Array.isArray(b.dryRun)) {
      for (const v of b.dryRun) if (v !== 'All') throw newBadRequest(`Invalid dryRun: unsupported value "${String(v)}"`);
      if (b.dryRun.length) o.dryRun = ['All'];
    }
  }
  return o;
}

/** ListOptions without watch-only fields (for list calls). */
export function asListOptions(o: WatchOptions): ListOptions {
  const { allowWatchBookmarks: _a, timeoutSeconds: _t, ...rest } = o;
  return rest;
}
