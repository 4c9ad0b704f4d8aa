/**
 * Service Table, after upstream printService: TYPE, CLUSTER-IP (`<none>` when empty),
 * EXTERNAL-IP (externalIPs, LB ingress, `<pending>`, externalName, `<none>`), PORT(S)
 * (`80/TCP`, `80:30080/TCP`), AGE, wide SELECTOR.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, formatLabels, nameColumn, objAge, objName } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

const loadBalancerWidth = 16;

/** `loadBalancerStatusStringer` in wide form (server-side tables are always wide). */
function loadBalancerStatus(svc: KubeObject, wide: boolean): string {
  const set = new Set<string>();
  for (const ing of arr(rec(rec(svc.status).loadBalancer).ingress)) {
    const i = rec(ing);
    if (i.ip) set.add(String(i.ip));
    else if (i.hostname) set.add(String(i.hostname));
  }
  let r = [...set].sort().join(',');
  if (!wide && r.length > loadBalancerWidth) r = r.slice(0, loadBalancerWidth - 3) + '...';
  return r;
}

/** `getServiceExternalIP`. */
export function serviceExternalIP(svc: KubeObject, wide = true): string {
  const spec = rec(svc.spec);
  const ext = arr(spec.externalIPs).map(String);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerStatus(svc, wide);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return String(spec.externalName ?? '');
  }
  return '<unknown>';
}

/** `makePortString`: `80/TCP,443:30443/TCP`. */
export function makePortString(ports: unknown): string {
  return arr(ports)
    .map((raw) => {
      const p = rec(raw);
      return p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`;
    })
    .join(',');
}

/** Service Table. */
export const serviceTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn,
    column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const cips = arr(spec.clusterIPs);
    const internalIP = cips.length > 0 ? String(cips[0]) : String(spec.clusterIP ?? '') || '<none>';
    const ports = makePortString(spec.ports) || '<none>';
    return [objName(obj), String(spec.type ?? ''), internalIP, serviceExternalIP(obj), ports, objAge(obj, now), formatLabels(spec.selector)];
  },
};
