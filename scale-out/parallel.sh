#!/usr/bin/env bash
# A sweep in SHARDS shards run by GNU parallel, on this machine's cores or on other hosts, then
# merged into one verdict, one JUnit report and one result (docs/scale-out.md).
#
# Usage: scale-out/parallel.sh SCENARIO SEEDS SHARDS OUT [GNU parallel's options...]
#   scale-out/parallel.sh scenarios/regression/safe_producer.lua 1..10000 8 out
#   scale-out/parallel.sh scenarios/regression/safe_producer.lua 1..10000 32 out \
#       --sshlogin 16/build1,16/build2 --basefile build/kafkasim --workdir ...
# KAFKASIM names the binary (default: kafkasim on the PATH; on other hosts, the one --basefile
# copies there); SWEEP_OPTIONS adds options to every shard's sweep (--set bugs=..., --timeout 60).
# Exits as the merge does: 0 every seed passed, 1 a seed failed, 2 a shard is missing or does
# not belong (the message names it).
set -uo pipefail
if [ $# -lt 4 ]; then sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; fi
scenario=$1 seeds=$2 shards=$3 out=$4
shift 4
kafkasim=${KAFKASIM:-kafkasim}
mkdir -p "$out"
# One process per shard (-j 1 inside it): parallel spreads the shards over the cores or hosts.
# A shard with failing seeds exits 1 and still wrote its result; the merge judges them all, and
# refuses a shard that wrote none.
read -r -a options <<< "${SWEEP_OPTIONS:-}"
parallel --halt never "$@" "$kafkasim" sweep "$scenario" --seeds "$seeds" --shard {}/"$shards" -j 1 "${options[@]}" \
  --json "$out"/shard-{}.json --force ::: $(seq "$shards") >/dev/null
exec "$kafkasim" merge "$out"/shard-*.json --junit "$out"/junit.xml --json "$out"/merged.json --force
