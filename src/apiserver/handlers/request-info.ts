/**
 * Parses a request path into a RequestInfo, after
 * k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (RequestInfoFactory.NewRequestInfo):
 * `/api/v1/namespaces/{ns}/{resource}/{name}/{subresource}`, `/apis/{group}/{version}/...`,
 * cluster-wide collections (`/api/v1/pods`), the namespace object itself
 * (`/api/v1/namespaces/{name}[/status|/finalize]`) and the deprecated `/watch/` prefix.
 */

/** The parsed request. `verb` is the Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection, connect). */
export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  /** 'api' | 'apis' | '' */
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  verb: string;
  /** Remaining path segments after the GV (for non-resource discovery paths). */
  parts: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * Builds the RequestInfo for `method` + `path` + query. Non-resource requests (discovery,
 * /version, …) have isResourceRequest=false. Percent-encoded segments are decoded.
 */
export function newRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false, path: pathname, apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', verb: method.toLowerCase(), parts: [],
  };
  let segs: string[];
  try {
    segs = pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    return info;
  }
  if (segs.length === 0) return info;
  const prefix = segs[0];
  if (prefix !== 'api' && prefix !== 'apis') return info;
  info.apiPrefix = prefix;
  let rest = segs.slice(1);
  if (prefix === 'apis') {
    if (rest.length < 1) return info;
    info.apiGroup = rest[0];
    rest = rest.slice(1);
  }
  if (rest.length < 1) return info;
  info.apiVersion = rest[0];
  rest = rest.slice(1);
  info.parts = rest;
  if (rest.length < 1) return info; // discovery of a group/version
  info.isResourceRequest = true;

  let verb = '';
  switch (method.toUpperCase()) {
    case 'POST': verb = 'create'; break;
    case 'GET': case 'HEAD': verb = 'get'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = 'patch'; break;
    case 'DELETE': verb = 'delete'; break;
    default: verb = method.toLowerCase();
  }
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
    if (rest.length === 0) {
      info.isResourceRequest = false;
      return info;
    }
  }
  if (rest[0] === 'namespaces') {
    if (rest.length > 1) {
      info.namespace = rest[1];
      if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
    }
  }
  info.resource = rest[0] ?? '';
  if (rest.length >= 2) info.name = rest[1];
  if (rest.length >= 3) info.subresource = rest[2];
  if (rest.length > 3) {
    // Deeper paths (e.g. proxy/<path>) are not served.
    info.subresource = rest.slice(2).join('/');
  }
  if (info.resource === 'namespaces' && info.name === '' && info.namespace) {
    info.name = info.namespace;
  }
  // A namespace's own object: its "namespace" is the name (upstream keeps it; we clear for scope checks).
  if (info.resource === 'namespaces') info.namespace = '';

  if (!info.name && verb === 'get') {
    const w = query.get('watch');
    verb = w === 'true' || w === '1' ? 'watch' : 'list';
  } else if (verb === 'watch' && info.name) {
    // /watch/namespaces/ns/pods/name → a watch filtered to one name.
  }
  if (!info.name && verb === 'delete') verb = 'deletecollection';
  info.verb = verb;
  return info;
}
