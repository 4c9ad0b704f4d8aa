/**
 * EndpointSlice Table, after upstream printEndpointSlice (pkg/printers/internalversion/printers.go):
 * Name, AddressType, Ports (`formatDiscoveryPorts`: up to 3 port numbers, `*` for a port without
 * number, `<unset>` when none, `+ N more...`), Endpoints (`formatDiscoveryEndpoints`: up to 3
 * addresses, `<unset>` when none), Age.
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

/** `listWithMoreString`. */
function listWithMoreString(list: string[], more: boolean, count: number, max: number): string {
  let ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  if (ret === '') ret = '<unset>';
  return ret;
}

/** `formatDiscoveryPorts`. */
export function formatDiscoveryPorts(ports: unknown): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const raw of arr(ports)) {
    const p = rec(raw);
    if (list.length < max) {
      let n = '*';
      if (typeof p.port === 'number') n = String(p.port);
      else if (p.name) n = String(p.name);
      list.push(n);
    } else if (list.length === max) more = true;
    count++;
  }
  return listWithMoreString(list, more, count, max);
}

/** `formatDiscoveryEndpoints`. */
export function formatDiscoveryEndpoints(endpoints: unknown): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const raw of arr(endpoints)) {
    for (const a of arr(rec(raw).addresses)) {
      if (list.length < max) list.push(String(a));
      else if (list.length === max) more = true;
      count++;
    }
  }
  return listWithMoreString(list, more, count, max);
}

/** EndpointSlice Table. */
export const endpointSliceTable: TableConvertor = {
  columns: [
    nameColumn,
    column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.'),
    column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.'),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.'),
    ageColumn,
  ],
  cells: (obj, now) => [objName(obj), String(obj.addressType ?? ''), formatDiscoveryPorts(obj.ports), formatDiscoveryEndpoints(obj.endpoints), objAge(obj, now)],
};
