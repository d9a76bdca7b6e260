#!/usr/bin/env bash
# A single-node Slurm cluster on localhost for tests, all of its state under one directory.
#   scripts/slurm-local.sh start DIR   → starts munged, slurmctld and slurmd; prints SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-local.sh stop DIR    → stops the daemons it started there (by their pid files)
# Runs as root in a machine without systemd (CI); installs slurm-wlm and munge when missing.
set -euo pipefail
action=${1:?start|stop}; dir=${2:?directory}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

stop() {
  for name in slurmd slurmctld munged; do
    if [ -f "$dir/run/$name.pid" ]; then kill "$(cat "$dir/run/$name.pid")" 2>/dev/null || true; fi
  done
  for name in slurmd slurmctld munged; do
    for _ in $(seq 50); do
      [ -f "$dir/run/$name.pid" ] && kill -0 "$(cat "$dir/run/$name.pid")" 2>/dev/null || break
      sleep 0.1
    done
    # One that did not stop on SIGTERM within 5 s is killed.
    if [ -f "$dir/run/$name.pid" ] && kill -0 "$(cat "$dir/run/$name.pid")" 2>/dev/null; then kill -9 "$(cat "$dir/run/$name.pid")" || true; fi
    rm -f "$dir/run/$name.pid"
  done
}

if [ "$action" = stop ]; then stop; exit 0; fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm-local: installing slurm-wlm and munge" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >&2
fi
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
# Ports of our own, so two test runs (or a real cluster) do not meet.
port=$(( 20000 + ($$ % 20000) ))
[ -f "$dir/munge.key" ] || mungekey -c -k "$dir/munge.key" >/dev/null 2>&1 || dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$dir/munge.key"
# The daemons get no stdout or stderr of ours: a caller reading this script's output to its end
# would otherwise wait for them to exit.
munged --force --key-file="$dir/munge.key" --socket="$dir/run/munge.socket" --pid-file="$dir/run/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/run/munge.seed" </dev/null >/dev/null 2>&1
cat > "$dir/slurm.conf" <<CONF
ClusterName=loomtest
SlurmctldHost=localhost(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/run/munge.socket
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmctld.out" 2>&1
slurmd -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmd.out" 2>&1
for _ in $(seq 100); do
  if sinfo -h -o %t 2>/dev/null | grep -q -E '^(idle|mix|alloc)'; then echo "SLURM_CONF=$dir/slurm.conf"; exit 0; fi
  sleep 0.2
done
echo "slurm-local: the node did not come up; logs in $dir/log" >&2
stop
exit 1
