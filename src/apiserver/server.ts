/**
 * The API server: routing, authentication, content negotiation, discovery, OpenAPI v3, Table
 * printing, watch streaming and the pod streaming subresources, in front of the transport-
 * independent {@link Pipeline}. After k8s.io/apiserver/pkg/server (handler chain) and
 * pkg/endpoints (installer, handlers). What kubectl needs is specified in shared/KUBECTL.md.
 *
 * Usage:
 *   const api = new APIServer({ backend, kubelets, authenticator });
 *   const { url } = await api.listen({ host: '127.0.0.1', port: 6443, tls: { cert, key } });
 *   const client = api.inProcessClient();
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Backend } from '../storage/backend.ts';
import type { ResourceInfo } from '../api/resource-types.ts';
import type { Client, KubeList, KubeObject, WatchEventObject } from '../client/interface.ts';
import { StatusError, newBadRequest, newNotAcceptable, newNotFound, newUnauthorized, newUnsupportedMediaType, type Status } from '../machinery/errors.ts';
import type { KubeletConnections } from './kubelet-client.ts';
import type { MachineryDeps } from './machinery-deps.ts';
import { AdmissionChain, type AdmissionPlugin } from './admission/interface.ts';
import { NamespaceLifecycle } from './admission/namespace-lifecycle.ts';
import { DefaultStorageClass, storageClassLister } from './admission/default-storage-class.ts';
import { StorageObjectInUseProtection } from './admission/storage-object-in-use-protection.ts';
import { DefaultTolerationSeconds } from './admission/default-toleration-seconds.ts';
import { ServiceAccountAdmission } from './admission/service-account.ts';
import { LimitRanger, limitRangeLister } from './admission/limit-ranger.ts';
import { ResourceQuotaAdmission, quotaAccessor } from './admission/resource-quota.ts';
import { Pipeline, PATCH_TYPES, parseBody, type WriteParams } from './pipeline.ts';
import { isPublicPath, type Authenticator, type UserInfo } from './auth/token.ts';
import { forbiddenError, type AuthorizationAttributes, type Authorizer } from './auth/authorizer.ts';
import { impersonate } from './auth/impersonation.ts';
import { newClusterAuthorizer, type RBACAuthorizer } from './auth/rbac/authorizer.ts';
import { pipelineRBACLister } from './auth/rbac/resolver.ts';
import { ensureBootstrapPolicy } from './auth/rbac/bootstrap-policy.ts';
import { evaluateReview, isReviewResource } from './auth/rbac/reviews.ts';
import { decodeReviewProtobuf } from './auth/rbac/review-protobuf.ts';
import { RBACEscalationCheck } from './auth/rbac/escalation.ts';
import { requestUser } from './auth/request-user.ts';
import { UnionAuthenticator } from './auth/x509.ts';
import { ServiceAccountTokens, createTokenRequest, optionalGetter } from './auth/serviceaccount/tokens.ts';
import { ServiceAccountTokenAuthenticator } from './auth/serviceaccount/authenticator.ts';
import { evaluateTokenReview } from './auth/serviceaccount/token-review.ts';
import { newRequestInfo, type RequestInfo } from './handlers/request-info.ts';
import { mediaType, negotiate, wantsAggregatedDiscovery, type Representation } from './handlers/negotiation.ts';
import { AGGREGATED_DISCOVERY_CONTENT_TYPE, aggregatedDiscovery, apiGroupDoc, apiGroupList, apiResourceList, apiVersions } from './handlers/discovery.ts';
import { openAPIGroupVersion, openAPIRoot, serveOpenAPIV2 } from './handlers/openapi.ts';
import { partialObjectMetadata, tableContentType, toTable } from './handlers/table.ts';
import { MAX_REQUEST_BODY_BYTES, asListOptions, deleteOptionsFrom, listOptionsFromQuery, readBody, toStatus, writeError, writeJSON, writeParamsFromQuery } from './handlers/http-util.ts';
import { newExecWebSocketServer, rejectUpgrade, serveLogs, servePodExecUpgrade, servePodPortForward } from './handlers/pods.ts';
import { closeAllSpdySessions } from './handlers/portforward-spdy.ts';
import { newInProcessClient } from '../client/in-process.ts';
import { decodeK8sProtobuf, PROTOBUF_MEDIA_TYPE } from './handlers/protobuf.ts';
import { RESOURCES } from '../api/resource-table.ts';
import { realMachinery } from './machinery-real.ts';
import { ServiceAllocators } from './registry/service/alloc.ts';
import { parseProxyPath, podResourceLocation, serveProxyHTTP, serveProxyUpgrade, serviceResourceLocation, type ProxyPath } from './handlers/proxy.ts';
import { logHealthz, pingHealthz, postStartHookHealthz, serveHealth, withTimeout, type HealthChecker, type HealthEndpoint } from './handlers/healthz.ts';

/** `/version` body (`version.Info`). */
export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** Constructor options of {@link APIServer}. */
export interface APIServerOptions {
  backend: Backend;
  /** Node name → kubelet streaming connection (pods/log, pods/exec). */
  kubelets: KubeletConnections;
  /** When set, every request except /version, /healthz, /livez, /readyz needs credentials (else 401). */
  authenticator?: Authenticator;
  /** Overrides of the /version body. Default minor "32" (makes the kubectl dispatcher run its built-in 1.32). */
  version?: Partial<VersionInfo>;
  /** The served resources (default: src/api/resource-table.ts RESOURCES). */
  resources?: ResourceInfo[];
  /** Machinery bindings (default: src/apiserver/machinery-real.ts). */
  machinery?: MachineryDeps;
  /** Authorizes every resource request (403 when denied); default: allow all authenticated users. */
  authorizer?: Authorizer;
  /**
   * `--authorization-mode`: 'RBAC' builds the system:masters + RBAC authorizer over this server's
   * RBAC objects (ignoring `authorizer`) and reconciles the bootstrap policy before serving
   * (upstream's rbac/bootstrap-roles post-start hook). Default 'AlwaysAllow' (or `authorizer`).
   */
  authorizationMode?: 'RBAC' | 'AlwaysAllow';
  /** Extra admission plugins, run after NamespaceLifecycle. */
  admission?: AdmissionPlugin[];
  /** Request body limit in bytes (default 3 MiB). */
  maxBodyBytes?: number;
  /** Interval between BOOKMARK events on watches that allow them (ms; default 60000). */
  bookmarkIntervalMs?: number;
  /** Serve watches from the watch cache (default true). */
  watchCache?: boolean;
  /** `--service-cidr`: the IPv4 range Service ClusterIPs are allocated from (default 10.96.0.0/16). */
  serviceCIDR?: string;
  /** `--service-node-port-range` (default 30000-32767). */
  serviceNodePortRange?: string;
  /** Interval of the ClusterIP/NodePort repair pass (ms; default 180000, as upstream). */
  serviceRepairIntervalMs?: number;
  /**
   * ServiceAccount token signing/verification (TokenRequest, the JWT authenticator, TokenReview);
   * default: an ephemeral key, issuer/audience `https://kubernetes.default.svc.cluster.local`.
   */
  serviceAccountTokens?: ServiceAccountTokens;
  /** pods/proxy to a loopback pod IP (upstream refuses: `address not allowed`); tests only. Default false. */
  proxyAllowLoopback?: boolean;
}

/** Listen options of {@link APIServer.listen}. */
export interface ListenOptions {
  host?: string;
  /** 0 = random free port. */
  port?: number;
  /**
   * PEM cert/key; without them the server speaks plain HTTP (loopback use only). `clientCA`
   * (PEM): request client certificates and accept those it signed (x509 authentication; bearer
   * tokens keep working, connections without a certificate are not rejected).
   */
  tls?: { cert: string; key: string; clientCA?: string };
}

/**
 * The default `/version`. gitVersion carries Skiff as semver build metadata (`+skiff`, as k3s's
 * `v1.32.0+k3s1`): a `-skiff` suffix would be a pre-release, which ranks below v1.32.0.
 */
const DEFAULT_VERSION: VersionInfo = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tsx',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

/** Unsent watch output (bytes) after which a watch is closed as too slow. */
const SLOW_WATCHER_BYTES = 32 * 1024 * 1024;

const ANON: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
const IN_PROCESS_USER = 'system:apiserver';

function notFoundPath(): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404, details: {} });
}

/**
 * 405 for a method no route serves: upstream's go-restful "405: Method Not Allowed" turned into a
 * Status by NewGenericServerResponse (generic message, UnexpectedServerResponse cause). `_method`
 * is the request's method or verb (kept for call sites; upstream's body does not name it).
 */
function methodNotAllowed(_method: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server does not allow this method on the requested resource`, reason: 'MethodNotAllowed', code: 405, details: { causes: [{ reason: 'UnexpectedServerResponse', message: '405: Method Not Allowed' }] } });
}

/** The API server. */
export class APIServer {
  readonly pipeline: Pipeline;
  readonly kubelets: KubeletConnections;
  /** ClusterIP / NodePort allocators (hooked into the services store); undefined when services are not served. */
  readonly serviceAllocators?: ServiceAllocators;
  private stopServiceRepair?: () => void;
  private stopped = false;
  readonly version: VersionInfo;
  private readonly authenticator?: Authenticator;
  /** The ServiceAccount JWT authenticator (also behind TokenReview). */
  readonly serviceAccountAuthenticator: ServiceAccountTokenAuthenticator;
  private readonly authorizer?: Authorizer;
  /** The RBAC authorizer when authorizationMode is 'RBAC' (its rule resolver answers SelfSubjectRulesReviews). */
  readonly rbac?: RBACAuthorizer;
  private readonly maxBodyBytes: number;
  private readonly bookmarkIntervalMs: number;
  private readonly wss = newExecWebSocketServer();
  private readonly servers: HttpServer[] = [];
  private readonly ready: Promise<void>;
  /** Checks behind /healthz, /livez, /readyz (handlers/healthz.ts). */
  private readonly healthChecks: Record<HealthEndpoint, HealthChecker[]>;
  private readonly proxyAllowLoopback: boolean;

  constructor(opts: APIServerOptions) {
    this.kubelets = opts.kubelets;
    this.authenticator = opts.authenticator;
    this.authorizer = opts.authorizer;
    this.version = { ...DEFAULT_VERSION, ...(opts.version ?? {}) };
    this.maxBodyBytes = opts.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    const chain = new AdmissionChain();
    this.pipeline = new Pipeline(opts.resources ?? RESOURCES, opts.backend, opts.machinery ?? realMachinery(), chain, opts.watchCache ?? true);
    chain.add(new NamespaceLifecycle((name) => this.pipeline.getNamespace(name)));
    chain.add(new ServiceAccountAdmission(async (ns, name) => {
      const sas = this.pipeline.find('', 'v1', 'serviceaccounts');
      return sas ? optionalGetter((_r, n, x) => this.pipeline.get(sas, n, x))('serviceaccounts', ns, name) : undefined;
    }));
    chain.add(new DefaultStorageClass(storageClassLister(this.pipeline)));
    chain.add(new StorageObjectInUseProtection());
    chain.add(new DefaultTolerationSeconds());
    chain.add(new LimitRanger(limitRangeLister(this.pipeline)));
    chain.add(new ResourceQuotaAdmission(quotaAccessor(this.pipeline)));
    for (const p of opts.admission ?? []) chain.add(p);
    // ServiceAccount tokens: TokenRequest (serviceaccounts/token) and the JWT authenticator.
    const saTokens = opts.serviceAccountTokens ?? new ServiceAccountTokens();
    const saGet = optionalGetter(async (r, ns, n) => {
      const ri = this.pipeline.find('', 'v1', r);
      if (!ri) throw newNotFound({ group: '', resource: r }, n);
      return this.pipeline.get(ri, ns, n);
    });
    this.serviceAccountAuthenticator = new ServiceAccountTokenAuthenticator(saTokens, saGet);
    if (this.authenticator) this.authenticator = new UnionAuthenticator([this.authenticator, this.serviceAccountAuthenticator]);
    this.pipeline.subresourceCreators.set('/serviceaccounts/token', async (_ctx, ns, name, body) => ({ body: await createTokenRequest(saTokens, saGet, ns ?? '', name, body), code: 201 }));
    const servicesInfo = this.pipeline.find('', 'v1', 'services');
    if (servicesInfo) {
      this.serviceAllocators = new ServiceAllocators(opts.backend, { serviceCIDR: opts.serviceCIDR, nodePortRange: opts.serviceNodePortRange });
      this.pipeline.store(servicesInfo).hooks = this.serviceAllocators.hooks;
    }
    if (opts.authorizationMode === 'RBAC') {
      const union = newClusterAuthorizer(pipelineRBACLister(this.pipeline));
      this.authorizer = union;
      this.rbac = union.rbac;
      chain.add(new RBACEscalationCheck(union, union.rbac.resolver));
      this.ready = this.pipeline.start().then(() => ensureBootstrapPolicy(this.inProcessClient()));
    } else {
      this.ready = this.pipeline.start();
    }
    this.ready.catch((err) => console.error('apiserver: watch cache failed to start:', err));
    this.healthChecks = this.newHealthChecks(opts);
    this.proxyAllowLoopback = opts.proxyAllowLoopback ?? false;
    if (this.serviceAllocators && servicesInfo) {
      const allocators = this.serviceAllocators;
      const services = this.pipeline.store(servicesInfo);
      this.ready.then(
        () => {
          if (this.stopped) return;
          this.stopServiceRepair = allocators.startRepair(async () => (await services.list(undefined)).items, opts.serviceRepairIntervalMs, (err) =>
            console.error('apiserver: service IP/port repair failed:', err),
          );
        },
        () => undefined,
      );
    }
  }

  /**
   * The health checks, named as kube-apiserver 1.32's: the store check is `etcd` on SQLite too (as
   * k3s/kine report it), `informer-sync` = watch caches listed, post-start hooks that Skiff runs.
   */
  private newHealthChecks(opts: APIServerOptions): Record<HealthEndpoint, HealthChecker[]> {
    const state = { cachesReady: false, rbacDone: false };
    this.pipeline.start().then(() => (state.cachesReady = true), () => undefined);
    this.ready.then(() => (state.rbacDone = true), () => undefined);
    const etcd = withTimeout({ name: 'etcd', check: async () => void (await opts.backend.currentRevision()) }, 2000);
    const hooks: HealthChecker[] = [];
    if (this.serviceAllocators) hooks.push(postStartHookHealthz('start-service-ip-repair-controllers', () => this.stopServiceRepair !== undefined));
    if (opts.authorizationMode === 'RBAC') hooks.push(postStartHookHealthz('rbac/bootstrap-roles', () => state.rbacDone));
    const common = [pingHealthz, logHealthz, etcd];
    const informerSync: HealthChecker = {
      name: 'informer-sync',
      check: () => {
        if (!state.cachesReady) throw new Error('watch caches not synced');
      },
    };
    const shutdown: HealthChecker = {
      name: 'shutdown',
      check: () => {
        if (this.stopped) throw new Error('process is shutting down');
      },
    };
    return {
      healthz: [...common, ...hooks],
      livez: [...common, ...hooks],
      readyz: [...common, { ...etcd, name: 'etcd-readiness' }, informerSync, ...hooks, shutdown],
    };
  }

  /** Resolves when the watch caches are ready. */
  waitReady(): Promise<void> {
    return this.ready;
  }

  /** An in-process Client running the same pipeline (no HTTP). `user` defaults to system:apiserver. */
  inProcessClient(opts: { user?: string } = {}): Client {
    return newInProcessClient(this, { user: opts.user ?? IN_PROCESS_USER });
  }

  /** node:http request handler. Never throws; every error becomes a JSON Status. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    requestUser.run({}, () => this.handleAsync(req, res)).catch((err) => {
      try {
        writeError(res, err);
      } catch {
        res.destroy();
      }
    });
  }

  /** node:http 'upgrade' handler (pods/exec over WebSocket). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.handleUpgradeAsync(req, socket, head).catch((err) => rejectUpgrade(socket, err));
  }

  /**
   * Starts an HTTPS (or, without `tls`, HTTP) listener. Resolves with the bound URL and port.
   */
  async listen(opts: ListenOptions = {}): Promise<{ url: string; port: number; server: HttpServer }> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const tlsOpts = opts.tls?.clientCA ? { requestCert: true, rejectUnauthorized: false, ca: opts.tls.clientCA } : {};
    const server: HttpServer = opts.tls ? (createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ...tlsOpts }, handler) as unknown as HttpServer) : createHttpServer(handler);
    server.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket as Duplex, head));
    server.on('clientError', (_err, socket) => {
      try {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      } catch {
        socket.destroy();
      }
    });
    server.keepAliveTimeout = 65_000;
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    await this.ready;
    this.servers.push(server);
    const port = (server.address() as AddressInfo).port;
    const h = host.includes(':') ? `[${host}]` : host;
    return { url: `${opts.tls ? 'https' : 'http'}://${h}:${port}`, port, server };
  }

  /** Alias of {@link listen}. */
  start(opts: ListenOptions = {}): Promise<{ url: string; port: number; server: HttpServer }> {
    return this.listen(opts);
  }

  /** Closes listeners (open streams are cut) and the watch caches. Does not close the backend. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopServiceRepair?.();
    this.pipeline.stop();
    for (const c of this.wss.clients) c.terminate();
    closeAllSpdySessions();
    await Promise.all(
      this.servers.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections?.();
          }),
      ),
    );
  }

  // ------------------------------------------------------------------ request handling

  private async authenticate(req: IncomingMessage, pathname: string): Promise<UserInfo> {
    if (!this.authenticator) return { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
    const u = await this.authenticator.authenticate(req);
    if (u) return u;
    if (isPublicPath(pathname)) return ANON;
    throw newUnauthorized();
  }

  private async handleAsync(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw newBadRequest('malformed request URL');
    }
    const pathname = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const user = await impersonate(req, await this.authenticate(req, pathname), this.authorizer);
    const cell = requestUser.getStore();
    if (cell) cell.user = user;
    const q = url.searchParams;
    const accept = req.headers.accept;
    const info = newRequestInfo(method, pathname, q);
    if (!info.isResourceRequest) await this.authorizeNonResource(user, info.verb, pathname);
    const proxyPath = parseProxyPath(pathname);
    if (proxyPath) return this.serveProxy(req, res, info, proxyPath, user, url.search.slice(1));

    // Non-resource endpoints.
    if (pathname === '/version' || pathname === '/version/') return writeJSON(res, 200, this.version);
    if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(pathname)) {
      return serveHealth(res, pathname, q, this.healthChecks, (lines) => console.error(`apiserver: ${pathname.slice(1).split('/')[0]} check failed:\n${lines.join('\n')}`));
    }
    // ServiceAccount issuer discovery (upstream: jwks_uri from the external address, here the request's Host).
    if (pathname === '/.well-known/openid-configuration' || pathname === '/.well-known/openid-configuration/') {
      const jwksURI = `https://${req.headers.host ?? '127.0.0.1'}/openid/v1/jwks`;
      return writeJSON(res, 200, this.serviceAccountAuthenticator.tokens.openIDMetadata(jwksURI), 'application/json', { 'Cache-Control': 'public, max-age=3600' });
    }
    if (pathname === '/openid/v1/jwks' || pathname === '/openid/v1/jwks/') {
      return writeJSON(res, 200, this.serviceAccountAuthenticator.tokens.jwks(), 'application/jwk-set+json', { 'Cache-Control': 'public, max-age=3600' });
    }
    if (pathname === '/openapi/v2') return serveOpenAPIV2(res, accept, this.pipeline.resources);
    if (pathname === '/openapi/v3' || pathname === '/openapi/v3/') return writeJSON(res, 200, openAPIRoot(this.pipeline.resources));
    if (pathname.startsWith('/openapi/v3/')) {
      const rest = pathname.slice('/openapi/v3/'.length).split('/');
      let doc: Record<string, unknown> | undefined;
      if (rest[0] === 'api' && rest.length === 2) doc = openAPIGroupVersion(this.pipeline.resources, '', rest[1]);
      else if (rest[0] === 'apis' && rest.length === 3) doc = openAPIGroupVersion(this.pipeline.resources, rest[1], rest[2]);
      if (!doc) throw notFoundPath();
      return writeJSON(res, 200, doc, 'application/json', q.get('hash') ? { 'Cache-Control': 'public, immutable', Etag: `"${q.get('hash')}"` } : {});
    }
    if (pathname === '/api' || pathname === '/api/') {
      if (wantsAggregatedDiscovery(accept)) return writeJSON(res, 200, aggregatedDiscovery(this.pipeline.resources, true), AGGREGATED_DISCOVERY_CONTENT_TYPE);
      return writeJSON(res, 200, apiVersions(req.socket.localAddress ? `${req.socket.localAddress}:${req.socket.localPort}` : '127.0.0.1:6443'));
    }
    if (pathname === '/apis' || pathname === '/apis/') {
      if (wantsAggregatedDiscovery(accept)) return writeJSON(res, 200, aggregatedDiscovery(this.pipeline.resources, false), AGGREGATED_DISCOVERY_CONTENT_TYPE);
      return writeJSON(res, 200, apiGroupList(this.pipeline.resources));
    }
    if (pathname === '/') {
      return writeJSON(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/openapi/v3', '/version'] });
    }

    if (!info.isResourceRequest) {
      if (info.apiPrefix && method === 'GET') {
        if (info.apiPrefix === 'apis' && info.apiGroup && !info.apiVersion) {
          const g = apiGroupDoc(this.pipeline.resources, info.apiGroup);
          if (g) return writeJSON(res, 200, g);
        } else if (info.apiVersion && info.parts.length === 0) {
          if (info.apiPrefix === 'api' || info.apiGroup) {
            const l = apiResourceList(this.pipeline.resources, info.apiPrefix === 'api' ? '' : info.apiGroup, info.apiVersion);
            if (l) return writeJSON(res, 200, l);
          }
        }
      }
      throw notFoundPath();
    }
    const ri = this.pipeline.find(info.apiPrefix === 'api' ? '' : info.apiGroup, info.apiVersion, info.resource);
    if (!ri || (info.apiPrefix === 'api' && info.apiGroup)) throw notFoundPath();
    if (!ri.namespaced && info.namespace) throw notFoundPath();
    await this.authorize(user, info, ri);
    if (ri.group === 'authentication.k8s.io' && ri.kind === 'TokenReview') return this.serveTokenReview(req, res, info);
    if (isReviewResource(ri)) return this.serveReview(req, res, info, ri, user);
    return this.serveResource(req, res, info, ri, q, user);
  }

  /** pods/proxy, services/proxy (handlers/proxy.ts): authorized as `<verb>` on `<resource>/proxy` named by the `[scheme:]name[:port]` segment. */
  private async serveProxy(req: IncomingMessage, res: ServerResponse, info: RequestInfo, p: ProxyPath, user: UserInfo, rawQuery: string): Promise<void> {
    const location = await this.proxyLocation(info, p, user);
    return serveProxyHTTP(req, res, location, p, rawQuery);
  }

  /** Authorizes a proxy request and resolves its backend (ResourceLocation). */
  private async proxyLocation(info: RequestInfo, p: ProxyPath, user: UserInfo): Promise<URL> {
    const ri = this.pipeline.find('', 'v1', p.resource);
    if (!ri) throw notFoundPath();
    await this.authorize(user, { ...info, namespace: p.namespace, name: p.id, subresource: 'proxy' }, ri);
    const get = (r: string, ns: string, n: string): Promise<KubeObject> => {
      const x = this.pipeline.find('', 'v1', r);
      if (!x) throw newNotFound({ group: '', resource: r }, n);
      return this.pipeline.get(x, ns, n);
    };
    return p.resource === 'pods' ? podResourceLocation(get, p.namespace, p.id, { allowLoopback: this.proxyAllowLoopback }) : serviceResourceLocation(get, p.namespace, p.id);
  }

  /** Authorizes a non-resource request (`/api`, `/version`, …): verb = lower-case method, path as requested. */
  private async authorizeNonResource(user: UserInfo, verb: string, path: string): Promise<void> {
    if (!this.authorizer) return;
    const attrs: AuthorizationAttributes = { user, verb, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', isResourceRequest: false, path };
    const d = await this.authorizer.authorize(attrs);
    if (!d.allowed) throw forbiddenError(attrs, d.reason);
  }

  /** POST of a review kind (SelfSubjectAccessReview, …): evaluated, not stored; 201 with status. */
  private async serveReview(req: IncomingMessage, res: ServerResponse, info: RequestInfo, ri: ResourceInfo, user: UserInfo): Promise<void> {
    if (info.verb !== 'create' || info.name) throw methodNotAllowed(req.method ?? '');
    let body: unknown;
    if (mediaType(req.headers['content-type']) === PROTOBUF_MEDIA_TYPE) body = decodeReviewProtobuf(await readBody(req, this.maxBodyBytes));
    else body = (await this.readJSONBody(req)).body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the request body must be an object');
    const obj = await evaluateReview(ri, body as Record<string, any>, { user, authorizer: this.authorizer, resolver: this.rbac?.resolver, namespace: info.namespace });
    return writeJSON(res, 201, obj);
  }

  /** POST tokenreviews: authenticates spec.token (not stored); 201 with status. */
  private async serveTokenReview(req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> {
    if (info.verb !== 'create' || info.name) throw methodNotAllowed(req.method ?? '');
    const body = (await this.readJSONBody(req)).body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the request body must be an object');
    const others = this.authenticator instanceof UnionAuthenticator ? this.authenticator.authenticators.filter((a) => a !== this.serviceAccountAuthenticator) : [];
    const obj = await evaluateTokenReview(body as Record<string, any>, { serviceAccounts: this.serviceAccountAuthenticator, tokenAuthenticators: others });
    return writeJSON(res, 201, obj);
  }

  private async authorize(user: UserInfo, info: RequestInfo, ri: ResourceInfo): Promise<void> {
    if (!this.authorizer) return;
    const attrs = { user, verb: info.verb, apiGroup: ri.group, apiVersion: ri.version, resource: ri.resource, subresource: info.subresource, namespace: ri.namespaced ? info.namespace : '', name: info.name };
    const d = await this.authorizer.authorize(attrs);
    if (!d.allowed) throw forbiddenError(attrs, d.reason);
  }

  private async readJSONBody(req: IncomingMessage, allowEmpty = false): Promise<{ body: unknown; contentType: string }> {
    const buf = await readBody(req, this.maxBodyBytes);
    const ct = mediaType(req.headers['content-type']);
    if (buf.length === 0 && allowEmpty) return { body: undefined, contentType: ct };
    if (ct === PROTOBUF_MEDIA_TYPE) return { body: decodeK8sProtobuf(buf), contentType: ct };
    if (ct !== '' && ct !== 'application/json' && ct !== 'application/yaml' && ct !== '*/*') {
      throw newUnsupportedMediaType(ct, ['application/json', 'application/yaml']);
    }
    const text = buf.toString('utf8');
    return { body: parseBody(text, ct), contentType: ct };
  }

  private representation(accept: string | undefined, list: boolean): Representation {
    const rep = negotiate(accept, list);
    if (!rep) throw newNotAcceptable(`only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
    return rep;
  }

  /** Writes an object or list in the negotiated representation. */
  private writeObject(res: ServerResponse, code: number, ri: ResourceInfo, data: KubeObject | KubeList, rep: Representation, q: URLSearchParams, warnings: string[] = []): void {
    const headers: Record<string, string | string[]> = {};
    if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    const isStatus = (data as KubeObject).kind === 'Status';
    if (rep.as === 'Table' && !isStatus) {
      return writeJSON(res, code, toTable(ri, data, { includeObject: q.get('includeObject') ?? 'Metadata', version: rep.version }), tableContentType(rep.version), headers);
    }
    if ((rep.as === 'PartialObjectMetadataList' || rep.as === 'PartialObjectMetadata') && !isStatus) {
      const ct = `application/json;as=${rep.as};v=${rep.version};g=meta.k8s.io`;
      if (Array.isArray((data as KubeList).items)) {
        const l = data as KubeList;
        return writeJSON(res, code, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${rep.version}`, metadata: l.metadata, items: l.items.map((o) => partialObjectMetadata(o, rep.version)) }, ct, headers);
      }
      return writeJSON(res, code, partialObjectMetadata(data as KubeObject, rep.version), ct, headers);
    }
    writeJSON(res, code, data, 'application/json', headers);
  }

  private async serveResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo, ri: ResourceInfo, q: URLSearchParams, user: UserInfo): Promise<void> {
    const ctx = { user: user.name, userAgent: req.headers['user-agent'] }; // userAgent: the field manager when no fieldManager is given (WriteContext)
    const ns = ri.namespaced ? info.namespace || undefined : undefined;
    const sub = info.subresource;
    const accept = req.headers.accept;
    const isPods = ri.group === '' && ri.resource === 'pods';
    if (sub && !ri.subresources.some((s) => s.name === sub) && !(ri.resource === 'namespaces' && ri.group === '' && sub === 'finalize')) {
      throw notFoundPath();
    }
    if (ri.namespaced && info.name && !ns) throw notFoundPath();

    switch (info.verb) {
      case 'get': {
        if (sub === 'log' && isPods) {
          const pod = await this.pipeline.get(ri, ns, info.name);
          return serveLogs(res, pod, q, this.kubelets);
        }
        if ((sub === 'exec' || sub === 'attach' || sub === 'portforward') && isPods) {
          throw newBadRequest('Upgrade request required');
        }
        const rep = this.representation(accept, false);
        const obj = sub ? await this.pipeline.getSubresource(ri, ns, info.name, sub) : await this.pipeline.get(ri, ns, info.name);
        return this.writeObject(res, 200, ri, obj, sub === 'scale' ? { as: 'object' } : rep, q);
      }
      case 'list': {
        if (!ri.verbs.includes('list')) throw methodNotAllowed('list');
        const rep = this.representation(accept, true);
        const opts = asListOptions(listOptionsFromQuery(q));
        const list = await this.pipeline.list(ri, ns, opts);
        return this.writeObject(res, 200, ri, list, rep, q);
      }
      case 'watch':
        return this.serveWatch(req, res, info, ri, ns, q);
      case 'create': {
        const params = writeParamsFromQuery(q, 'CreateOptions');
        if (info.name) {
          if (!sub) throw methodNotAllowed(req.method ?? 'POST');
          if (sub === 'exec' || sub === 'attach' || sub === 'portforward') throw newBadRequest('Upgrade request required');
          const { body } = await this.readJSONBody(req);
          const r = await this.pipeline.createSubresource(ctx, ri, ns, info.name, sub, body, params);
          return writeJSON(res, r.code, r.body);
        }
        const rep = this.representation(accept, false);
        const { body } = await this.readJSONBody(req);
        const r = await this.pipeline.create(ctx, ri, ns, body, params);
        return this.writeObject(res, 201, ri, r.object, rep, q, r.warnings);
      }
      case 'update': {
        if (!info.name) throw methodNotAllowed('PUT');
        const rep = this.representation(accept, false);
        const params = { ...writeParamsFromQuery(q, 'UpdateOptions'), subresource: sub };
        const { body } = await this.readJSONBody(req);
        const r = await this.pipeline.update(ctx, ri, ns, info.name, body, params);
        return this.writeObject(res, r.created ? 201 : 200, ri, r.object, sub === 'scale' ? { as: 'object' } : rep, q, r.warnings);
      }
      case 'patch': {
        if (!info.name) throw methodNotAllowed('PATCH');
        const rep = this.representation(accept, false);
        const params: WriteParams = { ...writeParamsFromQuery(q, 'PatchOptions'), subresource: sub };
        const ct = mediaType(req.headers['content-type']);
        if (!PATCH_TYPES.includes(ct as (typeof PATCH_TYPES)[number])) {
          await readBody(req, this.maxBodyBytes).catch(() => undefined);
          throw newUnsupportedMediaType(ct, PATCH_TYPES);
        }
        const buf = await readBody(req, this.maxBodyBytes);
        const patch = parseBody(buf.toString('utf8'), ct);
        const r = await this.pipeline.patch(ctx, ri, ns, info.name, ct, patch, params);
        return this.writeObject(res, r.created ? 201 : 200, ri, r.object, sub === 'scale' ? { as: 'object' } : rep, q, r.warnings);
      }
      case 'delete': {
        if (sub) throw methodNotAllowed('DELETE');
        const rep = this.representation(accept, false);
        const { body } = await this.readJSONBody(req, true);
        const opts = deleteOptionsFrom(q, body);
        const r = await this.pipeline.delete(ctx, ri, ns, info.name, opts);
        return this.writeObject(res, 200, ri, r.body, rep, q);
      }
      case 'deletecollection': {
        const rep = this.representation(accept, true);
        const { body } = await this.readJSONBody(req, true);
        const opts = deleteOptionsFrom(q, body);
        const list = await this.pipeline.deleteCollection(ctx, ri, ns, asListOptions(listOptionsFromQuery(q)), opts);
        return this.writeObject(res, 200, ri, list, rep, q);
      }
      default:
        throw methodNotAllowed(req.method ?? '');
    }
  }

  /** Streams a watch as newline-delimited JSON events, flushing headers at once. */
  private async serveWatch(req: IncomingMessage, res: ServerResponse, info: RequestInfo, ri: ResourceInfo, ns: string | undefined, q: URLSearchParams): Promise<void> {
    if (!ri.verbs.includes('watch')) throw methodNotAllowed('watch');
    const rep = this.representation(req.headers.accept, true);
    const opts = listOptionsFromQuery(q);
    if (info.name) {
      const byName = `metadata.name=${info.name}`;
      opts.fieldSelector = opts.fieldSelector ? `${opts.fieldSelector},${byName}` : byName;
    }
    // Validate selectors and resourceVersion before committing to a 200.
    const store = this.pipeline.store(ri);
    store.predicate(opts);
    if (opts.resourceVersion && !/^[0-9]+$/.test(opts.resourceVersion)) throw newBadRequest(`invalid resource version: "${opts.resourceVersion}"`);
    if (opts.timeoutSeconds === undefined) opts.timeoutSeconds = 1800 + Math.floor(Math.random() * 1800);
    res.writeHead(200, {
      'Content-Type': rep.as === 'Table' ? tableContentType(rep.version) : 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    let first = true;
    const onEvent = (ev: WatchEventObject) => {
      let object: unknown = ev.object;
      if (rep.as === 'Table' && ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') {
        object = toTable(ri, ev.object, { includeObject: q.get('includeObject') ?? 'Metadata', version: rep.version, noHeaders: !first });
        first = false;
      } else if (rep.as === 'PartialObjectMetadataList' && ev.type !== 'ERROR') {
        object = partialObjectMetadata(ev.object, rep.version);
      }
      if (res.writableEnded || res.destroyed) return;
      res.write(`${JSON.stringify({ type: ev.type, object })}\n`);
      // A client that stops reading is cut off (as upstream's cacher terminates blocked watchers); it re-watches.
      if (res.writableLength > SLOW_WATCHER_BYTES) {
        ac.abort();
        res.destroy();
      }
    };
    try {
      await this.pipeline.watch(ri, ns, opts, onEvent, ac.signal, this.bookmarkIntervalMs);
    } catch (err) {
      onEvent({ type: 'ERROR', object: toStatus(err) as unknown as KubeObject });
    }
    if (!res.writableEnded) res.end();
  }

  private async handleUpgradeAsync(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const user = await impersonate(req, await this.authenticate(req, url.pathname), this.authorizer);
    const info = newRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    const proxyPath = parseProxyPath(url.pathname);
    if (proxyPath) return serveProxyUpgrade(req, socket, head, await this.proxyLocation(info, proxyPath, user), proxyPath, url.search.slice(1));
    const ri = info.isResourceRequest ? this.pipeline.find(info.apiPrefix === 'api' ? '' : info.apiGroup, info.apiVersion, info.resource) : undefined;
    if (!ri || ri.group !== '' || ri.resource !== 'pods' || !info.namespace || !info.name) throw notFoundPath();
    await this.authorize(user, { ...info, verb: 'create' }, ri);
    if (info.subresource === 'portforward') {
      const pod = await this.pipeline.get(ri, info.namespace, info.name);
      return servePodPortForward(req, socket, head, pod, this.kubelets);
    }
    if (info.subresource === 'exec' || info.subresource === 'attach') {
      const pod = await this.pipeline.get(ri, info.namespace, info.name);
      return servePodExecUpgrade(req, socket, head, pod, this.kubelets, this.wss, info.subresource);
    }
    throw newBadRequest(`${info.subresource || 'this resource'} is not supported over WebSocket by this server`);
  }
}

export { newNotFound };
