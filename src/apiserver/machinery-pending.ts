/**
 * TEMPORARY stand-in until src/machinery/merge-patch.ts lands
 * (helper B); machinery-real.ts switches to them then and this file is deleted.
 */
import { strategicMergePatch, type JSONMap } from '../machinery/strategic-merge-patch.ts';

/** RFC 7386 via the strategic merge patch with no schema (same semantics for plain maps/lists). */
export function mergePatchImpl(original: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  return strategicMergePatch((original && typeof original === 'object' && !Array.isArray(original) ? original : {}) as JSONMap, patch as JSONMap, undefined);
}
