/**
 * Shapes and constants of the generated OpenAPI definitions, shared by the generator (generate.ts, which loads
 * the TypeScript compiler) and the runtime readers (definitions.ts, v2.ts, handlers/openapi.ts,
 * handlers/field-validation.ts), so the server never loads the compiler.
 */

/** An OpenAPI v3 schema object (the subset Skiff emits; builder3 shapes). */
export interface OpenAPISchema {
  description?: string;
  type?: string;
  format?: string;
  properties?: Record<string, OpenAPISchema>;
  required?: string[];
  items?: OpenAPISchema;
  additionalProperties?: OpenAPISchema;
  allOf?: OpenAPISchema[];
  oneOf?: OpenAPISchema[];
  $ref?: string;
  [extension: `x-${string}`]: unknown;
}

/** Prefix of v3 `$ref` values: `#/components/schemas/`. */
export const REF_PREFIX = '#/components/schemas/';

/** Upstream's IntOrString definition name; kubernetes-types inlines it as `number | string`. */
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
