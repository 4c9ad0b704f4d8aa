/**
 * events.k8s.io/v1 Event Table: upstream prints both event APIs with printEvent over the internal
 * type, so this is the core/v1 Event table applied to the converted object.
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { eventTable } from '../../../core/v1/event/printer.ts';
import { eventV1ToCore } from './conversion.ts';

/** events.k8s.io/v1 Event Table (same columns and cells as core/v1 events). */
export const eventV1Table: TableConvertor = {
  columns: eventTable.columns,
  cells: (obj, now) => eventTable.cells(eventV1ToCore(obj), now),
};
