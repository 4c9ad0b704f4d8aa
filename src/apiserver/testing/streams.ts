/**
 * Test support for the streaming handlers (exec, port-forward, SPDY): an in-memory connected pair
 * of duplex streams, standing in for the two ends of a TCP connection, and a reader that collects
 * a stream to its end.
 */
import { Duplex, PassThrough } from 'node:stream';

/** Two connected duplex streams: bytes written to one are read from the other; `end()` is seen as EOF. */
export function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const mk = (readFrom: PassThrough, writeTo: PassThrough) =>
    new Duplex({
      read() {
        readFrom.resume();
      },
      write(chunk, _e, cb) {
        writeTo.write(chunk, cb);
      },
      final(cb) {
        writeTo.end();
        cb();
      },
    });
  const a = mk(ba, ab);
  const b = mk(ab, ba);
  ba.on('data', (d) => a.push(d));
  ba.on('end', () => a.push(null));
  ab.on('data', (d) => b.push(d));
  ab.on('end', () => b.push(null));
  return [a, b];
}

/** Everything `s` emits until its end, as UTF-8 text; rejects on a stream error. */
export function readAll(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}
