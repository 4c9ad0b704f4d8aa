/** DefaultStorageClass admission (plugin/pkg/admission/storage/storageclass/setdefault). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../client/interface.ts';
import { findResource } from '../../api/resource-table.ts';
import { DefaultStorageClass, getDefaultClass } from './default-storage-class.ts';
import type { AdmissionAttributes } from './interface.ts';

const sc = (name: string, created: string, def: string | undefined, beta = false): KubeObject => ({
  metadata: {
    name, creationTimestamp: created,
    annotations: def === undefined ? {} : { [beta ? 'storageclass.beta.kubernetes.io/is-default-class' : 'storageclass.kubernetes.io/is-default-class']: def },
  },
});
const pvcRI = findResource('', 'v1', 'persistentvolumeclaims')!;
const attrs = (obj: KubeObject, operation: AdmissionAttributes['operation'] = 'CREATE', subresource = ''): AdmissionAttributes => ({
  operation, resource: pvcRI, subresource, namespace: 'default', name: 'c', object: obj, user: 'u', dryRun: false,
});
const claim = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>): KubeObject => ({ metadata: { name: 'c', annotations }, spec: { ...spec } });

test('getDefaultClass: only "true" counts; the newest default wins', () => {
  assert.equal(getDefaultClass([sc('a', '2024-01-01T00:00:00Z', 'false'), sc('b', '2024-01-01T00:00:00Z', undefined)]), undefined);
  assert.equal(getDefaultClass([sc('old', '2024-01-01T00:00:00Z', 'true'), sc('new', '2024-02-01T00:00:00Z', 'true', true), sc('x', '2024-03-01T00:00:00Z', 'false')])?.metadata?.name, 'new');
});

test('admit: a claim without a class gets the default; explicit classes, the beta annotation, updates and no default are untouched', async () => {
  const plugin = new DefaultStorageClass(async () => [sc('local-path', '2024-01-01T00:00:00Z', 'true'), sc('gold', '2024-01-01T00:00:00Z', undefined)]);
  const c1 = claim();
  await plugin.admit(attrs(c1));
  assert.equal((c1.spec as any).storageClassName, 'local-path');
  const c2 = claim({ storageClassName: '' });
  await plugin.admit(attrs(c2));
  assert.equal((c2.spec as any).storageClassName, '', 'empty string asks for no class');
  const c3 = claim({ storageClassName: 'gold' });
  await plugin.admit(attrs(c3));
  assert.equal((c3.spec as any).storageClassName, 'gold');
  const c4 = claim({}, { 'volume.beta.kubernetes.io/storage-class': 'gold' });
  await plugin.admit(attrs(c4));
  assert.equal((c4.spec as any).storageClassName, undefined);
  const c5 = claim();
  await plugin.admit(attrs(c5, 'UPDATE'));
  assert.equal((c5.spec as any).storageClassName, undefined);
  const none = new DefaultStorageClass(async () => [sc('gold', '2024-01-01T00:00:00Z', undefined)]);
  const c6 = claim();
  await none.admit(attrs(c6));
  assert.equal((c6.spec as any).storageClassName, undefined);
});
