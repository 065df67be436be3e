#!/usr/bin/env bash
# Builds the Dockerfile's image and runs a sweep as two shards in containers, then their merge,
# where a container engine (docker or podman) answers; elsewhere says so and exits 0. Not part
# of scripts/test: building the image takes minutes and a daemon most CI machines lack.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=
for e in docker podman; do
  if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then engine=$e; break; fi
done
if [ -z "$engine" ]; then
  echo "container-smoke: no container engine answers (docker info, podman info): skipped"
  exit 0
fi
"$engine" build -t kafkasim:smoke .
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for k in 1 2; do
  "$engine" run --rm -v "$out:/results" kafkasim:smoke sweep scenarios/regression/safe_producer.lua --seeds 1..4 \
    --shard "$k/2" -j 1 --json "/results/shard-$k.json" --force >/dev/null || [ $? -le 1 ]
done
"$engine" run --rm -v "$out:/results" --entrypoint sh kafkasim:smoke -c 'kafkasim merge /results/shard-*.json'
