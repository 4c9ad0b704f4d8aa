import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server } from 'node:net';
import { startAPIServerRelay } from './apiserver-relay.ts';

/** An upper-casing TCP server on 127.0.0.1 standing in for the apiserver's listener. */
async function upperServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', (d) => s.write(d.toString().toUpperCase())));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => s.write(text));
    s.on('data', (d) => (resolve(d.toString()), s.end()));
    s.on('error', reject);
  });
}

test('relays bytes both ways to the target and closes relayed connections on stop', async () => {
  const up = await upperServer();
  const relay = startAPIServerRelay({ listenAddress: '127.0.0.1', listenPort: 0, target: { host: '127.0.0.1', port: up.port } });
  const port = await relay.listening;
  assert.ok(port);
  assert.equal(await roundTrip(port, 'hello'), 'HELLO');

  const open = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((r) => open.on('connect', () => r()));
  const closed = new Promise<void>((r) => open.on('close', () => r()));
  await relay.stop();
  await closed; // stop() destroyed the relayed connection
  await assert.rejects(roundTrip(port, 'x'), /ECONNREFUSED/);
  up.server.close();
});

test('a refused target closes the client connection', async () => {
  const up = await upperServer();
  const deadPort = up.port;
  await new Promise<void>((r) => up.server.close(() => r()));
  const relay = startAPIServerRelay({ listenAddress: '127.0.0.1', listenPort: 0, target: { host: '127.0.0.1', port: deadPort } });
  const port = (await relay.listening)!;
  const s = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((r) => s.on('close', () => r()));
  await relay.stop();
});

test('binding is retried until the address can be bound, and stop() ends the retries', async () => {
  const up = await upperServer();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busyPort = (blocker.address() as { port: number }).port;
  const relay = startAPIServerRelay({ listenAddress: '127.0.0.1', listenPort: busyPort, target: { host: '127.0.0.1', port: up.port }, retryIntervalMs: 20 });
  await new Promise((r) => setTimeout(r, 100));
  await new Promise<void>((r) => blocker.close(() => r()));
  assert.equal(await relay.listening, busyPort);
  assert.equal(await roundTrip(busyPort, 'again'), 'AGAIN');
  await relay.stop();

  const never = startAPIServerRelay({ listenAddress: '192.0.2.1', listenPort: 0, target: { host: '127.0.0.1', port: up.port }, retryIntervalMs: 20 });
  await new Promise((r) => setTimeout(r, 60));
  await never.stop();
  assert.equal(await never.listening, undefined);
  up.server.close();
});
