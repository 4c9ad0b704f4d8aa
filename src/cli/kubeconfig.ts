/**
 * `skiff kubeconfig --user alice --group dev [--output f]`: a kubeconfig for a non-admin user,
 * authenticating with a client certificate signed by the cluster CA (CN=user, O=groups), like
 * `kubeadm kubeconfig user --client-name alice --org dev`. The server URL and CA come from the
 * server's admin kubeconfig; the CA key from `<data-dir>/server/pki/ca.key`. What the user may do
 * is then up to RBAC (Role/RoleBinding for the user or its groups).
 */
import { Command, Option } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { dataPaths, defaultDataDir } from '../server/paths.ts';
import { clientCertKubeconfig, issueClientCertificate } from '../apiserver/auth/client-cert.ts';

/** The `kubeconfig` subcommand. Writes the kubeconfig to --output (mode 0600) or stdout. */
export function kubeconfigCommand(): Command {
  return new Command('kubeconfig')
    .description('issue a client certificate for a user and print a kubeconfig using it')
    .requiredOption('--user <name>', 'user name (certificate CN)')
    .addOption(new Option('--group <name...>', 'group (certificate O); repeatable').default([]))
    .addOption(new Option('--namespace <ns>', 'namespace of the context').default('default'))
    .addOption(new Option('--days <n>', 'validity in days').default('365'))
    .addOption(new Option('--output <file>', 'write the kubeconfig here instead of stdout'))
    .addOption(new Option('--data-dir <dir>', 'data dir of the server').env('SKIFF_DATA_DIR').default(defaultDataDir()))
    .action((opts: { user: string; group: string[]; namespace: string; days: string; output?: string; dataDir: string }) => {
      const paths = dataPaths(opts.dataDir);
      const admin = YAML.parse(readFileSync(paths.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }> };
      const cluster = admin.clusters[0].cluster;
      const pkiDir = join(paths.server, 'pki');
      const { certPem, keyPem } = issueClientCertificate({
        caCertPath: join(pkiDir, 'ca.crt'),
        caKeyPath: join(pkiDir, 'ca.key'),
        user: opts.user,
        groups: opts.group,
        days: Number(opts.days),
      });
      const text = clientCertKubeconfig({
        server: cluster.server,
        caPem: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
        user: opts.user,
        certPem,
        keyPem,
        namespace: opts.namespace,
      });
      if (opts.output) writeFileSync(opts.output, text, { mode: 0o600 });
      else process.stdout.write(text);
    });
}
