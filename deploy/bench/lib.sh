# Shared by the benchmark scripts (sourced): a 3-host lab with a swarm of swarm00 (manager) and two workers.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$REPO/deploy/lab
d() { local h=$1; shift; "$LAB" exec "$h" -- docker "$@"; }

ensure_swarm() {
  local i
  if ! grep -q '^swarm02 ' <<<"$("$LAB" status)"; then  # not a pipe: grep -q's early exit fails it under pipefail
    "$LAB" up --hosts 3 >/dev/null || { echo "lab up failed" >&2; exit 1; }
  fi
  if ! d swarm00 node ls >/dev/null 2>&1; then
    if ! d swarm00 swarm init --advertise-addr ens33 >/dev/null; then
      # on a loaded machine the first init may time out although the swarm came up
      for ((i = 0; i < 30; i++)); do d swarm00 node ls >/dev/null 2>&1 && break; sleep 1; done
      d swarm00 node ls >/dev/null || exit 1
    fi
    local t; t=$(d swarm00 swarm join-token -q worker)
    d swarm01 swarm join --token "$t" 10.10.10.60:2377 >/dev/null
    d swarm02 swarm join --token "$t" 10.10.10.60:2377 >/dev/null
  fi
}

# the machine's CPU ticks so far: busy (user, nice, system, irq, softirq) and all (busy, idle, iowait)
cpu_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8; exit}' /proc/stat; }

# waits until the machine is quiet: under QUIET_PERCENT (default 25) % of both cores busy over 2 s, at most
# QUIET_MAX_S (default 90) s; prints how long it waited. A swarm just formed is still starting its services
# (Flotilla's: the JVMs of scheduler-svc, network-svc and dns-svc, and their first compiles; on this 2-core
# machine ~15 s at 70-100 % after the joins), and a run measured then measures that start as well.
await_quiet() {
  local limit=${QUIET_PERCENT:-25} max=${QUIET_MAX_S:-90} t0 busy0 all0 busy1 all1
  ((max > 0)) || return 0
  t0=$(date +%s)
  while (($(date +%s) - t0 < max)); do
    read -r busy0 all0 < <(cpu_ticks)
    sleep 2
    read -r busy1 all1 < <(cpu_ticks)
    if ((100 * (busy1 - busy0) < limit * (all1 - all0))); then
      echo "machine quiet after $(($(date +%s) - t0)) s ($((100 * (busy1 - busy0) / (all1 - all0))) % busy over 2 s)"
      return 0
    fi
  done
  echo "machine not quiet after $max s; measuring anyway"
}

# wait until `docker service ps NAME` shows N tasks running
await_running() {
  local name=$1 n=$2 i
  for ((i = 0; i < 600; i++)); do
    [[ $(d swarm00 service ps "$name" --filter desired-state=running 2>/dev/null | grep -c 'Running *Running') -ge $n ]] && return 0
    sleep 0.1
  done
  echo "service $name: $n tasks not running" >&2; return 1
}

# the main pid of the first container of service NAME on HOST
task_pid() {
  local h=$1 name=$2 c
  c=$(d "$h" ps -q --filter "label=com.docker.swarm.service.name=$name" | head -1)
  d "$h" inspect -f '{{.State.Pid}}' "$c"
}
