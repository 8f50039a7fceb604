# shellcheck shell=bash
# dockerd and node-agent of one lab host (sourced, not run).

# Leftovers of a dockerd that died without cleaning up (kill -9, crash): containerd, shims and
# container processes, the mounts they held in the host's mount namespace, stale pid/socket files.
# Without this the next dockerd adopts half-dead containers or waits on a containerd.pid whose
# number now belongs to someone else.
clean_docker_leftovers() {
  local h=$1 exec data d pids p c
  exec=$(host_exec_root "$h"); data=$(host_data_root "$h"); d=$(host_run "$h")
  # processes: everything in the host's container cgroup, and containerd/shims/docker-proxy of the host
  for _ in 1 2 3 4 5; do
    pids=""
    for p in $(host_pids "$h"); do
      c=$(proc_comm "$p")
      if [[ $c == containerd* || $c == docker-proxy || $c == dockerd ]] ||
        grep -q -- ":$(host_cgroup "$h")/" "/proc/$p/cgroup" 2>/dev/null; then
        pids+=" $p"
      fi
    done
    [[ -z $pids ]] && break
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    sleep 0.2
  done
  # mounts the dead containerd/dockerd left in the host's mount namespace: container root
  # filesystems, shm, docker's sandbox namespace files (12 hex digits; not the agent's own)
  if ns_alive "$(host_ns "$h" mnt)"; then
    in_host "$h" /bin/sh -c '
      data=$1 exec=$2
      findmnt -rn -o TARGET | grep -E "^($data|$exec/containerd|$exec/netns/[0-9a-f]{12}$)" | sort -r |
        while read -r t; do umount -l "$t" 2>/dev/null; done
      for f in "$exec"/netns/*; do
        case "${f##*/}" in [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) rm -f "$f";; esac
      done
      true' sh "$data" "$exec"
  fi
  rm -f "$(host_dockerd_pidfile "$h")" "$(host_sock "$h")" "$exec/containerd/containerd.pid" \
    "$exec/containerd/containerd.sock" "$exec/containerd/containerd.sock.ttrpc" "$exec/containerd/containerd-debug.sock"
  rm -rf "$d/containerd-run/s"
}

# After a restart over a killed dockerd, docker re-creates the files of the dead containers'
# sandboxes under <exec-root>/netns without mounting a namespace on them; `ip netns list` in the
# host then complains about them. Remove such empty files (docker sandbox names only, 12 hex
# digits, not mounted, seen unmounted twice half a second apart).
clean_stale_sandbox_files() {
  local h=$1
  ns_alive "$(host_ns "$h" mnt)" || return 0
  in_host "$h" /bin/sh -c '
    dir=$1/netns
    stale() {
      for f in "$dir"/*; do
        n=${f##*/}
        case "$n" in *[!0-9a-f]*) continue;; esac
        [ ${#n} -eq 12 ] && [ -f "$f" ] && ! mountpoint -q "$f" && echo "$f"
      done
    }
    first=$(stale)
    [ -n "$first" ] || exit 0
    sleep 0.5
    for f in $(stale); do
      case " $(echo $first) " in *" $f "*) rm -f "$f";; esac
    done' sh "$(host_exec_root "$h")"
}

start_dockerd() {
  local h=$1 d exec data logd
  d=$(host_run "$h"); exec=$(host_exec_root "$h"); data=$(host_data_root "$h"); logd=$(host_log_dir "$h")
  dockerd_pid "$h" >/dev/null && return 0
  clean_docker_leftovers "$h"
  mkdir -p "$exec" "$data" "$logd"
  [[ -f $d/daemon.json ]] || echo '{}' >"$d/daemon.json"
  # setsid: its own session, so it survives the shell that ran `lab up`; nsenter execs dockerd,
  # which writes its own pidfile.
  setsid nsenter --net="$(host_ns "$h" net)" --mount="$(host_ns "$h" mnt)" --uts="$(host_ns "$h" uts)" -- \
    env -i PATH="$LAB_PATH" HOME=/root DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 \
    dockerd \
    --config-file "$d/daemon.json" \
    --data-root "$data" \
    --exec-root "$exec" \
    --pidfile "$(host_dockerd_pidfile "$h")" \
    -H "unix://$(host_sock "$h")" \
    --exec-opt native.cgroupdriver=cgroupfs \
    --cgroup-parent "$(host_cgroup "$h")" \
    --iptables=true --ip-forward=true \
    --log-level warn \
    </dev/null >>"$logd/dockerd.log" 2>&1 &
}

wait_dockerd() {
  local h=$1 secs=${2:-90} i
  for ((i = 0; i < secs * 5; i++)); do
    dockerd_answers "$h" && return 0
    sleep 0.2
  done
  return 1
}

images_present() {
  local h=$1 img
  for img in "${LAB_IMAGES[@]}"; do
    [[ $(docker_sock_get "$(host_sock "$h")" "/images/$img/json") == 200 ]] || return 1
  done
}

load_images() {
  local h=$1 loader=$REPO/deploy/images/load
  images_present "$h" && return 0
  if [[ ! -x $loader ]]; then
    log "$h: $loader not there (yet): images not loaded"
    return 1
  fi
  DOCKER_HOST="unix://$(host_sock "$h")" "$loader" >>"$(host_log_dir "$h")/images-load.log" 2>&1 ||
    { log "$h: image load failed (see $(host_log_dir "$h")/images-load.log)"; return 1; }
  images_present "$h" || { log "$h: images still missing after load"; return 1; }
}

start_agent() {
  local h=$1 jar=$REPO/node-agent/target/quarkus-app/quarkus-run.jar ip data
  agent_pid "$h" >/dev/null && return 0
  [[ -f $jar ]] || { log "$h: $jar missing"; return 1; }
  ip=$(host_ip "$h"); data=$(host_flotilla_data "$h")
  mkdir -p "$data" "$(host_pids_dir "$h")" "$(host_log_dir "$h")"
  rm -f "$(host_agent_pidfile "$h")"
  # the shell writes its own pid, then becomes java (exec): the pidfile names the JVM
  setsid nsenter --net="$(host_ns "$h" net)" --mount="$(host_ns "$h" mnt)" --uts="$(host_ns "$h" uts)" --wd="$data" -- \
    env -i PATH="$LAB_PATH" HOME=/root LANG=C.UTF-8 \
    FLOTILLA_NODE="$h" \
    FLOTILLA_ADVERTISE_ADDR="$ip" \
    FLOTILLA_API_LISTEN="tcp://$ip:2375" \
    FLOTILLA_DOCKER_SOCKET="$(host_sock "$h")" \
    FLOTILLA_DATA="$data" \
    FLOTILLA_RUN="$(host_run "$h")" \
    FLOTILLA_KAFKA="$LAB_ROOT_IP:9092" \
    FLOTILLA_HOME="$REPO" \
    FLOTILLA_JAVA_OPTS="$LAB_JAVA_OPTS" \
    /bin/sh -c 'echo $$ >"$1"; exec java $FLOTILLA_JAVA_OPTS -jar "$2"' sh "$(host_agent_pidfile "$h")" "$jar" \
    </dev/null >>"$(host_log_dir "$h")/node-agent.log" 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do agent_pid "$h" >/dev/null && return 0; sleep 0.1; done
  log "$h: node-agent did not start (see $(host_log_dir "$h")/node-agent.log)"
  return 1
}

wait_agent() {
  local h=$1 secs=${2:-60} i
  for ((i = 0; i < secs * 4; i++)); do
    agent_pid "$h" >/dev/null || return 1
    endpoint_answers "$h" || health_answers "$h" && return 0
    sleep 0.25
  done
  return 1
}

# Stop what the host runs, politely: Flotilla's processes (pidfiles), containers, dockerd; then
# kill whatever is left.
stop_host() {
  local h=$1 pf p ids sock
  for pf in "$(host_pids_dir "$h")"/*.pid; do
    p=$(read_pidfile "$pf") && pid_of_host "$p" "$h" && kill -TERM "$p" 2>/dev/null
  done
  for pf in "$(host_pids_dir "$h")"/*.pid; do
    p=$(read_pidfile "$pf") && pid_of_host "$p" "$h" && stop_pid "$p" 10
    rm -f "$pf"
  done
  sock=$(host_sock "$h")
  if dockerd_pid "$h" >/dev/null && dockerd_answers "$h"; then
    ids=$(DOCKER_HOST="unix://$sock" docker ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -n $ids ]] && DOCKER_HOST="unix://$sock" timeout 60 docker rm -f -v $ids >/dev/null 2>&1
    DOCKER_HOST="unix://$sock" timeout 30 docker network prune -f >/dev/null 2>&1
    DOCKER_HOST="unix://$sock" timeout 30 docker volume prune -f >/dev/null 2>&1
  fi
  p=$(dockerd_pid "$h") && stop_pid "$p" 20
  kill_host_processes "$h" >/dev/null
}

# remove empty cgroup directories docker made for the host's containers
remove_host_cgroups() {
  local h=$1 dir
  for dir in /sys/fs/cgroup/*"$(host_cgroup "$h")" /sys/fs/cgroup"$(host_cgroup "$h")"; do
    [[ -d $dir ]] || continue
    find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  for dir in /sys/fs/cgroup/*"$LAB_CGROUP_PARENT" /sys/fs/cgroup"$LAB_CGROUP_PARENT"; do
    [[ -d $dir ]] && rmdir "$dir" 2>/dev/null
  done
  true
}
