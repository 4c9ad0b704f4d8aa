/**
 * Shared pieces of the Table printers (columns, label/selector formatting, container cells),
 * after upstream's pkg/printers/internalversion/printers.go and
 * k8s.io/apimachinery/pkg/labels.FormatLabels / metav1.FormatLabelSelector.
 */
import type { KubeObject } from '../../client/interface.ts';
import type { TableColumnDefinition, TableConvertor } from '../resource-types.ts';
import { translateTimestampSince } from './duration.ts';
import { arr, rec } from './meta.ts';
import { formatLabelSelector } from '../../machinery/labels.ts';
export { formatLabels, formatLabelSelector } from '../../machinery/labels.ts';

/** Swagger description of ObjectMeta.name, used by every Name column. */
const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
/** Swagger description of ObjectMeta.creationTimestamp, used by every Age column. */
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** The `Name` column (format `name`, always first). */
export const nameColumn: TableColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: NAME_DESCRIPTION,
  priority: 0,
};

/** The `Age` column (a preformatted {@link translateTimestampSince} string). */
export const ageColumn: TableColumnDefinition = {
  name: 'Age',
  type: 'string',
  format: '',
  description: AGE_DESCRIPTION,
  priority: 0,
};

/**
 * Shorthand for a column definition.
 * @param priority 0 = always shown, 1 = only with `-o wide`
 */
export function column(
  name: string,
  type: TableColumnDefinition['type'],
  description: string,
  priority = 0,
): TableColumnDefinition {
  return { name, type, format: '', description, priority };
}

/** `metadata.name` or ''. */
export function objName(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}

/** Age cell of an object: time since `metadata.creationTimestamp` (`<unknown>` when unset). */
export function objAge(obj: KubeObject, now: number): string {
  return translateTimestampSince(obj.metadata?.creationTimestamp, now);
}

/**
 * Default printer for kinds without their own columns (upstream `printObjectMeta` /
 * the default table convertor): Name, Age.
 */
export const defaultTableConvertor: TableConvertor = {
  columns: [nameColumn, ageColumn],
  cells: (obj, now) => [objName(obj), objAge(obj, now)],
};

/**
 * `layoutContainerCells`: comma-joined container names and images.
 * @returns `[names, images]`
 */
export function layoutContainerCells(containers: { name?: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/**
 * The wide-only `Containers`, `Images`, `Selector` columns that upstream's printDeployment,
 * printReplicaSet and printJob append after Age (priority 1).
 * @param selectorDescription the kind's swagger description of `spec.selector`
 */
export function podTemplateWideColumns(selectorDescription: string): TableColumnDefinition[] {
  return [
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', selectorDescription, 1),
  ];
}

/**
 * Cells for {@link podTemplateWideColumns}: `spec.template.spec.containers` names and images
 * ({@link layoutContainerCells}) and `spec.selector` as `metav1.FormatLabelSelector`.
 * @returns `[names, images, selector]`
 */
export function podTemplateWideCells(obj: KubeObject): [string, string, string] {
  const spec = rec(obj.spec);
  const [names, images] = layoutContainerCells(arr(rec(rec(spec.template).spec).containers));
  return [names, images, formatLabelSelector(spec.selector)];
}
