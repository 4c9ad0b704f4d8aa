/**
 * EndpointSlice validation, after upstream pkg/apis/discovery/validation/validation.go
 * (ValidateEndpointSlice, validateEndpoints, validateEndpointPorts, ValidateEndpointSliceUpdate):
 * name a DNS subdomain; addressType required and one of IPv4/IPv6/FQDN (immutable); at most 1000
 * endpoints with 1–100 addresses valid for the address type; hostname a DNS label; nodeName a
 * DNS subdomain; at most 20000 ports, names DNS labels and unique, protocol TCP/UDP/SCTP,
 * port 0–65535.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, duplicate, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  isDNS1123Subdomain,
  isInRange,
  isValidIPv4Address,
  isValidIPv6Address,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { arr, rec } from '../../../common/meta.ts';
import { validateDNS1123Label } from '../../../common/pod-spec-validation.ts';
import { validateNonSpecialIP } from '../../../core/v1/endpoints/validation.ts';

/** Supported `addressType` values. */
export const supportedAddressTypes = ['FQDN', 'IPv4', 'IPv6'];
const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];
/** Upstream limits. */
export const maxEndpoints = 1000;
const maxAddresses = 100;
const maxPorts = 20000;

function tooMany(path: FieldPath, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field: path.toString(), value: actual, detail: `must have at most ${max} items` };
}

function validateEndpoints(endpoints: unknown[], addressType: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (endpoints.length > maxEndpoints) {
    errs.push(tooMany(path, endpoints.length, maxEndpoints));
    return errs;
  }
  endpoints.forEach((raw, i) => {
    const ep = rec(raw);
    const p = path.index(i);
    const ap = p.child('addresses');
    const addrs = arr(ep.addresses);
    if (addrs.length === 0) errs.push(required(ap, 'must contain at least 1 address'));
    else if (addrs.length > maxAddresses) errs.push(tooMany(ap, addrs.length, maxAddresses));
    addrs.forEach((a, j) => {
      const s = String(a ?? '');
      const aj = ap.index(j);
      if (addressType === 'IPv4') {
        const m = isValidIPv4Address(s);
        errs.push(...m.map((x) => invalid(aj, s, x)));
        if (!m.length) errs.push(...validateNonSpecialIP(s, aj));
      } else if (addressType === 'IPv6') {
        const m = isValidIPv6Address(s);
        errs.push(...m.map((x) => invalid(aj, s, x)));
        if (!m.length) errs.push(...validateNonSpecialIP(s, aj));
      } else if (addressType === 'FQDN') {
        errs.push(...isDNS1123Subdomain(s).map((x) => invalid(aj, s, x)));
      }
    });
    if (ep.nodeName !== undefined && ep.nodeName !== null) {
      for (const m of nameIsDNSSubdomain(String(ep.nodeName), false)) errs.push(invalid(p.child('nodeName'), ep.nodeName, m));
    }
    if (ep.hostname !== undefined && ep.hostname !== null) errs.push(...validateDNS1123Label(String(ep.hostname), p.child('hostname')));
  });
  return errs;
}

function validateEndpointPorts(ports: unknown[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (ports.length > maxPorts) {
    errs.push(tooMany(path, ports.length, maxPorts));
    return errs;
  }
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const p = rec(raw);
    const ip = path.index(i);
    const name = p.name === undefined || p.name === null ? '' : String(p.name);
    if (name) errs.push(...validateDNS1123Label(name, ip.child('name')));
    if (names.has(name)) errs.push(duplicate(ip.child('name'), name));
    else names.add(name);
    if (!p.protocol) errs.push(required(ip.child('protocol'), ''));
    else if (!supportedPortProtocols.includes(p.protocol)) errs.push(notSupported(ip.child('protocol'), p.protocol, supportedPortProtocols));
    if (p.port !== undefined && p.port !== null) {
      for (const m of isInRange(Number(p.port), 0, 65535)) errs.push(invalid(ip.child('port'), p.port, m));
    }
  });
  return errs;
}

/** `ValidateEndpointSlice`: see the module comment. */
export function validateEndpointSlice(eps: KubeObject): FieldError[] {
  const errs = validateObjectMeta(eps.metadata, true, nameIsDNSSubdomain, 'metadata');
  const at = eps.addressType;
  if (at === undefined || at === null || at === '') errs.push(required('addressType', ''));
  else if (!supportedAddressTypes.includes(String(at))) errs.push(notSupported('addressType', at, supportedAddressTypes));
  errs.push(...validateEndpoints(arr(eps.endpoints), String(at ?? ''), FieldPath.root('endpoints')));
  errs.push(...validateEndpointPorts(arr(eps.ports), FieldPath.root('ports')));
  return errs;
}

/** `ValidateEndpointSliceUpdate`: ObjectMeta update rules, addressType immutable, the new slice valid. */
export function validateEndpointSliceUpdate(eps: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(eps.metadata, old.metadata, 'metadata');
  errs.push(...validateImmutableField(eps.addressType, old.addressType, 'addressType'));
  errs.push(...validateEndpointSlice(eps));
  return errs;
}
