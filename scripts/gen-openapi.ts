/**
 * Regenerates src/apiserver/openapi/definitions.json from node_modules/kubernetes-types (see
 * src/apiserver/openapi/generate.ts). Run after upgrading kubernetes-types or editing patch-meta.ts:
 *   node --import tsx scripts/gen-openapi.ts
 * src/apiserver/openapi/definitions.test.ts fails while the committed file differs from the generator output.
 */
import { writeFileSync } from 'node:fs';
import { DEFINITIONS_FILE, KUBERNETES_TYPES_DIR, serializeDefinitions } from '../src/apiserver/openapi/definitions.ts';
import { generateDefinitions } from '../src/apiserver/openapi/generate.ts';

const text = serializeDefinitions(generateDefinitions(KUBERNETES_TYPES_DIR));
writeFileSync(DEFINITIONS_FILE, text);
process.stdout.write(`wrote ${DEFINITIONS_FILE} (${text.length} bytes)\n`);
