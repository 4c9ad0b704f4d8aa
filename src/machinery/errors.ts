/**
 * Kubernetes API errors as `Status` objects, and field-path validation errors.
 *
 * Mirrors k8s.io/apimachinery/pkg/api/errors (NewNotFound, NewAlreadyExists, NewConflict,
 * NewInvalid, …) and k8s.io/apimachinery/pkg/util/validation/field (ErrorList, Required,
 * Invalid, …). Every error a client can trigger is thrown as a {@link StatusError}; the HTTP
 * layer writes `err.status` as the body with HTTP code `err.status.code`.
 */

/** `metav1.StatusCause`: one reason a request failed, optionally tied to a field path. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** `metav1.StatusDetails`. `kind` is the resource's kind (Invalid) or plural resource (NotFound), as upstream. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** `metav1.Status`, the body of every error response. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { resourceVersion?: string; continue?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

/** `metav1.StatusReason` values used by Skiff (upstream's names). */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'Timeout'
  | 'ServiceUnavailable';

/** An error carrying a Kubernetes `Status`. Thrown by the store, the apiserver and the clients. */
export class StatusError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? 'unknown error');
    this.name = 'StatusError';
    this.status = status;
  }
  /** HTTP code, e.g. 404. */
  get code(): number {
    return this.status.code;
  }
  /** Upstream reason, e.g. `NotFound`. */
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** Group-qualified resource as printed in messages: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** Renders a GroupResource the way upstream's `schema.GroupResource.String()` does. */
export function groupResourceString(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function failure(code: number, reason: StatusReason, message: string, details?: StatusDetails): StatusError {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return new StatusError(s);
}

/** 404 NotFound: `pods "x" not found`. */
export function newNotFound(gr: GroupResource, name: string): StatusError {
  return failure(404, 'NotFound', `${groupResourceString(gr)} "${name}" not found`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** 409 AlreadyExists: `deployments.apps "x" already exists`. */
export function newAlreadyExists(gr: GroupResource, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${groupResourceString(gr)} "${name}" already exists`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** 409 Conflict for a stale resourceVersion, worded as upstream's optimistic-lock error. */
export function newConflict(gr: GroupResource, name: string, detail?: string): StatusError {
  const text =
    detail ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${groupResourceString(gr)} "${name}": ${text}`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** 400 BadRequest with a free-form message. */
export function newBadRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message);
}

/** 401 Unauthorized. */
export function newUnauthorized(message = 'Unauthorized'): StatusError {
  return failure(401, 'Unauthorized', message);
}

/** 403 Forbidden: `pods "x" is forbidden: <reason>`. */
export function newForbidden(gr: GroupResource, name: string, reason: string): StatusError {
  return failure(403, 'Forbidden', `${groupResourceString(gr)} "${name}" is forbidden: ${reason}`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** 405 MethodNotAllowed. */
export function newMethodNotSupported(gr: GroupResource, action: string): StatusError {
  return failure(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${groupResourceString(gr)}"`, {
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** 410 Expired: a resourceVersion or continue token older than retained history. */
export function newResourceExpired(message: string): StatusError {
  return failure(410, 'Expired', message);
}

/** 410 Gone (used for watch ERROR events of a compacted revision, as the watch cache does). */
export function newGone(message: string): StatusError {
  return failure(410, 'Gone', message);
}

/** 413 RequestEntityTooLarge. */
export function newRequestEntityTooLarge(message: string): StatusError {
  return failure(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/** 415 UnsupportedMediaType: `the body of the request was in an unknown format - accepted media types include: …`. */
export function newUnsupportedMediaType(contentType: string, accepted: string[]): StatusError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 406 NotAcceptable. */
export function newNotAcceptable(message: string): StatusError {
  return failure(406, 'NotAcceptable', message);
}

/** 500 InternalError: `Internal error occurred: <message>`. */
export function newInternalError(message: string): StatusError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** 504 Timeout. */
export function newTimeout(message: string, retryAfterSeconds = 0): StatusError {
  return failure(504, 'Timeout', message, { retryAfterSeconds });
}

/** 429 TooManyRequests (e.g. an eviction blocked by a PodDisruptionBudget). */
export function newTooManyRequests(message: string, retryAfterSeconds = 0): StatusError {
  return failure(429, 'TooManyRequests', message, { retryAfterSeconds });
}

// ---------------------------------------------------------------------------------------------
// field.ErrorList
// ---------------------------------------------------------------------------------------------

/** `field.ErrorType` strings as upstream prints them. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'InternalError';

/** One validation error: `{type, field, value, detail}` with a field path like `spec.template.spec.containers[0].image`. */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

/** Builds field paths the way `field.NewPath("spec").Child("containers").Index(0)` does. */
export class FieldPath {
  private constructor(private readonly parts: string) {}
  /** Root path, e.g. `FieldPath.root('metadata')`. */
  static root(name: string): FieldPath {
    return new FieldPath(name);
  }
  /** `.name` child (dotted); several names produce a chain. */
  child(...names: string[]): FieldPath {
    let p = this.parts;
    for (const n of names) p = p ? `${p}.${n}` : n;
    return new FieldPath(p);
  }
  /** `[i]` index. */
  index(i: number): FieldPath {
    return new FieldPath(`${this.parts}[${i}]`);
  }
  /** `[key]` map key. */
  key(k: string): FieldPath {
    return new FieldPath(`${this.parts}[${k}]`);
  }
  toString(): string {
    return this.parts;
  }
}

type PathLike = FieldPath | string;
const p = (x: PathLike) => x.toString();

/** `field.Required`: "Required value". */
export const required = (path: PathLike, detail = ''): FieldError => ({ type: 'FieldValueRequired', field: p(path), value: '', detail });
/** `field.Invalid`: "Invalid value: <value>: <detail>". */
export const invalid = (path: PathLike, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field: p(path), value, detail });
/** `field.NotSupported`: `Unsupported value: "x": supported values: "a", "b"`. */
export const notSupported = (path: PathLike, value: unknown, valid: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field: p(path),
  value,
  detail: valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '',
});
/** `field.NotFound`: "Not found: <value>". */
export const notFound = (path: PathLike, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field: p(path), value });
/** `field.Duplicate`: "Duplicate value: <value>". */
export const duplicate = (path: PathLike, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: p(path), value });
/** `field.Forbidden`: "Forbidden: <detail>". */
export const forbidden = (path: PathLike, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: p(path), detail });
/** `field.TooLong`: "Too long: may not be more than N bytes". */
export const tooLong = (path: PathLike, value: unknown, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field: p(path),
  value,
  detail: `may not be more than ${max} bytes`,
});

function renderValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  // Values wrapped with their Go rendering (src/api/common/go-value.ts), e.g. map[string]string{"app":"web"}.
  if (typeof v === 'object' && typeof (v as { goString?: unknown }).goString === 'string') return (v as { goString: string }).goString;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** `field.Error.ErrorBody()`: the message without the field path, e.g. `Invalid value: "A": must be …`. */
export function fieldErrorBody(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueRequired':
      return e.detail ? `Required value: ${e.detail}` : 'Required value';
    case 'FieldValueForbidden':
      return e.detail ? `Forbidden: ${e.detail}` : 'Forbidden';
    case 'FieldValueTooLong':
      return `Too long: ${e.detail ?? ''}`.trimEnd();
    case 'FieldValueTooMany':
      return `Too many: ${e.detail ?? ''}`.trimEnd();
    case 'InternalError':
      return `Internal error: ${e.detail ?? ''}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${renderValue(e.value)}`;
    case 'FieldValueNotFound':
      return `Not found: ${renderValue(e.value)}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${renderValue(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueInvalid':
    default:
      return `Invalid value: ${renderValue(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
  }
}

/** `field.Error.Error()`: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`. */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/**
 * 422 Invalid from a non-empty error list, as `errors.NewInvalid(kind, name, errs)`:
 * message `Deployment.apps "web" is invalid: [a: …, b: …]` and one cause per error.
 * @param qualifiedKind kind with group, e.g. `{group:'apps', kind:'Deployment'}`
 */
export function newInvalid(qualifiedKind: { group: string; kind: string }, name: string, errs: FieldError[]): StatusError {
  const gk = qualifiedKind.group ? `${qualifiedKind.kind}.${qualifiedKind.group}` : qualifiedKind.kind;
  const strs = errs.map(fieldErrorString);
  const agg = strs.length === 1 ? strs[0] : `[${strs.join(', ')}]`;
  return failure(422, 'Invalid', `${gk} "${name}" is invalid: ${agg}`, {
    name,
    group: qualifiedKind.group || undefined,
    kind: qualifiedKind.kind,
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

/** True when `err` is a StatusError with the given HTTP code. */
export function isStatusCode(err: unknown, code: number): boolean {
  return err instanceof StatusError && err.code === code;
}
/** True for 404 NotFound. */
export const isNotFound = (err: unknown) => isStatusCode(err, 404);
/** True for 409 Conflict or AlreadyExists. */
export const isConflict = (err: unknown) => err instanceof StatusError && err.reason === 'Conflict';
/** True for 409 AlreadyExists. */
export const isAlreadyExists = (err: unknown) => err instanceof StatusError && err.reason === 'AlreadyExists';
/** True for 410 Gone/Expired. */
export const isGone = (err: unknown) => isStatusCode(err, 410);
