/** Secret validation, after upstream ValidateSecret / ValidateSecretUpdate (pkg/apis/core/validation). */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, required, tooLong, type FieldError } from '../../../../machinery/errors.ts';
import {
  isConfigMapKey,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';
import { MaxSecretSize } from '../configmap/validation.ts';

const decoded = (v: unknown): Buffer => Buffer.from(String(v ?? ''), 'base64');

/**
 * `ValidateSecret`: name, data keys (errors at `data[key]`), total size ≤ 1 MiB, and the
 * per-type required keys (service-account-token annotation, .dockercfg, .dockerconfigjson
 * (valid JSON), basic-auth username/password, ssh-privatekey, tls.crt/tls.key).
 */
export function validateSecret(secret: KubeObject): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, true, nameIsDNSSubdomain, 'metadata');
  const dataPath = FieldPath.root('data');
  const data = rec(secret.data);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(dataPath.key(k), k, m));
    total += decoded(v).length;
  }
  if (total > MaxSecretSize) errs.push(tooLong(dataPath, '', MaxSecretSize));
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  const json = (k: string) => {
    if (!has(k)) {
      errs.push(required(dataPath.key(k), ''));
      return;
    }
    try {
      const v = JSON.parse(decoded(data[k]).toString('utf8'));
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
    } catch (e) {
      errs.push(invalid(dataPath.key(k), '<secret contents redacted>', (e as Error).message));
    }
  };
  switch (secret.type) {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(FieldPath.root('metadata').child('annotations').key('kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
      json('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      json('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(dataPath.key('username'), ''));
        errs.push(required(dataPath.key('password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (decoded(data['ssh-privatekey']).length === 0) errs.push(required(dataPath.key('ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(dataPath.key('tls.crt'), ''));
      if (!has('tls.key')) errs.push(required(dataPath.key('tls.key'), ''));
      break;
    default:
      break;
  }
  return errs;
}

/** `ValidateSecretUpdate`: ObjectMeta update rules, `type` immutable, `immutable: true` freezes data. */
export function validateSecretUpdate(secret: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(secret.metadata, old.metadata, 'metadata');
  errs.push(...validateImmutableField(secret.type ?? '', old.type ?? '', 'type'));
  if (old.immutable === true) {
    const msg = 'field is immutable when `immutable` is set';
    if (secret.immutable !== true) errs.push(forbidden('immutable', msg));
    if (!semanticDeepEqual(secret.data, old.data)) errs.push(forbidden('data', msg));
  }
  errs.push(...validateSecret(secret));
  return errs;
}
