/**
 * Pod volumes, after the kubelet's volume manager and plugins (pkg/volume/{emptydir,hostpath,
 * configmap,secret,downwardapi,projected}). Every pod gets `<rootDir>/pods/<uid>/volumes/<plugin>/<name>`
 * (plugin dirs `kubernetes.io~empty-dir`, `kubernetes.io~configmap`, `kubernetes.io~secret`,
 * `kubernetes.io~downward-api`, `kubernetes.io~projected`), which survives container restarts and
 * is removed with the pod.
 *
 * - emptyDir: a directory; `medium: Memory` mounts a tmpfs there sized to `sizeLimit` (capped by
 *   the pod's memory limit / node allocatable memory, {@link emptyDirMemorySize}), unmounted on
 *   teardown. Disk usage over `sizeLimit` evicts the pod (eviction.ts, run by the kubelet).
 * - hostPath: the host path itself, type-checked (and for `…OrCreate` created) by
 *   {@link checkHostPathType} (hostpath.ts) before any container starts.
 * - configMap / secret: files projected with upstream's AtomicWriter layout (atomic-writer.ts:
 *   `..data` → `..<timestamp>` dir, per-key symlinks), `items` select and rename keys,
 *   `defaultMode`/`mode` (default 0644). Every pod sync (the kubelet's periodic resync) re-reads the
 *   object and swaps in a new version when it changed, so updates reach running containers; subPath
 *   mounts pin the old file (no updates), as upstream; immutable objects are projected once.
 *   A missing object fails the mount (`MountVolume.SetUp failed for volume "x" : configmap "y" not found`)
 *   unless `optional`.
 * - secret, downwardAPI and projected volumes are tmpfs-backed (upstream wraps a Memory emptyDir).
 * - downwardAPI: metadata.name/namespace/uid/labels/annotations files.
 * - projected: the union of configMap, secret, downwardAPI and serviceAccountToken sources. Missing
 *   configMap/secret sources are skipped; serviceAccountToken is a real token bound to the pod
 *   (TokenRequest with boundObjectRef Pod, through token-manager.ts, refreshed at 80 % of its
 *   lifetime on a pod sync); a failed token request fails the mount (`failed to fetch token: …`).
 * - persistentVolumeClaim: the bound PV's hostPath/local directory (`pvc-volume.ts`).
 * Not supported (mount fails with a clear message): other plugins.
 */
import { mkdir, rm, readFile, readdir } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import type { Pod, Volume, KeyToPath, DownwardAPIVolumeFile, ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import type { Client, GroupVersionResource } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { setUpPersistentVolumeClaim } from './pvc-volume.ts';
import { tryParseQuantity } from '../../machinery/quantity.ts';
import { atomicWrite, type FileProjection } from './atomic-writer.ts';
import { checkHostPathType, HostPathTypeError } from './hostpath.ts';
import { TokenManager } from './token-manager.ts';

const run = promisify(execFile);

/** `<rootDir>/pods/<uid>`. */
export function podDir(rootDir: string, uid: string): string {
  return path.join(rootDir, 'pods', uid);
}

/** A volume that could not be set up; `message` is upstream's FailedMount wording. */
export class VolumeError extends Error {}

/** Sets up and tears down pod volumes. */
export class VolumeManager {
  constructor(
    private readonly rootDir: string,
    private readonly client: Client,
    /** Mount tmpfs for emptyDir medium Memory (needs root). Tests turn it off. */
    private readonly allowMounts = process.getuid?.() === 0,
    /** Node allocatable memory in bytes (default: total memory), the tmpfs size cap of Memory emptyDirs. */
    private readonly nodeAllocatableMemory: () => number = totalmem,
  ) {}

  /** `<uid>/<volume>` of configMap/secret volumes projected from an immutable object (never refreshed). */
  private readonly immutableDone = new Set<string>();
  /** `<uid>/<volume>` of hostPath volumes whose type check passed. */
  private readonly hostPathChecked = new Set<string>();
  /** ServiceAccount tokens of projected serviceAccountToken sources. */
  private tokenManagerCache?: TokenManager;
  private get tokenManager(): TokenManager {
    return (this.tokenManagerCache ??= new TokenManager(this.client));
  }

  /**
   * Makes every volume of `pod` ready. Returns volume name → host path.
   * @throws VolumeError (message as upstream's FailedMount event)
   */
  async mountPodVolumes(pod: Pod): Promise<Map<string, string>> {
    const uid = pod.metadata!.uid!;
    const base = path.join(podDir(this.rootDir, uid), 'volumes');
    await mkdir(base, { recursive: true });
    await mkdir(path.join(podDir(this.rootDir, uid), 'containers'), { recursive: true });
    const out = new Map<string, string>();
    for (const v of pod.spec?.volumes ?? []) {
      out.set(v.name, await this.setUp(pod, v, base));
    }
    return out;
  }

  private async setUp(pod: Pod, v: Volume, base: string): Promise<string> {
    const ns = pod.metadata!.namespace!;
    const fail = (why: string) => new VolumeError(`MountVolume.SetUp failed for volume "${v.name}" : ${why}`);
    if (v.hostPath) {
      const p = v.hostPath.path;
      // Checked once per pod, as upstream's reconciler only re-runs SetUp for volumes that require
      // a remount (configMap, secret, downwardAPI, projected), not for hostPath.
      const key = `${pod.metadata!.uid}/${v.name}`;
      if (this.hostPathChecked.has(key)) return p;
      try {
        await checkHostPathType(p, v.hostPath.type);
      } catch (e) {
        if (e instanceof HostPathTypeError) throw fail(e.message);
        throw e;
      }
      this.hostPathChecked.add(key);
      return p;
    }
    if (v.emptyDir) {
      const dir = path.join(base, 'kubernetes.io~empty-dir', v.name);
      await mkdir(dir, { recursive: true, mode: 0o777 });
      if (v.emptyDir.medium === 'Memory' && this.allowMounts && !(await isMountPoint(dir))) {
        const opts = ['-t', 'tmpfs', '-o', `size=${emptyDirMemorySize(pod, v.emptyDir.sizeLimit, this.nodeAllocatableMemory())}`, 'tmpfs', dir];
        await run('mount', opts).catch((e: Error) => {
          throw fail(`mount tmpfs: ${e.message}`);
        });
      }
      return dir;
    }
    if (v.configMap) {
      const dir = path.join(base, 'kubernetes.io~configmap', v.name);
      const key = `${pod.metadata!.uid}/${v.name}`;
      // An immutable ConfigMap cannot change: once projected, no refresh (no GET) is needed.
      if (this.immutableDone.has(key)) return dir;
      const cm = await this.getOptional<ConfigMap>(GVR.configmaps, ns, v.configMap.name ?? '');
      if (!cm && !v.configMap.optional) throw fail(`configmap "${v.configMap.name}" not found`);
      const data = cmData(cm);
      await writeProjection(dir, [{ data, items: v.configMap.items, mode: v.configMap.defaultMode ?? 0o644, name: v.configMap.name ?? '', kind: 'configmap', optional: v.configMap.optional }], fail);
      if (cm?.immutable) this.immutableDone.add(key);
      return dir;
    }
    if (v.secret) {
      const dir = path.join(base, 'kubernetes.io~secret', v.name);
      const key = `${pod.metadata!.uid}/${v.name}`;
      if (this.immutableDone.has(key)) return dir;
      const s = await this.getOptional<Secret>(GVR.secrets, ns, v.secret.secretName ?? '');
      if (!s && !v.secret.optional) throw fail(`secret "${v.secret.secretName}" not found`);
      await this.ensureMemoryBacked(pod, dir, fail);
      await writeProjection(dir, [{ data: secretData(s), items: v.secret.items, mode: v.secret.defaultMode ?? 0o644, name: v.secret.secretName ?? '', kind: 'secret', optional: v.secret.optional }], fail);
      if (s?.immutable) this.immutableDone.add(key);
      return dir;
    }
    if (v.downwardAPI) {
      const dir = path.join(base, 'kubernetes.io~downward-api', v.name);
      await this.ensureMemoryBacked(pod, dir, fail);
      await writeProjection(dir, [{ data: downwardData(pod, v.downwardAPI.items ?? []), mode: v.downwardAPI.defaultMode ?? 0o644, name: '', kind: 'downward' }], fail);
      return dir;
    }
    if (v.projected) {
      const dir = path.join(base, 'kubernetes.io~projected', v.name);
      await this.ensureMemoryBacked(pod, dir, fail);
      const mode = v.projected.defaultMode ?? 0o644;
      const parts: Projection[] = [];
      for (const src of v.projected.sources ?? []) {
        if (src.configMap) {
          const cm = await this.getOptional<ConfigMap>(GVR.configmaps, ns, src.configMap.name ?? '');
          parts.push({ data: cmData(cm), items: cm ? src.configMap.items : undefined, mode, name: src.configMap.name ?? '', kind: 'configmap', optional: true });
        } else if (src.secret) {
          const s = await this.getOptional<Secret>(GVR.secrets, ns, src.secret.name ?? '');
          parts.push({ data: secretData(s), items: s ? src.secret.items : undefined, mode, name: src.secret.name ?? '', kind: 'secret', optional: true });
        } else if (src.downwardAPI) {
          parts.push({ data: downwardData(pod, src.downwardAPI.items ?? []), mode, name: '', kind: 'downward' });
        } else if (src.serviceAccountToken) {
          const sat = src.serviceAccountToken;
          const tr = await this.tokenManager
            .getServiceAccountToken(ns, pod.spec?.serviceAccountName || 'default', {
              spec: {
                audiences: sat.audience ? [sat.audience] : [],
                expirationSeconds: sat.expirationSeconds ?? 3600,
                boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name, uid: pod.metadata!.uid },
              },
            })
            .catch((e: Error) => {
              throw fail(`failed to fetch token: ${e.message}`);
            });
          parts.push({ data: { [sat.path]: Buffer.from(tr.status!.token) }, mode, name: '', kind: 'token' });
        }
      }
      await writeProjection(dir, parts, fail);
      return dir;
    }
    if (v.persistentVolumeClaim) return setUpPersistentVolumeClaim(this.client, pod, v, base, this.allowMounts, (m) => new VolumeError(m));
    throw fail('unsupported volume type');
  }

  /**
   * Secret, downwardAPI and projected volumes sit on a tmpfs, as upstream's plugins wrap a
   * `medium: Memory` emptyDir (so secrets never reach the disk); sized as such an emptyDir without
   * sizeLimit. Skipped when mounts are not allowed.
   */
  private async ensureMemoryBacked(pod: Pod, dir: string, fail: (why: string) => Error): Promise<void> {
    if (!this.allowMounts) return;
    await mkdir(dir, { recursive: true });
    if (await isMountPoint(dir)) return;
    await run('mount', ['-t', 'tmpfs', '-o', `size=${emptyDirMemorySize(pod, undefined, this.nodeAllocatableMemory())}`, 'tmpfs', dir]).catch((e: Error) => {
      throw fail(`mount tmpfs: ${e.message}`);
    });
  }

  private async getOptional<T>(gvr: GroupVersionResource, ns: string, name: string): Promise<T | undefined> {
    try {
      return (await this.client.get(gvr, ns, name)) as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Unmounts anything mounted under the pod's dir and removes it. Idempotent. */
  async unmountPodVolumes(uid: string): Promise<void> {
    for (const k of this.immutableDone) if (k.startsWith(`${uid}/`)) this.immutableDone.delete(k);
    for (const k of this.hostPathChecked) if (k.startsWith(`${uid}/`)) this.hostPathChecked.delete(k);
    this.tokenManager.deleteServiceAccountToken(uid);
    const dir = podDir(this.rootDir, uid);
    for (const m of (await mountsUnder(dir)).sort((a, b) => b.length - a.length)) {
      await run('umount', ['-l', m]).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * Tears down the emptyDir volumes of a pod whose containers are stopped (an evicted pod: its
   * emptyDir data is what the eviction reclaims): unmounts a Memory emptyDir's tmpfs and removes
   * each emptyDir directory. Other volumes stay until the pod is removed. Idempotent.
   */
  async tearDownEmptyDirs(pod: Pod): Promise<void> {
    const base = path.join(podDir(this.rootDir, pod.metadata!.uid!), 'volumes', 'kubernetes.io~empty-dir');
    for (const v of pod.spec?.volumes ?? []) {
      if (!v.emptyDir) continue;
      const dir = path.join(base, v.name);
      if (await isMountPoint(dir)) await run('umount', ['-l', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Unmounts every mount under `<rootDir>/pods` (tmpfs of Memory emptyDirs and secrets, read-only
   * claim binds), deepest first, keeping the files. For a full node clean-up (`--cleanup-on-exit`).
   */
  async unmountAll(): Promise<void> {
    for (const m of (await mountsUnder(path.join(this.rootDir, 'pods'))).sort((a, b) => b.length - a.length)) {
      await run('umount', ['-l', m]).catch(() => undefined);
    }
  }

  /** Uids that have a pod dir on disk (for orphan clean-up). */
  async listPodDirs(): Promise<string[]> {
    return readdir(path.join(this.rootDir, 'pods')).catch(() => []);
  }
}

interface Projection {
  data: Record<string, Buffer>;
  items?: KeyToPath[];
  mode: number;
  name: string;
  kind: string;
  optional?: boolean;
}

function cmData(cm: ConfigMap | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm?.data ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretData(s: Secret | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s?.data ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(s?.stringData ?? {})) out[k] = Buffer.from(v);
  return out;
}

function downwardData(pod: Pod, items: DownwardAPIVolumeFile[]): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const it of items) {
    if (!it.fieldRef) continue;
    out[it.path] = Buffer.from(fieldRefValue(pod, it.fieldRef.fieldPath, true));
  }
  return out;
}

/**
 * Value of a downward-API field path (`metadata.name`, `metadata.labels['a']`, `metadata.labels`,
 * `spec.nodeName`, `status.podIP`, …). With `asFile`, whole label/annotation maps are rendered as
 * `k="v"` lines sorted by key (upstream's FormatMap).
 */
export function fieldRefValue(pod: Pod, fieldPath: string, asFile = false): string {
  const md = pod.metadata ?? {};
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (m) return (md[m[1] as 'labels' | 'annotations'] ?? {})[m[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'metadata.labels':
    case 'metadata.annotations': {
      const map = (fieldPath === 'metadata.labels' ? md.labels : md.annotations) ?? {};
      return Object.keys(map)
        .sort()
        .map((k) => `${k}=${JSON.stringify(map[k])}`)
        .join('\n') + (asFile ? '' : '');
    }
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((x) => x.ip).join(',');
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((x) => x.ip).join(',');
    default:
      return '';
  }
}

async function writeProjection(dir: string, parts: Projection[], fail: (why: string) => Error): Promise<void> {
  const files = new Map<string, FileProjection>();
  for (const p of parts) {
    if (p.items?.length) {
      for (const it of p.items) {
        const content = p.data[it.key];
        if (content === undefined) {
          if (p.optional) continue;
          throw fail(p.kind === 'secret' ? `references non-existent secret key: ${it.key}` : `configmap references non-existent config key: ${it.key}`);
        }
        files.set(it.path, { data: content, mode: it.mode ?? p.mode });
      }
    } else {
      for (const [k, content] of Object.entries(p.data)) files.set(k, { data: content, mode: p.mode });
    }
  }
  try {
    await atomicWrite(dir, files);
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/**
 * Size of the tmpfs of a `medium: Memory` emptyDir, bytes (upstream calculateEmptyDirMemorySize):
 * the node's allocatable memory, lowered to the pod's memory limit when every container has one,
 * and to `sizeLimit` when that is set and smaller.
 */
export function emptyDirMemorySize(pod: Pod, sizeLimit: string | number | undefined, nodeAllocatable: number): number {
  let size = nodeAllocatable;
  const cs = pod.spec?.containers ?? [];
  if (cs.length && cs.every((c) => c.resources?.limits?.memory !== undefined)) {
    const podLimit = cs.reduce((a, c) => a + quantityBytes(String(c.resources!.limits!.memory)), 0);
    if (podLimit > 0 && podLimit < size) size = podLimit;
  }
  if (sizeLimit !== undefined && sizeLimit !== null) {
    const l = quantityBytes(String(sizeLimit));
    if (l > 0 && l < size) size = l;
  }
  return size;
}

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const prefix = path.resolve(dir) + '/';
  return text
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && m.startsWith(prefix));
}

async function isMountPoint(dir: string): Promise<boolean> {
  const text = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const d = path.resolve(dir);
  return text.split('\n').some((l) => l.split(' ')[1] === d);
}

/**
 * Quantity string (`64Mi`, `1G`, `1.5`, `2e3`) → whole bytes, rounded up as upstream's
 * `Quantity.Value()` (src/machinery/quantity.ts). Returns NaN for an unparsable quantity.
 */
export function quantityBytes(q: string): number {
  return tryParseQuantity(String(q).trim())?.value() ?? NaN;
}

/**
 * CPU quantity string (`500m`, `0.1`) → millicores, rounded up as upstream's `Quantity.MilliValue()`
 * (src/machinery/quantity.ts). Returns NaN for an unparsable quantity.
 */
export function quantityMillis(q: string): number {
  return tryParseQuantity(String(q).trim())?.milliValue() ?? NaN;
}
