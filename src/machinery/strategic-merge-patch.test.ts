import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from './testdata.ts';
import {
  strategicMergePatch,
  strategicMergePatchJSON,
  StrategicMergePatchError,
  createTwoWayMergePatch,
  createThreeWayMergePatch,
  StrategicMergePatchConflictError,
} from './strategic-merge-patch.ts';
import { mergeItemSchema, patchMetaFor, type PatchSchema } from './patch-meta.ts';

const { cases } = loadCases('strategic-merge-patch.json');

/** Upstream's tests apply patches to JSON bytes (StrategicMergePatch), so the byte-level entry point is used. */
function apply(original: unknown, patch: unknown, schema: PatchSchema): unknown {
  return JSON.parse(strategicMergePatchJSON(JSON.stringify(original), JSON.stringify(patch), schema));
}

function schemaFor(name: string): PatchSchema {
  if (name === 'mergeItem') return mergeItemSchema;
  if (name === 'core/v1 Pod') return patchMetaFor('v1', 'Pod')!;
  if (name === 'core/v1 PodTemplateSpec (via Deployment)') return patchMetaFor('apps/v1', 'Deployment')!;
  throw new Error(`no schema for ${name}`);
}

describe('strategic-merge-patch.json', () => {
  for (const c of cases) {
    const schema = schemaFor(c.schema);
    if (c.kind === 'apply') {
      test(`${c.id} apply: ${c.name}`, () => {
        if (c.expectError) {
          assert.throws(
            () => apply(c.original, c.patch, schema),
            (e: unknown) => e instanceof StrategicMergePatchError && e.message.includes(c.expectError),
          );
        } else {
          assert.deepEqual(apply(c.original, c.patch, schema), c.expected);
        }
      });
    } else if (c.kind === 'twoWayAndThreeWay') {
      test(`${c.id} two-way patch creation: ${c.name}`, () => {
        assert.deepEqual(createTwoWayMergePatch(c.original, c.modified, schema), c.expectedTwoWayPatch);
      });
      test(`${c.id} three-way patch creation: ${c.name}`, () => {
        assert.deepEqual(createThreeWayMergePatch(c.original, c.modified, c.current, schema, true), c.expectedThreeWayPatch);
        if (c.conflictWithoutOverwrite) {
          assert.throws(() => createThreeWayMergePatch(c.original, c.modified, c.current, schema, false), StrategicMergePatchConflictError);
        } else {
          assert.deepEqual(createThreeWayMergePatch(c.original, c.modified, c.current, schema, false), c.expectedThreeWayPatch);
        }
      });
      test(`${c.id} two-way patch applies: ${c.name}`, () => {
        assert.deepEqual(apply(c.original, c.expectedTwoWayPatch, schema), c.expectedTwoWayResult);
      });
      test(`${c.id} three-way patch applies: ${c.name}`, () => {
        assert.deepEqual(apply(c.current, c.expectedThreeWayPatch, schema), c.expectedThreeWayResult);
      });
    } else {
      test(`${c.id} unknown kind`, () => assert.fail(`unknown case kind ${c.kind}`));
    }
  }
});

describe('strategicMergePatch extras', () => {
  test('does not mutate its inputs', () => {
    const original = { mergingList: [{ name: 1, value: 'a' }] };
    const patch = { mergingList: [{ name: 1, value: 'b' }] };
    const o = JSON.stringify(original);
    const p = JSON.stringify(patch);
    strategicMergePatch(original, patch, mergeItemSchema);
    assert.equal(JSON.stringify(original), o);
    assert.equal(JSON.stringify(patch), p);
  });
  test('JSON entry point rejects bad JSON', () => {
    assert.throws(() => strategicMergePatchJSON('{', '{}', mergeItemSchema), /invalid JSON document/);
    assert.equal(strategicMergePatchJSON('{"a":1}', '{"b":2}', mergeItemSchema), '{"a":1,"b":2}');
  });
  test('$retainKeys drops keys not listed', () => {
    const dep = patchMetaFor('apps/v1', 'Deployment');
    const out = strategicMergePatch(
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      dep,
    );
    assert.deepEqual(out, { spec: { strategy: { type: 'Recreate' } } });
  });
  test('$setElementOrder sees upstream in-place list edits (deleted slot reused by an append)', () => {
    // smp-069's three-way patch through the map entry point: same result as upstream's.
    const current = { mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] };
    const patch = {
      '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }],
      mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }],
    };
    assert.deepEqual(strategicMergePatch(current, patch, mergeItemSchema), {
      mergingList: [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }],
    });
  });
  test('unknown $patch directive is an error', () => {
    assert.throws(() => strategicMergePatch({ a: { b: 1 } }, { a: { $patch: 'bogus' } }, undefined), /unknown patch type: bogus/);
  });
  test('ownerReferences merge by uid, conditions by type', () => {
    const pod = patchMetaFor('v1', 'Pod');
    const out = strategicMergePatch(
      {
        metadata: { ownerReferences: [{ uid: 'a', name: 'rs1' }] },
        status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
      },
      { metadata: { ownerReferences: [{ uid: 'b', name: 'rs2' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      pod,
    );
    assert.deepEqual(out, {
      metadata: { ownerReferences: [{ uid: 'b', name: 'rs2' }, { uid: 'a', name: 'rs1' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] },
    });
  });
});
