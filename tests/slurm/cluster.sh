#!/usr/bin/env bash
# A one-node Slurm cluster for tests, run as root (Debian 12's slurm-wlm and munge, which
# scripts/install-deps.sh installs). Everything lives in DIR: a munge key and socket for a munged
# of its own (run as user munge), slurm.conf and gres.conf, state, spool, pid and log files.
# Nothing outside DIR is changed, and the ports are not Slurm's defaults, so a system Slurm on the
# machine is left alone. The node offers its cores, each to up to 4 jobs at once, and 4 fake GPUs
# per core (gres backed by empty files in DIR), so job scripts that ask for --gpus-per-node run
# unchanged and several small jobs run side by side.
#
# usage: cluster.sh start DIR   start the daemons; wait (bounded) until the node is idle; then
#                               clients need SLURM_CONF=DIR/slurm.conf (`source DIR/env` sets it)
#                               (a cluster left in DIR by an earlier start is stopped first)
#        cluster.sh stop DIR    cancel its jobs, then stop the daemons that `start DIR` started,
#                               by their pid files
source "$(dirname "${BASH_SOURCE[0]}")/../strict.sh"  # strict mode and wait_for

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
die() { echo "cluster.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || usage
action=$1
dir=$(realpath -m "$2")
conf=$dir/slurm.conf

# port_free PORT: nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pid NAME PIDFILE: ends the process of PIDFILE if its command line names DIR (so a recycled
# pid is never hit): SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
  local name=$1 file=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/"; then
    kill "$pid" 2>/dev/null || true
    if ! wait_for 10 bash -c "! kill -0 $pid"; then
      echo "cluster.sh: $name ($pid) did not end in 10 s: killed" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

stop() {
  # Jobs first (their slurmstepd and ranks are no children of slurmd), while slurmctld still runs.
  if [ -f "$dir/slurmctld.pid" ] && [ -f "$conf" ]; then
    local jobs
    jobs=$(SLURM_CONF=$conf timeout 10 squeue -h -o %i 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086  # one id per word
      SLURM_CONF=$conf timeout 10 scancel $jobs 2>/dev/null || true
      wait_for 30 bash -c "[ -z \"\$(SLURM_CONF='$conf' squeue -h -o %i)\" ]" ||
        echo "cluster.sh: jobs still listed after 30 s: $jobs" >&2
    fi
  fi
  stop_pid slurmd "$dir/slurmd.pid"
  stop_pid slurmctld "$dir/slurmctld.pid"
  stop_pid munged "$dir/munge/munged.pid"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "needs root (the daemons run as root and munge); run the tests as root"
  local tool
  for tool in munged slurmctld slurmd sinfo sbatch scontrol; do
    command -v "$tool" >/dev/null ||
      die "'$tool' not found: install slurm-wlm and munge (scripts/install-deps.sh)"
  done
  getent passwd munge >/dev/null || die "no user 'munge': install munge (scripts/install-deps.sh)"
  stop
  rm -rf "$dir"/{munge,state,spool,log} "$dir"/fake-gpu* "$conf" "$dir/gres.conf" "$dir/env"

  # munged refuses files under a directory that others may write to (without the sticky bit).
  local parent
  parent=$(dirname "$dir")
  while [ "$parent" != / ]; do
    if [ -n "$(find "$parent" -maxdepth 0 -perm /022 ! -perm -1000)" ]; then
      die "munged would refuse $dir: $parent is writable by group or others; use another DIR"
    fi
    parent=$(dirname "$parent")
  done
  mkdir -p "$dir"/{munge,state,spool,log}
  chmod 755 "$dir"
  chown munge:munge "$dir/munge"
  chmod 755 "$dir/munge"  # clients reach the socket
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chown munge:munge "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  # munged forks once it is ready, leaving its pid in the pid file.
  runuser -u munge -- munged --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" ||
    die "munged did not start: $(tail -3 "$dir/munge/munged.log" 2>/dev/null)"

  # Two free ports, from TF_SLURM_PORT (default 16817) up.
  local first=${TF_SLURM_PORT:-16817} port
  port=$first
  until port_free "$port" && port_free $((port + 1)); do
    port=$((port + 2))
    [ "$port" -lt $((first + 100)) ] || die "no two free ports from $first to $((first + 99))"
  done

  # The node as slurmd sees it (CPUs, sockets, cores, memory), reachable on loopback.
  local host node cpus gpus
  host=$(hostname -s)
  node=$(slurmd -C | head -1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node")
  gpus=$((4 * cpus))  # as many as OverSubscribe=FORCE:4 lets the cores take ranks
  cat >"$conf" <<CONF
# One-node test cluster written by tests/slurm/cluster.sh.
ClusterName=tftest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
MpiDefault=none
# Look for startable jobs every 2 s (default 60 s), so that a requeued job starts soon after its wait.
SchedulerParameters=sched_interval=2,bf_interval=2
JobRequeue=1
ReturnToService=2
MinJobAge=600
$node NodeAddr=127.0.0.1 Gres=gpu:$gpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  # Slurm drops a GPU without a device file; empty files stand in (task/none binds no devices).
  local i
  for ((i = 0; i < gpus; i++)); do : >"$dir/fake-gpu$i"; done
  echo "NodeName=$host Name=gpu File=$dir/fake-gpu[0-$((gpus - 1))]" >"$dir/gres.conf"
  echo "export SLURM_CONF=$conf" >"$dir/env"
  export SLURM_CONF=$conf

  slurmctld -f "$conf" -c || die "slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log")"
  slurmd -f "$conf" || die "slurmd did not start: $(tail -5 "$dir/log/slurmd.log")"
  wait_for 60 bash -c '[ "$(sinfo -h -N -o %t)" = idle ]' ||
    die "the node is not idle after 60 s: $(sinfo -h -N -o '%t %E' 2>&1); see $dir/log/"
  echo "slurm cluster up: SLURM_CONF=$conf, node $host ($cpus CPUs, $gpus fake GPUs)," \
    "ports $port-$((port + 1))"
}

case $action in
  start)
    trap stop EXIT  # a start that fails half way stops what it started
    start
    trap - EXIT
    ;;
  stop) stop ;;
  *) usage ;;
esac
