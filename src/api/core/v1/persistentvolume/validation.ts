/**
 * PersistentVolume validation, after upstream pkg/apis/core/validation
 * (ValidatePersistentVolume, ValidatePersistentVolumeSpec, ValidatePersistentVolumeUpdate,
 * ValidatePersistentVolumeStatusUpdate): name a DNS subdomain; accessModes required and supported;
 * `capacity` required with only `storage`; a supported reclaim policy; exactly one volume source
 * (hostPath/local/nfs/csi/…); `local` needs a path and node affinity; storageClassName a DNS
 * subdomain; on update the volume source, volumeMode and a set nodeAffinity are immutable.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  fieldImmutableErrorMsg,
  isDNS1123Subdomain,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { errFormatWrong, tryParseQuantity } from '../../../../machinery/quantity.ts';
import { arr, rec, semanticDeepEqual } from '../../../common/meta.ts';
import { validateAccessModes } from './helpers.ts';

const specPath = FieldPath.root('spec');

/** PersistentVolume source fields (the members of PersistentVolumeSource). */
export const PersistentVolumeSources = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs',
  'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk',
  'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi',
];

const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const volumeModes = ['Block', 'Filesystem'];

/** The names of the volume sources set in a PV spec. */
export function persistentVolumeSourcesOf(spec: Record<string, any>): string[] {
  return PersistentVolumeSources.filter((k) => spec[k] !== undefined && spec[k] !== null);
}

/** `validateStorageClassName`-style check: a DNS subdomain when non-empty. */
export function validateClassName(name: unknown, path: FieldPath): FieldError[] {
  const s = String(name ?? '');
  if (!s) return [];
  return isDNS1123Subdomain(s).map((m) => invalid(path, s, m));
}

/**
 * `ValidatePersistentVolumeSpec`.
 * @returns every error with upstream's field path.
 */
export function validatePersistentVolumeSpec(specIn: unknown, path: FieldPath = specPath): FieldError[] {
  const spec = rec(specIn);
  const errs = validateAccessModes(spec.accessModes, path.child('accessModes'), '');
  const cap = rec(spec.capacity);
  const capKeys = Object.keys(cap);
  if (capKeys.length === 0) errs.push(required(path.child('capacity'), ''));
  for (const k of capKeys) {
    if (k !== 'storage') {
      errs.push(notSupported(path.child('capacity'), k, ['storage']));
      continue;
    }
    const q = tryParseQuantity(String(cap[k]));
    if (!q) errs.push(invalid(path.child('capacity').key(k), cap[k], errFormatWrong));
    else if (q.sign() < 0) errs.push(invalid(path.child('capacity').key(k), cap[k], 'must be greater than or equal to 0'));
  }
  const rp = spec.persistentVolumeReclaimPolicy;
  if (rp && !reclaimPolicies.includes(rp)) errs.push(notSupported(path.child('persistentVolumeReclaimPolicy'), rp, reclaimPolicies));
  errs.push(...validateClassName(spec.storageClassName, path.child('storageClassName')));
  if (spec.volumeMode && !volumeModes.includes(spec.volumeMode)) errs.push(notSupported(path.child('volumeMode'), spec.volumeMode, volumeModes));
  const sources = persistentVolumeSourcesOf(spec);
  if (sources.length === 0) errs.push(required(path, 'must specify a volume type'));
  sources.slice(1).forEach((s) => errs.push(forbidden(path.child(s), 'may not specify more than 1 volume type')));
  if (spec.hostPath) {
    const p = String(rec(spec.hostPath).path ?? '');
    if (!p) errs.push(required(path.child('hostPath', 'path'), ''));
    else if (p.split('/').includes('..')) errs.push(invalid(path.child('hostPath', 'path'), p, "must not contain '..'"));
  }
  if (spec.local) {
    const p = String(rec(spec.local).path ?? '');
    if (!p) errs.push(required(path.child('local', 'path'), ''));
    else if (p.split('/').includes('..')) errs.push(invalid(path.child('local', 'path'), p, "must not contain '..'"));
    if (!rec(spec.nodeAffinity).required) errs.push(required(path.child('nodeAffinity'), 'Local volume requires node affinity'));
  }
  if (spec.nfs) {
    if (!rec(spec.nfs).server) errs.push(required(path.child('nfs', 'server'), ''));
    if (!rec(spec.nfs).path) errs.push(required(path.child('nfs', 'path'), ''));
  }
  const na = spec.nodeAffinity;
  if (na) {
    const req = rec(na).required;
    if (req !== undefined && arr(rec(req).nodeSelectorTerms).length === 0) {
      errs.push(required(path.child('nodeAffinity', 'required', 'nodeSelectorTerms'), 'must have at least one node selector term'));
    }
  }
  const cr = spec.claimRef;
  if (cr) {
    if (!rec(cr).name) errs.push(required(path.child('claimRef', 'name'), ''));
    if (!rec(cr).namespace) errs.push(required(path.child('claimRef', 'namespace'), ''));
  }
  return errs;
}

/** `ValidatePersistentVolume`: metadata (cluster-scoped, DNS-subdomain name) plus the spec. */
export function validatePersistentVolume(pv: KubeObject): FieldError[] {
  return [...validateObjectMeta(pv.metadata, false, nameIsDNSSubdomain, 'metadata'), ...validatePersistentVolumeSpec(pv.spec)];
}

/**
 * `ValidatePersistentVolumeUpdate`: the new object valid; the volume source immutable
 * (`spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation`),
 * volumeMode immutable, and nodeAffinity immutable once set.
 */
export function validatePersistentVolumeUpdate(pv: KubeObject, old: KubeObject): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pv.metadata, old.metadata, 'metadata'), ...validatePersistentVolumeSpec(pv.spec)];
  const ns = rec(pv.spec);
  const os = rec(old.spec);
  const src = (s: Record<string, any>) => Object.fromEntries(persistentVolumeSourcesOf(s).map((k) => [k, s[k]]));
  if (!semanticDeepEqual(src(ns), src(os))) {
    errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  if ((ns.volumeMode ?? '') !== (os.volumeMode ?? '')) errs.push(invalid(specPath.child('volumeMode'), ns.volumeMode, fieldImmutableErrorMsg));
  if (os.nodeAffinity && !semanticDeepEqual(ns.nodeAffinity, os.nodeAffinity)) {
    errs.push(invalid(specPath.child('nodeAffinity'), ns.nodeAffinity, fieldImmutableErrorMsg));
  }
  return errs;
}

/** `ValidatePersistentVolumeStatusUpdate`: metadata update rules and a known phase. */
export function validatePersistentVolumeStatusUpdate(pv: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pv.metadata, old.metadata, 'metadata');
  const phase = rec(pv.status).phase;
  const phases = ['Available', 'Bound', 'Failed', 'Pending', 'Released'];
  if (phase && !phases.includes(phase)) errs.push(notSupported(FieldPath.root('status').child('phase'), phase, phases));
  return errs;
}
