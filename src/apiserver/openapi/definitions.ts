/**
 * The generated OpenAPI definitions (definitions.json, produced by scripts/gen-openapi.ts from kubernetes-types):
 * lazy loading and lookups by group/version/kind. Loading reads and parses the JSON once (a few ms), on the
 * first /openapi request or the first write with fieldValidation Strict/Warn, so server start does not pay for it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenAPISchema } from './schema.ts';

/** Absolute path of the committed definitions file. */
export const DEFINITIONS_FILE = fileURLToPath(new URL('./definitions.json', import.meta.url));
/** Absolute path of the installed kubernetes-types package (the generator's input). */
export const KUBERNETES_TYPES_DIR = fileURLToPath(new URL('../../../node_modules/kubernetes-types', import.meta.url));

/** One group/version/kind as in `x-kubernetes-group-version-kind`. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** Serializes definitions as committed: one definition per line, keys in the given order, trailing newline. */
export function serializeDefinitions(defs: Record<string, OpenAPISchema>): string {
  const lines = Object.entries(defs).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

let cached: Record<string, OpenAPISchema> | undefined;
let byGVK: Map<string, string> | undefined;

/** All definitions by upstream name (parsed once, then shared; callers must not mutate them). */
export function loadDefinitions(): Record<string, OpenAPISchema> {
  cached ??= JSON.parse(readFileSync(DEFINITIONS_FILE, 'utf8')) as Record<string, OpenAPISchema>;
  return cached;
}

/** The `x-kubernetes-group-version-kind` entries of a definition ([] when it is not a top-level kind). */
export function gvksOf(def: OpenAPISchema): GroupVersionKind[] {
  return (def['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? [];
}

/**
 * Definition name of a top-level kind, e.g. ('apps','v1','Deployment') → 'io.k8s.api.apps.v1.Deployment';
 * undefined for kinds kubernetes-types does not describe.
 */
export function definitionNameForGVK(group: string, version: string, kind: string): string | undefined {
  if (!byGVK) {
    byGVK = new Map();
    for (const [name, def] of Object.entries(loadDefinitions())) {
      for (const g of gvksOf(def)) byGVK.set(`${g.group}/${g.version}/${g.kind}`, name);
    }
  }
  return byGVK.get(`${group}/${version}/${kind}`);
}
