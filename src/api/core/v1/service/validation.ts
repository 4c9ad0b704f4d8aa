/**
 * Service validation, after upstream pkg/apis/core/validation ValidateService /
 * ValidateServiceUpdate / ValidateServiceStatusUpdate: name a DNS-1035 label, ports (required
 * unless headless or ExternalName; named when several; unique; valid numbers/protocols;
 * nodePort only for NodePort/LoadBalancer), type, sessionAffinity, clusterIP(s), externalName,
 * selector labels; on update the cluster IPs may not change once set.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, duplicate, forbidden, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  isDNS1123Subdomain,
  isValidIP,
  isValidPortNum,
  nameIsDNS1035Label,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { arr, rec } from '../../../common/meta.ts';
import { validateDNS1123Label, validatePortNumOrName } from '../../../common/pod-spec-validation.ts';
import { goStringSlice, GoValue } from '../../../common/go-value.ts';

const specPath = FieldPath.root('spec');
const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const protocols = ['SCTP', 'TCP', 'UDP'];

const isHeadless = (spec: Record<string, any>) => spec.clusterIP === 'None';

function validateServicePort(sp: Record<string, any>, requireName: boolean, names: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = String(sp.name ?? '');
  if (requireName && !name) errs.push(required(path.child('name'), ''));
  else if (name) {
    errs.push(...validateDNS1123Label(name, path.child('name')));
    if (names.has(name)) errs.push(duplicate(path.child('name'), name));
    else names.add(name);
  }
  for (const m of isValidPortNum(Number(sp.port ?? 0))) errs.push(invalid(path.child('port'), sp.port ?? 0, m));
  const proto = String(sp.protocol ?? '');
  if (!proto) errs.push(required(path.child('protocol'), ''));
  else if (!protocols.includes(proto)) errs.push(notSupported(path.child('protocol'), proto, protocols));
  if (sp.targetPort !== undefined && sp.targetPort !== null) errs.push(...validatePortNumOrName(sp.targetPort, path.child('targetPort')));
  return errs;
}

/** `ValidateService`. */
export function validateService(svc: KubeObject): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label, 'metadata');
  const spec = rec(svc.spec);
  const type = String(spec.type ?? '');
  const ports = arr(spec.ports);
  const headless = isHeadless(spec);
  if (!type) errs.push(required(specPath.child('type'), ''));
  else if (!serviceTypes.includes(type)) errs.push(notSupported(specPath.child('type'), type, serviceTypes));
  if (type === 'ExternalName') {
    if (spec.clusterIP && spec.clusterIP !== '') errs.push(forbidden(specPath.child('clusterIP'), 'may not be set for ExternalName services'));
    const en = String(spec.externalName ?? '').replace(/\.$/, '');
    if (!en) errs.push(required(specPath.child('externalName'), ''));
    else for (const m of isDNS1123Subdomain(en)) errs.push(invalid(specPath.child('externalName'), spec.externalName, m));
  } else if (ports.length === 0 && !headless) {
    errs.push(required(specPath.child('ports'), ''));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(rec(p), ports.length > 1, names, specPath.child('ports').index(i))));
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${rec(p).port}/${rec(p).protocol}`;
    if (seen.has(key)) errs.push(duplicate(specPath.child('ports').index(i), key));
    seen.add(key);
  });
  ports.forEach((p, i) => {
    const np = rec(p).nodePort;
    if (np === undefined || np === null || np === 0) return;
    const pp = specPath.child('ports').index(i).child('nodePort');
    if (type !== 'NodePort' && type !== 'LoadBalancer') errs.push(forbidden(pp, `may not be used when \`type\` is '${type}'`));
    else for (const m of isValidPortNum(Number(np))) errs.push(invalid(pp, np, m));
  });
  if (spec.selector && type !== 'ExternalName') errs.push(...validateLabels(rec(spec.selector), specPath.child('selector')));
  const sa = String(spec.sessionAffinity ?? '');
  if (!sa) errs.push(required(specPath.child('sessionAffinity'), ''));
  else if (!['ClientIP', 'None'].includes(sa)) errs.push(notSupported(specPath.child('sessionAffinity'), sa, ['ClientIP', 'None']));
  if (sa === 'ClientIP') {
    const t = rec(rec(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    if (typeof t !== 'number' || t <= 0 || t > 86400) {
      errs.push(invalid(specPath.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds'), t ?? 0, 'must be greater than 0 and less than 86400'));
    }
  }
  // clusterIP / clusterIPs
  const cip = String(spec.clusterIP ?? '');
  if (cip && cip !== 'None') for (const m of isValidIP(cip)) errs.push(invalid(specPath.child('clusterIPs').index(0), cip, m));
  const cips = arr(spec.clusterIPs).map(String);
  cips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') return;
    if (ip !== cip || i > 0) for (const m of isValidIP(ip)) errs.push(invalid(specPath.child('clusterIPs').index(i), ip, m));
  });
  if (cip && cips.length > 0 && cips[0] !== cip) {
    errs.push(invalid(specPath.child('clusterIPs'), new GoValue(cips, goStringSlice(cips)), 'first value must match `clusterIP`'));
  }
  arr(spec.externalIPs).forEach((ip, i) => {
    for (const m of isValidIP(String(ip))) errs.push(invalid(specPath.child('externalIPs').index(i), ip, m));
  });
  const etp = spec.externalTrafficPolicy;
  if (etp !== undefined && etp !== null && etp !== '' && !['Cluster', 'Local'].includes(etp)) {
    errs.push(notSupported(specPath.child('externalTrafficPolicy'), etp, ['Cluster', 'Local']));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== null && !['Cluster', 'Local'].includes(itp)) {
    errs.push(notSupported(specPath.child('internalTrafficPolicy'), itp, ['Cluster', 'Local']));
  }
  return errs;
}

/**
 * `ValidateServiceUpdate`: ObjectMeta update rules, the new service valid, and (unless
 * moving to/from ExternalName) `spec.clusterIPs[i]: Invalid value: …: may not change once set`.
 */
export function validateServiceUpdate(svc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata, 'metadata');
  const ns = rec(svc.spec);
  const os = rec(old.spec);
  if (ns.type !== 'ExternalName' && os.type !== 'ExternalName') {
    const n = arr(ns.clusterIPs).map(String);
    const o = arr(os.clusterIPs).map(String);
    if (n.length === o.length) {
      o.forEach((ip, i) => {
        if (ip !== n[i]) errs.push(invalid(specPath.child('clusterIPs').index(i), new GoValue(n, goStringSlice(n)), 'may not change once set'));
      });
    } else if (o.length > 0 && n.length > 0 && n[0] !== o[0]) {
      errs.push(invalid(specPath.child('clusterIPs').index(0), new GoValue(n, goStringSlice(n)), 'may not change once set'));
    }
  }
  errs.push(...validateService(svc));
  return errs;
}

/** `ValidateServiceStatusUpdate`: ObjectMeta update rules and load-balancer ingress IPs. */
export function validateServiceStatusUpdate(svc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata, 'metadata');
  arr(rec(rec(svc.status).loadBalancer).ingress).forEach((ing, i) => {
    const ip = rec(ing).ip;
    if (ip) for (const m of isValidIP(String(ip))) errs.push(invalid(FieldPath.root('status').child('loadBalancer', 'ingress').index(i).child('ip'), ip, m));
  });
  return errs;
}
