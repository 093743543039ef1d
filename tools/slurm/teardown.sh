#!/usr/bin/env bash
# Stops exactly the daemons tools/slurm/setup.sh started (the pids it recorded), nothing else: TERM, then
# KILL after 5 s. A pid is signalled only while its command is still the program recorded for it (a pid
# reused by another process since is left alone).
#
#   tools/slurm/teardown.sh <state-dir>
set -uo pipefail
STATE=${1:?usage: teardown.sh <state-dir>}
[ -f "$STATE/pids" ] || exit 0
mapfile -t ENTRIES < "$STATE/pids"
ours() { [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm")" = "$2" ]; }
for e in "${ENTRIES[@]}"; do set -- $e; ours "$1" "$2" && kill -TERM "$1" 2>/dev/null; done
for _ in $(seq 50); do
  alive=0
  for e in "${ENTRIES[@]}"; do set -- $e; ours "$1" "$2" && alive=1; done
  [ $alive = 0 ] && break
  sleep 0.1
done
for e in "${ENTRIES[@]}"; do set -- $e; ours "$1" "$2" && { echo "teardown: $2 ($1) ignored SIGTERM; SIGKILL"; kill -KILL "$1" 2>/dev/null; }; done
: > "$STATE/pids"
