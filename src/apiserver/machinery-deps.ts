/**
 * The pieces of src/machinery the apiserver pipeline needs, behind one small interface so the
 * registry and handlers can be unit-tested with stand-ins. `realMachinery()` in
 * `machinery-real.ts` binds it to src/machinery (labels, fields, merge-patch,
 * strategic-merge-patch, validation).
 */
import type { FieldError } from '../machinery/errors.ts';
import type { KubeObject } from '../client/interface.ts';

/** A parsed field selector: the field names it references and a predicate over `getAttrs` maps. */
export interface FieldSelectorMatcher {
  /** Field names referenced, e.g. ['metadata.name', 'spec.nodeName']. */
  fields: string[];
  matches(attrs: Record<string, string>): boolean;
}

/** Machinery functions used by the apiserver. Parse failures throw StatusError 400 (BadRequest). */
export interface MachineryDeps {
  /** Parses a label selector string (`a=b,c in (x,y),!d`); returns a predicate over labels. */
  labelSelector(selector: string): (labels: Record<string, string>) => boolean;
  /** Parses a field selector string (`metadata.name=x,spec.nodeName!=y`). */
  fieldSelector(selector: string): FieldSelectorMatcher;
  /** Renders a metav1.LabelSelector as its string form (`app=web,tier in (a,b)`), as metav1.FormatLabelSelector. */
  formatLabelSelector(sel: unknown): string;
  /** RFC 7386 merge patch: returns the patched document (inputs not mutated). */
  mergePatch(original: unknown, patch: unknown): unknown;
  /**
   * Strategic merge patch for `kind` (apiVersion `apiVersion`). Returns the patched object; throws StatusError 415
   * when the kind has no patch metadata (upstream refuses SMP on CRDs), 422/400 for malformed patches.
   */
  strategicMergePatch(original: KubeObject, patch: unknown, apiVersion: string, kind: string): KubeObject;
  /** True when `strategicMergePatch` knows `kind`. */
  hasPatchMeta(apiVersion: string, kind: string): boolean;
  /** Common ObjectMeta validation (ValidateObjectMetaAccessor), after the kind's own validation. */
  validateObjectMeta(obj: KubeObject, namespaced: boolean): FieldError[];
  /** Common ObjectMeta update validation (ValidateObjectMetaAccessorUpdate); may be a no-op. */
  validateObjectMetaUpdate(obj: KubeObject, old: KubeObject): FieldError[];
}
