/**
 * `skiff agent --simulated N`: N simulated nodes in a separate process, attached to a running
 * `skiff server` through a kubeconfig (see src/agent/simulated/simulated-agent.ts). Flags follow
 * the server's `--simulated-*` options and kubelet names (`--node-labels`,
 * `--register-with-taints`, `--node-lease-duration-seconds`); each also reads an `SKIFF_*`
 * environment variable. SIGTERM/SIGINT stop lease renewal and exit 0; the Nodes stay registered.
 */
import { Command, Option } from 'commander';
import { dataPaths, defaultDataDir } from '../server/paths.ts';
import { createLogger } from '../server/log.ts';
import { parseCapacity, parseNodeLabels, parseTaints, runSimulatedAgent } from '../agent/simulated/simulated-agent.ts';

/** Builds the `agent` command. */
export function agentCommand(): Command {
  return new Command('agent')
    .description('run simulated nodes against a running skiff server (real remote nodes are not supported yet)')
    .addOption(new Option('--simulated <n>', 'number of simulated nodes to register and keep alive').env('SKIFF_AGENT_SIMULATED'))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig of the server (default: <data-dir>/kubeconfig.yaml)').env('SKIFF_AGENT_KUBECONFIG'))
    .addOption(new Option('--data-dir <dir>', 'data dir of the server, for the default --kubeconfig').env('SKIFF_DATA_DIR').default(defaultDataDir()))
    .addOption(new Option('--node-name-prefix <prefix>', 'name prefix of the simulated nodes').env('SKIFF_AGENT_NODE_NAME_PREFIX').default('sim-agent-'))
    .addOption(new Option('--cluster-cidr <cidr>', "the server's pod network; free /24s of it become the nodes' pod CIDRs").env('SKIFF_CLUSTER_CIDR').default('10.88.0.0/16'))
    .addOption(new Option('--simulated-config <file>', "YAML: nodes' capacity, labels, taints and pod stages (as skiff server --simulated-config)").env('SKIFF_SIMULATED_CONFIG'))
    .addOption(new Option('--stages <file>', 'YAML list of pod stages (overrides the config file\'s)').env('SKIFF_AGENT_STAGES'))
    .addOption(new Option('--node-labels <k=v,...>', 'labels added to every node').env('SKIFF_AGENT_NODE_LABELS'))
    .addOption(new Option('--register-with-taints <k=v:Effect,...>', 'taints put on every node').env('SKIFF_AGENT_REGISTER_WITH_TAINTS'))
    .addOption(new Option('--capacity <cpu=…,memory=…,pods=…>', 'capacity of every node (default cpu=32,memory=256Gi,pods=110)').env('SKIFF_AGENT_CAPACITY'))
    .addOption(new Option('--node-lease-duration-seconds <s>', 'Lease duration; renewed every quarter of it').env('SKIFF_AGENT_NODE_LEASE_DURATION_SECONDS').default('40'))
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn, error').env('SKIFF_LOG_LEVEL').default('info'))
    .action(async (opts, cmd: Command) => {
      if (opts.simulated === undefined) cmd.error('skiff agent: only simulated nodes are supported; pass --simulated N');
      if (!/^[1-9]\d*$/.test(String(opts.simulated))) cmd.error(`invalid --simulated: ${opts.simulated}`);
      const lease = Number(opts.nodeLeaseDurationSeconds);
      if (!Number.isInteger(lease) || lease < 1) cmd.error(`invalid --node-lease-duration-seconds: ${opts.nodeLeaseDurationSeconds}`);
      let labels, taints, capacity;
      try {
        labels = opts.nodeLabels ? parseNodeLabels(opts.nodeLabels) : undefined;
        taints = opts.registerWithTaints ? parseTaints(opts.registerWithTaints) : undefined;
        capacity = opts.capacity ? parseCapacity(opts.capacity) : undefined;
      } catch (e) {
        cmd.error(`skiff agent: ${(e as Error).message}`);
      }
      const ac = new AbortController();
      let signals = 0;
      const onSignal = (sig: string) => {
        if (++signals > 1) process.exit(130);
        process.stderr.write(`received ${sig}, stopping simulated nodes\n`);
        ac.abort();
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      try {
        await runSimulatedAgent(
          {
            kubeconfig: opts.kubeconfig ?? dataPaths(opts.dataDir).kubeconfig,
            count: Number(opts.simulated),
            prefix: opts.nodeNamePrefix,
            clusterCIDR: opts.clusterCidr,
            configFile: opts.simulatedConfig,
            stagesFile: opts.stages,
            labels,
            taints,
            capacity,
            leaseDurationSeconds: lease,
            logger: createLogger(opts.logLevel),
            onReady: (names) => process.stdout.write(`skiff agent is ready: ${names.length} simulated nodes (${names.join(', ')})\n`),
          },
          ac.signal,
        );
        process.exit(0);
      } catch (err) {
        process.stderr.write(`skiff agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
      }
    });
}
