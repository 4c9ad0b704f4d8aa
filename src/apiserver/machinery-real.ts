/**
 * Binds {@link MachineryDeps} to src/machinery: label selectors (labels.ts), field selectors
 * (fields.ts), JSON merge patch (merge-patch.ts), strategic merge patch (strategic-merge-patch.ts
 * + patch-meta.ts) and ObjectMeta validation (validation.ts). Parse errors become 400 BadRequest
 * Status errors, as upstream's handlers report them.
 */
import { StatusError, newBadRequest } from '../machinery/errors.ts';
import * as labels from '../machinery/labels.ts';
import { strategicMergePatch, StrategicMergePatchError, type JSONMap } from '../machinery/strategic-merge-patch.ts';
import { patchMetaFor } from '../machinery/patch-meta.ts';
import { validateObjectMeta, validateObjectMetaUpdate, validatePathSegmentName } from '../machinery/validation.ts';
import type { KubeObject } from '../client/interface.ts';
import type { MachineryDeps, FieldSelectorMatcher } from './machinery-deps.ts';
import { parseFieldSelector } from '../machinery/fields.ts';
import { mergePatch } from '../machinery/merge-patch.ts';

function badRequest(err: unknown): never {
  if (err instanceof StatusError) throw err;
  throw newBadRequest(err instanceof Error ? err.message : String(err));
}

/** The real machinery bindings. */
export function realMachinery(): MachineryDeps {
  return {
    labelSelector(selector: string) {
      let sel: labels.Selector;
      try {
        sel = labels.parse(selector);
      } catch (err) {
        badRequest(err);
      }
      return (l: Record<string, string>) => sel.matches(l);
    },
    fieldSelector(selector: string): FieldSelectorMatcher {
      try {
        const sel = parseFieldSelector(selector);
        return { fields: sel.requirements().map((r) => r.field), matches: (attrs: Record<string, string>) => sel.matches(attrs) };
      } catch (err) {
        badRequest(err);
      }
    },
    formatLabelSelector(sel: unknown): string {
      return labels.formatLabelSelector(sel as labels.Selector & Parameters<typeof labels.formatLabelSelector>[0]);
    },
    mergePatch(original: unknown, patch: unknown): unknown {
      try {
        return mergePatch(original, patch);
      } catch (err) {
        badRequest(err);
      }
    },
    strategicMergePatch(original: KubeObject, patch: unknown, apiVersion: string, kind: string): KubeObject {
      try {
        return strategicMergePatch(original as JSONMap, patch as JSONMap, patchMetaFor(apiVersion, kind)) as KubeObject;
      } catch (err) {
        if (err instanceof StrategicMergePatchError) throw newBadRequest(err.message);
        badRequest(err);
      }
    },
    hasPatchMeta(apiVersion: string, kind: string): boolean {
      return patchMetaFor(apiVersion, kind) !== undefined;
    },
    validateObjectMeta(obj: KubeObject, namespaced: boolean) {
      return validateObjectMeta(obj.metadata as Parameters<typeof validateObjectMeta>[0], namespaced, validatePathSegmentName, 'metadata');
    },
    validateObjectMetaUpdate(obj: KubeObject, old: KubeObject) {
      return validateObjectMetaUpdate(obj.metadata as Parameters<typeof validateObjectMetaUpdate>[0], old.metadata as Parameters<typeof validateObjectMetaUpdate>[1], 'metadata');
    },
  };
}
