/**
 * Protobuf decoding of the review kinds kubectl 1.32's typed clients POST
 * (`kubectl auth can-i` → SelfSubjectAccessReview / SelfSubjectRulesReview, `kubectl auth whoami`
 * → SelfSubjectReview, plus SubjectAccessReview / LocalSubjectAccessReview), in the field
 * numbering of k8s.io/api authorization/v1 and authentication/v1 generated.proto. Envelope as
 * src/apiserver/handlers/protobuf.ts: magic `k8s\0`, then runtime.Unknown{1 typeMeta{1 apiVersion,
 * 2 kind}, 2 raw}. Only spec fields are decoded; metadata and status are ignored.
 */
import { newBadRequest, newUnsupportedMediaType } from '../../../machinery/errors.ts';

type Fields = Array<{ num: number; wire: number; bytes?: Uint8Array; varint?: bigint }>;

function parse(buf: Uint8Array): Fields {
  const out: Fields = [];
  let i = 0;
  const varint = (): bigint => {
    let x = 0n;
    let s = 0n;
    for (let n = 0; n < 10; n++) {
      if (i >= buf.length) throw newBadRequest('malformed protobuf body: truncated varint');
      const c = buf[i++];
      x |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (!(c & 0x80)) return x;
    }
    throw newBadRequest('malformed protobuf body: varint too long');
  };
  while (i < buf.length) {
    const key = Number(varint());
    const num = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ num, wire, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > buf.length) throw newBadRequest('malformed protobuf body: length out of range');
      out.push({ num, wire, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw newBadRequest(`malformed protobuf body: unsupported wire type ${wire}`);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8');

function strings(fields: Fields, names: Record<number, string>, repeated: Record<number, string> = {}): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.bytes === undefined) continue;
    if (names[f.num]) o[names[f.num]] = utf8.decode(f.bytes);
    else if (repeated[f.num]) ((o[repeated[f.num]] ??= []) as string[]).push(utf8.decode(f.bytes));
  }
  return o;
}

function attributes(fields: Fields): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.bytes === undefined) continue;
    if (f.num === 1) spec.resourceAttributes = strings(parse(f.bytes), { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' });
    if (f.num === 2) spec.nonResourceAttributes = strings(parse(f.bytes), { 1: 'path', 2: 'verb' });
  }
  return spec;
}

function subjectSpec(fields: Fields): Record<string, unknown> {
  const spec = { ...attributes(fields), ...strings(fields, { 3: 'user', 6: 'uid' }, { 4: 'groups' }) };
  for (const f of fields) {
    if (f.num !== 5 || !f.bytes) continue;
    const entry = parse(f.bytes);
    const k = entry.find((e) => e.num === 1)?.bytes;
    const v = entry.find((e) => e.num === 2)?.bytes;
    const extra = ((spec as Record<string, unknown>).extra ??= {}) as Record<string, string[]>;
    extra[k ? utf8.decode(k) : ''] = v ? (strings(parse(v), {}, { 1: 'items' }).items as string[] | undefined) ?? [] : [];
  }
  return spec;
}

const SPEC_DECODERS: Record<string, (f: Fields) => Record<string, unknown>> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': attributes,
  'authorization.k8s.io/v1/SubjectAccessReview': subjectSpec,
  'authorization.k8s.io/v1/LocalSubjectAccessReview': subjectSpec,
  'authorization.k8s.io/v1/SelfSubjectRulesReview': (f) => strings(f, { 1: 'namespace' }),
  'authentication.k8s.io/v1/SelfSubjectReview': () => ({}),
};

/**
 * Decodes a protobuf review body to its JSON shape (`{apiVersion, kind, metadata: {}, spec}`).
 * Throws 400 for a malformed body, 415 for another kind.
 */
export function decodeReviewProtobuf(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0) throw newBadRequest('malformed protobuf body: missing k8s envelope');
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array();
  for (const f of parse(body.subarray(4))) {
    if (f.num === 1 && f.bytes) {
      const tm = strings(parse(f.bytes), { 1: 'apiVersion', 2: 'kind' });
      apiVersion = String(tm.apiVersion ?? '');
      kind = String(tm.kind ?? '');
    } else if (f.num === 2 && f.bytes) raw = f.bytes;
  }
  const dec = SPEC_DECODERS[`${apiVersion}/${kind}`];
  if (!dec) throw newUnsupportedMediaType('application/vnd.kubernetes.protobuf', ['application/json', 'application/yaml']);
  let spec: Record<string, unknown> = {};
  for (const f of parse(raw)) if (f.num === 2 && f.bytes) spec = dec(parse(f.bytes));
  return { apiVersion, kind, metadata: {}, spec };
}
