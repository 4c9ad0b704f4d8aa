/**
 * ControllerRevision Table (upstream pkg/printers/internalversion printControllerRevision):
 * Name, Controller (`<kind>.<group>/<name>` lower-cased kind, `<none>` without a controllerRef),
 * Revision, Age.
 */
import type { TableConvertor } from '../../../resource-types.ts';
import type { KubeObject } from '../../../../client/interface.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';

/**
 * The Controller cell: the controllerRef as `formatResourceName(GroupKind, name)`, e.g.
 * `daemonset.apps/web`, or `<none>`.
 */
export function controllerRevisionControllerName(obj: KubeObject): string {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const i = ref.apiVersion.indexOf('/');
  const group = i < 0 ? '' : ref.apiVersion.slice(0, i);
  const gk = group ? `${ref.kind}.${group}` : ref.kind;
  return `${gk.toLowerCase()}/${ref.name}`;
}

/** ControllerRevision Table. */
export const controllerRevisionTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ageColumn,
  ],
  cells(obj, now) {
    return [objName(obj), controllerRevisionControllerName(obj), Number(obj.revision ?? 0), objAge(obj, now)];
  },
};
