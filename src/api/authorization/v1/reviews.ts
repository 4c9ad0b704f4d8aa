/**
 * authorization.k8s.io/v1 review kinds (SubjectAccessReview, SelfSubjectAccessReview,
 * LocalSubjectAccessReview, SelfSubjectRulesReview): create-only, never stored; the apiserver
 * answers them in src/apiserver/auth/rbac/reviews.ts. Validation after upstream
 * pkg/apis/authorization/validation/validation.go.
 */
import type { KubeObject } from '../../../client/interface.ts';
import { invalid, required, type FieldError } from '../../../machinery/errors.ts';
import type { Strategy } from '../../resource-types.ts';
import { simpleStrategy } from '../../common/strategy.ts';
import { rec } from '../../common/meta.ts';

function attributesErrors(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const hasRes = spec.resourceAttributes !== undefined && spec.resourceAttributes !== null;
  const hasNonRes = spec.nonResourceAttributes !== undefined && spec.nonResourceAttributes !== null;
  if (hasRes && hasNonRes) errs.push(invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
  if (!hasRes && !hasNonRes) errs.push(invalid('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  return errs;
}

/** `ValidateSelfSubjectAccessReview`: exactly one of resourceAttributes / nonResourceAttributes. */
export function validateSelfSubjectAccessReview(obj: KubeObject): FieldError[] {
  return attributesErrors(rec((obj as Record<string, unknown>).spec));
}

/** `ValidateSubjectAccessReview` (and the local variant): attributes as above, plus a user or a group. */
export function validateSubjectAccessReview(obj: KubeObject): FieldError[] {
  const spec = rec((obj as Record<string, unknown>).spec);
  const errs = attributesErrors(spec);
  if (!spec.user && !(Array.isArray(spec.groups) && spec.groups.length)) errs.push(invalid('spec.user', String(spec.user ?? ''), 'at least one of user or group must be specified'));
  return errs;
}

/** `ValidateSelfSubjectRulesReview`: spec.namespace is optional (all namespaces' cluster-wide rules when empty). */
export function validateSelfSubjectRulesReview(obj: KubeObject): FieldError[] {
  const spec = (obj as Record<string, unknown>).spec;
  return spec === undefined || spec === null || typeof spec === 'object' ? [] : [required('spec', '')];
}

/** Strategy of SubjectAccessReview / LocalSubjectAccessReview. */
export const subjectAccessReviewStrategy: Strategy = simpleStrategy({ validate: validateSubjectAccessReview, validateUpdate: validateSubjectAccessReview });
/** Strategy of SelfSubjectAccessReview. */
export const selfSubjectAccessReviewStrategy: Strategy = simpleStrategy({ validate: validateSelfSubjectAccessReview, validateUpdate: validateSelfSubjectAccessReview });
/** Strategy of SelfSubjectRulesReview. */
export const selfSubjectRulesReviewStrategy: Strategy = simpleStrategy({ validate: validateSelfSubjectRulesReview, validateUpdate: validateSelfSubjectRulesReview });
