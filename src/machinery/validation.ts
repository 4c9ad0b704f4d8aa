/**
 * Name/label/port/IP validation with upstream's exact messages, and the common ObjectMeta checks.
 *
 * Two upstream packages in one file:
 * - k8s.io/apimachinery/pkg/util/validation (validation.go): the `Is*` predicates. Each returns a list of
 *   human-readable messages (empty list = valid), worded exactly as upstream so `kubectl` users see the same text.
 * - k8s.io/apimachinery/pkg/api/validation (objectmeta.go, generic.go) and pkg/apis/meta/v1/validation:
 *   `validateObjectMeta`, `validateObjectMetaUpdate`, `validateLabels`, `validateAnnotations`,
 *   `validateLabelSelector`, returning {@link FieldError} lists (see errors.ts) that the apiserver turns into a
 *   422 Invalid via `newInvalid`.
 */
import { isIP } from 'node:net';
import { FieldPath, forbidden, invalid, required, tooLong, type FieldError } from './errors.ts';

// ---------------------------------------------------------------------------------------------
// message helpers (validation.go)
// ---------------------------------------------------------------------------------------------

/** `MaxLenError`: "must be no more than N characters". */
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** `EmptyError`: "must be non-empty". */
export function emptyError(): string {
  return 'must be non-empty';
}

/** `InclusiveRangeError`: "must be between lo and hi, inclusive". */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/**
 * `RegexError`: `<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')`. The odd double space
 * between examples is upstream's own output and is kept on purpose.
 */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((ex, i) => {
    if (i > 0) out += ' or ';
    out += `'${ex}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

function prefixEach(msgs: string[], prefix: string): string[] {
  return msgs.map((m) => prefix + m);
}

/** Byte length of a string as UTF-8 (Go's `len(string)`). */
function byteLen(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// ---------------------------------------------------------------------------------------------
// qualified names and label values
// ---------------------------------------------------------------------------------------------

const qnameCharFmt = '[A-Za-z0-9]';
const qnameExtCharFmt = '[-A-Za-z0-9_.]';
const qualifiedNameFmt = `(${qnameCharFmt}${qnameExtCharFmt}*)?${qnameCharFmt}`;
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
/** Max length of the name part of a qualified name (63). */
export const qualifiedNameMaxLength = 63;
const qualifiedNameRegexp = new RegExp(`^${qualifiedNameFmt}$`);

/**
 * `IsQualifiedName`: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63 characters made of
 * `[-A-Za-z0-9_.]` and starting/ending alphanumeric (label keys, annotation keys, finalizers).
 * @returns error messages; empty when valid.
 */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part ' + emptyError());
    else {
      const msgs = isDNS1123Subdomain(prefix);
      if (msgs.length) errs.push(...prefixEach(msgs, 'prefix part '));
    }
  } else {
    return [
      'a qualified name ' +
        regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part ' + emptyError());
  else if (byteLen(name) > qualifiedNameMaxLength) errs.push('name part ' + maxLenError(qualifiedNameMaxLength));
  if (!qualifiedNameRegexp.test(name)) {
    errs.push('name part ' + regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc'));
  }
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
/** Max length of a label value (63). */
export const labelValueMaxLength = 63;
const labelValueRegexp = new RegExp(`^${labelValueFmt}$`);

/**
 * `IsValidLabelValue`: empty, or at most 63 characters of `[-A-Za-z0-9_.]` starting/ending alphanumeric.
 * @returns error messages; empty when valid.
 */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > labelValueMaxLength) errs.push(maxLenError(labelValueMaxLength));
  if (!labelValueRegexp.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// DNS names
// ---------------------------------------------------------------------------------------------

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
/** Max length of a DNS-1123 label (63). */
export const DNS1123LabelMaxLength = 63;
const dns1123LabelRegexp = new RegExp(`^${dns1123LabelFmt}$`);

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrorMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
/** Max length of a DNS-1123 subdomain (253). */
export const DNS1123SubdomainMaxLength = 253;
const dns1123SubdomainRegexp = new RegExp(`^${dns1123SubdomainFmt}$`);

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
/** Max length of a DNS-1035 label (63). */
export const DNS1035LabelMaxLength = 63;
const dns1035LabelRegexp = new RegExp(`^${dns1035LabelFmt}$`);

const wildcardDNS1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardDNS1123SubdomainErrMsg =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const wildcardDNS1123SubdomainRegexp = new RegExp(`^${wildcardDNS1123SubdomainFmt}$`);

/**
 * `IsDNS1123Label` (RFC 1123 label: namespaces, most names that become hostnames), at most 63 characters.
 * @returns error messages; empty when valid.
 */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123LabelMaxLength) errs.push(maxLenError(DNS1123LabelMaxLength));
  if (!dns1123LabelRegexp.test(value)) {
    if (dns1123SubdomainRegexp.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

/**
 * `IsDNS1123Subdomain` (RFC 1123 subdomain: most object names), at most 253 characters.
 * @returns error messages; empty when valid.
 */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!dns1123SubdomainRegexp.test(value)) errs.push(regexError(dns1123SubdomainErrorMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

/**
 * `IsDNS1035Label` (RFC 1035 label: Service names, port names of some kinds), at most 63 characters.
 * @returns error messages; empty when valid.
 */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1035LabelMaxLength) errs.push(maxLenError(DNS1035LabelMaxLength));
  if (!dns1035LabelRegexp.test(value)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

/**
 * `IsWildcardDNS1123Subdomain`: `*.` followed by a DNS-1123 subdomain, at most 253 characters.
 * @returns error messages; empty when valid.
 */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!wildcardDNS1123SubdomainRegexp.test(value)) {
    errs.push(regexError(wildcardDNS1123SubdomainErrMsg, wildcardDNS1123SubdomainFmt, '*.example.com'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// misc identifiers
// ---------------------------------------------------------------------------------------------

const cIdentifierFmt = '[A-Za-z_][A-Za-z0-9_]*';
const cIdentifierErrMsg =
  "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'";
const cIdentifierRegexp = new RegExp(`^${cIdentifierFmt}$`);

/** `IsCIdentifier`: `[A-Za-z_][A-Za-z0-9_]*`. @returns error messages; empty when valid. */
export function isCIdentifier(value: string): string[] {
  if (!cIdentifierRegexp.test(value)) return [regexError(cIdentifierErrMsg, cIdentifierFmt, 'my_name', 'MY_NAME', 'MyName')];
  return [];
}

/** `IsValidPortNum`: 1..65535. @returns error messages; empty when valid. */
export function isValidPortNum(port: number): string[] {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return [];
  return [inclusiveRangeError(1, 65535)];
}

/** `IsInRange`: lo..hi inclusive. @returns error messages; empty when valid. */
export function isInRange(value: number, lo: number, hi: number): string[] {
  if (value >= lo && value <= hi) return [];
  return [inclusiveRangeError(lo, hi)];
}

/** `IsValidGroupID`: 0..2147483647. @returns error messages; empty when valid. */
export function isValidGroupID(gid: number): string[] {
  if (gid >= 0 && gid <= 2147483647) return [];
  return [inclusiveRangeError(0, 2147483647)];
}

/** `IsValidUserID`: 0..2147483647. @returns error messages; empty when valid. */
export function isValidUserID(uid: number): string[] {
  if (uid >= 0 && uid <= 2147483647) return [];
  return [inclusiveRangeError(0, 2147483647)];
}

const portNameCharsetRegex = /^[-a-z0-9]+$/;
const portNameOneLetterRegexp = /[a-z]/;

/**
 * `IsValidPortName` (IANA_SVC_NAME): at most 15 characters of `[-a-z0-9]`, at least one letter, no `--`,
 * not starting/ending with `-`.
 * @returns error messages; empty when valid.
 */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!portNameCharsetRegex.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!portNameOneLetterRegexp.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port[0] === '-' || port[port.length - 1] === '-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** `IsValidIP`: an IPv4 or IPv6 address. @returns error messages; empty when valid. */
export function isValidIP(value: string): string[] {
  if (isIP(value) !== 0) return [];
  return ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

/** `IsValidIPv4Address`. @returns error messages; empty when valid. */
export function isValidIPv4Address(value: string): string[] {
  return isIP(value) === 4 ? [] : ['must be a valid IPv4 address'];
}

/** `IsValidIPv6Address`. @returns error messages; empty when valid. */
export function isValidIPv6Address(value: string): string[] {
  return isIP(value) === 6 ? [] : ['must be a valid IPv6 address'];
}

/** `IsValidCIDR`: `<ip>/<prefix>` with a prefix length valid for the family. @returns error messages; empty when valid. */
export function isValidCIDR(value: string): string[] {
  const msg = ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'];
  const slash = value.indexOf('/');
  if (slash < 0) return msg;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const fam = isIP(ip);
  if (fam === 0 || !/^[0-9]{1,3}$/.test(bits)) return msg;
  const n = Number(bits);
  if (n > (fam === 4 ? 32 : 128)) return msg;
  return [];
}
/** Alias of {@link isValidCIDR} under the name used in the brief. */
export const isCIDR = isValidCIDR;

const percentFmt = '[0-9]+%';
const percentErrMsg = "a valid percent string must be a numeric string followed by an ending '%'";
const percentRegexp = new RegExp(`^${percentFmt}$`);

/** `IsValidPercent`: digits followed by `%`. @returns error messages; empty when valid. */
export function isValidPercent(percent: string): string[] {
  if (!percentRegexp.test(percent)) return [regexError(percentErrMsg, percentFmt, '1%', '93%')];
  return [];
}

const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const envVarNameFmtErrMsg =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
const envVarNameRegexp = new RegExp(`^${envVarNameFmt}$`);

function hasChDirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

/** `IsEnvVarName`: `[-._a-zA-Z][-._a-zA-Z0-9]*`, not `.`/`..`. @returns error messages; empty when valid. */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRegexp.test(value)) errs.push(regexError(envVarNameFmtErrMsg, envVarNameFmt, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  errs.push(...hasChDirPrefix(value));
  return errs;
}

const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const configMapKeyRegexp = new RegExp(`^${configMapKeyFmt}$`);

/** `IsConfigMapKey`: keys of ConfigMap/Secret data, at most 253 characters. @returns error messages; empty when valid. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!configMapKeyRegexp.test(value)) errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  errs.push(...hasChDirPrefix(value));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// name validators (apimachinery/pkg/api/validation/generic.go)
// ---------------------------------------------------------------------------------------------

/**
 * `ValidateNameFunc`: validates an object name; `prefix` is true when validating a `generateName`
 * (a trailing '-' is then allowed). Returns error messages.
 */
export type ValidateNameFunc = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  if (name.length > 1 && name.endsWith('-')) return name.slice(0, -1) + 'a';
  return name;
}

/** `NameIsDNSSubdomain`: the usual object-name rule (DNS-1123 subdomain). */
export const nameIsDNSSubdomain: ValidateNameFunc = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** `NameIsDNSLabel`: DNS-1123 label (namespaces, nodes' hostnames…). */
export const nameIsDNSLabel: ValidateNameFunc = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** `NameIsDNS1035Label`: DNS-1035 label (Services). */
export const nameIsDNS1035Label: ValidateNameFunc = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
/** `ValidateNamespaceName` = NameIsDNSLabel. */
export const validateNamespaceName: ValidateNameFunc = nameIsDNSLabel;

/** `ValidatePathSegmentName`: names used as URL path segments may not be `.`/`..` nor contain `/` or `%`. */
export const validatePathSegmentName: ValidateNameFunc = (name, prefix) => {
  const errs: string[] = [];
  if (!prefix) {
    if (name === '.' || name === '..') errs.push(`may not be '${name}'`);
  }
  if (name.includes('/')) errs.push(`may not contain '/'`);
  if (name.includes('%')) errs.push(`may not contain '%'`);
  return errs;
};

// ---------------------------------------------------------------------------------------------
// ObjectMeta (apimachinery/pkg/api/validation/objectmeta.go, meta/v1/validation)
// ---------------------------------------------------------------------------------------------

/** `FieldImmutableErrorMsg`. */
export const fieldImmutableErrorMsg = 'field is immutable';
/** `IsNegativeErrorMsg`. */
export const isNegativeErrorMsg = 'must be greater than or equal to 0';
/** `TotalAnnotationSizeLimitB`: 256 KiB (bytes, keys + values). */
export const totalAnnotationSizeLimitB = 256 * (1 << 10);

/** The subset of `metav1.OwnerReference` the validators read. */
export interface OwnerReferenceLike {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The subset of `metav1.ObjectMeta` the validators read. */
export interface ObjectMetaLike {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string | null;
  deletionGracePeriodSeconds?: number | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  ownerReferences?: OwnerReferenceLike[] | null;
  finalizers?: string[] | null;
}

type PathLike = FieldPath | string;
const asPath = (p: PathLike): FieldPath => (typeof p === 'string' ? FieldPath.root(p) : p);

/**
 * `ValidateLabelName`: a label key must be a qualified name.
 * @returns one Invalid error per message at `path` (value = the key).
 */
export function validateLabelName(labelName: string, path: PathLike): FieldError[] {
  return isQualifiedName(labelName).map((msg) => invalid(path, labelName, msg));
}

/**
 * `ValidateLabels` (meta/v1/validation): every key a qualified name, every value a valid label value.
 * Errors are all at `path` (e.g. `metadata.labels`), value = the offending key or value.
 */
export function validateLabels(labels: Record<string, string> | null | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, path));
    for (const msg of isValidLabelValue(String(v))) errs.push(invalid(path, v, msg));
  }
  return errs;
}

/**
 * `ValidateAnnotations`: keys are qualified names compared case-insensitively; total size of keys+values
 * at most 256 KiB (`Too long: may not be more than 262144 bytes`).
 */
export function validateAnnotations(annotations: Record<string, string> | null | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    total += byteLen(k) + byteLen(String(v ?? ''));
  }
  if (total > totalAnnotationSizeLimitB) errs.push(tooLong(path, '', totalAnnotationSizeLimitB));
  return errs;
}

/** Kinds that may never be owners (upstream `BannedOwners`): only `v1 Event`. */
const bannedOwners = new Set(['/v1, Kind=Event']);

function splitAPIVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  if (i < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/**
 * `ValidateOwnerReferences`: each reference needs apiVersion (with a version), kind, name, uid; at most one
 * `controller: true`.
 */
export function validateOwnerReferences(refs: OwnerReferenceLike[] | null | undefined, path: PathLike): FieldError[] {
  const fp = asPath(path);
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const gv = splitAPIVersion(ref.apiVersion ?? '');
    if (!gv.version) errs.push(invalid(fp.child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(fp.child('kind'), ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errs.push(invalid(fp.child('name'), ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(invalid(fp.child('uid'), ref.uid ?? '', 'must not be empty'));
    const gvk = `${gv.group}/${gv.version}, Kind=${ref.kind ?? ''}`;
    if (bannedOwners.has(gvk)) errs.push(invalid(fp, ref, `${gvk} is disallowed from being an owner`));
    if (ref.controller) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          invalid(
            fp,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

/**
 * `ValidateFinalizers`: every finalizer a qualified name; `orphan` and `foregroundDeletion` not both.
 */
export function validateFinalizers(finalizers: string[] | null | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  let orphan = false;
  let foreground = false;
  for (const f of finalizers ?? []) {
    for (const msg of isQualifiedName(f)) errs.push(invalid(path, f, msg));
    if (f === 'orphan') orphan = true;
    if (f === 'foregroundDeletion') foreground = true;
  }
  if (orphan && foreground) errs.push(invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  return errs;
}

/** `ValidateNonnegativeField`: `must be greater than or equal to 0`. */
export function validateNonnegativeField(value: number, path: PathLike): FieldError[] {
  return value < 0 ? [invalid(path, value, isNegativeErrorMsg)] : [];
}

/**
 * `ValidateObjectMeta` (objectmeta.go ValidateObjectMetaAccessor).
 * @param meta the object's metadata
 * @param namespaced true when the kind is namespace-scoped (namespace required), false when cluster-scoped
 *   (namespace forbidden: `not allowed on this type`)
 * @param nameFn name rule, e.g. {@link nameIsDNSSubdomain}; applied to `name` and (as prefix) `generateName`
 * @param path usually `FieldPath.root('metadata')` or `'metadata'`
 * @returns errors at `metadata.name` (Required `name or generateName is required` / Invalid), `metadata.namespace`,
 *   `metadata.generation`, `metadata.labels`, `metadata.annotations`, `metadata.ownerReferences`, `metadata.finalizers`.
 *   Unlike upstream (which has already generated the name before validating), an empty name with a
 *   non-empty generateName is accepted, so this can run before name generation.
 */
export function validateObjectMeta(
  meta: ObjectMetaLike | null | undefined,
  namespaced: boolean,
  nameFn: ValidateNameFunc,
  path: PathLike = 'metadata',
): FieldError[] {
  const fp = asPath(path);
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of nameFn(m.generateName, true)) errs.push(invalid(fp.child('generateName'), m.generateName, msg));
  }
  if (!m.name) {
    if (!m.generateName) errs.push(required(fp.child('name'), 'name or generateName is required'));
  } else {
    for (const msg of nameFn(m.name, false)) errs.push(invalid(fp.child('name'), m.name, msg));
  }
  if (namespaced) {
    if (!m.namespace) errs.push(required(fp.child('namespace'), ''));
    else for (const msg of validateNamespaceName(m.namespace, false)) errs.push(invalid(fp.child('namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(fp.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(m.generation ?? 0, fp.child('generation')));
  errs.push(...validateLabels(m.labels, fp.child('labels')));
  errs.push(...validateAnnotations(m.annotations, fp.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, fp.child('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, fp.child('finalizers')));
  return errs;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** `ValidateImmutableField`: Invalid `field is immutable` (value = the new value) when old and new differ. */
export function validateImmutableField(newVal: unknown, oldVal: unknown, path: PathLike): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [invalid(path, newVal, fieldImmutableErrorMsg)];
}

/**
 * `ValidateObjectMetaUpdate`: name, namespace, uid, creationTimestamp, deletionTimestamp and
 * deletionGracePeriodSeconds are immutable (`field is immutable`); resourceVersion must be set
 * (`must be specified for an update`; callers doing unconditional updates fill it in first, as upstream's store
 * does); generation must not decrease; no new finalizers once deletionTimestamp is set; labels/annotations/
 * ownerReferences re-validated.
 */
export function validateObjectMetaUpdate(
  newMeta: ObjectMetaLike | null | undefined,
  oldMeta: ObjectMetaLike | null | undefined,
  path: PathLike = 'metadata',
): FieldError[] {
  const fp = asPath(path);
  const n = newMeta ?? {};
  const o = oldMeta ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const old = new Set(o.finalizers ?? []);
    const extra = [...new Set((n.finalizers ?? []).filter((f) => !old.has(f)))].sort();
    if (extra.length) {
      errs.push(
        forbidden(
          fp.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((e) => JSON.stringify(e)).join(', ')}}`,
        ),
      );
    }
  }
  if (!n.resourceVersion) errs.push(invalid(fp.child('resourceVersion'), n.resourceVersion ?? '', 'must be specified for an update'));
  if ((n.generation ?? 0) < (o.generation ?? 0)) errs.push(invalid(fp.child('generation'), n.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutableField(n.name ?? '', o.name ?? '', fp.child('name')));
  errs.push(...validateImmutableField(n.namespace ?? '', o.namespace ?? '', fp.child('namespace')));
  errs.push(...validateImmutableField(n.uid ?? '', o.uid ?? '', fp.child('uid')));
  errs.push(...validateImmutableField(n.creationTimestamp ?? null, o.creationTimestamp ?? null, fp.child('creationTimestamp')));
  errs.push(...validateImmutableField(n.deletionTimestamp ?? null, o.deletionTimestamp ?? null, fp.child('deletionTimestamp')));
  errs.push(
    ...validateImmutableField(n.deletionGracePeriodSeconds ?? null, o.deletionGracePeriodSeconds ?? null, fp.child('deletionGracePeriodSeconds')),
  );
  errs.push(...validateLabels(n.labels, fp.child('labels')));
  errs.push(...validateAnnotations(n.annotations, fp.child('annotations')));
  errs.push(...validateOwnerReferences(n.ownerReferences, fp.child('ownerReferences')));
  return errs;
}

/** `metav1.LabelSelectorRequirement`. */
export interface LabelSelectorRequirementLike {
  key: string;
  operator: string;
  values?: string[] | null;
}

/** `metav1.LabelSelector`. */
export interface LabelSelectorLike {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirementLike[] | null;
}

/** `LabelSelectorValidationOptions`. */
export interface LabelSelectorValidationOptions {
  /** Skip value validation of matchExpressions values (upstream's AllowInvalidLabelValueInSelector). */
  allowInvalidLabelValueInSelector?: boolean;
}

/**
 * `ValidateLabelSelector` (meta/v1/validation): matchLabels via {@link validateLabels} at `<path>.matchLabels`;
 * each expression at `<path>.matchExpressions[i]`: In/NotIn need values (Required), Exists/DoesNotExist forbid them
 * (Forbidden), other operators Invalid `not a valid selector operator`; key a qualified name; values valid label values.
 * A null/undefined selector is valid.
 */
export function validateLabelSelector(
  ps: LabelSelectorLike | null | undefined,
  path: PathLike,
  opts: LabelSelectorValidationOptions = {},
): FieldError[] {
  if (!ps) return [];
  const fp = asPath(path);
  const errs: FieldError[] = [...validateLabels(ps.matchLabels, fp.child('matchLabels'))];
  (ps.matchExpressions ?? []).forEach((sr, i) => {
    const ep = fp.child('matchExpressions').index(i);
    const values = sr.values ?? [];
    switch (sr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(ep.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(ep.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(ep.child('operator'), sr.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(sr.key, ep.child('key')));
    if (!opts.allowInvalidLabelValueInSelector) {
      values.forEach((v, vi) => {
        for (const msg of isValidLabelValue(v)) errs.push(invalid(ep.child('values').index(vi), v, msg));
      });
    }
  });
  return errs;
}
