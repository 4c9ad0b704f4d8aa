/**
 * Content negotiation, after k8s.io/apiserver/pkg/endpoints/handlers/negotiation: which
 * representation the client asked for in `Accept` (plain JSON, a meta.k8s.io Table, a
 * PartialObjectMetadata(List), or aggregated discovery), and the media type of a request body.
 */

/** One media range from an Accept header: `application/json;as=Table;v=v1;g=meta.k8s.io`. */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

/** Parses an Accept (or Content-Type) header into media ranges, in order. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  const out: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [t, ...ps] = part.split(';');
    const type = t.trim().toLowerCase();
    if (!type) continue;
    const params: Record<string, string> = {};
    for (const p of ps) {
      const i = p.indexOf('=');
      if (i < 0) continue;
      params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"|"$/g, '');
    }
    out.push({ type, params });
  }
  return out;
}

/** The bare media type of a Content-Type header (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** What to send back for an object/list response. */
export type Representation =
  | { as: 'object' }
  | { as: 'Table'; version: 'v1' | 'v1beta1'; includeObject?: string }
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1' };

const JSONISH = new Set(['application/json', '*/*', 'application/*', 'application/vnd.kubernetes.protobuf', 'application/yaml']);

/**
 * Picks the first acceptable representation. A Table/PartialObjectMetadata range is honoured
 * only for g=meta.k8s.io; protobuf and YAML ranges are answered with JSON. Returns undefined when
 * nothing acceptable was offered (the caller answers 406).
 */
export function negotiate(accept: string | undefined, list: boolean): Representation | undefined {
  const ranges = parseAccept(accept);
  if (!ranges.length) return { as: 'object' };
  for (const r of ranges) {
    if (r.type !== 'application/json' && r.type !== 'application/vnd.kubernetes.protobuf') {
      if (JSONISH.has(r.type)) return { as: 'object' };
      continue;
    }
    const as = r.params.as;
    if (!as) return { as: 'object' };
    if (r.params.g !== 'meta.k8s.io') continue;
    const version = r.params.v === 'v1beta1' ? 'v1beta1' : r.params.v === 'v1' ? 'v1' : undefined;
    if (!version) continue;
    if (as === 'Table') return { as: 'Table', version };
    if (as === 'PartialObjectMetadataList' && list) return { as: 'PartialObjectMetadataList', version };
    if (as === 'PartialObjectMetadata' && !list) return { as: 'PartialObjectMetadata', version };
  }
  return undefined;
}

/** True when Accept asks for aggregated discovery (`as=APIGroupDiscoveryList`, g=apidiscovery.k8s.io v2). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  for (const r of parseAccept(accept)) {
    if (r.type === 'application/json' && r.params.as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io' && r.params.v === 'v2') return true;
    if (r.type === 'application/json' && !r.params.as) return false;
  }
  return false;
}
