/** ConfigMap validation, after upstream ValidateConfigMap / ValidateConfigMapUpdate (pkg/apis/core/validation). */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, tooLong, type FieldError } from '../../../../machinery/errors.ts';
import { isConfigMapKey, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';

/** `core.MaxSecretSize`: 1 MiB, the limit of ConfigMap and Secret payloads (bytes). */
export const MaxSecretSize = 1 * 1024 * 1024;

/**
 * `ValidateConfigMap`: name a DNS subdomain; data/binaryData keys valid config keys (errors at
 * `data[key]`), no key in both (`duplicate of key present in binaryData`), total size ≤ 1 MiB.
 */
export function validateConfigMap(cm: KubeObject): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain, 'metadata');
  const data = rec(cm.data);
  const binary = rec(cm.binaryData);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    const p = FieldPath.root('data').key(k);
    for (const m of isConfigMapKey(k)) errs.push(invalid(p, k, m));
    if (k in binary) errs.push(invalid(p, k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(String(v ?? ''), 'utf8');
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(FieldPath.root('binaryData').key(k), k, m));
    total += Buffer.from(String(v ?? ''), 'base64').length;
  }
  if (total > MaxSecretSize) errs.push(tooLong('', '', MaxSecretSize));
  return errs;
}

/** `ValidateConfigMapUpdate`: ObjectMeta update rules; with `immutable: true` nothing in data/binaryData/immutable may change. */
export function validateConfigMapUpdate(cm: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata, 'metadata');
  if (old.immutable === true) {
    const msg = 'field is immutable when `immutable` is set';
    if (cm.immutable !== true) errs.push(forbidden('immutable', msg));
    if (!semanticDeepEqual(cm.data, old.data)) errs.push(forbidden('data', msg));
    if (!semanticDeepEqual(cm.binaryData, old.binaryData)) errs.push(forbidden('binaryData', msg));
  }
  errs.push(...validateConfigMap(cm));
  return errs;
}
