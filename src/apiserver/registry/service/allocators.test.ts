/**
 * ClusterIP / NodePort allocators over a real SQLite store: exhaustion, release, requested values,
 * persistence across a new allocator over the same store (a restart), no duplicates under
 * concurrency, and upstream's error wording.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../../storage/sqlite/sqlite-backend.ts';
import { IPAllocator, IPAllocatorError, SERVICE_IPS_KEY, firstIP, parseCIDR } from './ipallocator.ts';
import { PortAllocator, PortAllocatorError, SERVICE_NODE_PORTS_KEY } from './portallocator.ts';
import { calculateRangeOffset } from './range-allocation.ts';

const dirs: string[] = [];
function openStore(dir?: string): { backend: SqliteBackend; dir: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'skiff-alloc-'));
  if (!dir) dirs.push(d);
  return { backend: SqliteBackend.open(join(d, 'state.db')), dir: d };
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('IPAllocator', () => {
  test('CIDR parsing and the first IP', () => {
    assert.equal(parseCIDR('10.96.0.0/16').text, '10.96.0.0/16');
    assert.equal(parseCIDR('10.96.7.9/16').text, '10.96.0.0/16');
    assert.equal(firstIP('10.96.0.0/16'), '10.96.0.1');
    assert.throws(() => parseCIDR('10.96.0.0'));
    assert.throws(() => parseCIDR('fd00::/108'));
  });

  test('a /29 hands out exactly 6 distinct addresses, then is full; release frees one', async () => {
    const { backend } = openStore();
    const a = new IPAllocator(backend, '10.0.0.0/29');
    assert.equal(a.size, 6);
    const got = new Set<string>();
    for (let i = 0; i < 6; i++) got.add(await a.allocateNext());
    assert.deepEqual([...got].sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    await assert.rejects(a.allocateNext(), (e: unknown) => e instanceof IPAllocatorError && e.message === 'range is full');
    await a.release('10.0.0.4');
    assert.equal(await a.allocateNext(), '10.0.0.4');
    await backend.close();
  });

  test('requested IPs: free → taken, taken → ErrAllocated, outside → ErrNotInRange', async () => {
    const { backend } = openStore();
    const a = new IPAllocator(backend, '10.96.0.0/16');
    await a.allocate('10.96.0.5');
    assert.equal(await a.has('10.96.0.5'), true);
    await assert.rejects(a.allocate('10.96.0.5'), (e: unknown) => e instanceof IPAllocatorError && e.message === 'provided IP is already allocated');
    await assert.rejects(
      a.allocate('10.97.0.5'),
      (e: unknown) => e instanceof IPAllocatorError && e.message === 'the provided IP (10.97.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16',
    );
    // network and broadcast addresses are not allocatable
    await assert.rejects(a.allocate('10.96.0.0'), (e: unknown) => e instanceof IPAllocatorError && e.reason === 'NotInRange');
    await assert.rejects(a.allocate('10.96.255.255'), (e: unknown) => e instanceof IPAllocatorError && e.reason === 'NotInRange');
    // dry run checks without reserving
    await a.allocate('10.96.0.6', true);
    assert.equal(await a.has('10.96.0.6'), false);
    await backend.close();
  });

  test('dynamic allocation avoids the static band while the upper band has room', async () => {
    const { backend } = openStore();
    const a = new IPAllocator(backend, '10.96.0.0/24');
    const offset = calculateRangeOffset(254, 16, 256, 16);
    assert.equal(offset, 16);
    for (let i = 0; i < 50; i++) {
      const ip = await a.allocateNext();
      assert.ok(Number(ip.split('.')[3]) - 1 >= offset, ip);
    }
    await backend.close();
  });

  test('allocations persist: a new allocator over the same store sees them', async () => {
    const first = openStore();
    const a = new IPAllocator(first.backend, '10.96.0.0/16');
    await a.allocate('10.96.0.10');
    const dyn = await a.allocateNext();
    await first.backend.close();
    const second = openStore(first.dir);
    const b = new IPAllocator(second.backend, '10.96.0.0/16');
    assert.equal(await b.has('10.96.0.10'), true);
    assert.equal(await b.has(dyn), true);
    assert.equal(await b.used(), 2);
    await assert.rejects(b.allocate('10.96.0.10'), /provided IP is already allocated/);
    const kv = await second.backend.get(SERVICE_IPS_KEY);
    const stored = JSON.parse(kv!.value);
    assert.equal(stored.kind, 'RangeAllocation');
    assert.equal(stored.range, '10.96.0.0/16');
    await second.backend.close();
  });

  test('two allocators over one store never hand out the same IP', async () => {
    const { backend } = openStore();
    const a = new IPAllocator(backend, '10.0.0.0/27');
    const b = new IPAllocator(backend, '10.0.0.0/27');
    const all = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).allocateNext()));
    assert.equal(new Set(all).size, 30);
    await assert.rejects(a.allocateNext(), /range is full/);
    await backend.close();
  });
});

describe('PortAllocator', () => {
  test('default range, requested ports, wording', async () => {
    const { backend } = openStore();
    const p = new PortAllocator(backend);
    await p.allocate(30080);
    await assert.rejects(p.allocate(30080), (e: unknown) => e instanceof PortAllocatorError && e.message === 'provided port is already allocated');
    await assert.rejects(
      p.allocate(8080),
      (e: unknown) => e instanceof PortAllocatorError && e.message === 'provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    const n = await p.allocateNext();
    assert.ok(n >= 30000 && n <= 32767 && n !== 30080);
    await backend.close();
  });

  test('exhaustion, release and persistence', async () => {
    const first = openStore();
    const p = new PortAllocator(first.backend, '31000-31004');
    const got = new Set<number>();
    for (let i = 0; i < 5; i++) got.add(await p.allocateNext());
    assert.deepEqual([...got].sort(), [31000, 31001, 31002, 31003, 31004]);
    await assert.rejects(p.allocateNext(), (e: unknown) => e instanceof PortAllocatorError && e.message === 'range is full');
    await p.release(31002);
    await first.backend.close();
    const second = openStore(first.dir);
    const q = new PortAllocator(second.backend, '31000-31004');
    assert.equal(await q.used(), 4);
    assert.equal(await q.allocateNext(), 31002);
    assert.ok(await second.backend.get(SERVICE_NODE_PORTS_KEY));
    await second.backend.close();
  });
});

describe('ServiceAllocators.repair', () => {
  test('marks held IPs/ports missing from the bitmaps; releases leaks only after 3 passes', async () => {
    const { ServiceAllocators, NumRepairsBeforeLeakCleanup } = await import('./alloc.ts');
    const { backend } = openStore();
    const al = new ServiceAllocators(backend, { serviceCIDR: '10.96.0.0/16' });
    const held = [{ metadata: { name: 'a' }, spec: { type: 'NodePort', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ port: 80, nodePort: 30100 }] } }];
    await al.ipAllocator.allocate('10.96.0.21'); // leaked: no Service holds it
    const r1 = await al.repair(held);
    assert.deepEqual(r1.marked.sort(), ['10.96.0.20', '30100']);
    assert.deepEqual(r1.released, []);
    assert.equal(await al.ipAllocator.has('10.96.0.20'), true);
    assert.equal(await al.portAllocator.has(30100), true);
    assert.equal(NumRepairsBeforeLeakCleanup, 3);
    assert.deepEqual((await al.repair(held)).released, []);
    assert.equal(await al.ipAllocator.has('10.96.0.21'), true);
    assert.deepEqual((await al.repair(held)).released, ['10.96.0.21']);
    assert.equal(await al.ipAllocator.has('10.96.0.21'), false);
    assert.equal(await al.ipAllocator.has('10.96.0.20'), true);
    await backend.close();
  });
});
