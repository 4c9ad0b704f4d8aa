import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeReviewProtobuf } from './review-protobuf.ts';

// A minimal protobuf writer for the test: length-delimited fields only.
function field(num: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const out: number[] = [(num << 3) | 2];
  let len = bytes.length;
  do {
    let b = len & 0x7f;
    len >>= 7;
    if (len) b |= 0x80;
    out.push(b);
  } while (len);
  return new Uint8Array([...out, ...bytes]);
}
const cat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));
const envelope = (apiVersion: string, kind: string, raw: Uint8Array) =>
  cat(new Uint8Array([0x6b, 0x38, 0x73, 0x00]), field(1, cat(field(1, apiVersion), field(2, kind))), field(2, raw));

test('SelfSubjectAccessReview (kubectl auth can-i) in generated.proto numbering', () => {
  const ra = cat(field(1, 'dev'), field(2, 'create'), field(5, 'pods'), field(6, 'log'), field(7, 'p1'));
  const body = envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', cat(field(1, new Uint8Array()), field(2, field(1, ra))));
  assert.deepEqual(decodeReviewProtobuf(body), {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {},
    spec: { resourceAttributes: { namespace: 'dev', verb: 'create', resource: 'pods', subresource: 'log', name: 'p1' } },
  });
});

test('SubjectAccessReview with non-resource attributes, groups and extra; SelfSubjectRulesReview namespace', () => {
  const extra = field(5, cat(field(1, 'scopes'), field(2, cat(field(1, 'a'), field(1, 'b')))));
  const spec = cat(field(2, cat(field(1, '/healthz'), field(2, 'get'))), field(3, 'alice'), field(4, 'dev'), field(4, 'ops'), extra);
  assert.deepEqual(decodeReviewProtobuf(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', field(2, spec))).spec, {
    nonResourceAttributes: { path: '/healthz', verb: 'get' }, user: 'alice', groups: ['dev', 'ops'], extra: { scopes: ['a', 'b'] },
  });
  assert.deepEqual(decodeReviewProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', field(2, field(1, 'dev')))).spec, { namespace: 'dev' });
});

test('other kinds are 415; a body without the envelope is 400', () => {
  assert.throws(() => decodeReviewProtobuf(envelope('v1', 'Pod', new Uint8Array())), (e: { code?: number }) => e.code === 415);
  assert.throws(() => decodeReviewProtobuf(new Uint8Array([1, 2, 3, 4])), (e: { code?: number }) => e.code === 400);
});
