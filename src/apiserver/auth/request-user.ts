/**
 * The authenticated (possibly impersonated) user of the HTTP request being served, for code deep
 * in the write path that needs more than the user name the pipeline carries (upstream:
 * `genericapirequest.UserFrom(ctx)`), e.g. RBAC escalation checks. APIServer.handle runs each
 * request inside {@link requestUser}`.run({})` and fills `user` once authentication and
 * impersonation are done. Outside a request (the in-process client) the store is undefined.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserInfo } from './token.ts';

/** Per-request cell: `user` is set after authentication. */
export interface RequestUserCell {
  user?: UserInfo;
}

/** The per-request store. */
export const requestUser = new AsyncLocalStorage<RequestUserCell>();

/** The current request's user, or undefined (in-process calls, or before authentication). */
export function currentRequestUser(): UserInfo | undefined {
  return requestUser.getStore()?.user;
}
