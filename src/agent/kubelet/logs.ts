/**
 * CRI log reader for `pods/log`, after pkg/kubelet/kuberuntime/logs/logs.go (ReadLogs).
 *
 * File format (one entry per line, as conmon writes it):
 * `<RFC3339Nano time> <stdout|stderr> <P|F> <content>` — `P` marks a partial line whose content
 * continues in the next entry; `F` ends it. Output is the joined content with `\n` after each full
 * line. Options:
 * - `timestamps`: each full line is prefixed by the (first part's) time in RFC3339Nano UTC
 *   (`2026-11-30T01:53:20.01803246Z`, trailing zeros trimmed as Go does) and a space;
 * - `tailLines`: only the last N full lines; `sinceTime`/`sinceSeconds`: entries at/after that time;
 * - `limitBytes`: stop after that many bytes of output;
 * - `follow`: keep reading appends until `isRunning()` turns false and the file is drained, or
 *   until `signal` aborts.
 * Lines that do not parse are passed through as stdout full lines.
 */
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** One parsed CRI log entry. */
export interface CRILogEntry {
  /** The timestamp text as written. */
  time: string;
  /** Unix ms (sub-ms precision dropped), NaN if unparsable. */
  timeMs: number;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  content: string;
}

/** Parses one CRI log line (without its trailing newline). */
export function parseCRILogLine(line: string): CRILogEntry {
  const a = line.indexOf(' ');
  const b = a >= 0 ? line.indexOf(' ', a + 1) : -1;
  const stream = a >= 0 ? line.slice(a + 1, b >= 0 ? b : undefined) : '';
  if (a < 0 || b < 0 || (stream !== 'stdout' && stream !== 'stderr')) {
    return { time: '', timeMs: NaN, stream: 'stdout', partial: false, content: line };
  }
  const time = line.slice(0, a);
  const rest = line.slice(b + 1);
  let partial = false;
  let content = rest;
  // Tag field: "P", "F" or a ':'-separated list whose first element is P/F.
  const c = rest.indexOf(' ');
  const tag = c >= 0 ? rest.slice(0, c) : rest;
  if (/^[PF](:|$)/.test(tag)) {
    partial = tag.startsWith('P');
    content = c >= 0 ? rest.slice(c + 1) : '';
  }
  return { time, timeMs: Date.parse(time), stream: stream as 'stdout' | 'stderr', partial, content };
}

/** Re-renders a timestamp as Go's RFC3339Nano in UTC (nanoseconds kept, trailing zeros trimmed). */
export function formatRFC3339Nano(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return time;
  const iso = new Date(base).toISOString().slice(0, 19);
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  return `${iso}${frac ? '.' + frac : ''}Z`;
}

/** Options of {@link readLogs} (PodLogOptions with a resolved `sinceTime`). */
export interface ReadLogsOptions {
  follow?: boolean;
  tailLines?: number;
  /** Unix ms; entries before are skipped. */
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

interface Line {
  time: string;
  timeMs: number;
  text: string;
}

/** Joins entries into full lines; returns [full lines, leftover partial]. */
function joinEntries(entries: CRILogEntry[], carry: Line | undefined): [Line[], Line | undefined] {
  const out: Line[] = [];
  let cur = carry;
  for (const e of entries) {
    if (!cur) cur = { time: e.time, timeMs: e.timeMs, text: '' };
    cur.text += e.content;
    if (!e.partial) {
      out.push(cur);
      cur = undefined;
    }
  }
  return [out, cur];
}

/**
 * Streams the log at `path` to `out`. Resolves when done (EOF without follow; container exited and
 * drained with follow; limit reached; or aborted). Throws if the file cannot be opened.
 * @param isRunning whether the container still runs (checked when follow reaches EOF)
 */
export async function readLogs(path: string, opts: ReadLogsOptions, out: Writable, signal: AbortSignal, isRunning: () => Promise<boolean> = async () => false): Promise<void> {
  const fh = await open(path, 'r');
  let written = 0;
  const limit = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  const write = async (s: string): Promise<boolean> => {
    let buf = Buffer.from(s);
    if (written + buf.length > limit) buf = buf.subarray(0, limit - written);
    written += buf.length;
    if (buf.length && !out.write(buf)) await new Promise<void>((r) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        signal.removeEventListener('abort', done);
        r();
      };
      out.once('drain', done);
      out.once('close', done);
      signal.addEventListener('abort', done, { once: true });
    });
    return written < limit;
  };
  const render = (l: Line) => (opts.timestamps ? `${formatRFC3339Nano(l.time)} ${l.text}\n` : `${l.text}\n`);
  try {
    let offset = 0;
    let rest = '';
    let carry: Line | undefined;
    const readMore = async (): Promise<CRILogEntry[]> => {
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (!bytesRead) break;
        offset += bytesRead;
        chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
      }
      const text = rest + Buffer.concat(chunks).toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      return lines.filter((l) => l.length > 0).map(parseCRILogLine);
    };
    const keep = (l: Line) => opts.sinceMs === undefined || Number.isNaN(l.timeMs) || l.timeMs >= opts.sinceMs;
    // Initial content.
    let [lines, c] = joinEntries(await readMore(), carry);
    carry = c;
    lines = lines.filter(keep);
    if (opts.tailLines !== undefined && opts.tailLines >= 0) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
    for (const l of lines) if (!(await write(render(l)))) return;
    if (!opts.follow) return;
    // Follow.
    for (;;) {
      if (signal.aborted) return;
      const entries = await readMore();
      if (entries.length) {
        [lines, carry] = joinEntries(entries, carry);
        for (const l of lines.filter(keep)) if (!(await write(render(l)))) return;
        continue;
      }
      if (!(await isRunning())) {
        // Drain once more: the runtime may have written the last lines just before exiting.
        const last = await readMore();
        [lines, carry] = joinEntries(last, carry);
        for (const l of lines.filter(keep)) if (!(await write(render(l)))) return;
        if (carry) await write(opts.timestamps ? `${formatRFC3339Nano(carry.time)} ${carry.text}` : carry.text);
        return;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(done, 100);
        function done() {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          r();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    await fh.close();
  }
}
