# shellcheck shell=bash
# Common settings and small helpers for deploy/lab (sourced, not run).
# shellcheck disable=SC2034  # settings used by deploy/lab and the other lib files

LAB_RUN=/run/flotilla/lab            # namespace files, sockets, pidfiles, exec-roots
LAB_VAR=/var/lib/flotilla/lab        # docker data-roots, Flotilla state, Kafka state
LAB_LOG=/var/log/flotilla/lab        # dockerd and node-agent logs
LAB_SWITCH=flotilla-switch           # network namespace holding the back network's bridge
LAB_BRIDGE=labbr0                    # the bridge inside the switch
LAB_ROOT_IF=flotilla0                # root namespace end of the veth into the switch
LAB_ROOT_IP=10.10.10.1
LAB_NET_PREFIX=10.10.10
LAB_FIRST_OCTET=60
LAB_HOSTS_FILE=$LAB_RUN/hosts        # names of the hosts the lab was brought up with
LAB_CGROUP_PARENT=/flotilla-lab      # containers of host H go under $LAB_CGROUP_PARENT/H
LAB_IMAGES=(kalise/nodejs-web-app:latest busybox:latest)
# every lab JVM (agents, and through them the manager services); MetaspaceSize: node-agent application.properties
LAB_JAVA_OPTS=${LAB_JAVA_OPTS:-"-Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:MetaspaceSize=64m"}
LAB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '%s lab: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { date +%s%3N; }
secs_since() { local s=$1 e; e=$(now_ms); printf '%d.%02d' $(((e - s) / 1000)) $((((e - s) % 1000) / 10)); }

# --- host naming ------------------------------------------------------------------
host_name() { printf 'swarm%02d' "$1"; }
host_index() { local n=${1#swarm}; echo $((10#$n)); }
host_ip() { echo "$LAB_NET_PREFIX.$((LAB_FIRST_OCTET + $(host_index "$1")))"; }
valid_host_name() { [[ $1 =~ ^swarm[0-9]{2}$ ]] && (($(host_index "$1") + LAB_FIRST_OCTET < 255)); }

# per-host paths
host_run() { echo "$LAB_RUN/$1"; }
host_ns() { echo "$LAB_RUN/$1/ns/$2"; }              # net | mnt | uts
host_exec_root() { echo "$LAB_RUN/$1/docker"; }
host_sock() { echo "$LAB_RUN/$1/docker.sock"; }
host_dockerd_pidfile() { echo "$LAB_RUN/$1/dockerd.pid"; }
host_pids_dir() { echo "$LAB_RUN/$1/pids"; }
host_agent_pidfile() { echo "$LAB_RUN/$1/pids/node-agent.pid"; }
host_data_root() { echo "$LAB_VAR/$1/docker"; }
host_flotilla_data() { echo "$LAB_VAR/$1/flotilla"; }
host_log_dir() { echo "$LAB_LOG/$1"; }
host_cgroup() { echo "$LAB_CGROUP_PARENT/$1"; }
veth_switch_side() { echo "sw-$1"; }

# hosts of the running lab (as recorded by `up`), one per line
lab_hosts() { [[ -s $LAB_HOSTS_FILE ]] && sort -u "$LAB_HOSTS_FILE"; }
lab_has_host() { lab_hosts | grep -qx -- "$1"; }

# --- processes -------------------------------------------------------------------
pid_alive() { [[ $1 =~ ^[0-9]+$ ]] && [[ -d /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
read_pidfile() { local p; [[ -f $1 ]] || return 1; p=$(tr -dc '0-9' <"$1" 2>/dev/null); [[ -n $p ]] && echo "$p"; }
proc_comm() { cat "/proc/$1/comm" 2>/dev/null; }

# pid of a live dockerd of HOST (by its pidfile), or nothing
dockerd_pid() {
  local p; p=$(read_pidfile "$(host_dockerd_pidfile "$1")") || return 1
  pid_alive "$p" && [[ $(proc_comm "$p") == dockerd ]] && echo "$p"
}

# pid of a live node-agent of HOST, or nothing
agent_pid() {
  local p; p=$(read_pidfile "$(host_agent_pidfile "$1")") || return 1
  pid_alive "$p" && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q 'quarkus-run.jar' && echo "$p"
}

# Does live PID belong to HOST? (in its network or mount namespace, in its container cgroup, or
# started with FLOTILLA_NODE=HOST). Used so a stale pidfile never gets an unrelated process killed.
pid_of_host() {
  local pid=$1 h=$2 ino
  pid_alive "$pid" || return 1
  for k in net mnt uts; do
    ino=$(ns_inode "$(host_ns "$h" $k)") || continue
    [[ $(readlink "/proc/$pid/ns/$k" 2>/dev/null) == "$k:[$ino]" ]] && return 0
  done
  grep -q -- ":$(host_cgroup "$h")/" "/proc/$pid/cgroup" 2>/dev/null && return 0
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "FLOTILLA_NODE=$h"
}

# inode of a live namespace file (bind-mounted nsfs), fails if it is not mounted
ns_inode() {
  [[ $(findmnt -rn -o FSTYPE --mountpoint "$1" 2>/dev/null | tail -1) == nsfs ]] || return 1
  stat -L -c %i "$1" 2>/dev/null
}
ns_alive() { ns_inode "$1" >/dev/null; }

# Every live process of HOST: in its network, mount or UTS namespace, in its
# container cgroup (cgroup v1 or v2), or named in a pidfile of its pids/ dir (checked as above).
host_pids() {
  local h=$1 net mnt uts pf p
  net=$(ns_inode "$(host_ns "$h" net)") || net=none
  mnt=$(ns_inode "$(host_ns "$h" mnt)") || mnt=none
  uts=$(ns_inode "$(host_ns "$h" uts)") || uts=none
  {
    # the UTS namespace catches what runs under `ip netns exec` inside the host (new net+mnt ns)
    # shellcheck disable=SC2012
    ls -l /proc/[0-9]*/ns/net /proc/[0-9]*/ns/mnt /proc/[0-9]*/ns/uts 2>/dev/null |
      awk -v a="net:[$net]" -v b="mnt:[$mnt]" -v c="uts:[$uts]" \
        '$NF == a || $NF == b || $NF == c { split($(NF-2), x, "/"); print x[3] }'
    grep -l -- ":$(host_cgroup "$h")/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
    for pf in "$(host_pids_dir "$h")"/*.pid "$(host_dockerd_pidfile "$h")"; do
      p=$(read_pidfile "$pf") && pid_of_host "$p" "$h" && echo "$p"
    done
  } | sort -un | while read -r p; do
    [[ $p != "$$" && $p != 1 ]] && pid_alive "$p" && echo "$p"
  done
}

# kill -9 everything of HOST until nothing is left (bounded)
kill_host_processes() {
  local h=$1 pids n=0 i
  for i in $(seq 1 30); do
    pids=$(host_pids "$h")
    [[ -z $pids ]] && break
    n=$((n + $(wc -w <<<"$pids")))
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    sleep 0.1
  done
  echo "$n"
}

# TERM a pid, wait up to SECS, then KILL
stop_pid() {
  local p=$1 secs=${2:-10} i
  pid_alive "$p" || return 0
  kill -TERM "$p" 2>/dev/null
  for ((i = 0; i < secs * 10; i++)); do pid_alive "$p" || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  sleep 0.1
}

# run a command inside HOST's net+mnt+uts namespaces
in_host() {
  local h=$1; shift
  nsenter --net="$(host_ns "$h" net)" --mount="$(host_ns "$h" mnt)" --uts="$(host_ns "$h" uts)" -- "$@"
}

# GET on a host's dockerd socket, prints the HTTP status code
docker_sock_get() { curl -s -o /dev/null -w '%{http_code}' --max-time "${3:-2}" --unix-socket "$1" "http://d$2" 2>/dev/null; }
dockerd_answers() { [[ -S $(host_sock "$1") && $(docker_sock_get "$(host_sock "$1")" /_ping) == 200 ]]; }
endpoint_answers() { curl -s -o /dev/null --max-time 1 "http://$(host_ip "$1"):2375/_ping" 2>/dev/null; }
health_answers() { curl -s -o /dev/null --max-time 1 "http://$(host_ip "$1"):9101/q/health" 2>/dev/null; }
dns_answers() { curl -sf -o /dev/null --max-time 1 "http://$(host_ip "$1"):9106/q/health/started" 2>/dev/null; }

# The node's dns-svc, which the agent starts at its own start (node-agent NodeDns), in a swarm or not: a host is
# up once it answers. Returns at once when there is none 10 s after the agent answered (the agent runs none).
wait_node_dns() {
  local h=$1 secs=${2:-90} i
  for ((i = 0; i < secs * 4; i++)); do
    dns_answers "$h" && return 0
    ((i >= 40)) && [[ ! -f "$(host_pids_dir "$h")/dns-svc-node.pid" ]] && return 0
    sleep 0.25
  done
  return 1
}
