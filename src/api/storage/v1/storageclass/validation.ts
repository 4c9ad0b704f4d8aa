/**
 * StorageClass validation, after upstream pkg/apis/storage/validation (ValidateStorageClass,
 * ValidateStorageClassUpdate): name a DNS subdomain; `provisioner` required and a qualified name;
 * parameters with non-empty keys, at most 512 entries and 256 KiB in total; `reclaimPolicy` Delete
 * or Retain; `volumeBindingMode` required, Immediate or WaitForFirstConsumer. On update
 * `parameters`, `provisioner` and `reclaimPolicy` are forbidden to change (`updates to … are
 * forbidden.`) and `volumeBindingMode` is immutable.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, required, tooLong, type FieldError } from '../../../../machinery/errors.ts';
import {
  isQualifiedName,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';

const reclaimPolicies = ['Delete', 'Retain'];
const bindingModes = ['Immediate', 'WaitForFirstConsumer'];
const maxProvisionerParameterSize = 256 * (1 << 10);
const maxProvisionerParameterLen = 512;

/** `ValidateStorageClass`. */
export function validateStorageClass(sc: KubeObject): FieldError[] {
  const o = sc as KubeObject & Record<string, any>;
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain, 'metadata');
  const prov = String(o.provisioner ?? '');
  const pp = FieldPath.root('provisioner');
  if (!prov) errs.push(required(pp, ''));
  else for (const m of isQualifiedName(prov.toLowerCase())) errs.push(invalid(pp, prov, m));
  const params = rec(o.parameters);
  const keys = Object.keys(params);
  const paramPath = FieldPath.root('parameters');
  if (keys.length > maxProvisionerParameterLen) errs.push(tooLong(paramPath, keys.length, maxProvisionerParameterLen));
  let size = 0;
  for (const k of keys) {
    if (!k) errs.push(invalid(paramPath, k, 'field can not be empty.'));
    size += k.length + String(params[k]).length;
  }
  if (size > maxProvisionerParameterSize) errs.push(tooLong(paramPath, '', maxProvisionerParameterSize));
  if (o.reclaimPolicy && !reclaimPolicies.includes(o.reclaimPolicy)) errs.push(notSupported(FieldPath.root('reclaimPolicy'), o.reclaimPolicy, reclaimPolicies));
  const vbm = o.volumeBindingMode;
  if (!vbm) errs.push(required(FieldPath.root('volumeBindingMode'), ''));
  else if (!bindingModes.includes(vbm)) errs.push(notSupported(FieldPath.root('volumeBindingMode'), vbm, bindingModes));
  return errs;
}

/** `ValidateStorageClassUpdate`. */
export function validateStorageClassUpdate(sc: KubeObject, old: KubeObject): FieldError[] {
  const n = sc as KubeObject & Record<string, any>;
  const o = old as KubeObject & Record<string, any>;
  const errs = [...validateObjectMetaUpdate(sc.metadata, old.metadata, 'metadata'), ...validateStorageClass(sc)];
  if (!semanticDeepEqual(n.parameters ?? {}, o.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (n.provisioner !== o.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (n.reclaimPolicy !== o.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...validateImmutableField(n.volumeBindingMode, o.volumeBindingMode, 'volumeBindingMode'));
  return errs;
}
