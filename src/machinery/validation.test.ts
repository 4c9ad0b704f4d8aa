import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from './testdata.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isDNS1035Label,
  isQualifiedName,
  isValidLabelValue,
  isValidPortNum,
  isValidPortName,
  isValidIP,
  isValidCIDR,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateLabelSelector,
  validateAnnotations,
} from './validation.ts';
import { fieldErrorString } from './errors.ts';

const file = loadCases('labels-selectors.json');

describe('label keys and values (shared/cases/labels-selectors.json)', () => {
  for (const c of file.cases.filter((c) => c.kind === 'labelKey')) {
    test(`${c.id} isQualifiedName(${JSON.stringify(c.value).slice(0, 40)}) valid=${c.valid}`, () => {
      assert.equal(isQualifiedName(c.value).length === 0, c.valid);
    });
  }
  for (const c of file.cases.filter((c) => c.kind === 'labelValue')) {
    test(`${c.id} isValidLabelValue(${JSON.stringify(c.value).slice(0, 40)}) valid=${c.valid}`, () => {
      assert.equal(isValidLabelValue(c.value).length === 0, c.valid);
    });
  }
});

describe('upstream messages', () => {
  test('DNS-1123 label', () => {
    assert.deepEqual(isDNS1123Label('my-name'), []);
    assert.deepEqual(isDNS1123Label('My'), [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
    assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  });
  test('DNS-1123 subdomain', () => {
    assert.deepEqual(isDNS1123Subdomain('example.com'), []);
    assert.deepEqual(isDNS1123Subdomain('Example'), [
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    assert.equal(isDNS1123Subdomain('a'.repeat(254))[0], 'must be no more than 253 characters');
  });
  test('DNS-1035 label', () => {
    assert.deepEqual(isDNS1035Label('abc-123'), []);
    assert.deepEqual(isDNS1035Label('1abc'), [
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });
  test('qualified name with prefix', () => {
    assert.deepEqual(isQualifiedName('example.com/'), [
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    assert.equal(isQualifiedName('/a')[0], 'prefix part must be non-empty');
  });
  test('ports and IPs', () => {
    assert.deepEqual(isValidPortNum(80), []);
    assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
    assert.deepEqual(isValidPortName('http'), []);
    assert.deepEqual(isValidPortName('12'), ['must contain at least one letter (a-z)']);
    assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
    assert.deepEqual(isValidIP('10.9.8.7'), []);
    assert.deepEqual(isValidIP('2001:db8::ffff'), []);
    assert.deepEqual(isValidIP('10.9.8'), ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    assert.deepEqual(isValidCIDR('10.9.8.0/24'), []);
    assert.deepEqual(isValidCIDR('2001:db8::/64'), []);
    assert.deepEqual(isValidCIDR('10.9.8.0/33'), ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
  });
});

describe('validateObjectMeta', () => {
  test('name required unless generateName', () => {
    const errs = validateObjectMeta({ namespace: 'default' }, true, nameIsDNSSubdomain, 'metadata');
    assert.deepEqual(errs.map(fieldErrorString), ['metadata.name: Required value: name or generateName is required']);
    assert.deepEqual(validateObjectMeta({ generateName: 'web-', namespace: 'default' }, true, nameIsDNSSubdomain), []);
  });
  test('invalid name, namespace required/forbidden, labels', () => {
    const errs = validateObjectMeta({ name: 'Bad_Name', labels: { 'a b': 'x' } }, true, nameIsDNSSubdomain);
    const fields = errs.map((e) => `${e.type} ${e.field}`);
    assert.deepEqual(fields, [
      'FieldValueInvalid metadata.name',
      'FieldValueRequired metadata.namespace',
      'FieldValueInvalid metadata.labels',
    ]);
    const cluster = validateObjectMeta({ name: 'n1', namespace: 'x' }, false, nameIsDNSSubdomain);
    assert.deepEqual(cluster.map(fieldErrorString), ['metadata.namespace: Forbidden: not allowed on this type']);
  });
  test('annotations size limit', () => {
    const errs = validateAnnotations({ a: 'x'.repeat(256 * 1024) }, 'metadata.annotations');
    assert.deepEqual(errs.map(fieldErrorString), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
  });
  test('ownerReferences: one controller', () => {
    const refs = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
    ];
    const errs = validateObjectMeta({ name: 'p', namespace: 'd', ownerReferences: refs }, true, nameIsDNSSubdomain);
    assert.equal(errs.length, 1);
    assert.match(errs[0].detail ?? '', /Only one reference can have Controller set to true/);
  });
  test('update: immutable fields', () => {
    const old = { name: 'a', namespace: 'd', uid: 'u1', resourceVersion: '5', creationTimestamp: '2024-01-01T00:00:00Z' };
    const errs = validateObjectMetaUpdate({ ...old, name: 'b', uid: 'u2' }, old);
    assert.deepEqual(errs.map(fieldErrorString), [
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
    assert.deepEqual(validateObjectMetaUpdate({ ...old, labels: { x: 'y' } }, old), []);
  });
});

describe('validateLabelSelector', () => {
  test('operators and values', () => {
    const errs = validateLabelSelector(
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'a', operator: 'In', values: [] },
          { key: 'b', operator: 'Exists', values: ['x'] },
          { key: 'c', operator: 'Foo' },
        ],
      },
      'spec.selector',
    );
    assert.deepEqual(errs.map(fieldErrorString), [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Foo": not a valid selector operator',
    ]);
    assert.deepEqual(validateLabelSelector(null, 'spec.selector'), []);
  });
});
