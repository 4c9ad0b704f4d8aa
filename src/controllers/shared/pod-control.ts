/**
 * PodControl, after pkg/controller/controller_utils.go (RealPodControl, GetPodFromTemplate):
 * creates pods from a template with the controller's ownerReference and `generateName
 * <controller-name>-`, deletes pods, records SuccessfulCreate/FailedCreate and
 * SuccessfulDelete/FailedDelete events on the controller.
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import type { EventRecorder } from '../../client/record.ts';
import { newInvalid, invalid, isNotFound, StatusError } from '../../machinery/errors.ts';
import { deepCopy, type K } from '../../client/object-util.ts';

/** Pod operations used by workload controllers (so tests can fake them). */
export interface PodControlInterface {
  /** Creates one pod from `template` in `namespace`, owned by `controllerRef`. @throws StatusError */
  createPods(namespace: string, template: PodTemplateSpec, controllerObject: KubeObject, controllerRef: OwnerReference): Promise<Pod>;
  /** Deletes pod `name`. @throws StatusError (404 included; callers decide). */
  deletePod(namespace: string, podName: string, controllerObject: KubeObject): Promise<void>;
  /** Merge-patches pod `name`. */
  patchPod(namespace: string, name: string, patch: unknown): Promise<void>;
}

/** `<name>-` unless that would exceed the 63-char limit for generated names (getPodsPrefix). */
export function getPodsPrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  return prefix.length > 58 ? prefix.slice(0, 58) : prefix;
}

/**
 * GetPodFromTemplate: a Pod with the template's labels, annotations, finalizers and spec, the
 * controller ownerReference and generateName `<controller>-`.
 * @throws StatusError 422 when the template has no labels (upstream: "unable to create pods, no labels").
 */
export function getPodFromTemplate(template: PodTemplateSpec, parentObject: KubeObject, controllerRef?: OwnerReference): Pod {
  const labels = { ...(template.metadata?.labels ?? {}) };
  if (Object.keys(labels).length === 0) {
    throw newInvalid({ group: '', kind: 'Pod' }, '', [invalid('metadata.labels', labels, 'unable to create pods, no labels')]);
  }
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: getPodsPrefix(parentObject.metadata!.name!),
      namespace: parentObject.metadata?.namespace,
      labels,
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      ...(controllerRef ? { ownerReferences: [controllerRef] } : {}),
    },
    spec: deepCopy(template.spec) ?? { containers: [] },
  };
  return pod;
}

/** PodControl backed by a Client and an EventRecorder. */
export class RealPodControl implements PodControlInterface {
  constructor(
    private readonly client: Client,
    private readonly recorder: EventRecorder,
  ) {}

  async createPods(namespace: string, template: PodTemplateSpec, controllerObject: KubeObject, controllerRef: OwnerReference): Promise<Pod> {
    const pod = getPodFromTemplate(template, controllerObject, controllerRef);
    try {
      const created = await this.client.create<K<Pod>>(GVR.pods, namespace, pod as K<Pod>);
      this.recorder.eventf(controllerObject, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata?.name);
      return created;
    } catch (e) {
      // Upstream sends no event when the namespace is terminating (every later create fails too).
      const terminating = e instanceof StatusError && !!e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
      if (!terminating) this.recorder.eventf(controllerObject, 'Warning', 'FailedCreate', 'Error creating: %s', e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  async deletePod(namespace: string, podName: string, controllerObject: KubeObject): Promise<void> {
    try {
      await this.client.delete(GVR.pods, namespace, podName);
      this.recorder.eventf(controllerObject, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', podName);
    } catch (e) {
      // A pod that is already gone is no failure worth an event (upstream DeletePod).
      if (!isNotFound(e)) this.recorder.eventf(controllerObject, 'Warning', 'FailedDelete', 'Error deleting: %s', e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  async patchPod(namespace: string, name: string, patch: unknown): Promise<void> {
    await this.client.patch(GVR.pods, namespace, name, 'application/merge-patch+json', patch);
  }
}
