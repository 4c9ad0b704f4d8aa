/** Endpoints validation, after upstream ValidateEndpoints / validateEndpointSubsets (pkg/apis/core/validation). */
import { isIP } from 'node:net';
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  isValidIP,
  isValidPortNum,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { arr, rec } from '../../../common/meta.ts';
import { validateDNS1123Label } from '../../../common/pod-spec-validation.ts';

/** `ValidateNonSpecialIP`: not unspecified, loopback, link-local or link-local multicast. */
export function validateNonSpecialIP(ip: string, path: FieldPath): FieldError[] {
  const fam = isIP(ip);
  if (fam === 0) return [];
  const errs: FieldError[] = [];
  if (fam === 4) {
    const o = ip.split('.').map(Number);
    if (o.every((x) => x === 0)) errs.push(invalid(path, ip, 'may not be unspecified (0.0.0.0)'));
    if (o[0] === 127) errs.push(invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
    if (o[0] === 169 && o[1] === 254) errs.push(invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
    if (o[0] === 224 && o[1] === 0 && o[2] === 0) errs.push(invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  } else {
    const l = ip.toLowerCase();
    if (l === '::') errs.push(invalid(path, ip, 'may not be unspecified (::)'));
    if (l === '::1') errs.push(invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
    if (/^fe[89ab]/.test(l)) errs.push(invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
    if (l.startsWith('ff02:')) errs.push(invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  }
  return errs;
}

function validateEndpointAddress(a: Record<string, any>, path: FieldPath): FieldError[] {
  const ip = String(a.ip ?? '');
  const errs = isValidIP(ip).map((m) => invalid(path.child('ip'), ip, m));
  if (a.hostname) errs.push(...validateDNS1123Label(String(a.hostname), path.child('hostname')));
  if (a.nodeName !== undefined && a.nodeName !== null) {
    for (const m of nameIsDNSSubdomain(String(a.nodeName), false)) errs.push(invalid(path.child('nodeName'), a.nodeName, m));
  }
  errs.push(...validateNonSpecialIP(ip, path.child('ip')));
  return errs;
}

/** `validateEndpointSubsets`: addresses or notReadyAddresses required; valid IPs; ports named when several. */
function validateEndpointSubsets(subsets: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  arr(subsets).forEach((raw, i) => {
    const ss = rec(raw);
    const p = path.index(i);
    if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    arr(ss.addresses).forEach((a, j) => errs.push(...validateEndpointAddress(rec(a), p.child('addresses').index(j))));
    arr(ss.notReadyAddresses).forEach((a, j) => errs.push(...validateEndpointAddress(rec(a), p.child('notReadyAddresses').index(j))));
    const ports = arr(ss.ports);
    ports.forEach((rawPort, j) => {
      const port = rec(rawPort);
      const pp = p.child('ports').index(j);
      const name = String(port.name ?? '');
      if (ports.length > 1 && !name) errs.push(required(pp.child('name'), ''));
      else if (name) errs.push(...validateDNS1123Label(name, pp.child('name')));
      for (const m of isValidPortNum(Number(port.port ?? 0))) errs.push(invalid(pp.child('port'), port.port ?? 0, m));
      const proto = String(port.protocol ?? '');
      if (!proto) errs.push(required(pp.child('protocol'), ''));
      else if (!['SCTP', 'TCP', 'UDP'].includes(proto)) errs.push(notSupported(pp.child('protocol'), proto, ['SCTP', 'TCP', 'UDP']));
    });
  });
  return errs;
}

/** `ValidateEndpointsCreate`: ObjectMeta (DNS subdomain name) and subsets. */
export function validateEndpoints(ep: KubeObject): FieldError[] {
  return [...validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateEndpointSubsets(ep.subsets, FieldPath.root('subsets'))];
}

/** `ValidateEndpointsUpdate`: ObjectMeta update rules and subsets. */
export function validateEndpointsUpdate(ep: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(ep.metadata, old.metadata, 'metadata'), ...validateEndpointSubsets(ep.subsets, FieldPath.root('subsets'))];
}
