/**
 * etcd v3 implementation of the storage {@link Backend}, after k8s.io/apiserver/pkg/storage/etcd3
 * (`store.go`: create = txn(createRevision == 0 → put), guaranteed update = txn(modRevision ==
 * expected → put) else read the current value, delete with a precondition in a txn; `watcher.go`:
 * watch with startRevision = resourceVersion + 1 and prevKV, events mapped to added/modified/deleted
 * by createRevision == modRevision; `compact.go`: physical compaction) over the `etcd3` npm client.
 *
 * Mapping
 * - Keys are stored exactly as given (`/registry/<resource>/<ns>/<name>`); values are UTF-8 bytes.
 * - etcd's mod_revision is the object's resourceVersion. etcd revisions are int64 strings on the
 *   wire; they are converted to numbers (exact below 2^53).
 * - A fresh etcd is at revision 1 without any write (the first write gets 2); the contract says an
 *   empty store is at revision 0, so a header revision of 1 is reported as 0 (no write ever has
 *   revision 1, so nothing else is affected).
 * - etcd's "required revision has been compacted" → StorageError('Compacted') (the apiserver maps
 *   it to 410 Expired); "required revision is a future revision" → StorageError('FutureRevision').
 *   Connection failures and other gRPC errors → StorageError('Internal'); calls after close() →
 *   StorageError('Closed').
 * - Watches use their own gRPC Watch stream each (not the client's auto-reconnecting watcher,
 *   which can skip events when it reconnects during a replay): a stream failure ends the watch with
 *   onError(StorageError('Internal')), after which the cacher re-lists and re-watches.
 * - The compact revision is the highest of: what this backend compacted, what etcd reported on a
 *   compacted watch, and (once, lazily) a binary search for the oldest readable revision, so a
 *   restarted server knows a compaction done by its predecessor.
 */
import { Etcd3 } from 'etcd3';
import type { IKeyValue, IResponseHeader, IWatchResponse, IRangeRequest } from 'etcd3';
import type {
  Backend,
  KeyValue,
  ListOptions,
  ListResult,
  WatchEvent,
  Watcher,
} from '../backend.ts';
import { StorageError } from '../backend.ts';

/** Options of {@link EtcdBackend.connect}. */
export interface EtcdBackendOptions {
  /** Client URLs, e.g. ['http://127.0.0.1:2379'] (plain HTTP; TLS client certificates are not supported). */
  endpoints: string[];
  /** How long connect() waits for the first successful read, in ms. Default 10_000. */
  dialTimeoutMs?: number;
  /** Deadline of each unary call (get/put/txn/range/compact), in ms; watch streams have none. Default 30_000. */
  callTimeoutMs?: number;
}

/** etcd's error text for a revision below the compacted one (mvcc.ErrCompacted). */
const COMPACTED_TEXT = 'required revision has been compacted';
/** etcd's error text for a revision above the current one (mvcc.ErrFutureRev). */
const FUTURE_TEXT = 'required revision is a future revision';

/** UTF-8 bytes of a key or value. */
function bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/**
 * The range end covering every key with `prefix` (etcd clientv3's GetPrefixRangeEnd): the prefix
 * with its last byte below 0xff incremented and the rest dropped; `\0` (= to the end of the
 * keyspace) for an empty or all-0xff prefix.
 */
export function prefixRangeEnd(prefix: string): Buffer {
  const b = Buffer.from(bytes(prefix));
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      b[i]! += 1;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** The start key of a prefix range (`\0` = start of the keyspace for the empty prefix). */
function prefixStart(prefix: string): Buffer {
  return prefix === '' ? Buffer.from([0]) : bytes(prefix);
}

/** int64 revision string → number. */
function num(v: string | number | undefined | null): number {
  return v === undefined || v === null || v === '' ? 0 : Number(v);
}

/** A header revision as the contract reports it (1 = fresh etcd, no write yet → 0). */
function headerRevision(h: IResponseHeader | undefined): number {
  const r = num(h?.revision);
  return r <= 1 ? 0 : r;
}

/** etcd KeyValue → contract KeyValue. */
function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value ? kv.value.toString('utf8') : '',
    createRevision: num(kv.create_revision),
    modRevision: num(kv.mod_revision),
  };
}

/**
 * Maps an etcd3 client / gRPC error to a StorageError: Compacted, FutureRevision, Closed (client
 * closed) or Internal (everything else, message kept). StorageErrors pass through unchanged.
 */
export function mapEtcdError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (msg.includes(COMPACTED_TEXT)) return new StorageError('Compacted', `etcd: ${COMPACTED_TEXT}`);
  if (msg.includes(FUTURE_TEXT)) return new StorageError('FutureRevision', `etcd: ${FUTURE_TEXT}`);
  if (/client was already closed/.test(msg)) return new StorageError('Closed', 'etcd backend closed');
  return new StorageError('Internal', `etcd: ${msg}`);
}

/** One live watch on its own gRPC stream. */
interface ActiveWatch {
  prefix: string;
  onEvents: (events: WatchEvent[]) => void;
  onError?: (err: Error) => void;
  /** Highest revision delivered; later events must exceed it (de-duplication). */
  lastRevision: number;
  done: boolean;
  /** Ends the gRPC stream (idempotent). */
  endStream: () => void;
}

/** The etcd-backed storage backend. Create with {@link EtcdBackend.connect}. */
export class EtcdBackend implements Backend {
  private closed = false;
  /** Highest compact revision known (own compactions, watch reports, the probe). */
  private knownCompact = 0;
  private probed: Promise<void> | undefined;
  private readonly watches = new Set<ActiveWatch>();

  private constructor(private readonly client: Etcd3) {}

  /**
   * Connects to etcd at `options.endpoints` and checks it answers (one read, retried until
   * `dialTimeoutMs`). Rejects with StorageError('Internal') when etcd cannot be reached.
   */
  static async connect(options: EtcdBackendOptions): Promise<EtcdBackend> {
    if (options.endpoints.length === 0) throw new StorageError('Internal', 'etcd: no endpoints');
    const client = new Etcd3({
      hosts: options.endpoints,
      // Lists of a large resource can exceed grpc-js's 4 MiB default (upstream sets MaxInt32).
      grpcOptions: { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 },
      // A hung etcd must not hang requests forever; streams (watches) must not time out.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + (options.callTimeoutMs ?? 30_000) }),
    });
    const backend = new EtcdBackend(client);
    const deadline = Date.now() + (options.dialTimeoutMs ?? 10_000);
    for (;;) {
      try {
        await backend.currentRevision();
        return backend;
      } catch (err) {
        if (Date.now() > deadline) {
          client.close();
          throw new StorageError('Internal', `etcd at ${options.endpoints.join(',')} unreachable: ${mapEtcdError(err).message}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /**
   * Parses `--datastore-endpoint`: one URL or a comma-separated list (`http://127.0.0.1:2379`).
   * Throws Error on an empty list or a URL that is not http(s).
   */
  static parseEndpoints(value: string): string[] {
    const list = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new Error('empty datastore endpoint');
    for (const e of list) {
      let u: URL;
      try {
        u = new URL(e);
      } catch {
        throw new Error(`invalid datastore endpoint ${JSON.stringify(e)} (want http://host:port)`);
      }
      if (u.protocol !== 'http:') throw new Error(`unsupported datastore endpoint ${JSON.stringify(e)}: only http:// etcd endpoints are supported`);
    }
    return list;
  }

  private check(): void {
    if (this.closed) throw new StorageError('Closed', 'etcd backend closed');
  }

  /** Runs an etcd call, mapping its errors. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    try {
      return await fn();
    } catch (err) {
      const mapped = mapEtcdError(err);
      if (this.closed && mapped.code === 'Internal') throw new StorageError('Closed', 'etcd backend closed');
      throw mapped;
    }
  }

  /** create = txn(If createRevision(key) == 0 → put) else KeyExists (etcd3 store.Create). */
  async create(key: string, value: string): Promise<KeyValue> {
    const k = bytes(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: bytes(value) } }],
        failure: [],
      }),
    );
    if (!res.succeeded) throw new StorageError('KeyExists', `key already exists: ${key}`);
    const rev = num(res.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  /**
   * update = txn(If modRevision(key) == expected and the key exists → put, prevKv) else read the
   * key: absent → NotFound, present → Conflict carrying the current value (etcd3 GuaranteedUpdate).
   */
  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    const k = bytes(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision },
          { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
        ],
        success: [{ request_put: { key: k, value: bytes(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) {
      const cur = res.responses[0]?.response_range?.kvs?.[0];
      if (!cur) throw new StorageError('NotFound', `key not found: ${key}`);
      throw new StorageError('Conflict', `revision mismatch for ${key}: expected ${expectedRevision}, have ${num(cur.mod_revision)}`, toKeyValue(cur));
    }
    const rev = num(res.header.revision);
    const prev = res.responses[0]?.response_put?.prev_kv;
    return { key, value, createRevision: prev ? num(prev.create_revision) : rev, modRevision: rev };
  }

  /**
   * delete: deleteRange with prevKv, inside txn(If modRevision == expected) when a precondition is
   * given. Returns the last value with modRevision = the delete's revision (the txn header's).
   */
  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    const k = bytes(key);
    if (expectedRevision === undefined) {
      const res = await this.call(() => this.client.kv.deleteRange({ key: k, prev_kv: true }));
      const prev = res.prev_kvs?.[0];
      if (num(res.deleted) === 0 || !prev) throw new StorageError('NotFound', `key not found: ${key}`);
      return { ...toKeyValue(prev), modRevision: num(res.header.revision) };
    }
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision },
          { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
        ],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) {
      const cur = res.responses[0]?.response_range?.kvs?.[0];
      if (!cur) throw new StorageError('NotFound', `key not found: ${key}`);
      throw new StorageError('Conflict', `revision mismatch for ${key}: expected ${expectedRevision}, have ${num(cur.mod_revision)}`, toKeyValue(cur));
    }
    const prev = res.responses[0]?.response_delete_range?.prev_kvs?.[0];
    if (!prev) throw new StorageError('NotFound', `key not found: ${key}`);
    return { ...toKeyValue(prev), modRevision: num(res.header.revision) };
  }

  /** Reads one key (linearizable). */
  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: bytes(key) }));
    const kv = res.kvs?.[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  /**
   * Lists `prefix` (range [prefix, prefixEnd), or from startAfterKey + '\0'), at `revision` when
   * given. `more` and `remaining` come from etcd's `more` and `count` (count is the number of keys
   * in the requested range, independent of the limit).
   */
  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    let start = prefixStart(prefix);
    if (options.startAfterKey !== undefined) {
      const after = Buffer.concat([bytes(options.startAfterKey), Buffer.from([0])]);
      if (Buffer.compare(after, start) > 0) start = after;
    }
    const req: IRangeRequest = { key: start, range_end: prefixRangeEnd(prefix) };
    if (options.limit && options.limit > 0) req.limit = options.limit;
    if (options.revision && options.revision > 0) req.revision = options.revision;
    const res = await this.call(() => this.client.kv.range(req));
    const items = (res.kvs ?? []).map(toKeyValue);
    const count = num(res.count);
    return {
      items,
      revision: options.revision && options.revision > 0 ? options.revision : headerRevision(res.header),
      more: Boolean(res.more),
      remaining: Math.max(0, count - items.length),
    };
  }

  /** Counts live keys with `prefix` (count_only range). */
  async count(prefix: string): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: prefixStart(prefix), range_end: prefixRangeEnd(prefix), count_only: true }));
    return num(res.count);
  }

  /** The header revision of a cheap linearizable read (0 for a fresh etcd). */
  async currentRevision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: Buffer.from([0]), count_only: true }));
    return headerRevision(res.header);
  }

  /**
   * Watches `prefix` from afterRevision + 1 with prevKv on a dedicated gRPC stream. Rejects with
   * StorageError('Compacted') when afterRevision is below the compact revision (checked against
   * the known compact revision and with a range read at afterRevision, and reported by etcd when
   * the watch is created); later failures go to onError (Compacted, Internal, Closed).
   */
  async watch(
    prefix: string,
    afterRevision: number,
    onEvents: (events: WatchEvent[]) => void,
    onError?: (err: Error) => void,
  ): Promise<Watcher> {
    this.check();
    if (afterRevision > 0) {
      if (afterRevision < this.knownCompact) throw this.compactedError(afterRevision);
      try {
        // etcd checks the revision before the key, so a one-key read is enough (and cheap).
        await this.call(() => this.client.kv.range({ key: Buffer.from([0]), revision: afterRevision, count_only: true }));
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Compacted') {
          // Learn the exact compact revision in the background (for compactRevision()).
          this.probeCompactRevision(true).catch(() => undefined);
          throw this.compactedError(afterRevision);
        }
        if (!(err instanceof StorageError && err.code === 'FutureRevision')) throw err;
      }
    }
    const stream = await this.call(() => this.client.watchClient.watch());
    let streamEnded = false;
    const w: ActiveWatch = {
      prefix,
      onEvents,
      onError,
      lastRevision: afterRevision,
      done: false,
      endStream: () => {
        if (streamEnded) return;
        streamEnded = true;
        try {
          // Half-close first: etcd3 reports errors of a still-writable stream to its connection
          // pool (markFailed), and a CANCELLED error there resets the shared channel (killing
          // every other watch) and trips the circuit breaker after 3 cancels.
          stream.end();
          stream.cancel();
        } catch {
          /* already gone */
        }
      },
    };
    return await new Promise<Watcher>((resolve, reject) => {
      let created = false;
      const fail = (err: StorageError) => {
        w.endStream();
        if (!created) {
          created = true;
          reject(err);
          return;
        }
        this.endWatch(w, err);
      };
      stream.on('data', (res: IWatchResponse) => {
        if (w.done && created) return;
        if (res.canceled) {
          const compactRev = num(res.compact_revision);
          if (compactRev > 0) {
            this.knownCompact = Math.max(this.knownCompact, compactRev);
            fail(this.compactedError(afterRevision));
          } else {
            fail(new StorageError('Internal', `etcd watch canceled${res.cancel_reason ? `: ${res.cancel_reason}` : ''}`));
          }
          return;
        }
        if (res.created && !created) {
          created = true;
          this.watches.add(w);
          resolve({ cancel: () => this.endWatch(w) });
        }
        if (res.events?.length) this.deliver(w, res);
      });
      stream.on('error', (err: Error) => {
        if (streamEnded || (w.done && created)) return;
        streamEnded = true;
        fail(this.closed ? new StorageError('Closed', 'etcd backend closed') : mapEtcdError(err));
      });
      stream.on('end', () => {
        if (streamEnded || (w.done && created)) return;
        streamEnded = true;
        fail(this.closed ? new StorageError('Closed', 'etcd backend closed') : new StorageError('Internal', 'etcd watch stream ended'));
      });
      stream.write({
        create_request: {
          key: prefixStart(prefix),
          range_end: prefixRangeEnd(prefix),
          start_revision: afterRevision + 1,
          prev_kv: true,
        },
      });
    });
  }

  private compactedError(afterRevision: number): StorageError {
    // Same wording as the SQLite backend's, so nothing above the Backend can tell them apart.
    return new StorageError('Compacted', `required revision ${afterRevision} has been compacted (compact revision ${this.knownCompact})`);
  }

  /** Maps one watch response to WatchEvents (revision order, de-duplicated) and delivers them. */
  private deliver(w: ActiveWatch, res: IWatchResponse): void {
    const out: WatchEvent[] = [];
    for (const ev of res.events) {
      const kv = ev.kv;
      const revision = num(kv.mod_revision);
      if (revision <= w.lastRevision) continue;
      const prevKv = ev.prev_kv ? toKeyValue(ev.prev_kv) : undefined;
      if (ev.type === 'Delete') {
        const last: KeyValue = prevKv
          ? { ...prevKv, modRevision: revision }
          : { key: kv.key.toString('utf8'), value: '', createRevision: 0, modRevision: revision };
        out.push({ type: 'delete', revision, kv: last, ...(prevKv ? { prevKv } : {}) });
      } else {
        const cur = toKeyValue(kv);
        const type = cur.createRevision === cur.modRevision ? 'create' : 'update';
        out.push({ type, revision, kv: cur, ...(prevKv && type === 'update' ? { prevKv } : {}) });
      }
      w.lastRevision = revision;
    }
    if (out.length === 0) return;
    try {
      w.onEvents(out);
    } catch (err) {
      this.endWatch(w, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Stops a watch; with `err`, reports it once through onError. */
  private endWatch(w: ActiveWatch, err?: Error): void {
    if (w.done) return;
    w.done = true;
    this.watches.delete(w);
    w.endStream();
    if (err) {
      try {
        w.onError?.(err);
      } catch {
        /* a failing error handler must not break the backend */
      }
    }
  }

  /**
   * Physically compacts etcd's history up to `revision` (KV Compact with physical=true: returns
   * once the compaction is applied to the backend). A revision at or below etcd's compact
   * revision is a no-op; above the current revision → StorageError('FutureRevision').
   */
  async compact(revision: number): Promise<void> {
    if (revision <= 0) return;
    try {
      await this.call(() => this.client.kv.compact({ revision, physical: true }));
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Compacted') {
        await this.probeCompactRevision(true);
        return;
      }
      throw err;
    }
    this.knownCompact = Math.max(this.knownCompact, revision);
  }

  /** The oldest revision still listable/watchable (0 when etcd was never compacted). */
  async compactRevision(): Promise<number> {
    this.check();
    await this.probeCompactRevision(false);
    return this.knownCompact;
  }

  /**
   * Finds etcd's compact revision once (or again with `force`): the smallest revision r in
   * [1, current] whose range read does not fail with Compacted (etcd: rev < compactMainRev is
   * ErrCompacted), by binary search. r = 1 means never compacted (reported as 0).
   */
  private probeCompactRevision(force: boolean): Promise<void> {
    if (this.probed && !force) return this.probed;
    const p = (async () => {
      const cur = num((await this.call(() => this.client.kv.range({ key: Buffer.from([0]), count_only: true }))).header.revision);
      const readable = async (rev: number): Promise<boolean> => {
        try {
          await this.call(() => this.client.kv.range({ key: Buffer.from([0]), count_only: true, revision: rev }));
          return true;
        } catch (err) {
          if (err instanceof StorageError && err.code === 'Compacted') return false;
          throw err;
        }
      };
      let lo = Math.max(1, this.knownCompact);
      let hi = Math.max(lo, cur);
      if (await readable(lo)) {
        hi = lo;
      } else {
        while (lo < hi) {
          const mid = Math.floor((lo + hi) / 2);
          if (await readable(mid)) hi = mid;
          else lo = mid + 1;
        }
      }
      if (hi > 1) this.knownCompact = Math.max(this.knownCompact, hi);
    })();
    this.probed = p.catch((err) => {
      this.probed = undefined;
      throw err;
    });
    return this.probed;
  }

  /** Ends every watch with onError(StorageError('Closed')) and closes the client; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new StorageError('Closed', 'etcd backend closed');
    for (const w of [...this.watches]) this.endWatch(w, err);
    this.client.close();
  }
}
