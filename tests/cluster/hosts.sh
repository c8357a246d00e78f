#!/usr/bin/env bash
# A cluster of test hosts on this machine, run as root: each host is a network namespace with its
# own hostname (a UTS namespace) and its own /etc/hosts (a mount namespace that binds the
# cluster's hosts file over it), joined to the others by a veth pair on a bridge of its own. The
# hosts have loopback, one address each in 10.213.C.0/24 (C numbers the cluster, so that two
# clusters never share a range) and no default route, and the bridge is joined to none of the
# machine's interfaces: traffic goes only between the test hosts. Nothing outside DIR, the
# namespaces and the bridge is changed (not the machine's network, /etc/hosts or hostname).
#
# Ranks start on other hosts the way a cluster starts them: mpirun's rsh agent is DIR/rsh, which
# runs the remote command inside the host named, as ssh would. Source DIR/env to use it
# (OMPI_MCA_plm_rsh_agent, and the subnet for MPI's TCP traffic).
#
# usage: hosts.sh up DIR [N]         make N hosts (2 by default, up to 4), node1 .. nodeN; a cluster
#                                   left in DIR by an earlier `up` is taken down first
#        hosts.sh down DIR           end every process in the hosts, remove the namespaces, the
#                                   veth pairs and the bridge (safe to repeat)
#        hosts.sh on DIR HOST CMD... run CMD inside HOST (its network, hostname and /etc/hosts),
#                                   in the current directory, with the current environment
#        hosts.sh rsh DIR HOST LINE...  run the shell command line LINE inside HOST (ssh's way)
#        hosts.sh link DIR HOST up|down take HOST's link to the bridge up or down
#        hosts.sh pids DIR HOST      the processes running inside HOST (but the one that holds its
#                                   hostname: killing them all loses every process of the host)
set -Eeuo pipefail

die() { echo "hosts.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 up DIR [N] | down DIR | on DIR HOST CMD... | rsh DIR HOST LINE..." \
  "| link DIR HOST up|down | pids DIR HOST" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1
dir=$(realpath -m "$2")
shift 2

# The cluster's names, from DIR/cluster (written by `up`): its number C, and per host its
# namespace, veth (the bridge's end) and address.
load() {
  [ -f "$dir/cluster" ] || die "no cluster in $dir (run: $0 up $dir)"
  # shellcheck source=/dev/null
  source "$dir/cluster"
}
netns_of() { echo "tfc${C}n${1#node}"; }
veth_of() { echo "tfc${C}v${1#node}"; }
bridge_of() { echo "tfc${C}br"; }
check_host() {
  [[ $1 =~ ^node[1-9]$ ]] && [ "${1#node}" -le "$N" ] || die "no host '$1' in $dir (node1 .. node$N)"
}

# holder HOST: the process that holds HOST's hostname and mount namespaces (`sleep infinity`,
# started by `up` inside the host), checked to be that process still.
holder() {
  local pid
  pid=$(cat "$dir/$1.pid" 2>/dev/null) || die "$1 has no holder process (pid file $dir/$1.pid)"
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] &&
    [ "$(nsenter --target "$pid" --uts hostname 2>/dev/null)" = "$1" ] ||
    die "$1's holder process $pid is gone: take the cluster down ($0 down $dir)"
  echo "$pid"
}

# enter HOST CMD...: CMD inside HOST's namespaces, keeping the working directory. It enters them
# through the host's holder process, so it works from inside another host as well.
enter() {
  local host=$1 pid
  shift
  check_host "$host"
  pid=$(holder "$host")
  exec nsenter --target "$pid" --net --uts --mount --wd="$PWD" -- "$@"
}

down() {
  [ -f "$dir/cluster" ] || return 0
  load
  local n host ns pids
  for ((n = 1; n <= N; n++)); do
    host=node$n
    ns=$(netns_of "$host")
    if [ -e "/run/netns/$ns" ]; then
      # Everything started in the host, whatever it is (ranks, mpirun's daemons, slurmd).
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      # shellcheck disable=SC2086  # one pid per word
      [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
      for _ in $(seq 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
      ip netns del "$ns" 2>/dev/null || echo "hosts.sh: could not remove namespace $ns" >&2
    fi
    # The kernel removes a namespace's veth pairs lazily: remove it now, so that the names are
    # free for the next cluster at once.
    ip link del "$(veth_of "$host")" 2>/dev/null || true
  done
  ip link del "$(bridge_of)" 2>/dev/null || true
  rm -f "$dir/cluster" "$dir/hosts" "$dir/env" "$dir/rsh" "$dir"/node*.pid
}

up() {
  local n=${1:-2}
  [[ $n =~ ^[2-4]$ ]] || die "N is $n: a cluster has 2 to 4 hosts"
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, veth pairs and a bridge)"
  local tool
  for tool in ip nsenter unshare mount; do
    command -v "$tool" >/dev/null || die "'$tool' not found: install iproute2 and util-linux"
  done
  down
  mkdir -p "$dir"
  # The first cluster number free: making its bridge claims it (one succeeds where two `up`s
  # race), and no address of its range is in use on this machine.
  local c
  for ((c = 1; c < 100; c++)); do
    ip -4 addr show | grep -q "inet 10\.213\.$c\." && continue
    ip link add "tfc${c}br" type bridge 2>/dev/null && break
  done
  [ "$c" -lt 100 ] || die "no free cluster number: 99 test clusters exist (tfc*br)"
  printf 'C=%s\nN=%s\n' "$c" "$n" >"$dir/cluster"
  load
  trap down EXIT  # an `up` that fails half way removes what it made

  local bridge host ns veth i
  bridge=$(bridge_of)
  ip link set "$bridge" up
  {
    echo "127.0.0.1 localhost"
    for ((i = 1; i <= N; i++)); do echo "10.213.$C.$i node$i"; done
  } >"$dir/hosts"
  for ((i = 1; i <= N; i++)); do
    host=node$i
    ns=$(netns_of "$host")
    veth=$(veth_of "$host")
    ip netns add "$ns" || die "cannot make network namespace $ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.213.$C.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    # The holder: a process in the host's network namespace with a hostname and mount namespace
    # of its own, where the cluster's hosts file is bound over /etc/hosts.
    nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private \
      sh -c "hostname $host && mount --bind '$dir/hosts' /etc/hosts && exec sleep infinity" \
      </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/$host.pid"
    for _ in $(seq 50); do
      [ "$(nsenter --target $! --uts hostname 2>/dev/null)" = "$host" ] && break
      sleep 0.1
    done
    [ "$(nsenter --target $! --uts hostname 2>/dev/null)" = "$host" ] ||
      die "cannot give $host its hostname and /etc/hosts"
  done
  cat >"$dir/rsh" <<RSH
#!/bin/sh
# mpirun's rsh agent for the test cluster in $dir: runs the command line inside the host named.
exec bash '$(realpath "${BASH_SOURCE[0]}")' rsh '$dir' "\$@"
RSH
  chmod +x "$dir/rsh"
  cat >"$dir/env" <<ENV
export OMPI_MCA_plm_rsh_agent=$dir/rsh
export OMPI_MCA_btl_tcp_if_include=10.213.$C.0/24 OMPI_MCA_oob_tcp_if_include=10.213.$C.0/24
ENV
  # Every host is up once each reaches the last one.
  for ((i = 1; i < N; i++)); do
    ip netns exec "$(netns_of "node$i")" bash -c \
      "for _ in \$(seq 50); do (exec 3<>/dev/tcp/10.213.$C.$N/9) 2>&1 | grep -q refused && exit 0; sleep 0.1; done; exit 1" ||
      die "node$i does not reach node$N (10.213.$C.$N)"
  done
  trap - EXIT
  echo "cluster up in $dir: ${N} hosts node1..node$N on 10.213.$C.0/24 (bridge $bridge)"
}

case $action in
  up) up "$@" ;;
  down) down ;;
  on)
    [ $# -ge 2 ] || usage
    load
    enter "$@"
    ;;
  rsh)
    [ $# -ge 2 ] || usage
    load
    host=$1
    shift
    # ssh's way: the words after the host are one command line for the remote shell.
    enter "$host" /bin/sh -c "$*"
    ;;
  link)
    [ $# -eq 2 ] && [[ $2 =~ ^(up|down)$ ]] || usage
    load
    check_host "$1"
    ip link set "$(veth_of "$1")" "$2"
    ;;
  pids)
    [ $# -eq 1 ] || usage
    load
    check_host "$1"
    # All but the holder: killing them all is a host lost (whose hostname and address stay).
    ip netns pids "$(netns_of "$1")" | grep -vx "$(holder "$1")" || true
    ;;
  *) usage ;;
esac
