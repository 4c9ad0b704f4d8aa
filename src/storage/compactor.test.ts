import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactStep, startCompactor } from './compactor.ts';
import { SqliteBackend } from './sqlite/sqlite-backend.ts';
import { StorageError } from './backend.ts';

test('compactStep keeps revisions written within retainMs and compacts older ones', async () => {
  const b = SqliteBackend.open(':memory:');
  try {
    const marks: { at: number; revision: number }[] = [];
    const retain = 300_000;
    const a = await b.create('/registry/x/a', '1'); // rev 1 at t=0
    assert.equal(await compactStep(b, marks, retain, 0), 0);
    const a2 = await b.update('/registry/x/a', '2', a.modRevision); // written at t≈60s
    assert.equal(await compactStep(b, marks, retain, 60_000), 0);
    await b.update('/registry/x/a', '3', a2.modRevision);
    // At t=300s the t=0 mark (revision 1) is old enough; revision 2 (t=60s) is not.
    assert.equal(await compactStep(b, marks, retain, 300_000), a.modRevision);
    assert.equal(await b.compactRevision(), a.modRevision);
    // A watch from revision 1 (events after it) still works: nothing newer than 5 minutes was lost.
    const w = await b.watch('/registry/x/', a.modRevision, () => {});
    w.cancel();
    // At t=360s the t=60s mark (revision 2) becomes the target.
    assert.equal(await compactStep(b, marks, retain, 360_000), a2.modRevision);
    await assert.rejects(b.watch('/registry/x/', a.modRevision, () => {}), (e: unknown) => e instanceof StorageError && e.code === 'Compacted');
    assert.equal((await b.get('/registry/x/a'))?.value, '3');
  } finally {
    await b.close();
  }
});

test('startCompactor runs on an interval and stops', async () => {
  const b = SqliteBackend.open(':memory:');
  try {
    await b.create('/registry/x/a', '1');
    let t = 0;
    const stop = startCompactor(b, { intervalMs: 5, retainMs: 1000, now: () => (t += 1000) });
    const deadline = Date.now() + 20000;
    while ((await b.compactRevision()) === 0) {
      assert.ok(Date.now() < deadline, 'compactor never compacted');
      await new Promise((r) => setTimeout(r, 5));
    }
    stop();
    stop();
    assert.equal(await b.compactRevision(), 1);
  } finally {
    await b.close();
  }
});
