/**
 * Client-side → server-side apply migration for the `kubectl` manager, after
 * k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager/internal (lastappliedmanager.go:
 * allowedConflictsFromLastApplied; lastappliedupdater.go: buildLastApplied, setLastApplied).
 */
import type { KubeObject } from '../../client/interface.ts';
import { canonicalJSON, type FieldSet } from './fieldpath.ts';
import type { TypeNode } from './schema.ts';
import { compare, toFieldSet } from './typed.ts';

/** The annotation kubectl's client-side apply keeps the applied configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Upstream TotalAnnotationSizeLimitB (256 KiB). */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function lastAppliedOf(obj: KubeObject | undefined): string | undefined {
  const v = (obj?.metadata?.annotations as Record<string, string> | undefined)?.[LAST_APPLIED_ANNOTATION];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The fields an apply by `kubectl` may take over without a conflict: those of the live object's
 * last-applied configuration whose live value still equals the last-applied one (not modified,
 * added or removed since). Undefined when there is no usable annotation (wrong apiVersion,
 * unparsable, untyped), in which case the conflicts stand.
 */
export function allowedConflictsFromLastApplied(live: Record<string, unknown>, apiVersion: string, schema: TypeNode | undefined): FieldSet | undefined {
  const text = lastAppliedOf(live as KubeObject);
  if (!text) return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (last === null || typeof last !== 'object' || Array.isArray(last) || (last as KubeObject).apiVersion !== apiVersion) return undefined;
  try {
    const set = toFieldSet(last, schema);
    const cmp = compare(last, live, schema);
    return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

/**
 * lastAppliedUpdater: after a successful apply by `kubectl` on an object that carries the
 * last-applied annotation, the annotation is set to the applied configuration (without the
 * annotation itself; JSON with sorted keys and a trailing newline, as Go encodes it), so a later
 * client-side apply computes its patch from what was applied last. Dropped if the annotations
 * would exceed 256 KiB. Mutates `out`.
 */
export function updateLastApplied(out: KubeObject, config: KubeObject, manager: string): void {
  if (manager !== 'kubectl' || !lastAppliedOf(out)) return;
  const cfg = structuredClone(config) as KubeObject;
  const ann = cfg.metadata?.annotations as Record<string, string | undefined> | undefined;
  if (ann) delete ann[LAST_APPLIED_ANNOTATION];
  const value = canonicalJSON(cfg).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026') + '\n';
  const annotations: Record<string, string> = { ...((out.metadata!.annotations ?? {}) as Record<string, string>), [LAST_APPLIED_ANNOTATION]: value };
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete annotations[LAST_APPLIED_ANNOTATION];
  out.metadata!.annotations = annotations;
}
