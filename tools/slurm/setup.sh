#!/usr/bin/env bash
# A real Slurm on this one machine, for socketlab's sharded-run test: one slurmctld and three slurmd
# daemons acting as nodes n1..n3 on loopback (facts: docs/distributed.md, "A Slurm on one machine").
#
#   tools/slurm/setup.sh <state-dir>
#
# Writes <state-dir>/slurm.conf, <state-dir>/env (source it: SLURM_CONF, SLURM_STATE) and
# <state-dir>/pids (one "pid program" per line: every daemon this script started, for teardown.sh).
# Exit 0: every node idle. Exit 77: cannot run here (not root, no /sys/fs/cgroup, packages not
# installable); a line "SKIPPED: <reason>" says why. Any other exit: a real failure.
set -euo pipefail
STATE=${1:?usage: setup.sh <state-dir>}
NODES=${SOCKETLAB_SLURM_NODES:-3}
skip() { echo "SKIPPED: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "not root (Slurm's daemons and munge need root; run with sudo -E)"
# slurmd 22.05 refuses to start without a mounted cgroup file system, even with no cgroup plugin.
mountpoint -q /sys/fs/cgroup || skip "/sys/fs/cgroup is not mounted (slurmd will not start without it)"

t0=$(date +%s.%N)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v srun >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get to install it"
  echo "installing slurmctld slurmd slurm-client munge (Debian packages)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; } \
    || skip "apt-get could not install slurmctld slurmd slurm-client munge"
fi

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
: > "$STATE/pids"

# munge: Slurm's authentication. Reuse a running munged (someone else's: never ours to stop); start one
# otherwise and record it.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  [ -f /etc/munge/munge.key ] || mungekey --create >/dev/null 2>&1 || /usr/sbin/create-munge-key -f >/dev/null 2>&1
  for d in /run/munge /var/lib/munge /var/log/munge /etc/munge; do mkdir -p "$d"; chown munge:munge "$d"; done
  chmod 0700 /etc/munge /var/lib/munge /var/log/munge; chmod 0755 /run/munge
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  echo "$(cat /run/munge/munged.pid) munged" >> "$STATE/pids"
  munge -n | unmunge >/dev/null || { echo "munge does not work"; exit 1; }
fi

# Free TCP ports for slurmctld and each slurmd, asked from the kernel (another Slurm on this machine,
# e.g. a colleague's test, must not collide with ours).
read -r -a PORTS <<< "$(node -e '
const net = require("node:net"); const n = Number(process.argv[1]) + 1; const servers = []; const ports = [];
(function next() { if (ports.length === n) { servers.forEach((s) => s.close()); console.log(ports.join(" ")); return; }
  const s = net.createServer().listen(0, "127.0.0.1", () => { ports.push(s.address().port); servers.push(s); next(); }); })();
' "$NODES")"
CTLD_PORT=${PORTS[0]}

mkdir -p "$STATE/ctld" "$STATE/log"
NODE_LINES=""
for i in $(seq 1 "$NODES"); do
  mkdir -p "$STATE/spool/n$i"
  NODE_LINES+="NodeName=n$i NodeHostname=localhost NodeAddr=127.0.0.1 Port=${PORTS[$i]} CPUs=4 State=UNKNOWN"$'\n'
done
cat > "$STATE/slurm.conf" <<CONF
# Written by socketlab tools/slurm/setup.sh: ${NODES} fake nodes on one machine. Not for production.
ClusterName=socketlab
SlurmctldHost=localhost
SlurmctldPort=${CTLD_PORT}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Lets a node advertise more CPUs than the machine has (every node is this machine).
SlurmdParameters=config_overrides
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
StateSaveLocation=${STATE}/ctld
SlurmctldPidFile=${STATE}/slurmctld.pid
SlurmctldLogFile=${STATE}/log/slurmctld.log
SlurmdSpoolDir=${STATE}/spool/%n
SlurmdPidFile=${STATE}/slurmd.%n.pid
SlurmdLogFile=${STATE}/log/slurmd.%n.log
${NODE_LINES}PartitionName=debug Nodes=n[1-${NODES}] Default=YES OverSubscribe=YES LLN=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$STATE/slurm.conf"
printf 'export SLURM_CONF=%q\nexport SOCKETLAB_SLURM_STATE=%q\n' "$SLURM_CONF" "$STATE" > "$STATE/env"

# Foreground daemons (-D) as background jobs of this script: their pids are the ones we stop.
slurmctld -D -f "$SLURM_CONF" > "$STATE/log/slurmctld.out" 2>&1 &
echo "$! slurmctld" >> "$STATE/pids"
for i in $(seq 1 "$NODES"); do
  slurmd -D -N "n$i" -f "$SLURM_CONF" > "$STATE/log/slurmd.n$i.out" 2>&1 &
  echo "$! slurmd" >> "$STATE/pids"
done

# Ready when sinfo lists every node idle; bounded.
for _ in $(seq 300); do
  idle=$(sinfo -h -N -t idle -o '%N' 2>/dev/null | sort -u | wc -l)
  [ "$idle" -ge "$NODES" ] && break
  sleep 0.1
done
if [ "${idle:-0}" -lt "$NODES" ]; then
  echo "Slurm not ready: ${idle:-0} of $NODES nodes idle after 30 s; logs in $STATE/log"
  sinfo -N 2>&1 | head -20 || true
  exit 1
fi
t1=$(date +%s.%N)
echo "slurm ready: $NODES nodes idle, set-up $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (SLURM_CONF=$SLURM_CONF)"
