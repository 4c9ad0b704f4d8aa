/**
 * InterPodAffinity filter, after pkg/scheduler/framework/plugins/interpodaffinity (filtering.go).
 *
 * Required (requiredDuringSchedulingIgnoredDuringExecution) terms only, checked in upstream's order
 * (the first failing check is the node's reason):
 * 1. the pod's affinity: for every term the node must carry the topology label and its domain
 *    (node label `topologyKey` = value) must hold a pod matching the term —
 *    UnschedulableAndUnresolvable "node(s) didn't match pod affinity rules". Exception (upstream):
 *    when no pod in the cluster matches any term and the pod matches all its own terms, it may go
 *    first (the node must still carry every topology label);
 * 2. the pod's anti-affinity: the node's domain must hold no pod matching the term —
 *    Unschedulable "node(s) didn't match pod anti-affinity rules";
 * 3. existing pods' anti-affinity: the node must not lie in a domain where an existing pod has an
 *    anti-affinity term matching the incoming pod — Unschedulable "node(s) didn't satisfy existing
 *    pods anti-affinity rules".
 * A term matches a pod when its labelSelector matches the pod's labels (a missing selector matches
 * nothing) and the pod's namespace is in `namespaces` (default: the term owner's namespace) or
 * matches `namespaceSelector` (`{}` = all namespaces; other selectors need namespace labels from
 * the `namespaceLabels` lookup and match nothing without it).
 * Preferred terms (scoring) are not implemented.
 */
import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector, type Selector } from '../../../client/selectors.ts';
import { Code, Status, type CycleState, type FilterPlugin, type NodeInfo, type PreFilterPlugin } from '../../framework/types.ts';

/** Plugin name. */
export const Name = 'InterPodAffinity';
/** Reason when the node's domain lacks pods the incoming pod requires. */
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
/** Reason when the node's domain holds pods the incoming pod must avoid. */
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
/** Reason when an existing pod's anti-affinity excludes the incoming pod from the node's domain. */
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
/** The plugin's first reason (pod affinity). */
export const ErrReason = ErrReasonAffinityRulesNotMatch;

const preFilterStateKey = 'PreFilter' + Name;

/** A compiled affinity term (upstream framework.AffinityTerm). */
interface AffinityTerm {
  topologyKey: string;
  selector: Selector;
  namespaces: Set<string>;
  /** undefined: only `namespaces` count; otherwise a selector over namespace labels. */
  namespaceSelector: Selector | undefined;
}

interface PreFilterState {
  affinityTerms: AffinityTerm[];
  antiAffinityTerms: AffinityTerm[];
  /** "key\0value" → count */
  existingAntiAffinityCounts: Map<string, number>;
  affinityCounts: Map<string, number>;
  antiAffinityCounts: Map<string, number>;
}

const tp = (key: string, value: string) => `${key}\u0000${value}`;

/** Options for {@link InterPodAffinity}. */
export interface InterPodAffinityOptions {
  /** Labels of a namespace, for namespaceSelector terms; undefined when unknown. */
  namespaceLabels?: (namespace: string) => Record<string, string> | undefined;
}

/** The InterPodAffinity plugin (required terms). */
export class InterPodAffinity implements PreFilterPlugin, FilterPlugin {
  constructor(private readonly opts: InterPodAffinityOptions = {}) {}

  name(): string {
    return Name;
  }

  private compile(owner: Pod, terms: readonly PodAffinityTerm[] | undefined): AffinityTerm[] {
    return (terms ?? []).map((t) => {
      const namespaces = new Set(t.namespaces ?? []);
      if (!namespaces.size && !t.namespaceSelector) namespaces.add(owner.metadata?.namespace ?? '');
      return {
        topologyKey: t.topologyKey,
        selector: labelSelectorAsSelector(t.labelSelector),
        namespaces,
        namespaceSelector: t.namespaceSelector ? labelSelectorAsSelector(t.namespaceSelector) : undefined,
      };
    });
  }

  private termMatches(term: AffinityTerm, pod: Pod): boolean {
    const ns = pod.metadata?.namespace ?? '';
    let nsOk = term.namespaces.has(ns);
    if (!nsOk && term.namespaceSelector) {
      if (term.namespaceSelector.empty) nsOk = true;
      else {
        const labels = this.opts.namespaceLabels?.(ns);
        nsOk = labels !== undefined && term.namespaceSelector.matches(labels);
      }
    }
    return nsOk && term.selector.matches(pod.metadata?.labels ?? {});
  }

  /** Counts, per topology domain, the pods relevant to the incoming pod's and existing pods' terms. */
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status | undefined {
    const aff = pod.spec?.affinity;
    const s: PreFilterState = {
      affinityTerms: this.compile(pod, aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
      antiAffinityTerms: this.compile(pod, aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
      existingAntiAffinityCounts: new Map(),
      affinityCounts: new Map(),
      antiAffinityCounts: new Map(),
    };
    const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    for (const ni of nodes) {
      const labels = (ni.node?.metadata?.labels ?? {}) as Record<string, string>;
      for (const pi of ni.pods) {
        const existing = pi.pod;
        for (const t of this.compile(existing, existing.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution)) {
          const v = labels[t.topologyKey];
          if (v !== undefined && this.termMatches(t, pod)) inc(s.existingAntiAffinityCounts, tp(t.topologyKey, v));
        }
        for (const t of s.affinityTerms) {
          const v = labels[t.topologyKey];
          if (v !== undefined && this.termMatches(t, existing)) inc(s.affinityCounts, tp(t.topologyKey, v));
        }
        for (const t of s.antiAffinityTerms) {
          const v = labels[t.topologyKey];
          if (v !== undefined && this.termMatches(t, existing)) inc(s.antiAffinityCounts, tp(t.topologyKey, v));
        }
      }
    }
    state.write(preFilterStateKey, s);
    return undefined;
  }

  /** Applies the three checks in upstream's order; see the file comment. */
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const s = state.read<PreFilterState>(preFilterStateKey);
    if (!s) return new Status(Code.Error, `reading "${preFilterStateKey}" from cycleState: not found`);
    const labels = (nodeInfo.node?.metadata?.labels ?? {}) as Record<string, string>;
    if (!this.satisfyPodAffinity(s, pod, labels)) return new Status(Code.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch);
    for (const t of s.antiAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(tp(t.topologyKey, v)) ?? 0) > 0) {
        return new Status(Code.Unschedulable, ErrReasonAntiAffinityRulesNotMatch);
      }
    }
    if (s.existingAntiAffinityCounts.size) {
      for (const [k, v] of Object.entries(labels)) {
        if ((s.existingAntiAffinityCounts.get(tp(k, v)) ?? 0) > 0) return new Status(Code.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch);
      }
    }
    return undefined;
  }

  private satisfyPodAffinity(s: PreFilterState, pod: Pod, labels: Record<string, string>): boolean {
    let podsExist = true;
    for (const t of s.affinityTerms) {
      const v = labels[t.topologyKey];
      if (v === undefined) return false; // every topology label must exist on the node
      if ((s.affinityCounts.get(tp(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    // The first pod of a group with affinity to itself may go anywhere with the topology labels.
    return s.affinityCounts.size === 0 && s.affinityTerms.every((t) => this.termMatches(t, pod));
  }
}
