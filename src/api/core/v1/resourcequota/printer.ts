/**
 * ResourceQuota Table, after upstream printResourceQuota (pkg/printers/internalversion): NAME, AGE,
 * REQUEST (`name: used/hard` for every `status.hard` entry not prefixed `limits.`), LIMIT (the
 * `limits.*` entries), names sorted, joined by `, `.
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';
import { parseQuantityValue } from './helpers.ts';

/** Canonical quantity string of a JSON value, `0` when absent, the raw text when malformed. */
function q(v: unknown): string {
  if (v === undefined || v === null) return '0';
  return parseQuantityValue(v)?.toString() ?? String(v);
}

/** ResourceQuota Table. */
export const resourceQuotaTable: TableConvertor = {
  columns: [
    nameColumn,
    ageColumn,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells(obj, now) {
    const status = rec(obj.status);
    const hard = rec(status.hard);
    const used = rec(status.used);
    const request: string[] = [];
    const limit: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const pieces = name.split('.');
      const cell = `${name}: ${q(used[name])}/${q(hard[name])}`;
      if (pieces.length > 1 && pieces[0] === 'limits') limit.push(cell);
      else request.push(cell);
    }
    return [objName(obj), objAge(obj, now), request.join(', '), limit.join(', ')];
  },
};
