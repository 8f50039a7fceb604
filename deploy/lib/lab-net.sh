# shellcheck shell=bash
# Namespaces and the back network of deploy/lab (sourced, not run).
#
#   root ns: flotilla0 10.10.10.1/24 --veth-- sw-root ┐
#   switch ns (flotilla-switch): bridge labbr0 ───────┤
#   host swarmNN (own net+mnt+uts ns): ens33 10.10.10.(60+NN)/24 --veth-- sw-swarmNN ┘

# /run/flotilla/lab must be a private mount: mount-namespace files can only be bind-mounted
# where mounts do not propagate (else the kernel refuses, to avoid reference loops).
ensure_run_mount() {
  mkdir -p "$LAB_RUN"
  if ! mountpoint -q "$LAB_RUN"; then
    mount --bind "$LAB_RUN" "$LAB_RUN"
  fi
  mount --make-private "$LAB_RUN"
}

ensure_switch() {
  if [[ ! -e /run/netns/$LAB_SWITCH ]]; then
    ip netns add "$LAB_SWITCH"
  fi
  ip -n "$LAB_SWITCH" link set lo up
  if ! ip -n "$LAB_SWITCH" link show "$LAB_BRIDGE" >/dev/null 2>&1; then
    ip -n "$LAB_SWITCH" link add "$LAB_BRIDGE" type bridge stp_state 0 forward_delay 0
  fi
  ip -n "$LAB_SWITCH" link set "$LAB_BRIDGE" up
  if ! ip link show "$LAB_ROOT_IF" >/dev/null 2>&1; then
    ip link add "$LAB_ROOT_IF" type veth peer name sw-root netns "$LAB_SWITCH"
  fi
  ip -n "$LAB_SWITCH" link set sw-root master "$LAB_BRIDGE" up
  ip addr replace "$LAB_ROOT_IP/24" dev "$LAB_ROOT_IF"
  ip link set "$LAB_ROOT_IF" up
}

# network namespace of HOST: /run/netns/HOST (so `ip -n HOST`, `ip netns pids HOST` work from the
# machine) and the same namespace bind-mounted at /run/flotilla/lab/HOST/ns/net.
ensure_host_netns() {
  local h=$1 f; f=$(host_ns "$h" net)
  mkdir -p "$(dirname "$f")"
  if ! ns_alive "$f"; then
    [[ -e /run/netns/$h ]] || ip netns add "$h"
    touch "$f"
    mount --bind "/run/netns/$h" "$f"
  elif [[ ! -e /run/netns/$h ]]; then
    mkdir -p /run/netns
    touch "/run/netns/$h"
    mount --bind "$f" "/run/netns/$h"
  fi
}

# the host's ens33 on the switch, its address, lo; no default route
ensure_host_link() {
  local h=$1 ip sw; ip=$(host_ip "$h"); sw=$(veth_switch_side "$h")
  if ! ip -n "$h" link show ens33 >/dev/null 2>&1; then
    ip -n "$LAB_SWITCH" link del "$sw" 2>/dev/null
    ip link add "$sw" netns "$LAB_SWITCH" type veth peer name ens33 netns "$h"
  fi
  ip -n "$LAB_SWITCH" link set "$sw" master "$LAB_BRIDGE" up
  ip -n "$h" link set lo up
  ip -n "$h" addr replace "$ip/24" dev ens33
  ip -n "$h" link set ens33 up
}

host_link_down() {
  local h=$1
  ip -n "$h" link set ens33 down 2>/dev/null
  ip -n "$LAB_SWITCH" link set "$(veth_switch_side "$h")" down 2>/dev/null
}

host_link_state() {
  local h=$1 a b
  a=$(ip -n "$h" -o link show ens33 2>/dev/null | grep -c '[<,]UP[,>]')
  b=$(ip -n "$LAB_SWITCH" -o link show "$(veth_switch_side "$h")" 2>/dev/null | grep -c '[<,]UP[,>]')
  if [[ $a == 1 && $b == 1 ]]; then echo up; elif ip -n "$h" link show ens33 >/dev/null 2>&1; then echo down; else echo absent; fi
}

# files the host sees instead of the machine's own
write_host_files() {
  local h=$1 d o; d=$(host_run "$h")
  mkdir -p "$d/etc"
  echo "nameserver $LAB_ROOT_IP" >"$d/etc/resolv.conf"
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    printf '%s\t%s\n' "$(host_ip "$h")" "$h"
    for o in $(lab_hosts); do [[ $o != "$h" ]] && printf '%s\t%s\n' "$(host_ip "$o")" "$o"; done
  } >"$d/etc/hosts"
  echo "$h" >"$d/etc/hostname"
}

# mount + UTS namespaces of HOST, persistent as bind-mounted files, set up once:
#  - hostname = HOST
#  - no copies of other namespaces' files (they would keep those namespaces alive)
#  - own /etc/resolv.conf, /etc/hosts
#  - own /run/netns: the dockerd exec-root's netns dir (docker's sandboxes appear there too), as a
#    shared mount so that `ip netns add X` inside the host and docker's own sandboxes both show up
#  - own /run/containerd (containerd shims put their sockets under /run/containerd/s)
ensure_host_mntns() {
  local h=$1 d mnt uts exec
  d=$(host_run "$h"); mnt=$(host_ns "$h" mnt); uts=$(host_ns "$h" uts); exec=$(host_exec_root "$h")
  if ns_alive "$mnt" && ns_alive "$uts"; then return 0; fi
  umount "$mnt" 2>/dev/null; umount "$uts" 2>/dev/null
  mkdir -p "$d/ns" "$exec/netns" "$d/containerd-run"
  touch "$mnt" "$uts"
  unshare --mount="$mnt" --uts="$uts" --propagation private true || die "unshare for $h failed"
  nsenter --mount="$mnt" --uts="$uts" -- /bin/sh -ec '
    h=$1 d=$2 exec=$3
    hostname "$h"
    for t in $(findmnt -rn -t nsfs -o TARGET | sort -r); do umount -l "$t" 2>/dev/null || true; done
    mount --bind "$d/etc/resolv.conf" /etc/resolv.conf
    mount --bind "$d/etc/hosts" /etc/hosts
    mount --bind "$d/etc/hostname" /etc/hostname
    mount --bind "$exec/netns" "$exec/netns"
    mount --make-shared "$exec/netns"
    mkdir -p /run/netns /run/containerd
    mount --bind "$exec/netns" /run/netns
    mount --bind "$d/containerd-run" /run/containerd
  ' sh "$h" "$d" "$exec" || die "mount namespace setup for $h failed"
}

ensure_host() {
  local h=$1
  mkdir -p "$(host_run "$h")" "$(host_pids_dir "$h")" "$(host_log_dir "$h")" \
    "$(host_data_root "$h")" "$(host_flotilla_data "$h")"
  write_host_files "$h"
  ensure_host_netns "$h"
  ensure_host_link "$h"
  ensure_host_mntns "$h"
}

# take HOST's namespaces apart (its processes must be gone already)
remove_host_namespaces() {
  local h=$1 f
  for f in mnt uts net; do
    f=$(host_ns "$h" $f)
    while mountpoint -q "$f" 2>/dev/null; do umount "$f" 2>/dev/null || umount -l "$f"; done
  done
  ip -n "$LAB_SWITCH" link del "$(veth_switch_side "$h")" 2>/dev/null
  [[ -e /run/netns/$h ]] && ip netns del "$h" 2>/dev/null
  true
}

remove_switch() {
  ip link del "$LAB_ROOT_IF" 2>/dev/null
  [[ -e /run/netns/$LAB_SWITCH ]] && ip netns del "$LAB_SWITCH" 2>/dev/null
  true
}
