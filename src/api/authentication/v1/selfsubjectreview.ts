/**
 * authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): create-only, never stored;
 * the apiserver fills `status.userInfo` with the requester (src/apiserver/auth/rbac/reviews.ts),
 * as upstream pkg/registry/authentication/selfsubjectreview.
 */
import type { Strategy } from '../../resource-types.ts';
import { simpleStrategy } from '../../common/strategy.ts';

/** Strategy of SelfSubjectReview (no validation: spec is empty). */
export const selfSubjectReviewStrategy: Strategy = simpleStrategy({ validate: () => [], validateUpdate: () => [] });
