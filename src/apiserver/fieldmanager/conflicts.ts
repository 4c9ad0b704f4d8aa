/**
 * Apply conflicts as a 409 Status, after
 * k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager/internal/conflict.go (NewConflictError,
 * printManager, getConflictMessage) and apimachinery's errors.NewApplyConflict.
 */
import { StatusError, type StatusCause } from '../../machinery/errors.ts';
import { pathString, type Path } from './fieldpath.ts';

/** One conflicting field: the manager identifier that owns it and its path. */
export interface Conflict {
  manager: string;
  path: Path;
}

/** merge.Conflicts: thrown by the ownership update, turned into the 409 by the field manager. */
export class ApplyConflicts extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(`${conflicts.length} apply conflict(s)`);
    this.name = 'ApplyConflicts';
  }
}

/**
 * printManager: `"kubectl"` for appliers; `"name" using apps/v1` for updaters;
 * `"name" with subresource "status" using v1` when a subresource is recorded.
 */
export function printManager(id: string): string {
  let e: { manager?: string; operation?: string; apiVersion?: string; subresource?: string };
  try {
    e = JSON.parse(id) as typeof e;
  } catch {
    return JSON.stringify(id);
  }
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s = `${s} with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') return `${s} using ${e.apiVersion ?? ''}`;
  return s;
}

/**
 * The 409 Conflict for apply conflicts: message `Apply failed with 1 conflict: conflict with
 * "kubectl-client-side-apply" using apps/v1: .spec.replicas`, or for several
 * `Apply failed with N conflicts: conflicts with "m":\n- .a\n- .b` (managers sorted), and one
 * `FieldManagerConflict` cause per field.
 */
export function newApplyConflictError(conflicts: Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  } else {
    const by = new Map<string, Path[]>();
    for (const c of conflicts) {
      const l = by.get(c.manager) ?? [];
      l.push(c.path);
      by.set(c.manager, l);
    }
    const lines: string[] = [];
    for (const m of [...by.keys()].sort()) {
      lines.push(`conflicts with ${printManager(m)}:`);
      for (const p of by.get(m)!) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Conflict', code: 409, details: { causes } });
}
