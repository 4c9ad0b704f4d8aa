/** EndpointSlice defaults, validation (upstream wording) and Table cells (printEndpointSlice). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setDefaultsEndpointSlice } from './defaults.ts';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './validation.ts';
import { endpointSliceTable, formatDiscoveryEndpoints, formatDiscoveryPorts } from './printer.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';

const good = () => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-abcde', namespace: 'default' },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.88.0.5'], conditions: { ready: true }, nodeName: 'node-1' }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});

test('defaults: port name "" and protocol TCP', () => {
  const s: any = { ports: [{ port: 80 }] };
  setDefaultsEndpointSlice(s);
  assert.deepEqual(s.ports, [{ name: '', port: 80, protocol: 'TCP' }]);
});

test('validation', () => {
  assert.deepEqual(validateEndpointSlice(good()), []);
  const s: any = good();
  s.addressType = 'IPv5';
  s.endpoints[0].addresses = [];
  s.ports.push({ name: 'http', port: 70000, protocol: 'ICMP' });
  const msgs = validateEndpointSlice(s).map(fieldErrorString);
  assert.deepEqual(msgs, [
    'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"',
    'endpoints[0].addresses: Required value: must contain at least 1 address',
    'ports[1].name: Duplicate value: "http"',
    'ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    'ports[1].port: Invalid value: 70000: must be between 0 and 65535, inclusive',
  ]);
  const bad: any = good();
  bad.endpoints[0].addresses = ['fd00::1'];
  assert.deepEqual(validateEndpointSlice(bad).map(fieldErrorString), ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']);
  const upd: any = good();
  upd.addressType = 'IPv6';
  upd.endpoints[0].addresses = ['fd00::1'];
  assert.ok(validateEndpointSliceUpdate(upd, good()).map(fieldErrorString).includes('addressType: Invalid value: "IPv6": field is immutable'));
});

test('printer: ports, endpoints, <unset>, + N more...', () => {
  assert.equal(formatDiscoveryPorts([]), '<unset>');
  assert.equal(formatDiscoveryPorts([{ port: 80 }, { name: 'x' }, {}]), '80,x,*');
  assert.equal(formatDiscoveryPorts([{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }, { port: 5 }]), '1,2,3 + 2 more...');
  assert.equal(formatDiscoveryEndpoints([]), '<unset>');
  assert.equal(formatDiscoveryEndpoints([{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'] }]), '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...');
  assert.deepEqual(endpointSliceTable.columns.map((c) => c.name), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const cells = endpointSliceTable.cells(good(), Date.now());
  assert.deepEqual(cells.slice(0, 4), ['web-abcde', 'IPv4', '8080', '10.88.0.5']);
});
