/**
 * Test support: run one API behaviour suite against every storage backend in the same `npm test`
 * run — SQLite always, and etcd on one private etcd (test/support/etcd.ts) per suite. Upstream runs
 * its registry tests against etcd only; Skiff has two stores behind one Backend contract, so the
 * apiserver-level tests are the check that both give the same API behaviour (resourceVersion,
 * continue tokens, 410 after compaction, watch, list at an exact revision).
 *
 * `SKIFF_TEST_DATASTORE=sqlite` or `=etcd` narrows a run to one backend (default: both).
 */
import { describe, after } from 'node:test';
import type { Backend } from '../../src/storage/backend.ts';
import { EtcdBackend } from '../../src/storage/etcd/etcd-backend.ts';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';
import { startEtcd, type TestEtcd } from './etcd.ts';

/** Which store a suite instance runs on. */
export type BackendKind = 'sqlite' | 'etcd';

/** Handed to the suite body: which backend this instance is on and how to open it. */
export interface BackendFixture {
  kind: BackendKind;
  /**
   * Opens a fresh, empty store of `kind`: SQLite at `opts.sqlitePath` (default `:memory:`), or an
   * EtcdBackend on this suite's private etcd (started when the suite was declared, so its start-up
   * overlaps the SQLite run). Call once per suite instance (a second etcd open would see the same
   * keys). Every opened backend is closed, and the etcd stopped, after the suite's own `after`
   * hooks; closing it yourself as well is fine (close is idempotent).
   */
  open(opts?: { sqlitePath?: string }): Promise<Backend>;
  /** The private etcd's client URL (etcd suites only; after open()). */
  etcdEndpoint(): string | undefined;
}

/** The backends selected by SKIFF_TEST_DATASTORE (unset or anything else: both). */
export function selectedBackends(): BackendKind[] {
  const v = process.env.SKIFF_TEST_DATASTORE;
  if (v === 'sqlite' || v === 'etcd') return [v];
  return ['sqlite', 'etcd'];
}

/**
 * Declares `describe('<name> [sqlite]')` and `describe('<name> [etcd]')` (as selected), calling
 * `body(fixture)` inside each. The body declares its hooks and tests as usual and gets its store
 * from `fixture.open()` in a `before` hook. Nothing is shared between the instances.
 */
export function describeEachBackend(name: string, body: (fixture: BackendFixture) => void): void {
  for (const kind of selectedBackends()) {
    const opened: Backend[] = [];
    let etcd: Promise<TestEtcd> | undefined;
    if (kind === 'etcd') {
      etcd = startEtcd();
      etcd.catch(() => undefined); // reported by open(); avoid an unhandled rejection meanwhile
    }
    let endpoint: string | undefined;
    const fixture: BackendFixture = {
      kind,
      async open(opts = {}) {
        if (kind === 'sqlite') {
          const b = SqliteBackend.open(opts.sqlitePath ?? ':memory:');
          opened.push(b);
          return b;
        }
        const e = await etcd!;
        endpoint = e.endpoint;
        const b = await EtcdBackend.connect({ endpoints: [e.endpoint] });
        opened.push(b);
        return b;
      },
      etcdEndpoint: () => endpoint,
    };
    describe(`${name} [${kind}]`, () => {
      body(fixture);
      after(async () => {
        for (const b of opened) await b.close().catch(() => undefined);
        if (etcd) await (await etcd.catch(() => undefined))?.stop();
      });
    });
  }
}
