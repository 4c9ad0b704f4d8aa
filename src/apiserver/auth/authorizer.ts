/**
 * Authorization hook point, after k8s.io/apiserver/pkg/authorization/authorizer: the apiserver
 * asks an Authorizer about every resource request (verb, group, resource, subresource,
 * namespace, name) and answers 403 Forbidden when it is denied, with upstream's wording:
 * `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`.
 * RBAC and the node authorizer plug in here.
 */
import { StatusError } from '../../machinery/errors.ts';
import type { UserInfo } from './token.ts';

/** `authorizer.Attributes` of a resource request. */
export interface AuthorizationAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** False for a non-resource request (`/api`, `/healthz`, …); undefined/true = resource request. */
  isResourceRequest?: boolean;
  /** The request path of a non-resource request (verb is then the lower-case HTTP method). */
  path?: string;
}

/** Decides one request. `reason` is appended to the 403 message when given. */
export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Promise<{ allowed: boolean; reason?: string }> | { allowed: boolean; reason?: string };
}

/** The 403 Status for a denied request, worded as upstream's forbidden responder. */
export function forbiddenError(a: AuthorizationAttributes, reason?: string): StatusError {
  if (a.isResourceRequest === false) {
    // Non-resource: `forbidden: User "u" cannot get path "/api"` (an empty GroupResource and name).
    let m = `forbidden: User "${a.user.name}" cannot ${a.verb} path "${a.path ?? ''}"`;
    if (reason) m += `: ${reason}`;
    return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: m, reason: 'Forbidden', code: 403, details: {} });
  }
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  let msg = `User "${a.user.name}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}"`;
  msg += a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  if (reason) msg += `: ${reason}`;
  const subject = a.name ? `${gr} "${a.name}" is forbidden: ` : `${gr} is forbidden: `;
  return new StatusError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: subject + msg, reason: 'Forbidden', code: 403,
    details: { name: a.name || undefined, group: a.apiGroup || undefined, kind: a.resource },
  });
}
