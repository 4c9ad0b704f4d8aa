#!/usr/bin/env bash
# Commit only the given paths, retrying while another committer holds the index lock.
# usage: scripts/commit.sh "message" path...
set -u
msg=$1; shift
for i in $(seq 1 30); do
  if git add -- "$@" 2>/dev/null && git commit -q -m "$msg" -- "$@"; then exit 0; fi
  sleep $((RANDOM % 3 + 1))
done
echo "commit failed after retries" >&2; exit 1
