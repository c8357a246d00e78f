#!/usr/bin/env bash
# A one-node Slurm cluster for tests, run as root (Debian 12's slurm-wlm and munge, which
# scripts/install-deps.sh installs). Everything lives in DIR: a munge key and socket for a munged
# of its own (run as user munge), slurm.conf and gres.conf, state, spool, pid and log files.
# Nothing outside DIR is changed, and the ports are not Slurm's defaults, so a system Slurm on the
# machine is left alone. The node offers its cores, each to up to 4 jobs at once, and 4 fake GPUs
# per core (gres backed by empty files in DIR), so job scripts that ask for --gpus-per-node run
# unchanged and several small jobs run side by side.
#
# On the hosts of a test cluster (tests/cluster/hosts.sh, HOSTS = its directory) the same cluster
# has one node per host: slurmctld runs on node1 and one slurmd per host (NodeName=nodeK,
# NodeAddr its address on the test network), each with its own spool, pid and log files
# (slurmd-nodeK.*); munged stays one process on this machine, whose socket in DIR every host
# reaches. Slurm's commands then work inside the hosts only (`hosts.sh on HOSTS node1 squeue`).
#
# usage: cluster.sh start DIR [HOSTS]  start the daemons; wait (bounded) until every node is
#                               idle; then clients need SLURM_CONF=DIR/slurm.conf (`source
#                               DIR/env` sets it) (a cluster left in DIR by an earlier start is
#                               stopped first)
#        cluster.sh stop DIR    cancel its jobs, then stop the daemons that `start DIR` started,
#                               by their pid files
source "$(dirname "${BASH_SOURCE[0]}")/../strict.sh"  # strict mode and wait_for

usage() { echo "usage: $0 start DIR [HOSTS] | stop DIR" >&2; exit 2; }
die() { echo "cluster.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$1" = start ]; } || usage
action=$1
dir=$(realpath -m "$2")
conf=$dir/slurm.conf
hosts_sh=$(realpath "$(dirname "${BASH_SOURCE[0]}")/../cluster/hosts.sh")
# The test cluster the Slurm cluster runs on (none: this machine), kept in DIR for `stop`.
hosts_dir=
if [ $# -eq 3 ]; then
  hosts_dir=$(realpath -m "$3")
elif [ "$action" = stop ] && [ -f "$dir/hosts-dir" ]; then
  hosts_dir=$(cat "$dir/hosts-dir")
fi

# client CMD...: a Slurm command where slurmctld is reachable (on node1 of the test hosts).
client() {
  if [ -n "$hosts_dir" ]; then bash "$hosts_sh" on "$hosts_dir" node1 "$@"; else "$@"; fi
}

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
    jobs=$(SLURM_CONF=$conf client timeout 10 squeue -h -o %i 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086  # one id per word
      SLURM_CONF=$conf client timeout 10 scancel $jobs 2>/dev/null || true
      no_jobs() { [ -z "$(SLURM_CONF=$conf client timeout 10 squeue -h -o %i 2>/dev/null)" ]; }
      wait_for 30 no_jobs || echo "cluster.sh: jobs still listed after 30 s: $jobs" >&2
    fi
  fi
  local file
  for file in "$dir/slurmd.pid" "$dir"/slurmd-node*.pid; do
    [ ! -e "$file" ] || stop_pid slurmd "$file"
  done
  stop_pid slurmctld "$dir/slurmctld.pid"
  stop_pid munged "$dir/munge/munged.pid"
  rm -f "$dir/hosts-dir"
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
  rm -rf "$dir"/{munge,state,spool,log,tmp} "$dir"/fake-gpu* "$conf" "$dir/gres.conf" "$dir/env"
  local names=()  # the test hosts, node1 .. nodeN
  if [ -n "$hosts_dir" ]; then
    [ -f "$hosts_dir/cluster" ] || die "no test hosts in $hosts_dir (tests/cluster/hosts.sh up)"
    local C N k
    # shellcheck source=/dev/null
    source "$hosts_dir/cluster"
    for ((k = 1; k <= N; k++)); do names+=("node$k"); done
  fi

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

  # The node as slurmd sees it (CPUs, sockets, cores, memory), reachable on loopback; on test
  # hosts, one such node per host at the host's address.
  local host node cpus gpus controller nodes slurmd_file=slurmd tmp_fs=/tmp
  host=$(hostname -s)
  node=$(slurmd -C | head -1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node")
  gpus=$((4 * cpus))  # as many as OverSubscribe=FORCE:4 lets the cores take ranks
  controller="$host(127.0.0.1)"
  nodes="$node NodeAddr=127.0.0.1 Gres=gpu:$gpus State=UNKNOWN"
  if [ -n "$hosts_dir" ]; then
    host="node[1-$N]"
    controller="node1(10.213.$C.1)"
    nodes=$(for ((k = 1; k <= N; k++)); do
      echo "NodeName=node$k ${node#NodeName=* } NodeAddr=10.213.$C.$k Gres=gpu:$gpus State=UNKNOWN"
    done)
    slurmd_file=slurmd-%n  # Slurm puts the node's name for %n
    # The hosts share this machine's /tmp, where each node's PMIx server (srun --mpi=pmix) would
    # make the same directories: each node gets a temporary directory of its own.
    tmp_fs=$dir/tmp/%n
    mkdir -p "${names[@]/#/$dir/spool/}" "${names[@]/#/$dir/tmp/}"
    echo "$hosts_dir" >"$dir/hosts-dir"
  fi
  cat >"$conf" <<CONF
# Test cluster written by tests/slurm/cluster.sh.
ClusterName=tftest
SlurmctldHost=$controller
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool${hosts_dir:+/%n}
TmpFS=$tmp_fs
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/$slurmd_file.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/$slurmd_file.log
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
$nodes
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  # Slurm drops a GPU without a device file; empty files stand in (task/none binds no devices).
  local i
  for ((i = 0; i < gpus; i++)); do : >"$dir/fake-gpu$i"; done
  echo "NodeName=$host Name=gpu File=$dir/fake-gpu[0-$((gpus - 1))]" >"$dir/gres.conf"
  echo "export SLURM_CONF=$conf" >"$dir/env"
  export SLURM_CONF=$conf

  if [ -z "$hosts_dir" ]; then
    slurmctld -f "$conf" -c || die "slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log")"
    slurmd -f "$conf" || die "slurmd did not start: $(tail -5 "$dir/log/slurmd.log")"
  else
    client slurmctld -f "$conf" -c ||
      die "slurmctld did not start on node1: $(tail -5 "$dir/log/slurmctld.log")"
    local name
    for name in "${names[@]}"; do
      bash "$hosts_sh" on "$hosts_dir" "$name" slurmd -f "$conf" -N "$name" ||
        die "slurmd did not start on $name: $(tail -5 "$dir/log/slurmd-$name.log")"
    done
  fi
  all_idle() { [ "$(client sinfo -h -N -o %t | sort -u)" = idle ]; }
  wait_for 60 all_idle ||
    die "not every node is idle after 60 s: $(client sinfo -h -N -o '%N %t %E' 2>&1); see $dir/log/"
  echo "slurm cluster up: SLURM_CONF=$conf, nodes $host ($cpus CPUs, $gpus fake GPUs each)," \
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
