/**
 * Child process for durability.test.ts: opens the SQLite store at argv[2] and creates keys
 * `/registry/configmaps/default/cm-<i>` for i = 0..argv[3]-1, printing `<key> <revision>` on
 * stdout after each acknowledged (resolved) create. Stdout to a pipe is synchronous on Linux,
 * so a printed line means the write was acknowledged before the line left the process.
 */
import { SqliteBackend } from './sqlite-backend.ts';

const [path, countArg] = process.argv.slice(2);
const backend = SqliteBackend.open(path);
const n = Number(countArg ?? '100000');
for (let i = 0; i < n; i++) {
  const key = `/registry/configmaps/default/cm-${i}`;
  const kv = await backend.create(key, JSON.stringify({ kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } }));
  process.stdout.write(`${key} ${kv.modRevision}\n`);
}
await backend.close();
