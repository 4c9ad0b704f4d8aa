/**
 * PodTemplate validation, after upstream pkg/apis/core/validation ValidatePodTemplate /
 * ValidatePodTemplateUpdate: name a DNS subdomain, `template` validated as a pod template spec
 * (labels, annotations, the pod spec at `template.spec`).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, type FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { validatePodTemplateSpec } from '../../../common/pod-spec-validation.ts';

/** `ValidatePodTemplate`. */
export function validatePodTemplate(pt: KubeObject): FieldError[] {
  return [...validateObjectMeta(pt.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validatePodTemplateSpec(pt.template, FieldPath.root('template'))];
}

/** `ValidatePodTemplateUpdate`: ObjectMeta update rules and the template again. */
export function validatePodTemplateUpdate(pt: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(pt.metadata, old.metadata, 'metadata'), ...validatePodTemplateSpec(pt.template, FieldPath.root('template'))];
}
