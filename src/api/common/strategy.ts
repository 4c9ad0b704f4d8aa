/**
 * A builder for strategies of kinds without a status (ConfigMap, Secret, ServiceAccount,
 * Event, Endpoints, Lease, Binding): create/update preparation are no-ops except keeping the
 * old `metadata.generation`, as upstream's rest.BeforeUpdate does.
 */
import type { KubeObject } from '../../client/interface.ts';
import type { FieldError } from '../../machinery/errors.ts';
import type { Strategy } from '../resource-types.ts';
import { meta, objectMetaFieldsSet } from './meta.ts';

/** Inputs of {@link simpleStrategy}. */
export interface SimpleStrategyOptions {
  defaults?: (obj: KubeObject) => void;
  validate: (obj: KubeObject) => FieldError[];
  validateUpdate: (obj: KubeObject, old: KubeObject) => FieldError[];
  getAttrs?: (obj: KubeObject) => Record<string, string>;
  canonicalize?: (obj: KubeObject) => void;
  /** Default false. */
  allowCreateOnUpdate?: boolean;
  /** Default true. */
  allowUnconditionalUpdate?: boolean;
}

/** Builds a {@link Strategy} for a kind without spec/status split. */
export function simpleStrategy(o: SimpleStrategyOptions): Strategy {
  const s: Strategy = {
    defaults: o.defaults ?? (() => {}),
    prepareForCreate() {},
    prepareForUpdate(obj, old) {
      if (old.metadata?.generation !== undefined) meta(obj).generation = old.metadata.generation;
    },
    validate: o.validate,
    validateUpdate: o.validateUpdate,
    getAttrs: o.getAttrs ?? objectMetaFieldsSet,
    allowCreateOnUpdate: o.allowCreateOnUpdate ?? false,
    allowUnconditionalUpdate: o.allowUnconditionalUpdate ?? true,
  };
  if (o.canonicalize) s.canonicalize = o.canonicalize;
  return s;
}
