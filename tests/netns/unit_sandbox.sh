#!/usr/bin/env bash
# sluiced@.service's sandbox without systemd: the README's gateway guide, followed step by
# step on two nodes, each running sluiced the way the unit does, as far as that can be
# rebuilt by hand:
#   - ExecStart from the unit (`sluiced -n NETNAME -D`), NOTIFY_SOCKET set (an abstract one);
#   - exactly the unit's CapabilityBoundingSet, and NoNewPrivileges (setpriv);
#   - ProtectSystem=strict with /run/sluice (RuntimeDirectory=sluice) the only writable
#     place; PrivateTmp; ProtectHome; /proc/sys and /sys read-only (ProtectKernelTunables);
#     RLIMIT_MEMLOCK at systemd 252's default of 8M (a private mount namespace each);
#   - /etc/sluice is an overlay per node, so the guide's `sluicectl -n lab init` writes where
#     the unit reads, without touching this machine's /etc.
# Then sluiced is killed (a crash): its sluice-dp must keep running (KillMode=process) and
# the next sluiced must take it over through /run/sluice (RuntimeDirectoryPreserve=yes).
# Not rebuilt: the device cgroup (DevicePolicy/DeviceAllow), the system call filter and
# RestrictAddressFamilies; `systemd-analyze verify` checks the unit's syntax instead.
#
#   lanhost --------- alpha (gateway) ====== hub ====== beta
#   198.19.1.10       198.19.1.1      (LAN)
#   2001:db8:1::10    2001:db8:1::1
#                     198.18.0.1      underlay          198.18.0.2
#                     198.19.0.1      overlay           198.19.0.2
#                     2001:db8::1                       2001:db8::2
#   alpha announces its LAN, 198.19.1.0/24 and 2001:db8:1::/48, and forwards for it.
#
# Usage: unit_sandbox.sh SLUICECTL SLUICED UNIT_FILE
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED UNIT_FILE}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED UNIT_FILE}
UNIT=${3:?usage: $0 SLUICECTL SLUICED UNIT_FILE}
SLUICED=$(realpath "$SLUICED")
BUILD_ROOT=$(dirname "$(dirname "$SLUICED")")  # SLUICED is BUILD/controlplane/sluiced
require_root
require_cmd ip ping python3 setpriv unshare prlimit
grep -q overlay /proc/filesystems || skip "needs overlayfs for a private /etc/sluice"
NET=lab

# ---- what the unit says ------------------------------------------------------------------
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
exec_start=$(unit_value ExecStart)
[[ $exec_start == */sluiced\ -n\ %i\ -D ]] || die "unexpected ExecStart: $exec_start"
read -r -a service_args <<<"${exec_start#* }"
service_args=("${service_args[@]/\%i/$NET}")
caps=$(unit_value CapabilityBoundingSet)
[[ -n $caps ]] || die "the unit sets no CapabilityBoundingSet"
bounding="-all"
for cap in $caps; do bounding+=",+$(tr 'A-Z' 'a-z' <<<"${cap#CAP_}")"; done
[[ $(unit_value NoNewPrivileges) == yes ]] || die "the unit does not set NoNewPrivileges"
[[ $(unit_value RuntimeDirectory) == sluice ]] || die "the unit's RuntimeDirectory is not sluice"
for setting in ProtectSystem=strict PrivateTmp=yes ProtectHome=yes ProtectKernelTunables=yes; do
    grep -qx "$setting" "$UNIT" || die "the unit no longer says $setting: update this scenario"
done
log "the unit: sluiced ${service_args[*]}, capabilities $caps"

# ---- a node's view of the file system ----------------------------------------------------
# sandbox NODE MODE CMD...: CMD in NODE's namespace and a mount namespace of its own, with
# the node's /etc/sluice and /run/sluice. MODE admin: writable, an administrator's shell;
# MODE service: the unit's sandbox, CMD under its capabilities. With SANDBOX_EXEC set, the
# shell is replaced (for `sandbox ... &`, so that $! ends up being CMD's pid).
sandbox() {
    local name=$1 mode=$2
    shift 2
    local d="$TMP/fs-$name"
    mkdir -p "$d/etc.upper" "$d/etc.work" "$d/run"
    local run=()
    [[ -z ${SANDBOX_EXEC:-} ]] || run=(exec)
    "${run[@]}" ip netns exec "$(ns "$name")" unshare --mount --propagation private -- \
        bash -euc '
        d=$1 mode=$2 bounding=$3 build=$4
        shift 4
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$d/etc.upper,workdir=$d/etc.work" /etc
        mkdir -p /etc/sluice
        mount -t tmpfs -o mode=0755 tmpfs /run
        mkdir /run/sluice
        mount --bind "$d/run" /run/sluice
        if [[ $mode == service ]]; then
            # The binaries: where `meson install` would put them they are outside every
            # mount below; the build tree may be under /tmp or /root (a CI clone), which
            # PrivateTmp and ProtectHome hide. sluiced finds sluice-dp beside its own
            # executable, so it runs from a read-only view of the build tree in /run.
            mkdir /run/sluice-build
            mount --bind "$build" /run/sluice-build
            mount -o remount,bind,ro /run/sluice-build
            [[ $1 != "$build"/* ]] || set -- "/run/sluice-build/${1#"$build"/}" "${@:2}"
            mount -o remount,bind,ro /etc                    # ProtectSystem=strict
            mount -o remount,bind,ro /
            mount -o remount,ro /run                         # but RuntimeDirectory
            mount -t tmpfs tmpfs /tmp                        # PrivateTmp=yes
            mount -t tmpfs tmpfs /var/tmp
            for home in /home /root; do                      # ProtectHome=yes
                [[ ! -d $home ]] || mount -t tmpfs -o ro tmpfs "$home"
            done
            mount --bind /proc/sys /proc/sys                 # ProtectKernelTunables=yes
            mount -o remount,bind,ro /proc/sys
            mount -o remount,bind,ro /sys
            exec prlimit --memlock=8388608 -- \
                setpriv --bounding-set="$bounding" --inh-caps=-all --no-new-privs -- "$@"
        fi
        exec "$@"
    ' sandbox "$d" "$mode" "$bounding" "$BUILD_ROOT" "$@"
}

# ---- the guide, step by step -------------------------------------------------------------
for n in hub alpha beta lanhost; do make_ns "$n"; done
bridge hub alpha 198.18.0.1/24 beta 198.18.0.2/24
link alpha 198.19.1.1/24 lanhost 198.19.1.10/24
for n in alpha lanhost; do in_ns "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
in_ns alpha ip addr add 2001:db8:1::1/64 dev "$(in_ns alpha ip -o -4 addr show to 198.19.1.1 | awk '{print $2}')"
in_ns lanhost ip addr add 2001:db8:1::10/64 dev "$(in_ns lanhost ip -o -4 addr show to 198.19.1.10 | awk '{print $2}')"
in_ns lanhost ip route add default via 198.19.1.1
in_ns lanhost ip -6 route add default via 2001:db8:1::1

# 1. A network on each node.
sandbox alpha admin "$SLUICECTL" -n "$NET" init alpha >/dev/null
sandbox beta admin "$SLUICECTL" -n "$NET" init beta >/dev/null
conf() { echo "$TMP/fs-$1/etc.upper/sluice/$NET"; }
[[ -f $(conf alpha)/tinc.conf && -f $(conf beta)/hosts/beta ]] || die "init did not write /etc/sluice/$NET"

# 2. Each node's host file says where it is and what it routes (the gateway: its LAN too).
printf 'Address = 198.18.0.1\nSubnet = 198.19.0.1/32\nSubnet = 2001:db8::1/128\n' >>"$(conf alpha)/hosts/alpha"
printf 'Subnet = 198.19.1.0/24\nSubnet = 2001:db8:1::/48\n' >>"$(conf alpha)/hosts/alpha"
printf 'Address = 198.18.0.2\nSubnet = 198.19.0.2/32\nSubnet = 2001:db8::2/128\n' >>"$(conf beta)/hosts/beta"
# 3. Exchange the host files; beta connects to alpha.
cp "$(conf alpha)/hosts/alpha" "$(conf beta)/hosts/alpha"
cp "$(conf beta)/hosts/beta" "$(conf alpha)/hosts/beta"
printf 'ConnectTo = alpha\n' >>"$(conf beta)/tinc.conf"
# 4. tinc-up: the overlay address, with the whole overlay routed into the device.
for n in alpha beta; do
    host=1
    [[ $n == beta ]] && host=2
    printf '#!/bin/sh\nip addr add 198.19.0.%s/16 dev "$INTERFACE"\n' "$host" >"$(conf "$n")/tinc-up"
    printf 'ip addr add 2001:db8::%s/32 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' "$host" \
        >>"$(conf "$n")/tinc-up"
    chmod +x "$(conf "$n")/tinc-up"
done
sandbox alpha admin "$SLUICECTL" -n "$NET" fsck >/dev/null || die "fsck finds problems on alpha"
sandbox beta admin "$SLUICECTL" -n "$NET" fsck >/dev/null || die "fsck finds problems on beta"
# 5. The gateway forwards (the guide puts this in /etc/sysctl.d; per namespace here).
in_ns alpha sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# 6. Start both as the unit does, each telling a listener of ours that it is ready.
declare -A SERVICE_PID=()
for n in alpha beta; do
    socket="@sluice-unit-sandbox-$$-$n"
    ip netns exec "$(ns "$n")" python3 "$(dirname "$0")/notify_listener.py" "$socket" "$TMP/$n.notify" &
    PIDS+=("$!")
    wait_for 10 "$n's notification socket" grep -q LISTENING "$TMP/$n.notify"
    SANDBOX_EXEC=1 NOTIFY_SOCKET=$socket sandbox "$n" service "$SLUICED" "${service_args[@]}" >"$TMP/$n.log" 2>&1 &
    SERVICE_PID[$n]=$!
    PIDS+=("$!")
done
for n in alpha beta; do wait_for 30 "$n says READY=1" grep -q "READY=1" "$TMP/$n.notify"; done

# The processes have exactly the unit's capabilities (sluiced and its sluice-dp).
declare -A CAP_NUMBER=([CAP_NET_BIND_SERVICE]=10 [CAP_NET_BROADCAST]=11 [CAP_NET_ADMIN]=12
    [CAP_NET_RAW]=13 [CAP_IPC_LOCK]=14 [CAP_SYS_NICE]=23)
want_caps=0
for cap in $caps; do
    [[ -n ${CAP_NUMBER[$cap]:-} ]] || die "this scenario does not know $cap's number yet"
    want_caps=$((want_caps | (1 << CAP_NUMBER[$cap])))
done
for n in alpha beta; do
    sluiced_pid=$(cat "$TMP/fs-$n/run/$NET.pid")
    [[ $sluiced_pid == "${SERVICE_PID[$n]}" ]] || die "$n: the pid file names $sluiced_pid"
    for pid in "$sluiced_pid" "$(dp_pid "$n")"; do
        eff=$((16#$(sed -n 's/^CapEff:\t//p' "/proc/$pid/status")))
        bnd=$((16#$(sed -n 's/^CapBnd:\t//p' "/proc/$pid/status")))
        ((eff == want_caps && bnd == want_caps)) ||
            die "$n: pid $pid ($(cat "/proc/$pid/comm")) has CapEff $eff CapBnd $bnd, the unit says $want_caps"
    done
done
log "ok: sluiced and sluice-dp run with exactly the unit's capabilities"
# mount_option PID MOUNTPOINT: rw or ro, as PID sees MOUNTPOINT.
mount_option() { awk -v m="$2" '$5 == m { split($6, o, ","); print o[1] }' "/proc/$1/mountinfo" | tail -n 1; }
for n in alpha beta; do
    pid=${SERVICE_PID[$n]}
    [[ $(mount_option "$pid" /) == ro && $(mount_option "$pid" /etc) == ro &&
        $(mount_option "$pid" /proc/sys) == ro && $(mount_option "$pid" /run/sluice) == rw ]] ||
        die "$n: the sandbox is not in place: $(awk '{print $5, $6}' "/proc/$pid/mountinfo")"
    grep -q "^Max locked memory *8388608 " "/proc/$pid/limits" || die "$n: RLIMIT_MEMLOCK is not 8M"
done
log "ok: read-only but for /run/sluice, RLIMIT_MEMLOCK 8M"

# 7. The mesh comes up, and the LAN behind the gateway reaches the other node.
beta_sees_alpha() {
    sandbox beta admin "$SLUICECTL" -n "$NET" dump nodes --json | grep -q '"name": "alpha", "reachable": true'
}
wait_for 30 "beta sees alpha (sluicectl -n $NET dump nodes)" beta_sees_alpha
wait_for 30 "ping beta -> alpha over the overlay" in_ns beta ping -c1 -W1 198.19.0.1
wait_for 30 "ping lanhost -> beta through the gateway" in_ns lanhost ping -c1 -W1 198.19.0.2
wait_for 30 "ping beta -> lanhost through the gateway" in_ns beta ping -c1 -W1 198.19.1.10
wait_for 30 "ping -6 lanhost -> beta through the gateway" in_ns lanhost ping -6 -c1 -W1 2001:db8::2
wait_for 30 "ping -6 beta -> lanhost through the gateway" in_ns beta ping -6 -c1 -W1 2001:db8:1::10
sandbox alpha admin "$SLUICECTL" -n "$NET" dump subnets

# 8. A crash, and Restart=: with KillMode=process sluice-dp outlives sluiced, and the next
# sluiced (same sandbox, same /run/sluice) takes it over instead of starting another.
dp_before=$(dp_pid alpha)
kill -KILL "${SERVICE_PID[alpha]}"
wait "${SERVICE_PID[alpha]}" 2>/dev/null || true
kill -0 "$dp_before" || die "alpha's sluice-dp died with its sluiced"
readies=$(grep -c "READY=1" "$TMP/alpha.notify")
SANDBOX_EXEC=1 NOTIFY_SOCKET="@sluice-unit-sandbox-$$-alpha" sandbox alpha service "$SLUICED" "${service_args[@]}" \
    >>"$TMP/alpha.log" 2>&1 &
SERVICE_PID[alpha]=$!
PIDS+=("$!")
wait_for 30 "the restarted sluiced says READY=1" bash -c "(( \$(grep -c 'READY=1' '$TMP/alpha.notify') > $readies ))"
grep -q "Taking over the running data plane (pid $dp_before" "$TMP/alpha.log" ||
    die "the restarted sluiced did not take the running sluice-dp over"
wait_for 30 "ping lanhost -> beta after the restart" in_ns lanhost ping -c1 -W1 198.19.0.2

# 9. A clean stop, as systemctl stop does it: SIGTERM to sluiced alone.
for n in alpha beta; do
    kill -TERM "${SERVICE_PID[$n]}"
    status=0
    wait "${SERVICE_PID[$n]}" || status=$?
    ((status == 0)) || die "$n's sluiced exited with status $status"
    grep -q "STOPPING=1" "$TMP/$n.notify" || die "$n did not say STOPPING=1"
    [[ -z $(ls -A "$TMP/fs-$n/run") ]] || die "$n left files in /run/sluice: $(ls -A "$TMP/fs-$n/run")"
done
log "ok: both stopped cleanly and left /run/sluice empty"
log "PASS"
