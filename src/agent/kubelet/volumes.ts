/**
 * Pod volumes, after the kubelet's volume manager and plugins (pkg/volume/{emptydir,hostpath,
 * configmap,secret,downwardapi,projected}). Every pod gets `<rootDir>/pods/<uid>/volumes/<plugin>/<name>`
 * (plugin dirs `kubernetes.io~empty-dir`, `kubernetes.io~configmap`, `kubernetes.io~secret`,
 * `kubernetes.io~downward-api`, `kubernetes.io~projected`), which survives container restarts and
 * is removed with the pod.
 *
 * - emptyDir: a directory; `medium: Memory` mounts a tmpfs there (`size=<sizeLimit>` when set),
 *   unmounted on teardown.
 * - hostPath: the host path itself; `DirectoryOrCreate` / `FileOrCreate` create it, `Directory` /
 *   `File` / `Socket` require it to exist.
 * - configMap / secret: files written from the object's data (`items` select and rename keys,
 *   `defaultMode`/`mode`, default 0644); rewritten on every sync so updates reach running pods.
 *   A missing object fails the mount (`MountVolume.SetUp failed for volume "x" : configmap "y" not found`)
 *   unless `optional`.
 * - downwardAPI: metadata.name/namespace/uid/labels/annotations files.
 * - projected: the union of configMap, secret, downwardAPI and serviceAccountToken sources. Missing
 *   sources are skipped; the token is a placeholder until a TokenRequest API exists.
 * - persistentVolumeClaim: the bound PV's hostPath/local directory (`pvc-volume.ts`).
 * Not supported (mount fails with a clear message): other plugins.
 */
import { mkdir, writeFile, rm, readFile, stat, readdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import type { Pod, Volume, KeyToPath, DownwardAPIVolumeFile, ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import type { Client, GroupVersionResource } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { setUpPersistentVolumeClaim } from './pvc-volume.ts';
import { tryParseQuantity } from '../../machinery/quantity.ts';

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
  ) {}

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
      const type = v.hostPath.type ?? '';
      if (type === 'DirectoryOrCreate') await mkdir(p, { recursive: true, mode: 0o755 });
      else if (type === 'FileOrCreate') {
        await mkdir(path.dirname(p), { recursive: true });
        await writeFile(p, '', { flag: 'a', mode: 0o644 });
      } else if (type === 'Directory' || type === 'File' || type === 'Socket' || type === 'CharDevice' || type === 'BlockDevice') {
        const st = await stat(p).catch(() => undefined);
        if (!st) throw fail(`hostPath type check failed: ${p} is not a ${type.toLowerCase()}`);
        if (type === 'Directory' && !st.isDirectory()) throw fail(`hostPath type check failed: ${p} is not a directory`);
        if (type === 'File' && !st.isFile()) throw fail(`hostPath type check failed: ${p} is not a file`);
      }
      return p;
    }
    if (v.emptyDir) {
      const dir = path.join(base, 'kubernetes.io~empty-dir', v.name);
      await mkdir(dir, { recursive: true, mode: 0o777 });
      if (v.emptyDir.medium === 'Memory' && this.allowMounts && !(await isMountPoint(dir))) {
        const opts = ['-t', 'tmpfs', '-o', v.emptyDir.sizeLimit ? `size=${quantityBytes(String(v.emptyDir.sizeLimit))}` : 'mode=0777', 'tmpfs', dir];
        await run('mount', opts).catch((e: Error) => {
          throw fail(`mount tmpfs: ${e.message}`);
        });
      }
      return dir;
    }
    if (v.configMap) {
      const dir = path.join(base, 'kubernetes.io~configmap', v.name);
      const cm = await this.getOptional<ConfigMap>(GVR.configmaps, ns, v.configMap.name ?? '');
      if (!cm && !v.configMap.optional) throw fail(`configmap "${v.configMap.name}" not found`);
      const data = cmData(cm);
      await writeProjection(dir, [{ data, items: v.configMap.items, mode: v.configMap.defaultMode ?? 0o644, name: v.configMap.name ?? '', kind: 'configmap', optional: v.configMap.optional }], fail);
      return dir;
    }
    if (v.secret) {
      const dir = path.join(base, 'kubernetes.io~secret', v.name);
      const s = await this.getOptional<Secret>(GVR.secrets, ns, v.secret.secretName ?? '');
      if (!s && !v.secret.optional) throw fail(`secret "${v.secret.secretName}" not found`);
      await writeProjection(dir, [{ data: secretData(s), items: v.secret.items, mode: v.secret.defaultMode ?? 0o644, name: v.secret.secretName ?? '', kind: 'secret', optional: v.secret.optional }], fail);
      return dir;
    }
    if (v.downwardAPI) {
      const dir = path.join(base, 'kubernetes.io~downward-api', v.name);
      await writeProjection(dir, [{ data: downwardData(pod, v.downwardAPI.items ?? []), mode: v.downwardAPI.defaultMode ?? 0o644, name: '', kind: 'downward' }], fail);
      return dir;
    }
    if (v.projected) {
      const dir = path.join(base, 'kubernetes.io~projected', v.name);
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
          parts.push({ data: { [src.serviceAccountToken.path]: Buffer.from('') }, mode, name: '', kind: 'token' });
        }
      }
      await writeProjection(dir, parts, fail);
      return dir;
    }
    if (v.persistentVolumeClaim) return setUpPersistentVolumeClaim(this.client, pod, v, base, this.allowMounts, (m) => new VolumeError(m));
    throw fail('unsupported volume type');
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
    const dir = podDir(this.rootDir, uid);
    for (const m of (await mountsUnder(dir)).sort((a, b) => b.length - a.length)) {
      await run('umount', ['-l', m]).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
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
  await mkdir(dir, { recursive: true });
  const files = new Map<string, { content: Buffer; mode: number }>();
  for (const p of parts) {
    if (p.items?.length) {
      for (const it of p.items) {
        const content = p.data[it.key];
        if (content === undefined) {
          if (p.optional) continue;
          throw fail(`configmap references non-existent config key: ${it.key}`);
        }
        files.set(it.path, { content, mode: it.mode ?? p.mode });
      }
    } else {
      for (const [k, content] of Object.entries(p.data)) files.set(k, { content, mode: p.mode });
    }
  }
  // Remove files that no longer belong (keys removed from the object).
  const existing = await listFiles(dir);
  for (const f of existing) if (!files.has(f)) await rm(path.join(dir, f), { force: true });
  for (const [rel, { content, mode }] of files) {
    const target = path.resolve(dir, rel);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw fail(`invalid path ${rel}`);
    await mkdir(path.dirname(target), { recursive: true });
    const old = await readFile(target).catch(() => undefined);
    if (!old || !old.equals(content)) await writeFile(target, content, { mode });
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
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
