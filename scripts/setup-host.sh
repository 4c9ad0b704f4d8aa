#!/usr/bin/env bash
# Idempotent host set-up for Skiff's node agent (run by `npm start` and `npm test` first).
# As root on Debian: installs what is missing and sets the sysctls the agent needs.
# Elsewhere: says exactly what is missing and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A need=(
  [runc]=runc [conmon]=conmon [iptables]=iptables [docker-registry]=docker-registry
  [skopeo]=skopeo [umoci]=umoci [jq]=jq [openssl]=openssl [busybox]=busybox-static [ip]=iproute2 [etcd]=etcd-server [curl]=curl
  [conntrack]=conntrack
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || missing+=(containernetworking-plugins)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-host: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-host: missing packages: ${missing[*]}" >&2
    echo "setup-host: Skiff's node agent needs root on Debian 12 (or install these yourself and re-run)." >&2
    exit 1
  fi
fi

if [ "$(id -u)" = 0 ]; then
  # Pods reach Services through the bridge: forwarded and bridged traffic must pass iptables.
  sysctl -qw net.ipv4.ip_forward=1
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && sysctl -qw net.bridge.bridge-nf-call-iptables=1 || true
fi

# The example image (busybox-static based, built offline) that examples/ and tests use.
if [ -x scripts/build-image.sh ]; then bash scripts/build-image.sh >/dev/null; fi
echo "setup-host: ok"
