/**
 * Typed decoding of request bodies (handlers/field-validation.ts strictDecode/decodeTypeError): wrongly typed values
 * are reported as upstream's decoders word them. Sources of the expected texts:
 * - encoding/json UnmarshalTypeError.Error() (Go ≥ 1.20, used through sigs.k8s.io/json's decode.go, whose
 *   addErrorContext sets Struct = the innermost struct's name and Field = the field names from the root joined by
 *   '.', map keys and list indices not included): `json: cannot unmarshal <value> into Go struct field <S>.<path> of type <T>`;
 *   literalStore: `number` for a number into a non-number kind, `number <text>` when ParseInt fails or overflows.
 * - k8s.io/apimachinery/pkg/util/intstr IntOrString.UnmarshalJSON (non-strings are json.Unmarshal'ed into int32).
 * - k8s.io/apimachinery/pkg/api/resource Quantity.UnmarshalJSON → ParseQuantity ErrFormatWrong / ErrSuffix.
 * - k8s.io/apimachinery/pkg/apis/meta/v1 Time.UnmarshalJSON (json.Unmarshal into a string first).
 * - k8s.io/apimachinery/pkg/runtime/converter.go fromUnstructured (strategic merge patches):
 *   `cannot convert int64 to string`, `unrecognized type: int32`, `cannot restore slice from string`, ….
 * - encoding/json literalStore for []byte fields (base64 of a string; encoding/base64 decodeQuantum's CorruptInputError
 *   `illegal base64 data at input byte N`), reflect's `[]uint8` type name.
 * - Reported by users against real clusters: `ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot
 *   unmarshal number into Go struct field ConfigMap.data of type string` (e.g. deepfence/ThreatMapper#2331,
 *   aws/aws-application-networking-k8s#324).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { base64CorruptOffset, decodeTypeError, goSprintValue, strictDecode } from './field-validation.ts';

const CM = { group: '', version: 'v1', kind: 'ConfigMap' };
const DEPLOY = { group: 'apps', version: 'v1', kind: 'Deployment' };
const SVC = { group: '', version: 'v1', kind: 'Service' };
const POD = { group: '', version: 'v1', kind: 'Pod' };

function deployment(container: Record<string, unknown>, labels: unknown = { app: 'web' }): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx', ...container }] } } },
  };
}

const REGEX_ERR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

describe('decodeTypeError (json: create/update bodies, json and merge patches)', () => {
  const cases: [string, typeof CM, unknown, string | undefined][] = [
    ['number in ConfigMap data', CM, { data: { x: 1 } }, 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string'],
    ['object in ConfigMap data', CM, { data: { x: { a: 'b' } } }, 'json: cannot unmarshal object into Go struct field ConfigMap.data of type string'],
    ['data as a list', CM, { data: ['a'] }, 'json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string'],
    ['bool label value', DEPLOY, deployment({}, { app: true }), 'json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string'],
    ['string containerPort', DEPLOY, deployment({ ports: [{ containerPort: 'eighty' }] }), 'json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32'],
    ['fraction into int32', DEPLOY, deployment({ ports: [{ containerPort: 1.5 }] }), 'json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32'],
    ['int32 overflow', DEPLOY, deployment({ ports: [{ containerPort: 4294967296 }] }), 'json: cannot unmarshal number 4294967296 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32'],
    ['string replicas', DEPLOY, { spec: { replicas: '3' } }, 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'],
    ['string into bool', DEPLOY, { spec: { paused: 'yes' } }, 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool'],
    ['metadata not an object', CM, { metadata: 'x' }, 'json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta'],
    ['containers not a list', POD, { spec: { containers: 'x' } }, 'json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container'],
    ['number into Time', CM, { metadata: { creationTimestamp: 5 } }, 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string'],
    ['int-or-string: name', SVC, { spec: { ports: [{ port: 80, targetPort: 'http' }] } }, undefined],
    ['int-or-string: number', SVC, { spec: { ports: [{ port: 80, targetPort: 8080 }] } }, undefined],
    ['int-or-string: bool', SVC, { spec: { ports: [{ port: 80, targetPort: true }] } }, 'json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32'],
    ['quantity: number and string', POD, { spec: { containers: [{ name: 'c', resources: { limits: { cpu: 0.5, memory: '64Mi' } } }] } }, undefined],
    ['quantity: bad string', POD, { spec: { containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] } }, REGEX_ERR],
    ['quantity: bad suffix (upstream quantity_test invalid "1i")', POD, { spec: { containers: [{ name: 'c', resources: { requests: { memory: '1i' } } }] } }, "unable to parse quantity's suffix"],
    ['null is unset everywhere', POD, { metadata: { labels: null, creationTimestamp: null }, spec: { containers: [{ name: 'c', ports: null, resources: { limits: { cpu: null } } }], nodeSelector: { a: null }, activeDeadlineSeconds: null } }, undefined],
    ['undefined from an in-process writer is unset (JSON would drop it)', POD, { spec: { hostname: undefined, containers: [{ name: 'c', ports: undefined }] } }, undefined],
    ['unknown fields are not type-checked', CM, { data: {}, extra: { x: 1 } }, undefined],
    // encoding/json: an UnmarshalJSON error (Quantity) is returned at once and wins over a type error saved before it.
    ['first saved error, unless an UnmarshalJSON fails later', POD, { metadata: { labels: { a: 1 } }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: 'x' } } }] } }, REGEX_ERR],
    ['first saved error in document order', CM, { data: { a: 1 }, binaryData: { b: 2 } }, 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string'],
  ];
  for (const [name, gvk, body, want] of cases) {
    test(name, () => assert.equal(decodeTypeError(gvk, body), want));
  }
});

describe('decodeTypeError (unstructured: strategic merge patches)', () => {
  const cases: [string, unknown, string | undefined][] = [
    ['int into string', { data: { x: 1 } }, 'cannot convert int64 to string'],
    ['float into string', { data: { x: 1.5 } }, 'unrecognized type: string'],
    ['bool into string', { data: { x: true } }, 'unrecognized type: string'],
    ['map from a string', { data: 'x' }, 'cannot restore map from string'],
    ['struct from a list', { metadata: [] }, 'cannot restore struct from: slice'],
    ['slice from a string', { metadata: { finalizers: 'x' } }, 'cannot restore slice from string'],
    ['null', { data: { x: null } }, undefined],
  ];
  for (const [name, body, want] of cases) test(name, () => assert.equal(decodeTypeError(CM, body, 'unstructured'), want));
  test('string into int32 and fraction into int32', () => {
    assert.equal(decodeTypeError(DEPLOY, deployment({ ports: [{ containerPort: 'eighty' }] }), 'unstructured'), 'unrecognized type: int32');
    assert.equal(decodeTypeError(DEPLOY, deployment({ ports: [{ containerPort: 1.5 }] }), 'unstructured'), 'cannot convert float64 to int32');
  });
});

describe('strictDecode', () => {
  test('a type error trumps strict-decoding errors (serializer returns the decode error first)', () => {
    assert.deepEqual(strictDecode(CM, { data: { x: 1 }, bogus: 1 }, { types: 'json' }), { typeError: 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string', errors: [] });
  });
  test('strict: false collects no unknown fields but still checks types', () => {
    assert.deepEqual(strictDecode(CM, { bogus: 1 }, { strict: false, types: 'json' }), { errors: [] });
    assert.deepEqual(strictDecode(CM, { bogus: 1 }, { types: 'json' }), { errors: ['unknown field "bogus"'] });
  });
});

test('goSprintValue prints like fmt %+v of map[string]interface{}', () => {
  assert.equal(goSprintValue({ data: { x: 1, b: [1.5, null, 'a', true] } }), 'map[data:map[b:[1.5 <nil> a true] x:1]]');
  assert.equal(goSprintValue({ f: 1234567.5, g: 0.00001 }), 'map[f:1.2345675e+06 g:1e-05]');
});

describe('[]byte fields (Secret.data, ConfigMap.binaryData, caBundle, CSR request)', () => {
  const SECRET = { group: '', version: 'v1', kind: 'Secret' };
  test('number into Secret data is of type []uint8', () => {
    assert.equal(decodeTypeError(SECRET, { data: { x: 1 } }), 'json: cannot unmarshal number into Go struct field Secret.data of type []uint8');
  });
  test('a string that is not base64 is the base64 error, without field context', () => {
    assert.equal(decodeTypeError(SECRET, { data: { x: 'not base64!' } }), 'illegal base64 data at input byte 3');
    assert.equal(decodeTypeError(CM, { binaryData: { x: 'aGVsbG8' } }), 'illegal base64 data at input byte 4');
    assert.equal(decodeTypeError(SECRET, { data: { x: 'aGVsbG8=' }, stringData: { y: 'not base64' } }), undefined);
  });
  test('encoding/base64 StdEncoding CorruptInputError offsets', () => {
    const cases: [string, number | undefined][] = [
      ['aGVsbG8=', undefined], ['', undefined], ['aGVs\nbG8=', undefined], ['ab==', undefined], ['abc=', undefined],
      ['a', 0], ['abc', 0], ['a===', 1], ['aGk=x', 4], ['aGVsbG8', 4], ['ab=', 3],
    ];
    for (const [s, want] of cases) assert.equal(base64CorruptOffset(s), want, JSON.stringify(s));
  });
  test('strategic merge patch: the unstructured converter', () => {
    assert.equal(decodeTypeError(SECRET, { data: { x: 1 } }, 'unstructured'), 'cannot restore slice from int64');
    assert.equal(decodeTypeError(SECRET, { data: { x: '!!' } }, 'unstructured'), 'illegal base64 data at input byte 0');
  });
});
