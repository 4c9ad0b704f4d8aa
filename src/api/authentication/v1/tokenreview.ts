/**
 * authentication.k8s.io/v1 TokenReview: create-only, never stored; the apiserver authenticates
 * `spec.token` for `spec.audiences` and fills `status` (src/apiserver/auth/serviceaccount/
 * token-review.ts), as upstream pkg/registry/authentication/tokenreview.
 */
import type { Strategy } from '../../resource-types.ts';
import { simpleStrategy } from '../../common/strategy.ts';

/** Strategy of TokenReview (checks are done by the review handler). */
export const tokenReviewStrategy: Strategy = simpleStrategy({ validate: () => [], validateUpdate: () => [] });
