/**
 * Test support for integration tests that run the real /usr/bin/kubectl against an apiserver:
 * one runner (isolated HOME and cache dir, no ambient KUBECONFIG) and the small `web`
 * Deployment manifest they share.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** Exit code and output of one kubectl run. */
export type KubectlRun = { code: number; stdout: string; stderr: string };

/**
 * Runs `kubectl --kubeconfig <kubeconfig> --cache-dir <home>/cache …args` with HOME=`home`,
 * feeding `input` on stdin when given. Never rejects: a failure is a non-zero `code`.
 */
export function runKubectl(kubeconfig: string, home: string, args: string[], input?: string): Promise<KubectlRun> {
  return new Promise((resolve) => {
    const child = execFile(
      '/usr/bin/kubectl',
      ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), ...args],
      { timeout: 90_000, env: { ...process.env, HOME: home, KUBECONFIG: '' } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Deployment `web` (label app=web), 2 replicas of `nginx:1` exposing `containerPort`. */
export function webDeploymentManifest(containerPort: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
        ports:
        - containerPort: ${containerPort}
`;
}
