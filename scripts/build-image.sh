#!/usr/bin/env bash
# Builds Skiff's test web image offline from Debian's busybox-static, with umoci (no Docker):
#   skiff.local/web:1  busybox httpd serving /www on :8080 ("hello from skiff web v1" + hostname)
#   skiff.local/web:2  same base layer + a layer with the v2 page, WEB_VERSION=v2 and a whiteout
#                      of /www/v1-only.txt (for rolling-update and whiteout tests)
# Outputs (git-ignored):
#   .data/images/oci            OCI image layout, tags "1" and "2" (for `skopeo copy oci:<dir>:<tag> …`)
#   .data/images/skiff-web.tar  OCI layout tarball whose index names skiff.local/web:1 and :2
#                               (io.containerd.image.name), for `skiff images import`
# Idempotent: when the inputs (this script, examples/images/web/, /bin/busybox) are unchanged and the
# outputs exist, it only prints the paths. Needs: umoci, jq, GNU tar, /bin/busybox (busybox-static).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out=$repo/.data/images
layout=$out/oci
archive=$out/skiff-web.tar
inputs=$repo/examples/images/web
busybox=${BUSYBOX:-/bin/busybox}

for tool in umoci jq tar sha256sum flock; do
  command -v "$tool" >/dev/null || { echo "build-image: missing $tool" >&2; exit 1; }
done
[ -x "$busybox" ] || { echo "build-image: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }

# Serialise concurrent builds (tests and setup-host may run this at the same time).
mkdir -p "$out"
exec 9>"$out/.build-lock"
flock 9

stamp=$( { sha256sum "$0" "$busybox"; (cd "$inputs" && find . -type f -print0 | sort -z | xargs -0 sha256sum); } | sha256sum | cut -c1-64)
if [ -f "$out/.build-stamp" ] && [ "$(cat "$out/.build-stamp")" = "$stamp" ] && [ -f "$layout/index.json" ] && [ -f "$archive" ]; then
  echo "oci layout: $layout (tags 1, 2)"
  echo "archive:    $archive (skiff.local/web:1, skiff.local/web:2)"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armv7l) arch=arm ;; i?86) arch=386 ;; *) arch=$(uname -m) ;;
esac

mkdir -p "$out"
work=$(mktemp -d "$out/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
epoch=1700000000  # fixed timestamps: the same inputs give the same layers
stamp_tree() { find "$1" -exec touch -h -d "@$epoch" {} +; }

umoci init --layout "$work/oci"
umoci new --image "$work/oci:base"

# --- v1: the whole busybox userland, /etc, /www
umoci unpack --image "$work/oci:base" "$work/b1" >/dev/null
r=$work/b1/rootfs
mkdir -p "$r"/{bin,etc,tmp,www,proc,sys,dev,root,var/run}
chmod 1777 "$r/tmp"
chmod 700 "$r/root"
cp "$busybox" "$r/bin/busybox"
for a in $("$busybox" --list); do
  # never link busybox onto itself (that would replace the binary with a self-loop)
  [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
done
install -m 0755 "$inputs/web-start" "$r/bin/web-start"
install -m 0644 "$inputs/passwd" "$r/etc/passwd"
install -m 0644 "$inputs/group" "$r/etc/group"
install -m 0644 "$inputs/index-v1.html" "$r/www/index.html"
install -m 0644 "$inputs/v1-only.txt" "$r/www/v1-only.txt"
echo web > "$r/etc/hostname"
stamp_tree "$r"
umoci repack --image "$work/oci:base" --history.created "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" \
  --history.created_by "build-image.sh: busybox userland + web-start" "$work/b1"
common=(--clear=config.entrypoint --config.cmd /bin/web-start --config.workingdir /
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        --config.exposedports 8080/tcp --config.stopsignal SIGTERM
        --os linux --architecture "$arch" --created "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
        --history.created "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)")
umoci config --image "$work/oci:base" --tag 1 "${common[@]}" \
  --config.env WEB_VERSION=v1 --config.label org.opencontainers.image.version=1 \
  --config.label org.opencontainers.image.title=skiff-web --history.created_by "build-image.sh: config v1"

# --- v2: a layer on top of v1 (new page, v1-only.txt whited out)
umoci unpack --image "$work/oci:1" "$work/b2" >/dev/null
r2=$work/b2/rootfs
install -m 0644 "$inputs/index-v2.html" "$r2/www/index.html"
rm -f "$r2/www/v1-only.txt"
stamp_tree "$r2/www"
umoci repack --image "$work/oci:2" --history.created "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" \
  --history.created_by "build-image.sh: page v2" "$work/b2"
umoci config --image "$work/oci:2" "${common[@]}" \
  --config.env WEB_VERSION=v2 --config.label org.opencontainers.image.version=2 \
  --config.label org.opencontainers.image.title=skiff-web --history.created_by "build-image.sh: config v2"
umoci rm --image "$work/oci:base"
umoci gc --layout "$work/oci"

# --- archive: the same layout, index annotated with full names
mkdir -p "$work/archive"
cp -r "$work/oci/blobs" "$work/oci/oci-layout" "$work/archive/"
jq '.manifests |= map(.annotations["io.containerd.image.name"] = "skiff.local/web:" + .annotations["org.opencontainers.image.ref.name"])' \
  "$work/oci/index.json" > "$work/archive/index.json"
tar -C "$work/archive" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf "$work/skiff-web.tar" oci-layout index.json blobs

rm -rf "$layout"
mv "$work/oci" "$layout"
mv "$work/skiff-web.tar" "$archive"
echo "$stamp" > "$out/.build-stamp"
echo "oci layout: $layout (tags 1, 2)"
echo "archive:    $archive (skiff.local/web:1, skiff.local/web:2)"
