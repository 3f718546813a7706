#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for trying deploy/slurm/ and
# for tests/slurm.rs: munged, slurmctld and one slurmd (this machine's CPU
# count and memory), all state under one directory.
#
#   deploy/slurm/local-cluster.sh start [STATE_DIR]   # prints `export SLURM_CONF=…`
#   deploy/slurm/local-cluster.sh stop  [STATE_DIR]
#
# Needs Debian's slurm-wlm and munge packages (apt-get install slurm-wlm
# munge) and root, since slurmd starts jobs as their users. STATE_DIR
# defaults to /tmp/telsim-slurm; ports are TELSIM_SLURM_PORT (slurmctld,
# default 16817) and the next one (slurmd). `stop` ends only the daemons
# whose pid files are in STATE_DIR, and is safe to run twice.
set -euo pipefail

cmd=${1:-}
state=$(realpath -m "${2:-/tmp/telsim-slurm}")
port=${TELSIM_SLURM_PORT:-16817}
conf=$state/slurm.conf

stop_pid() {
    local file=$1 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

case $cmd in
start)
    for bin in munged slurmctld slurmd sbatch; do
        command -v "$bin" >/dev/null 2>&1 ||
            { echo "error: $bin not found: apt-get install slurm-wlm munge" >&2; exit 2; }
    done
    [ "$(id -u)" -eq 0 ] || { echo "error: starting slurmd needs root" >&2; exit 2; }
    if [ -f "$state/slurmctld.pid" ] && kill -0 "$(cat "$state/slurmctld.pid")" 2>/dev/null; then
        echo "error: a cluster is already running in $state (stop it first)" >&2
        exit 2
    fi
    rm -rf "$state"
    mkdir -p "$state"/{munge,ctld,spool,log}
    chmod 700 "$state" "$state/munge"
    dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$state/munge/munge.key"
    munged --force --key-file="$state/munge/munge.key" --socket="$state/munge/munge.socket" \
        --pid-file="$state/munged.pid" --log-file="$state/log/munged.log" \
        --seed-file="$state/munge/munge.seed"

    node=$(hostname -s)
    # The node line as slurmd measures this machine (CPUs, sockets, cores,
    # threads, memory), so that the node is not drained as misconfigured.
    hw=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ *UpTime=.*//')
    cat > "$conf" <<CONF
ClusterName=telsim-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munge.socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool/%n
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
KillWait=2
MinJobAge=600
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$conf
    slurmctld -f "$conf"
    slurmd -f "$conf"
    for _ in $(seq 100); do
        if sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle'; then
            echo "export SLURM_CONF=$conf"
            exit 0
        fi
        sleep 0.2
    done
    echo "error: the node did not become idle; logs in $state/log/:" >&2
    sinfo -N -l >&2 || true
    tail -5 "$state"/log/*.log >&2 || true
    exit 3
    ;;
stop)
    # Jobs first, so that no job step outlives its slurmd.
    if [ -f "$conf" ] && [ -f "$state/slurmctld.pid" ] && kill -0 "$(cat "$state/slurmctld.pid")" 2>/dev/null; then
        SLURM_CONF=$conf scancel --user="$(id -un)" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -z "$(SLURM_CONF=$conf squeue -h -t running,completing 2>/dev/null)" ] && break
            sleep 0.1
        done
    fi
    stop_pid "$state/slurmd.pid"
    stop_pid "$state/slurmctld.pid"
    stop_pid "$state/munged.pid"
    ;;
*)
    echo "usage: $0 start|stop [STATE_DIR]" >&2
    exit 2
    ;;
esac
