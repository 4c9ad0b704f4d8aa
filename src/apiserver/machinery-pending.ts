/**
 * TEMPORARY stand-ins until src/machinery/fields.ts and src/machinery/merge-patch.ts land
 * (helper B); machinery-real.ts switches to them then and this file is deleted.
 */
import { strategicMergePatch, type JSONMap } from '../machinery/strategic-merge-patch.ts';
import type { FieldSelectorMatcher } from './machinery-deps.ts';

/** Minimal `fields.ParseSelector` (`a=b`, `a==b`, `a!=b`, comma-separated). */
export function parseFieldSelector(selector: string): FieldSelectorMatcher {
  const reqs: Array<{ field: string; op: '=' | '!='; value: string }> = [];
  for (const part of selector.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(p);
    if (!m) throw new Error(`invalid selector: '${selector}'; can't understand '${p}'`);
    reqs.push({ field: m[1].trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() });
  }
  return {
    fields: reqs.map((r) => r.field),
    matches: (attrs) => reqs.every((r) => ((attrs[r.field] ?? '') === r.value) === (r.op === '=')),
  };
}

/** RFC 7386 via the strategic merge patch with no schema (same semantics for plain maps/lists). */
export function mergePatchImpl(original: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  return strategicMergePatch((original && typeof original === 'object' && !Array.isArray(original) ? original : {}) as JSONMap, patch as JSONMap, undefined);
}
