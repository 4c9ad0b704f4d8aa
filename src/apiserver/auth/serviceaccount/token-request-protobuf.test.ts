import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeK8sProtobuf } from '../../handlers/protobuf.ts';

// Bodies captured from kubectl 1.32 (`Content-Type: application/vnd.kubernetes.protobuf`).
// `kubectl create token default -n dev --duration=20m --bound-object-kind=Pod --bound-object-name=p1 --bound-object-uid=u1 --audience=a1`
const FULL = '6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e5265717565737412340a100a0012001a0022002a00320038004200121a0a0261311a110a03506f64120276311a0270312202753120b0091a040a0012001a002200';
// `kubectl create token default -n dev`
const PLAIN = '6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121a0a100a0012001a0022002a0032003800420012001a040a0012001a002200';

test('kubectl create token protobuf bodies decode to TokenRequest (audiences, expirationSeconds, boundObjectRef)', () => {
  const full = decodeK8sProtobuf(Buffer.from(FULL, 'hex')) as Record<string, any>;
  assert.equal(full.apiVersion, 'authentication.k8s.io/v1');
  assert.equal(full.kind, 'TokenRequest');
  assert.deepEqual(full.spec, { audiences: ['a1'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: 'u1' }, expirationSeconds: 1200 });
  const plain = decodeK8sProtobuf(Buffer.from(PLAIN, 'hex')) as Record<string, any>;
  assert.equal(plain.kind, 'TokenRequest');
  assert.equal(plain.spec?.expirationSeconds, undefined);
  assert.equal(plain.spec?.boundObjectRef, undefined);
  assert.ok(!plain.spec?.audiences?.length);
});
