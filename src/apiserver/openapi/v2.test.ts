import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES } from '../../api/resource-table.ts';
import { encodeOpenAPIV2Protobuf, openAPIV2, toSwaggerSchema } from './v2.ts';

/** Minimal proto3 reader for the test: (field number, wire type, value) of one message level. */
function fields(buf: Buffer): { f: number; v: Buffer | number }[] {
  const out: { f: number; v: Buffer | number }[] = [];
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    if ((tag & 7) === 2) {
      const len = varint();
      out.push({ f: tag >> 3, v: buf.subarray(i, i + len) });
      i += len;
    } else out.push({ f: tag >> 3, v: varint() });
  }
  return out;
}

test('v3 → v2 schema: $ref under #/definitions without allOf, extensions kept', () => {
  const s = toSwaggerSchema({
    allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }],
    description: 'd',
    'x-kubernetes-patch-strategy': 'retainKeys',
  });
  assert.deepEqual(s, { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy', description: 'd', 'x-kubernetes-patch-strategy': 'retainKeys' });
});

test('gnostic Document bytes: swagger, info, definitions with properties, types, refs and vendor extensions', () => {
  const bytes = encodeOpenAPIV2Protobuf({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    definitions: {
      'a.B': { description: 'B', type: 'object', required: ['x'], properties: { x: { $ref: '#/definitions/a.C' } }, 'x-kubernetes-group-version-kind': [{ group: '', kind: 'B', version: 'v1' }] },
    },
  });
  const doc = fields(bytes);
  assert.deepEqual(doc.map((x) => x.f), [1, 2, 8, 9]);
  assert.equal(String(doc[0].v), '2.0');
  assert.deepEqual(fields(doc[1].v as Buffer).map((x) => String(x.v)), ['Kubernetes', 'v1.32.0']);
  const named = fields(fields(doc[3].v as Buffer)[0].v as Buffer); // Definitions.additional_properties[0] = NamedSchema
  assert.equal(String(named[0].v), 'a.B');
  const schema = fields(named[1].v as Buffer);
  const byField = (n: number) => schema.filter((x) => x.f === n).map((x) => x.v as Buffer);
  assert.equal(String(byField(4)[0]), 'B'); // description
  assert.equal(String(byField(19)[0]), 'x'); // required
  assert.equal(String(fields(byField(22)[0])[0].v), 'object'); // TypeItem.value
  const prop = fields(fields(byField(25)[0])[0].v as Buffer); // Properties → NamedSchema
  assert.equal(String(prop[0].v), 'x');
  assert.equal(String(fields(prop[1].v as Buffer)[0].v), '#/definitions/a.C'); // Schema._ref
  const ext = fields(byField(31)[0]); // NamedAny
  assert.equal(String(ext[0].v), 'x-kubernetes-group-version-kind');
  assert.deepEqual(JSON.parse(String(fields(ext[1].v as Buffer)[0].v)), [{ group: '', kind: 'B', version: 'v1' }]); // Any.yaml
});

test('the served v2 document has the served kinds with GVKs and IntOrString as an int-or-string string', () => {
  const doc = JSON.parse(openAPIV2(RESOURCES).json);
  assert.equal(doc.swagger, '2.0');
  assert.deepEqual(doc.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.deepEqual(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
  assert.equal(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
  for (const m of openAPIV2(RESOURCES).json.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) assert.ok(doc.definitions[m[1]], `dangling ${m[1]}`);
});
