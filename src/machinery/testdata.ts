/**
 * Loader for the shared upstream test data (`shared/cases/*.json`).
 *
 * The authoritative copy lives beside the repository at `<root>/../shared/cases` (locally
 * /work/main and /work/shared; in CI a fresh clone with a copy of `shared/` beside it). A clone
 * anywhere else falls back to the vendored copy in `<root>/test/upstream-cases/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (two levels above this file: src/machinery/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const sharedCases = path.resolve(repoRoot, '..', 'shared', 'cases');

/** Absolute path of the cases directory: `<repoRoot>/../shared/cases` when present, else `<repoRoot>/test/upstream-cases`. */
export const casesDir = fs.existsSync(sharedCases) ? sharedCases : path.join(repoRoot, 'test', 'upstream-cases');

/** One case file: `{source, schema, cases}` (see shared/cases/README.md). */
export interface CaseFile<C = Record<string, any>> {
  source: unknown;
  schema: Record<string, unknown>;
  cases: C[];
}

/**
 * Reads and parses `shared/cases/<file>` (e.g. `loadCases('quantities.json')`).
 * @throws when the file is missing or not valid JSON.
 */
export function loadCases<C = Record<string, any>>(file: string): CaseFile<C> {
  return JSON.parse(fs.readFileSync(path.join(casesDir, file), 'utf8')) as CaseFile<C>;
}
