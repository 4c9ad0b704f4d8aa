/**
 * Small stand-in ResourceInfos (namespaces, pods, configmaps, deployments, nodes) for the
 * apiserver's own unit tests, so routing, negotiation, the generic store and watch can be tested
 * independently of the real resource table. Strategies are minimal: clear status on create,
 * keep status on update, bump generation on spec change, require a DNS-1123 subdomain name.
 */
import type { ResourceInfo, Strategy, StatusStrategy, TableConvertor } from '../../api/resource-types.ts';
import type { KubeObject } from '../../client/interface.ts';
import { invalid, required, type FieldError } from '../../machinery/errors.ts';
import { jsonEqual } from '../registry/generic-store.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateName(obj: KubeObject): FieldError[] {
  const name = obj.metadata?.name ?? '';
  if (!name) return [required('metadata.name', 'name or generateName is required')];
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
    return [invalid('metadata.name', name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")];
  }
  return [];
}

function strategy(extra: Partial<Strategy> = {}): Strategy {
  return {
    defaults() {},
    prepareForCreate(obj) {
      delete obj.status;
      if (obj.spec !== undefined) obj.metadata!.generation = 1;
    },
    prepareForUpdate(obj, old) {
      obj.status = old.status;
      if (obj.status === undefined) delete obj.status;
      if (!jsonEqual(obj.spec, old.spec)) obj.metadata!.generation = (old.metadata?.generation ?? 0) + 1;
    },
    validate: validateName,
    validateUpdate: () => [],
    getAttrs: () => ({}),
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: true,
    ...extra,
  };
}

const statusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = old.spec;
  },
  validateUpdate: () => [],
};

function table(): TableConvertor {
  return {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'name', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'age', priority: 0 },
    ],
    cells: (o) => [o.metadata?.name ?? '', '0s'],
  };
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function ri(p: Partial<ResourceInfo> & Pick<ResourceInfo, 'resource' | 'kind'>): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    singular: p.kind.toLowerCase(),
    listKind: `${p.kind}List`,
    namespaced: true,
    verbs: VERBS,
    shortNames: [],
    categories: [],
    subresources: [],
    strategy: strategy(),
    table: table(),
    selectableFields: [],
    ...p,
  };
}

/** The stand-in table. */
export function standInResources(): ResourceInfo[] {
  return [
    ri({
      resource: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      subresources: [{ name: 'status', kind: 'Namespace', group: '', version: 'v1', verbs: ['get', 'patch', 'update'] }],
      statusStrategy,
      strategy: strategy({
        prepareForCreate(obj) {
          obj.spec = { finalizers: ['kubernetes'] };
          obj.status = { phase: 'Active' };
        },
        prepareForUpdate(obj, old) {
          obj.spec = old.spec;
          obj.status = old.status;
        },
      }),
      selectableFields: ['status.phase'],
    }),
    ri({
      resource: 'pods',
      kind: 'Pod',
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        { name: 'status', kind: 'Pod', group: '', version: 'v1', verbs: ['get', 'patch', 'update'] },
        { name: 'binding', kind: 'Binding', group: '', version: 'v1', verbs: ['create'] },
        { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
        { name: 'log', kind: 'Pod', group: '', version: 'v1', verbs: ['get'] },
        { name: 'exec', kind: 'PodExecOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
      ],
      statusStrategy,
      selectableFields: ['spec.nodeName', 'status.phase'],
      strategy: strategy({
        getAttrs: (o) => ({ 'spec.nodeName': String((o.spec as { nodeName?: string } | undefined)?.nodeName ?? ''), 'status.phase': String((o.status as { phase?: string } | undefined)?.phase ?? '') }),
      }),
    }),
    ri({ resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
    ri({
      resource: 'deployments',
      kind: 'Deployment',
      group: 'apps',
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: [
        { name: 'status', kind: 'Deployment', group: 'apps', version: 'v1', verbs: ['get', 'patch', 'update'] },
        { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
      ],
      statusStrategy,
    }),
    ri({ resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], statusStrategy, subresources: [{ name: 'status', kind: 'Node', group: '', version: 'v1', verbs: ['get', 'patch', 'update'] }] }),
  ];
}
