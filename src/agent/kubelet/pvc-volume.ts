/**
 * The kubelet's `persistentVolumeClaim` volume source, after the volume manager's
 * desired-state-of-world populator (pkg/kubelet/volumemanager/populator: getPVCExtractPV,
 * getPVSpec) and the hostPath / local volume plugins (pkg/volume/hostpath, pkg/volume/local).
 *
 * claim → must exist, not be deleting, be Bound with `spec.volumeName` → the PV → its
 * `spec.hostPath.path` (type-checked as a hostPath volume, hostpath.ts) or `spec.local.path` (must exist). A
 * read-only claim source (`persistentVolumeClaim.readOnly`) is served through a read-only bind
 * mount at `<pod dir>/volumes/kubernetes.io~local-volume/<volume name>` when mounts are allowed
 * (root); otherwise the path is used directly.
 * Errors read like upstream's FailedMount event: `Unable to attach or mount volumes: unmounted
 * volumes=[data], unattached volumes=[data]: error processing PVC default/claim: PVC is not bound`.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { checkHostPathType, HostPathTypeError } from './hostpath.ts';
import type { Client, GroupVersionResource, KubeObject } from '../../client/interface.ts';
import { isNotFound } from '../../machinery/errors.ts';

const run = promisify(execFile);
const PVCs: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PVs: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumes' };

type Obj = KubeObject & { spec?: Record<string, any>; status?: Record<string, any> };

/**
 * Resolves a `persistentVolumeClaim` volume of `pod` to a host directory.
 * @param base `<pod dir>/volumes`
 * @param allowMounts whether bind mounts may be made (needs root)
 * @param makeError builds the VolumeError thrown for a message
 * @param waitForBindMs how long to wait for an unbound claim to bind before failing (ms, default
 *   10 000; upstream's WaitForAttachAndMount waits up to ~2 min polling every 300 ms)
 * @returns the host path to bind into containers
 * @throws the error from `makeError` (claim missing/unbound/deleting, PV missing or of an unsupported type)
 */
export async function setUpPersistentVolumeClaim(
  client: Client,
  pod: Pod,
  v: Volume,
  base: string,
  allowMounts: boolean,
  makeError: (message: string) => Error,
  waitForBindMs = 10_000,
): Promise<string> {
  const ns = pod.metadata?.namespace ?? '';
  const claimName = v.persistentVolumeClaim?.claimName ?? '';
  const names = (pod.spec?.volumes ?? []).map((x) => x.name).sort().join(' ');
  const fail = (why: string) =>
    makeError(`Unable to attach or mount volumes: unmounted volumes=[${v.name}], unattached volumes=[${names}]: error processing PVC ${ns}/${claimName}: ${why}`);
  const deadline = Date.now() + waitForBindMs;
  let claim: Obj;
  for (;;) {
    try {
      claim = await client.get<Obj>(PVCs, ns, claimName);
    } catch (e) {
      if (isNotFound(e)) throw fail(`failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
      throw e;
    }
    if (claim.metadata?.deletionTimestamp) throw fail('PVC is being deleted');
    if (claim.status?.phase === 'Bound' && claim.spec?.volumeName) break;
    if (Date.now() >= deadline) throw fail('PVC is not bound');
    await new Promise((r) => setTimeout(r, 300));
  }
  const volumeName = String(claim.spec?.volumeName ?? '');
  let pv: Obj;
  try {
    pv = await client.get<Obj>(PVs, undefined, volumeName);
  } catch (e) {
    if (isNotFound(e)) throw fail(`failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found`);
    throw e;
  }
  if (pv.spec?.claimRef?.uid && pv.spec.claimRef.uid !== claim.metadata?.uid) {
    throw fail(`the PV ${volumeName} is bound to another claim (uid ${pv.spec.claimRef.uid})`);
  }
  let hostPath: string;
  if (pv.spec?.hostPath?.path) {
    hostPath = String(pv.spec.hostPath.path);
    try {
      await checkHostPathType(hostPath, pv.spec.hostPath.type);
    } catch (e) {
      if (e instanceof HostPathTypeError) throw makeError(`MountVolume.SetUp failed for volume "${volumeName}" : ${e.message}`);
      throw e;
    }
  } else if (pv.spec?.local?.path) {
    hostPath = String(pv.spec.local.path);
    if (!(await stat(hostPath).catch(() => undefined))) {
      throw makeError(`MountVolume.NewMounter initialization failed for volume "${volumeName}" : path "${hostPath}" does not exist`);
    }
  } else {
    throw makeError(`MountVolume.SetUp failed for volume "${volumeName}" : volume type of PersistentVolume ${volumeName} is not supported by this node`);
  }
  if (!v.persistentVolumeClaim?.readOnly || !allowMounts) return hostPath;
  const target = path.join(base, 'kubernetes.io~local-volume', v.name);
  await mkdir(target, { recursive: true });
  if (!(await isMountPoint(target))) {
    try {
      await run('mount', ['--bind', hostPath, target]);
      await run('mount', ['-o', 'remount,bind,ro', target]);
    } catch (e) {
      throw makeError(`MountVolume.SetUp failed for volume "${volumeName}" : mount failed: ${(e as Error).message}`);
    }
  }
  return target;
}

async function isMountPoint(dir: string): Promise<boolean> {
  const text = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const d = path.resolve(dir);
  return text.split('\n').some((l) => l.split(' ')[1] === d);
}
