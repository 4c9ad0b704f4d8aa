/**
 * Ownership bookkeeping of updates and applies, after sigs.k8s.io/structured-merge-diff/v4/merge
 * (update.go: Updater.update, Updater.Update, Updater.Apply, Updater.prune).
 */
import { FieldSet, type Path } from './fieldpath.ts';
import { entryIntersects, entrySet, type Managed, type ManagerEntry } from './managed-fields.ts';
import { compare, merge, removeItems, toFieldSet, jsonEq, type Comparison } from './typed.ts';
import type { TypeNode } from './schema.ts';
import { ApplyConflicts, type Conflict } from './conflicts.ts';

/** Restricts a set to what a request may own (e.g. drops `status` for the main resource). */
export type FieldFilter = (s: FieldSet) => FieldSet;

const identity: FieldFilter = (s) => s;

/**
 * Updater.update: compares `live` and `next`; fields other managers own that changed are taken
 * from them (or, without `force`, reported: throws ApplyConflicts), removed fields are
 * dropped from every other manager. `self` is skipped. Mutates `managed` (only when it does not
 * throw {@link ApplyConflicts}); returns the comparison.
 */
export function takeOwnership(managed: Managed, live: unknown, next: unknown, schema: TypeNode | undefined, self: string, force: boolean, filter: FieldFilter = identity): Comparison {
  const raw = compare(live, next, schema);
  const cmp: Comparison = { added: filter(raw.added), modified: filter(raw.modified), removed: filter(raw.removed) };
  const changed = cmp.modified.union(cmp.added);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldSet>();
  const removedAny = !cmp.removed.empty();
  const touched: string[] = [];
  for (const [id, e] of managed) {
    if (id === self) continue;
    const hitChanged = !changed.empty() && entryIntersects(e, changed);
    if (hitChanged) {
      const c = entrySet(e).intersection(changed);
      taken.set(id, c);
      c.iterate((p: Path) => conflicts.push({ manager: id, path: p }));
    }
    if (hitChanged || (removedAny && entryIntersects(e, cmp.removed))) touched.push(id);
  }
  if (!force && conflicts.length) throw new ApplyConflicts(conflicts);
  for (const id of touched) {
    const e = managed.get(id)!;
    let s = entrySet(e);
    const t = taken.get(id);
    if (t) s = s.difference(t);
    if (removedAny) s = s.difference(cmp.removed);
    if (s.empty()) managed.delete(id);
    else managed.set(id, { ...e, set: s, raw: undefined });
  }
  return cmp;
}

/**
 * Updater.Update + managedFieldsUpdater.Update: records a non-apply write of `next` over `live`
 * by `entry` (its identifier `id`). The manager gains what it added or modified (and loses what
 * it removed); others lose those fields. The entry's time is set to `now` only when it took
 * fields (`now` may be a function computing it then). Mutates `managed`.
 */
export function updateManaged(managed: Managed, live: unknown, next: unknown, schema: TypeNode | undefined, id: string, entry: Omit<ManagerEntry, 'set' | 'time'>, now: string | (() => string), filter: FieldFilter = identity, strip: FieldFilter = identity): void {
  const cmp = takeOwnership(managed, live, next, schema, '', true, filter);
  const mine = strip(cmp.modified.union(cmp.added).difference(cmp.removed));
  if (mine.empty()) return;
  const prev = managed.get(id);
  managed.set(id, { ...entry, time: typeof now === 'function' ? now() : now, set: prev ? mine.union(entrySet(prev)) : mine });
}

/**
 * Updater.Apply + managedFieldsUpdater.Apply: merges `config` into `live`, makes the config's
 * field set the manager's set, removes what the manager applied before but no longer applies
 * (unless another manager owns it), then takes ownership as {@link takeOwnership} ({@link ApplyConflicts}
 * unless `force`). Returns the merged object (not defaulted) and whether it changed;
 * the entry's time is set to `now` when the object changed. Mutates `managed`.
 */
export function applyManaged(
  managed: Managed,
  live: Record<string, unknown>,
  config: Record<string, unknown>,
  schema: TypeNode | undefined,
  id: string,
  entry: Omit<ManagerEntry, 'set' | 'time'>,
  force: boolean,
  now: string,
  filter: FieldFilter = identity,
  strip: FieldFilter = identity,
): { object: Record<string, unknown>; changed: boolean } {
  let merged = merge(live, config, schema) as Record<string, unknown>;
  const set = strip(filter(toFieldSet(config, schema)));
  const last = managed.get(id);
  managed.set(id, { ...entry, time: last?.time, set });
  if (last && !entrySet(last).empty()) {
    let owned = new FieldSet();
    for (const e of managed.values()) owned = owned.union(entrySet(e));
    const toRemove = entrySet(last).difference(owned);
    if (!toRemove.empty()) {
      // merge() shares untouched subtrees with `live`: copy before removing in place.
      merged = structuredClone(merged);
      removeItems(merged, toRemove, owned, schema);
    }
  }
  takeOwnership(managed, live, merged, schema, id, force, filter);
  const changed = !jsonEq(live, merged);
  if (changed) managed.set(id, { ...managed.get(id)!, time: now });
  return { object: merged, changed };
}
