/**
 * The `skiff` command: `skiff server` (control plane + local node agent in one process) and
 * `skiff images` (the node's image store). Flags follow upstream/k3s names; every flag also
 * reads an `SKIFF_*` environment variable (e.g. `SKIFF_DATA_DIR`).
 */
import { Command, Option } from 'commander';
import os from 'node:os';
import { runServer } from '../server/server.ts';
import { defaultDataDir } from '../server/paths.ts';
import { imagesCommand } from './images.ts';
import { agentCommand } from './agent.ts';
import { kubeconfigCommand } from './kubeconfig.ts';
import { parseGoDuration } from '../api/batch/v1/cronjob/schedule.ts';
import { addControllerManagerOptions, parseControllerManagerFlags, type ControllerManagerFlags } from './controller-flags.ts';

const program = new Command();
program.name('skiff').description('A Kubernetes-compatible cluster in one Node.js process.').showHelpAfterError();

const serverCommand = program
  .command('server')
  .description('run the API server, store, scheduler, controllers and (unless --disable-agent) a node agent')
  .addOption(new Option('--data-dir <dir>', 'state, certificates, kubeconfig, images and pod data').env('SKIFF_DATA_DIR').default(defaultDataDir()))
  .addOption(new Option('--https-listen-port <port>', 'API server HTTPS port').env('SKIFF_HTTPS_LISTEN_PORT').default('6443'))
  .addOption(new Option('--bind-address <ip>', 'address the API server listens on').env('SKIFF_BIND_ADDRESS').default('127.0.0.1'))
  .addOption(new Option('--node-name <name>', 'name of the local node').env('SKIFF_NODE_NAME').default(os.hostname().toLowerCase()))
  .addOption(new Option('--cluster-cidr <cidr>', 'pod network; each node gets a /24 of it').env('SKIFF_CLUSTER_CIDR').default('10.88.0.0/16'))
  .addOption(new Option('--service-cidr <cidr>', 'Service ClusterIP range').env('SKIFF_SERVICE_CIDR').default('10.96.0.0/16'))
  .addOption(new Option('--resource-prefix <name>', 'prefix of host resources Skiff makes (bridge, netns, cgroups, chains)').env('SKIFF_RESOURCE_PREFIX').default('skiff'))
  .addOption(new Option('--import-images <path...>', 'image tarballs (OCI or docker-archive) or directories of them to import at start').env('SKIFF_IMPORT_IMAGES'))
  .addOption(new Option('--disable-agent', 'run the control plane only').env('SKIFF_DISABLE_AGENT').default(false))
  .addOption(new Option('--simulated-nodes <n>', 'also run N simulated nodes (no containers; pods move through scripted stages)').env('SKIFF_SIMULATED_NODES').default('0'))
  .addOption(new Option('--simulated-node-prefix <prefix>', 'name prefix of simulated nodes').env('SKIFF_SIMULATED_NODE_PREFIX').default('sim-node-'))
  .addOption(new Option('--simulated-config <file>', 'YAML: simulated nodes\' capacity, labels, taints and pod stages').env('SKIFF_SIMULATED_CONFIG'))
  .addOption(new Option('--cleanup-on-exit', 'stop and remove all pods\' containers and network on shutdown').env('SKIFF_CLEANUP_ON_EXIT').default(false))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn, error').env('SKIFF_LOG_LEVEL').default('info'))
  .addOption(new Option('--datastore-endpoint <url>', 'etcd client URL(s), comma-separated, instead of the embedded SQLite store').env('SKIFF_DATASTORE_ENDPOINT'))
  .addOption(new Option('--sync-frequency <duration>', 'kubelet periodic pod sync; configMap/secret volume updates reach pods within it').env('SKIFF_SYNC_FREQUENCY').default('10s'));
// Controller-manager flags (node lifecycle, PodGC) come last in --help, after the server's own.
addControllerManagerOptions(serverCommand)
  .action(async (opts) => {
    const port = Number(opts.httpsListenPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) program.error(`invalid --https-listen-port: ${opts.httpsListenPort}`);
    if (!/^[a-z][a-z0-9]{0,9}$/.test(opts.resourcePrefix)) program.error('--resource-prefix must be 1-10 lower-case letters/digits, starting with a letter');
    if (!/^\d+$/.test(String(opts.simulatedNodes))) program.error(`invalid --simulated-nodes: ${opts.simulatedNodes}`);
    let syncFrequencyMs = 0;
    try {
      syncFrequencyMs = parseGoDuration(String(opts.syncFrequency));
    } catch (e) {
      program.error(`invalid --sync-frequency: ${(e as Error).message}`);
    }
    if (!(syncFrequencyMs > 0)) program.error('--sync-frequency must be positive');
    let cmFlags: ControllerManagerFlags | undefined;
    try {
      cmFlags = parseControllerManagerFlags(opts);
    } catch (e) {
      program.error((e as Error).message);
    }
    const ac = new AbortController();
    let signals = 0;
    const onSignal = (sig: string) => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`received ${sig} again, exiting now\n`);
        process.exit(130);
      }
      process.stderr.write(`received ${sig}, shutting down\n`);
      ac.abort();
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    try {
      await runServer(
        {
          dataDir: opts.dataDir,
          httpsListenPort: port,
          bindAddress: opts.bindAddress,
          nodeName: opts.nodeName,
          clusterCIDR: opts.clusterCidr,
          serviceCIDR: opts.serviceCidr,
          resourcePrefix: opts.resourcePrefix,
          importImages: opts.importImages ?? [],
          disableAgent: Boolean(opts.disableAgent),
          simulatedNodes: Number(opts.simulatedNodes),
          simulatedNodePrefix: opts.simulatedNodePrefix,
          simulatedConfig: opts.simulatedConfig,
          cleanupOnExit: Boolean(opts.cleanupOnExit),
          logLevel: opts.logLevel,
          datastoreEndpoint: opts.datastoreEndpoint,
          syncFrequencyMs,
          nodeLifecycle: cmFlags?.nodeLifecycle,
          terminatedPodGCThreshold: cmFlags?.terminatedPodGCThreshold,
        },
        ac.signal,
      );
      process.exit(0);
    } catch (err) {
      process.stderr.write(`skiff server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    }
  });

program.addCommand(imagesCommand());
program.addCommand(agentCommand());
program.addCommand(kubeconfigCommand());

await program.parseAsync(process.argv);
