/**
 * Client-certificate authentication, after k8s.io/apiserver/pkg/authentication/request/x509
 * (CommonNameUserConversion): a TLS client certificate verified against the client CA
 * (`--client-ca-file`) authenticates user = Subject CN, groups = Subject O values (plus
 * `system:authenticated`). The HTTPS listener must request certificates without rejecting
 * connections that have none (`requestCert: true, rejectUnauthorized: false, ca`), so bearer
 * tokens keep working; see APIServer.listen's `tls.clientCA`.
 *
 * Also the union of authenticators (k8s.io/apiserver/pkg/authentication/request/union): x509
 * first, then bearer tokens, first success wins.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Authenticator, UserInfo } from './token.ts';

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Authenticates a verified client certificate: CN → user name, O → groups. */
export class X509Authenticator implements Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined {
    const sock = req.socket as TLSSocket;
    if (typeof sock.getPeerCertificate !== 'function' || !sock.authorized) return undefined;
    const cert = sock.getPeerCertificate();
    const cn = cert?.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    if (!name) return undefined;
    const groups = asList(cert.subject.O as string | string[] | undefined);
    return { name, groups: [...groups, 'system:authenticated'] };
  }
}

/** Tries each authenticator in order; the first user found wins (a Promise only when an authenticator is async). */
export class UnionAuthenticator implements Authenticator {
  constructor(readonly authenticators: Authenticator[]) {}
  authenticate(req: IncomingMessage): UserInfo | undefined | Promise<UserInfo | undefined> {
    for (let i = 0; i < this.authenticators.length; i++) {
      const u = this.authenticators[i].authenticate(req);
      if (u instanceof Promise) return this.rest(req, u, i + 1);
      if (u) return u;
    }
    return undefined;
  }

  private async rest(req: IncomingMessage, first: Promise<UserInfo | undefined>, from: number): Promise<UserInfo | undefined> {
    const u = await first;
    if (u) return u;
    for (let i = from; i < this.authenticators.length; i++) {
      const v = await this.authenticators[i].authenticate(req);
      if (v) return v;
    }
    return undefined;
  }
}
