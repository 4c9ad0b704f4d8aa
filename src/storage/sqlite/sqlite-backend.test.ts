/** Runs the Backend conformance suite (src/storage/conformance.ts) against SqliteBackend on temp files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBackendConformance } from '../conformance.ts';
import { SqliteBackend } from './sqlite-backend.ts';

runBackendConformance('sqlite (file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
  const backend = SqliteBackend.open(join(dir, 'state.db'));
  return {
    backend,
    cleanup: async () => {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runBackendConformance('sqlite (:memory:)', async () => {
  const backend = SqliteBackend.open(':memory:');
  return { backend, cleanup: () => backend.close() };
});

test('sqlite: reopening a file keeps data, revision counter and compact revision', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
  try {
    const path = join(dir, 'state.db');
    let b = SqliteBackend.open(path);
    const a = await b.create('/registry/pods/default/a', 'a1');
    const a2 = await b.update('/registry/pods/default/a', 'a2', a.modRevision);
    const x = await b.create('/registry/pods/default/x', 'x');
    const dx = await b.delete('/registry/pods/default/x', x.modRevision);
    await b.compact(dx.modRevision);
    await b.close();
    b = SqliteBackend.open(path);
    assert.equal(await b.currentRevision(), dx.modRevision);
    assert.equal(await b.compactRevision(), dx.modRevision);
    assert.deepEqual(await b.get('/registry/pods/default/a'), a2);
    const n = await b.create('/registry/pods/default/n', 'n');
    assert.ok(n.modRevision > dx.modRevision);
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
