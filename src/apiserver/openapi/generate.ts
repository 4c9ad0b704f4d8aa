/**
 * Generates OpenAPI v3 component schemas for every built-in Kubernetes type from the `kubernetes-types`
 * declaration files (node_modules/kubernetes-types/**\/*.d.ts), whose JSDoc carries upstream's field
 * descriptions. The output has upstream's definition names and shapes (k8s.io/kube-openapi builder3 as
 * served at /openapi/v3/<gv>):
 *
 * - names `io.k8s.api.<group>.<version>.<Type>`, `io.k8s.apimachinery.pkg.apis.meta.v1.<Type>`,
 *   `io.k8s.apimachinery.pkg.api.resource.Quantity`, `io.k8s.apimachinery.pkg.util.intstr.IntOrString`,
 *   `io.k8s.apimachinery.pkg.runtime.RawExtension`, `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.<Type>`;
 * - objects `{description, properties, required, type:"object"}`; references to objects are
 *   `{allOf:[{$ref}], description}` as builder3 writes them; scalars `integer` (int32/int64), `string`, `boolean`;
 *   `Time`/`MicroTime` strings with format date-time; IntOrString `oneOf [integer, string]` with
 *   format `int-or-string` (and `x-kubernetes-int-or-string`); Quantity `oneOf [string, number]`;
 * - `x-kubernetes-group-version-kind` on every top-level kind (and its List);
 * - strategic-merge extensions (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`) from
 *   src/machinery/patch-meta.ts, plus `x-kubernetes-list-type`/`x-kubernetes-list-map-keys` derived from them.
 *
 * Run by scripts/gen-openapi.ts, which writes src/apiserver/openapi/definitions.json (committed; a test checks it
 * matches this generator). Uses the TypeScript compiler API (syntax only, no type checker).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { describedKinds, patchMetaFor, type PatchSchema } from '../../machinery/patch-meta.ts';
import { INT_OR_STRING, REF_PREFIX, type OpenAPISchema } from './schema.ts';

export { INT_OR_STRING, REF_PREFIX, type OpenAPISchema };

/** Definition-name prefix of a kubernetes-types module path ('apps/v1' → 'io.k8s.api.apps.v1'). */
export function packageOfModule(mod: string): string {
  switch (mod) {
    case 'meta/v1': return 'io.k8s.apimachinery.pkg.apis.meta.v1';
    case 'api/resource': return 'io.k8s.apimachinery.pkg.api.resource';
    case 'runtime': return 'io.k8s.apimachinery.pkg.runtime';
    case 'version': return 'io.k8s.apimachinery.pkg.version';
    case 'apiextensions/v1': return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';
    default: return `io.k8s.api.${mod.replace('/', '.')}`;
  }
}

/** Fields that are int64 upstream (the rest of the integer fields are int32). Only affects `format`. */
const INT64_FIELDS = new Set([
  'generation', 'observedGeneration', 'deletionGracePeriodSeconds', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds',
  'runAsUser', 'runAsGroup', 'fsGroup', 'supplementalGroups', 'tolerationSeconds', 'startingDeadlineSeconds', 'expirationSeconds',
  'revision', 'gracePeriodSeconds', 'maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties', 'value',
  'limitResponse', 'seconds', 'capacity',
]);
/** Fields that are float64 upstream (JSONSchemaProps bounds). */
const DOUBLE_FIELDS = new Set(['maximum', 'minimum', 'multipleOf']);

interface ModuleInfo {
  /** local name → module path of imports */
  imports: Map<string, string>;
  /** names declared in this module */
  local: Set<string>;
}

function listDts(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, r)).isDirectory()) out.push(...listDts(dir, r));
    else if (name.endsWith('.d.ts')) out.push(r);
  }
  return out;
}

function jsDocText(node: ts.Node): string | undefined {
  const docs = (node as unknown as { jsDoc?: ts.JSDoc[] }).jsDoc;
  if (!docs?.length) return undefined;
  const text = ts.getTextOfJSDocComment(docs[docs.length - 1].comment);
  return text ? text.trim() : undefined;
}

/** Orders an object's keys alphabetically, as upstream's JSON (Go maps and sorted struct output). */
function sortKeys<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

/**
 * Builds every definition. `typesDir` is the kubernetes-types package directory.
 * @returns definitions keyed by upstream name, keys sorted; throws on a type shape it does not understand.
 */
export function generateDefinitions(typesDir: string): Record<string, OpenAPISchema> {
  const defs: Record<string, OpenAPISchema> = {};
  const files = listDts(typesDir);
  for (const file of files) {
    const mod = file.replace(/\.d\.ts$/, '');
    const sf = ts.createSourceFile(file, readFileSync(join(typesDir, file), 'utf8'), ts.ScriptTarget.ES2022, true);
    const info: ModuleInfo = { imports: new Map(), local: new Set() };
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
        const from = posix.normalize(posix.join(posix.dirname(mod), (st.moduleSpecifier as ts.StringLiteral).text));
        for (const el of st.importClause.namedBindings.elements) info.imports.set(el.name.text, from);
      } else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) {
        info.local.add(st.name.text);
      }
    }
    const pkg = packageOfModule(mod);
    const refName = (name: string): string => {
      const from = info.imports.get(name);
      if (from) return `${packageOfModule(from)}.${name}`;
      if (info.local.has(name)) return `${pkg}.${name}`;
      throw new Error(`${file}: unresolved type ${name}`);
    };
    const typeSchema = (t: ts.TypeNode, field: string): OpenAPISchema => {
      switch (t.kind) {
        case ts.SyntaxKind.StringKeyword: return { type: 'string' };
        case ts.SyntaxKind.BooleanKeyword: return { type: 'boolean' };
        case ts.SyntaxKind.NumberKeyword:
          if (DOUBLE_FIELDS.has(field)) return { format: 'double', type: 'number' };
          return { format: INT64_FIELDS.has(field) ? 'int64' : 'int32', type: 'integer' };
        case ts.SyntaxKind.LiteralType: return { type: 'string' };
        case ts.SyntaxKind.AnyKeyword:
        case ts.SyntaxKind.UnknownKeyword:
        case ts.SyntaxKind.ObjectKeyword: return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      }
      if (ts.isUnionTypeNode(t)) {
        const kinds = t.types.map((x) => x.kind).sort();
        if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
          return { $ref: REF_PREFIX + INT_OR_STRING };
        }
        // JSONSchemaPropsOrArray & co.: an untyped value.
        return { 'x-kubernetes-preserve-unknown-fields': true };
      }
      if (ts.isArrayTypeNode(t)) return { items: typeSchema(t.elementType, field), type: 'array' };
      if (ts.isTypeReferenceNode(t)) {
        const name = t.typeName.getText(sf);
        if (name === 'Array' && t.typeArguments?.length === 1) return { items: typeSchema(t.typeArguments[0], field), type: 'array' };
        return { $ref: REF_PREFIX + refName(name) };
      }
      if (ts.isTypeLiteralNode(t)) {
        const idx = t.members.find(ts.isIndexSignatureDeclaration);
        if (idx && t.members.length === 1) return { additionalProperties: typeSchema(idx.type, field), type: 'object' };
        if (t.members.length === 0) return { type: 'object' };
      }
      if (ts.isParenthesizedTypeNode(t)) return typeSchema(t.type, field);
      throw new Error(`${file}: unsupported type ${ts.SyntaxKind[t.kind]} for ${field}: ${t.getText(sf)}`);
    };
    for (const st of sf.statements) {
      const description = jsDocText(st);
      if (ts.isTypeAliasDeclaration(st)) {
        const name = `${pkg}.${st.name.text}`;
        if (st.name.text === 'Quantity') {
          defs[name] = sortKeys({ description, oneOf: [{ type: 'string' }, { type: 'number' }] });
        } else if (st.name.text === 'Time' || st.name.text === 'MicroTime') {
          defs[name] = sortKeys({ description, format: 'date-time', type: 'string' });
        } else {
          defs[name] = sortKeys({ description, 'x-kubernetes-preserve-unknown-fields': true });
        }
        continue;
      }
      if (!ts.isInterfaceDeclaration(st)) continue;
      const name = `${pkg}.${st.name.text}`;
      const properties: Record<string, OpenAPISchema> = {};
      const required: string[] = [];
      let apiVersion: string | undefined;
      let kind: string | undefined;
      for (const m of st.members) {
        if (!ts.isPropertySignature(m) || !m.type) continue;
        const field = ts.isStringLiteral(m.name) ? m.name.text : m.name.getText(sf);
        if (!m.questionToken) required.push(field);
        if (ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal)) {
          if (field === 'apiVersion') apiVersion = m.type.literal.text;
          if (field === 'kind') kind = m.type.literal.text;
        }
        const s = typeSchema(m.type, field);
        const desc = jsDocText(m);
        // builder3 wraps a reference that carries its own description in allOf.
        properties[field] = s.$ref ? sortKeys({ allOf: [s], description: desc }) : sortKeys({ ...s, description: desc });
      }
      const def: OpenAPISchema = { description, type: 'object' };
      if (Object.keys(properties).length) def.properties = sortKeys(properties);
      if (required.length) def.required = required;
      if (apiVersion && kind) {
        const i = apiVersion.indexOf('/');
        def['x-kubernetes-group-version-kind'] = [{ group: i < 0 ? '' : apiVersion.slice(0, i), kind, version: i < 0 ? apiVersion : apiVersion.slice(i + 1) }];
      }
      defs[name] = sortKeys(def);
    }
  }
  defs[INT_OR_STRING] = {
    description: 'IntOrString holds either an int32 or a string; JSON and YAML carry the inner value as is, so one field can take a number or a name.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  };
  applyPatchMeta(defs);
  return sortKeys(defs);
}

/** Upstream's `x-kubernetes-list-map-keys` where it has more keys than the patch merge key. */
const LIST_MAP_KEYS: Record<string, Record<string, string[]>> = {
  'io.k8s.api.core.v1.Container': { ports: ['containerPort', 'protocol'] },
  'io.k8s.api.core.v1.EphemeralContainer': { ports: ['containerPort', 'protocol'] },
  'io.k8s.api.core.v1.ServiceSpec': { ports: ['port', 'protocol'] },
};

/** The definition a property (or its array items / map values) points at, if any. */
export function refTarget(s: OpenAPISchema | undefined): string | undefined {
  if (!s) return undefined;
  const ref = s.$ref ?? s.allOf?.[0]?.$ref ?? refTarget(s.items) ?? refTarget(s.additionalProperties);
  return ref?.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

/** Definition name of a top-level kind: 'apps/v1', 'Deployment' → 'io.k8s.api.apps.v1.Deployment'. */
function definitionOfKind(defs: Record<string, OpenAPISchema>, apiVersion: string, kind: string): string | undefined {
  const i = apiVersion.indexOf('/');
  const group = i < 0 ? '' : apiVersion.slice(0, i);
  const version = i < 0 ? apiVersion : apiVersion.slice(i + 1);
  for (const [name, d] of Object.entries(defs)) {
    const gvks = d['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined;
    if (gvks?.some((g) => g.group === group && g.version === version && g.kind === kind)) return name;
  }
  return undefined;
}

/** Copies patch-meta.ts strategies and merge keys onto the definitions (walking both in parallel). */
function applyPatchMeta(defs: Record<string, OpenAPISchema>): void {
  const seen = new Set<string>();
  const walk = (defName: string, schema: PatchSchema): void => {
    const key = `${defName}|${schema.name ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    const def = defs[defName];
    if (!def?.properties) return;
    for (const [field, pf] of Object.entries(schema.fields ?? {})) {
      const prop = def.properties[field];
      if (!prop) continue;
      if (pf.strategy) prop['x-kubernetes-patch-strategy'] = pf.strategy;
      if (pf.mergeKey) prop['x-kubernetes-patch-merge-key'] = pf.mergeKey;
      if (prop.type === 'array' && pf.strategy?.startsWith('merge')) {
        if (pf.mergeKey) {
          prop['x-kubernetes-list-map-keys'] = LIST_MAP_KEYS[defName]?.[field] ?? [pf.mergeKey];
          prop['x-kubernetes-list-type'] = 'map';
        } else {
          prop['x-kubernetes-list-type'] = 'set';
        }
      }
      def.properties[field] = sortKeys(prop);
      const target = refTarget(prop);
      if (pf.schema && target) walk(target, pf.schema);
    }
  };
  for (const k of describedKinds()) {
    const i = k.lastIndexOf('/');
    const apiVersion = k.slice(0, i);
    const kind = k.slice(i + 1);
    const name = definitionOfKind(defs, apiVersion, kind);
    const schema = patchMetaFor(apiVersion, kind);
    if (name && schema) walk(name, schema);
  }
}
