#!/usr/bin/env bash
# A single-node SLURM cluster on this Debian machine, for CI (run as root; no systemd):
#   .ci/slurm.sh start   # munge key, /etc/slurm/slurm.conf for this host, slurmctld + slurmd,
#                        # waits until `sinfo` shows the node idle
#   .ci/slurm.sh stop    # stops slurmd, slurmctld and munged started here
# Needs the Debian packages slurmctld slurmd slurm-client munge (.ci/run installs them).
# No accounting daemon (slurmdbd): the Snakemake plugin must query job states with squeue
# (the profile sets slurm-status-command: squeue).
set -euo pipefail
STATE=/var/run/csindex-slurm
CONF=/etc/slurm/slurm.conf

start() {
  mkdir -p "$STATE" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /etc/slurm
  chown munge:munge /run/munge 2>/dev/null || true
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  if ! pgrep -x munged >/dev/null; then
    touch "$STATE/munged.started"
    if id munge >/dev/null 2>&1; then
      runuser -u munge -- /usr/sbin/munged
    else
      /usr/sbin/munged --force
    fi
  fi
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc --all)
  # RealMemory in MB, leaving 5% for the system (slurmd refuses a node that claims more)
  mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.95}' /proc/meminfo)
  if [ -f "$CONF" ] && ! grep -q "csindex single-node" "$CONF"; then
    cp "$CONF" "$STATE/slurm.conf.orig"
  fi
  cat >"$CONF" <<CONF
# csindex single-node CI cluster (written by .ci/slurm.sh)
ClusterName=csindex
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=10
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld -c
  pgrep -x slurmd >/dev/null || /usr/sbin/slurmd -c
  for _ in $(seq 1 60); do
    if sinfo -h -N -o "%T" 2>/dev/null | grep -qx "idle"; then
      sinfo
      return 0
    fi
    sleep 1
  done
  echo "SLURM did not come up: sinfo says" >&2
  sinfo -N -l >&2 || true
  tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
  return 1
}

stop_pid() {
  local f=$1
  if [ -s "$f" ]; then
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  fi
}

stop() {
  stop_pid "$STATE/slurmd.pid"
  stop_pid "$STATE/slurmctld.pid"
  # munged only when this script started it
  if [ -f "$STATE/munged.started" ] && [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    rm -f "$STATE/munged.started"
  fi
  if [ -f "$STATE/slurm.conf.orig" ]; then
    mv "$STATE/slurm.conf.orig" "$CONF"
  fi
  echo "SLURM stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
