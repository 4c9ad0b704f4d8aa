/**
 * Durability: a write whose promise resolved survives kill -9 (WAL + synchronous=FULL).
 * A child process writes keys and prints each acknowledged revision; we SIGKILL it mid-way,
 * reopen the database and require every acknowledged key at its acknowledged revision.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteBackend } from './sqlite-backend.ts';

const here = dirname(fileURLToPath(import.meta.url));

test('sqlite: every acknowledged write survives kill -9 of the writer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-durability-'));
  const path = join(dir, 'state.db');
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'durability-writer.ts'), path, '1000000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const acked = new Map<string, number>();
    let buf = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', () => resolve());
      child.stdout!.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const [key, rev] = buf.slice(0, nl).split(' ');
          buf = buf.slice(nl + 1);
          acked.set(key, Number(rev));
        }
        if (acked.size >= 300 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
    });
    assert.equal(await exited, 'SIGKILL', 'the writer was killed mid-way, not finished');
    assert.ok(acked.size >= 300);
    const b = SqliteBackend.open(path);
    try {
      for (const [key, rev] of acked) {
        const kv = await b.get(key);
        assert.ok(kv, `acknowledged key ${key} is missing after kill -9`);
        assert.equal(kv.modRevision, rev);
      }
      const maxAcked = Math.max(...acked.values());
      assert.ok((await b.currentRevision()) >= maxAcked);
      const next = await b.create('/registry/configmaps/default/after-crash', '{}');
      assert.ok(next.modRevision > maxAcked);
    } finally {
      await b.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
