import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { formatRFC3339Nano, parseCRILogLine, readLogs, type ReadLogsOptions } from './logs.ts';

const LOG = [
  '2026-11-30T01:53:20.018032460+00:00 stdout F first line',
  '2026-11-30T01:53:21.000000000+00:00 stderr F to-stderr',
  '2026-11-30T01:53:22.100000000+00:00 stdout P part-one ',
  '2026-11-30T01:53:22.200000000+00:00 stdout P part-two ',
  '2026-11-30T01:53:22.300000000+00:00 stdout F end',
  '2026-11-30T01:53:23.500000000Z stdout F last line',
  '',
].join('\n');

function sink(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    out: new Writable({
      write(c, _e, cb) {
        chunks.push(Buffer.from(c));
        cb();
      },
    }),
    text: () => Buffer.concat(chunks).toString(),
  };
}

async function withLog(content: string, fn: (file: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-logs-test-'));
  try {
    const file = path.join(dir, '0.log');
    await writeFile(file, content);
    await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function read(file: string, opts: ReadLogsOptions): Promise<string> {
  const s = sink();
  await readLogs(file, opts, s.out, new AbortController().signal);
  return s.text();
}

describe('CRI log parsing', () => {
  test('parses time, stream, tag and content', () => {
    assert.deepEqual(parseCRILogLine('2026-11-30T01:53:20.018032460+00:00 stdout P partial '), {
      time: '2026-11-30T01:53:20.018032460+00:00',
      timeMs: Date.parse('2026-11-30T01:53:20.018032460+00:00'),
      stream: 'stdout',
      partial: true,
      content: 'partial ',
    });
    const e = parseCRILogLine('2026-11-30T01:53:20Z stderr F ');
    assert.equal(e.stream, 'stderr');
    assert.equal(e.content, '');
    assert.equal(e.partial, false);
  });

  test('timestamps render as Go RFC3339Nano in UTC', () => {
    assert.equal(formatRFC3339Nano('2026-11-30T01:53:20.018032460+00:00'), '2026-11-30T01:53:20.01803246Z');
    assert.equal(formatRFC3339Nano('2026-11-30T01:53:21.000000000+00:00'), '2026-11-30T01:53:21Z');
    assert.equal(formatRFC3339Nano('2026-11-30T03:53:21.5+02:00'), '2026-11-30T01:53:21.5Z');
  });

  test('joins partial lines and writes both streams', async () => {
    await withLog(LOG, async (file) => {
      assert.equal(await read(file, {}), 'first line\nto-stderr\npart-one part-two end\nlast line\n');
    });
  });

  test('tailLines counts full lines', async () => {
    await withLog(LOG, async (file) => {
      assert.equal(await read(file, { tailLines: 2 }), 'part-one part-two end\nlast line\n');
      assert.equal(await read(file, { tailLines: 0 }), '');
      assert.equal(await read(file, { tailLines: 100 }), 'first line\nto-stderr\npart-one part-two end\nlast line\n');
    });
  });

  test('timestamps prefix each full line with its first part time', async () => {
    await withLog(LOG, async (file) => {
      assert.equal(
        await read(file, { timestamps: true, tailLines: 2 }),
        '2026-11-30T01:53:22.1Z part-one part-two end\n2026-11-30T01:53:23.5Z last line\n',
      );
    });
  });

  test('sinceTime skips older entries; limitBytes truncates', async () => {
    await withLog(LOG, async (file) => {
      assert.equal(await read(file, { sinceMs: Date.parse('2026-11-30T01:53:21Z') }), 'to-stderr\npart-one part-two end\nlast line\n');
      assert.equal(await read(file, { limitBytes: 13 }), 'first line\nto');
    });
  });

  test('follow streams appends until the container stops and the file is drained', async () => {
    await withLog('2026-11-30T01:53:20Z stdout F one\n', async (file) => {
      const s = sink();
      let running = true;
      const done = readLogs(file, { follow: true }, s.out, new AbortController().signal, async () => running);
      const waitText = async (want: string) => {
        for (let i = 0; i < 500 && s.text() !== want; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(s.text(), want);
      };
      await waitText('one\n');
      await appendFile(file, '2026-11-30T01:53:21Z stdout P two-');
      await appendFile(file, 'a\n2026-11-30T01:53:21Z stdout F b\n');
      await waitText('one\ntwo-ab\n');
      await appendFile(file, '2026-11-30T01:53:22Z stdout F three\n');
      running = false;
      await done;
      assert.equal(s.text(), 'one\ntwo-ab\nthree\n');
    });
  });

  test('follow ends when aborted', async () => {
    await withLog('2026-11-30T01:53:20Z stdout F one\n', async (file) => {
      const s = sink();
      const ac = new AbortController();
      const done = readLogs(file, { follow: true }, s.out, ac.signal, async () => true);
      for (let i = 0; i < 500 && s.text() !== 'one\n'; i++) await new Promise((r) => setTimeout(r, 10));
      ac.abort();
      await done;
      assert.equal(s.text(), 'one\n');
    });
  });
});
