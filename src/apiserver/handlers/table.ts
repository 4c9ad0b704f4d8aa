/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): converts objects
 * and lists to meta.k8s.io Tables using the resource table's printers, with each row's `object`
 * a PartialObjectMetadata (or the full object with includeObject=Object). After
 * k8s.io/apiserver/pkg/endpoints/handlers/response.go (asTable) and pkg/printers.
 */
import type { ResourceInfo } from '../../api/resource-types.ts';
import type { KubeList, KubeObject } from '../../client/interface.ts';

/** Content-Type of a Table response. */
export function tableContentType(version: 'v1' | 'v1beta1' = 'v1'): string {
  return `application/json;as=Table;v=${version};g=meta.k8s.io`;
}

/** PartialObjectMetadata of an object. */
export function partialObjectMetadata(obj: KubeObject, version: 'v1' | 'v1beta1' = 'v1'): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} };
}

function row(ri: ResourceInfo, obj: KubeObject, now: number, includeObject: string, version: 'v1' | 'v1beta1'): Record<string, unknown> {
  let cells: unknown[];
  try {
    cells = ri.table.cells(obj, now);
  } catch {
    cells = ri.table.columns.map((c, i) => (i === 0 ? obj.metadata?.name ?? '' : c.type === 'integer' ? 0 : '<unknown>'));
  }
  const r: Record<string, unknown> = { cells };
  // Embedded full objects carry their TypeMeta, as upstream's table convertor does: kubectl's
  // --sort-by decodes them and needs kind/apiVersion.
  if (includeObject === 'Object') r.object = { apiVersion: ri.group ? `${ri.group}/${ri.version}` : ri.version, kind: ri.kind, ...obj };
  else if (includeObject !== 'None') r.object = partialObjectMetadata(obj, version);
  return r;
}

/**
 * Builds a Table from one object or a list. `noHeaders` drops columnDefinitions (watch events after the first).
 * `includeObject`: 'Metadata' (default) | 'Object' | 'None'.
 */
export function toTable(ri: ResourceInfo, data: KubeObject | KubeList, opts: { now?: number; includeObject?: string; version?: 'v1' | 'v1beta1'; noHeaders?: boolean } = {}): Record<string, unknown> {
  const now = opts.now ?? Date.now();
  const includeObject = opts.includeObject ?? 'Metadata';
  const version = opts.version ?? 'v1';
  const isList = Array.isArray((data as KubeList).items);
  const items = isList ? (data as KubeList).items : [data as KubeObject];
  const metadata: Record<string, unknown> = {};
  if (isList) {
    const lm = (data as KubeList).metadata ?? {};
    if (lm.resourceVersion) metadata.resourceVersion = lm.resourceVersion;
    if (lm.continue) metadata.continue = lm.continue;
    if (lm.remainingItemCount !== undefined) metadata.remainingItemCount = lm.remainingItemCount;
  } else if ((data as KubeObject).metadata?.resourceVersion) {
    metadata.resourceVersion = (data as KubeObject).metadata?.resourceVersion;
  }
  const t: Record<string, unknown> = { kind: 'Table', apiVersion: `meta.k8s.io/${version}`, metadata };
  t.columnDefinitions = opts.noHeaders ? null : ri.table.columns;
  t.rows = items.map((o) => row(ri, o, now, includeObject, version));
  return t;
}
