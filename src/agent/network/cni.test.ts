import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniRunner, defaultNetworkConfigList, firstHost, loopbackConfigList, resultIPv4 } from './cni.ts';
import { createNetns, deleteNetns, listNetns, netnsName } from './netns.ts';
import { perRunNames } from '../runtime/runc/test-support.ts';

describe('firstHost / defaultNetworkConfigList', () => {
  test('gateway is the first host of the subnet', () => {
    assert.equal(firstHost('10.88.0.0/24'), '10.88.0.1');
    assert.equal(firstHost('10.88.0.77/16'), '10.88.0.1');
  });
  test('bridge names longer than 15 characters are refused', () => {
    assert.throws(() => defaultNetworkConfigList({ name: 'n', bridge: 'a-very-long-bridge', subnet: '10.1.0.0/24', ipamDataDir: '/x' }));
  });
  test('bridge + host-local + portmap with the portMappings capability', () => {
    const l = defaultNetworkConfigList({ name: 'n', bridge: 'skiff0', subnet: '10.88.0.0/24', ipamDataDir: '/x' });
    assert.equal(l.cniVersion, '1.0.0');
    assert.deepEqual(l.plugins.map((p) => p.type), ['bridge', 'portmap']);
    assert.equal(l.plugins[0].ipMasq, true);
    assert.equal(l.plugins[0].isGateway, true);
    assert.equal(l.plugins[0].hairpinMode, true);
    assert.deepEqual((l.plugins[0].ipam as { ranges: unknown }).ranges, [[{ subnet: '10.88.0.0/24', gateway: '10.88.0.1' }]]);
    assert.deepEqual(l.plugins[1].capabilities, { portMappings: true });
  });
});

describe('netns + CNI against the real plugins (root)', () => {
  const n = perRunNames();
  let dir = '';
  let ipForward = '';
  let natTableExisted = true;
  const made: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `${n.prefix}-cni-`));
    ipForward = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
    natTableExisted = execFileSync('nft', ['list', 'tables']).toString().includes('table ip nat');
  });

  after(async () => {
    for (const ns of await listNetns(n.prefix)) await deleteNetns(ns);
    try {
      execFileSync('ip', ['link', 'del', n.bridge], { stdio: 'ignore' });
    } catch {
      /* not there */
    }
    // The bridge plugin (isGateway) turns ip_forward on globally: put it back.
    await writeFile('/proc/sys/net/ipv4/ip_forward', ipForward);
    if (!natTableExisted && execFileSync('nft', ['list', 'tables']).toString().includes('table ip nat')) {
      const rules = execFileSync('iptables', ['-t', 'nat', '-S']).toString().split('\n').filter((l) => l && !l.startsWith('-P'));
      if (rules.length === 0) execFileSync('nft', ['delete', 'table', 'ip', 'nat'], { stdio: 'ignore' });
    }
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(await listNetns(n.prefix), []);
    assert.equal(existsSync(`/sys/class/net/${n.bridge}`), false);
  });

  test('netns create / list / delete (idempotent)', async () => {
    const name = netnsName(n.prefix, '0123-4567-89ab-cdef', 'ffeeddcc0011');
    assert.equal(name, `${n.prefix}-0123456789ab-ffeeddcc`);
    const p = await createNetns(name);
    made.push(name);
    assert.equal(p, `/var/run/netns/${name}`);
    assert.deepEqual(await listNetns(n.prefix), [name]);
    await deleteNetns(name);
    await deleteNetns(name);
    assert.deepEqual(await listNetns(n.prefix), []);
  });

  test('ADD lo + eth0, masquerade rules, DEL in reverse removes them and releases the IP', async () => {
    const cni = new CniRunner({ cacheDir: join(dir, 'cache') });
    const list = defaultNetworkConfigList({ name: n.prefix, bridge: n.bridge, subnet: n.subnet, ipamDataDir: join(dir, 'ipam') });
    const ns = netnsName(n.prefix, 'pod-a', 'sandbox1');
    const nsPath = await createNetns(ns);
    const rt = { containerId: 'sandbox1', netns: nsPath, ifName: 'eth0' };
    await cni.addNetworkList(loopbackConfigList(`${n.prefix}-lo`), { ...rt, ifName: 'lo' });
    const result = await cni.addNetworkList(list, { ...rt, capabilityArgs: { portMappings: [] } });
    const ip = resultIPv4(result, 'eth0');
    const base = n.subnet.split('.').slice(0, 3).join('.');
    assert.equal(ip, `${base}.2`);
    assert.equal(result.ips?.[0].gateway, `${base}.1`);
    const inside = execFileSync('ip', ['netns', 'exec', ns, 'ip', '-o', 'addr']).toString();
    assert.match(inside, /lo\s+inet 127\.0\.0\.1\/8/);
    assert.ok(inside.includes(`eth0    inet ${ip}/24`), inside);
    assert.match(execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'show', 'lo']).toString(), /UP/);
    // ipMasq: the bridge plugin adds a per-container POSTROUTING rule and chain.
    const natRules = () => execFileSync('iptables', ['-t', 'nat', '-S']).toString().split('\n').filter((l) => l.includes(`name: \\"${n.prefix}\\" id: \\"sandbox1\\"`));
    assert.ok(natRules().some((l) => l.includes('MASQUERADE')), 'masquerade rule present after ADD');
    assert.ok(await cni.getCachedResult(n.prefix, 'sandbox1', 'eth0'));
    await cni.checkNetworkList(list, rt);

    await cni.delNetworkList(list, rt);
    await cni.delNetworkList(loopbackConfigList(`${n.prefix}-lo`), { ...rt, ifName: 'lo' });
    assert.deepEqual(natRules(), [], 'masquerade rules removed by DEL');
    assert.equal(await cni.getCachedResult(n.prefix, 'sandbox1', 'eth0'), undefined);
    // host-local released the address: only its bookkeeping files remain.
    const reserved = (await readdir(join(dir, 'ipam', n.prefix))).filter((f) => /^\d/.test(f) && !f.startsWith('last_reserved'));
    assert.deepEqual(reserved, []);
    // DEL is idempotent (no cache, veth already gone).
    await cni.delNetworkList(list, rt);
    await deleteNetns(ns);
    // The veth went with the netns; only the bridge (deleted in after) remains.
    assert.doesNotMatch(execFileSync('ip', ['-o', 'link']).toString(), new RegExp(`master ${n.bridge} `));
  });

  test('a failing plugin surfaces the CNI error', async () => {
    const cni = new CniRunner({ cacheDir: join(dir, 'cache2') });
    await assert.rejects(
      cni.addNetworkList({ cniVersion: '1.0.0', name: 'bad', plugins: [{ type: 'bridge', bridge: n.bridge, ipam: { type: 'no-such-ipam' } }] }, {
        containerId: 'x',
        netns: '/var/run/netns/does-not-exist',
        ifName: 'eth0',
      }),
      (e: Error) => e.name === 'CniError' && /CNI ADD bridge/.test(e.message),
    );
  });
});
