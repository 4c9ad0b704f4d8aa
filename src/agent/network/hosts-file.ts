/**
 * The content of a pod's managed /etc/hosts, after the kubelet's managedHostsFileContent
 * (pkg/kubelet/kubelet_pods.go), shared by the kubelet (per-pod `etc-hosts`) and the runc
 * runtime (per-sandbox `hosts`).
 */

/**
 * Managed hosts file text: the localhost/IPv6 defaults, then `<podIP>\t<hostname>.<domain>\t<hostname>`
 * (or `<podIP>\t<hostname>` when `domain` is empty) when `podIP` is set, then one line per host
 * alias with an ip and hostnames (`<ip>\t<name>\t<name>…`). Ends with a newline.
 */
export function managedHostsFileContent(
  podIP: string | undefined,
  hostname: string,
  domain = '',
  hostAliases: readonly { ip?: string; hostnames?: string[] }[] = [],
): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (podIP) lines.push(domain ? `${podIP}\t${hostname}.${domain}\t${hostname}` : `${podIP}\t${hostname}`);
  for (const ha of hostAliases) {
    if (ha.ip && ha.hostnames?.length) lines.push(`${ha.ip}\t${ha.hostnames.join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}
