/**
 * Test fixture (not a test): a stand-in "agent process" for the re-adoption test. Creates a sandbox and
 * a long-running container with the options given as JSON in argv[2], prints `{sandboxId, containerId}`
 * on stdout, then idles until the test SIGKILLs it.
 */
import { RuncRuntime } from './runtime.ts';
import { StaticImageResolver } from './test-support.ts';

const o = JSON.parse(process.argv[2]) as {
  stateDir: string; runcRoot: string; prefix: string; rootfs: string; bridge: string; subnet: string; cgroupParent: string; logPath: string;
};
const rt = new RuncRuntime({
  stateDir: o.stateDir, runcRoot: o.runcRoot, prefix: o.prefix, images: new StaticImageResolver(o.rootfs),
  cni: { bridge: o.bridge, subnet: o.subnet }, cgroupParent: o.cgroupParent,
});
const sbc = {
  metadata: { name: 'adopt', namespace: 'default', uid: 'adopt-uid-0001', attempt: 0 }, hostname: 'adopt',
  labels: { app: 'adopt' }, annotations: {}, portMappings: [],
};
const sandboxId = await rt.runPodSandbox(sbc);
const containerId = await rt.createContainer(sandboxId, {
  metadata: { name: 'sleeper', attempt: 0 }, image: 'busybox', command: ['sleep', '3600'], envs: [], mounts: [],
  labels: { 'io.kubernetes.container.name': 'sleeper' }, annotations: {}, logPath: o.logPath,
}, sbc);
await rt.startContainer(containerId);
process.stdout.write(`${JSON.stringify({ sandboxId, containerId })}\n`);
setInterval(() => {}, 60_000);
