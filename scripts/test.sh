#!/usr/bin/env bash
# Runs every test: type check, then unit tests beside the code, integration tests and e2e tests
# (node:test, one process per file). Extra arguments are passed to `node --test`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"
npx tsc --noEmit -p .
mapfile -t files < <(find src test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
echo "== ${#files[@]} test files"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "$@" "${files[@]}"
