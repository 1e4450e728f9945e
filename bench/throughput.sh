#!/usr/bin/env bash
# Throughput of sluice against tinc 1.0.36 and the VPNs Debian 12 ships (wireguard-go, fastd,
# OpenVPN) through the same two network namespaces, in one run.
#
#   sudo bench/throughput.sh [BUILD_DIR]            (BUILD_DIR defaults to the repo's build/)
#   sudo tools/dev bench                            (installs what is missing, builds, runs
#                                                    the micro-benchmarks and this script)
#
# Runs as root on Debian 12 and needs ip (iproute2), iperf3, ping, python3 and gnuplot, and
# each VPN's own programs: tincd (tinc 1.0.36), wireguard-go and wg (wireguard-go,
# wireguard-tools), fastd, openvpn and openssl. It installs nothing: `tools/dev bench` does.
# The sluice binaries must be built (ninja -C build).
#
#        namespace A                                   namespace B
#   underlay 198.18.0.1/24  ------- veth pair -------  198.18.0.2/24
#   overlay  198.19.0.1/24  ===== tunnel, MTU 1420 ====  198.19.0.2/24
#   iperf3 client, ping                                iperf3 server
#
# For each VPN in turn (tinc first: it is the baseline every ratio refers to) the script
# brings a tunnel up between the two namespaces with that VPN's default settings, waits until
# the tunnel carries traffic (condition polling, no fixed sleeps), measures, and tears the
# tunnel down completely before the next VPN:
#   - idle RTT: ping -c 20 -i 0.05, the average;
#   - iperf3 TCP from A to B, 1 stream and 4 streams (-P 4), DURATION s each, RUNS runs, median;
#   - CPU-seconds the VPN's daemons (both namespaces) spent per GB received by iperf3, from
#     utime+stime in /proc/PID/stat before and after the 1-stream runs;
#   - 64-byte UDP packet rate: iperf3 -u -l 64 -b 0 (no rate limit) from A to B, DURATION s,
#     RUNS runs, median of the packets per second the server in B received.
# "Carries traffic" means ping works both ways and both ends have finished path MTU
# discovery: tincd and sluiced send frames above the MTU discovered so far as PACKETs over
# the TCP meta connection until they log "Fixing MTU of PEER" (debug level 5).
#
# Every VPN's tunnel device must be a TUN device its daemon opened (`ip -d link` kind "tun"):
# wireguard-go creates its own (kernel WireGuard is never configured), OpenVPN runs with
# --disable-dco, so no VPN is measured with packets moved by the kernel.
#
# It prints (stdout) a table with every figure as a ratio to tinc measured in the same run,
# the iperf3 retransmits, the CPU of each daemon, the kernel's drop counters that moved (UDP
# receive buffer errors, tunnel device drops) and each VPN's diagnostics (sluice: `sluicectl
# dump workers`); progress goes to stderr. It writes the raw results as JSON (machine,
# kernel, load average, congestion control, every run, per-daemon CPU, kernel counters) and a
# PNG chart (gnuplot) of the ratios next to the JSON.
#
# Environment:
#   RUNS=3          runs per iperf3 case (the median is reported)
#   DURATION=10     seconds per iperf3 run
#   VPNS="tinc sluice sluice_unpinned wireguard_go fastd openvpn"
#                   which VPNs, in this order (each is a vpn_NAME_* function set below); the
#                   ratios refer to tinc, or to the first VPN listed when tinc is not
#   OUTPUT=bench/results/throughput-DATE.json   where the JSON goes (the PNG gets .png)
#   CC=             set this TCP congestion control in both namespaces (default: leave the
#                   kernel's, usually what the host uses); it is recorded either way
#   KEEP_TMP=1      keep the configurations and logs in /tmp/sluice-throughput.* afterwards
#
# Quick check: RUNS=1 DURATION=3 bench/throughput.sh
#
# Adding a VPN is one block of functions:
#   vpn_NAME_setup DIR      make configurations in DIR, start the daemons in namespaces A and
#                           B with spawn, put 198.19.0.1/24 and 198.19.0.2/24 on the tunnel
#                           devices with MTU 1420, and return once the VPN itself is ready
#                           (the script then waits for ping on its own); set VPN_DESCRIPTION
#                           and VPN_VERSION
#   vpn_NAME_daemons DIR    print "label pid" per daemon process whose CPU counts
#   vpn_NAME_report DIR     (optional) print diagnostics to keep in the JSON
#   vpn_NAME_teardown DIR   stop everything vpn_NAME_setup started
#   VPN_NEEDS[NAME]         (optional) "command:debian-package ...", checked before any run
# and adding NAME to VPNS. After teardown the script checks that both namespaces are back to
# loopback + veth with nothing listening, so a VPN that leaves something behind fails loudly.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$repo/build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "throughput.sh: no build directory ${1:-$repo/build}" >&2; exit 1; }
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
VPNS=${VPNS:-tinc sluice sluice_unpinned wireguard_go fastd openvpn}
OUTPUT=${OUTPUT:-$repo/bench/results/throughput-$(date +%Y-%m-%dT%H%M%S).json}
CC=${CC:-}
TUNNEL_MTU=1420
SLUICECTL=$BUILD/tools/sluicectl
SLUICED=$BUILD/controlplane/sluiced

TMP=$(mktemp -d /tmp/sluice-throughput.XXXXXX)
RES=$TMP/results
mkdir -p "$RES"
NS_A="sltp$$-a"
NS_B="sltp$$-b"
declare -a NAMESPACES=()
declare -a PIDS=() # every process this script started (or learned of), stopped by PID in cleanup
declare -A VPN_NEEDS=() # per VPN: "command:debian-package ..." checked before anything runs
WG_RUN=/var/run/wireguard # wireguard-go's UAPI sockets (wg finds the daemon there)
WG_RUN_CREATED=""         # yes: this script's wireguard-go made WG_RUN, so cleanup removes it

log() { printf '[throughput] %s\n' "$*" >&2; }
die() {
    log "FAIL: $*"
    exit 1
}

# ---- processes and cleanup --------------------------------------------------------------

# alive PID: the process exists and is not a zombie.
alive() {
    local state
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n $state && $state != Z ]]
}

forget_pid() {
    local p keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# stop_pid PID: SIGTERM, up to 10 s to exit, then SIGKILL; reaps it if it is our child.
stop_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
        log "pid $pid ignored SIGTERM for 10 s; SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
}

# wait_gone PID SECONDS: waits for a process to exit by itself, then stops it by PID.
wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    alive "$pid" && log "pid $pid did not exit within $2 s; stopping it"
    stop_pid "$pid"
}

cleanup() {
    local status=$? pid ns f
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # sluice-dp processes our sluiced nodes started, in case a sluiced died before naming them.
    for f in "$TMP"/*/*.log; do
        [[ -f $f ]] || continue
        for pid in $(sed -n 's/.*Started sluice-dp .*, pid \([0-9]*\).*/\1/p' "$f"); do
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        done
    done
    for ns in "${NAMESPACES[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
    # wireguard-go's socket directory, if this script's wireguard-go made it (empty by now).
    [[ -z $WG_RUN_CREATED ]] || rmdir "$WG_RUN" 2>/dev/null || true
    local have_logs=""
    compgen -G "$TMP/*/*.log" >/dev/null && have_logs=yes
    if [[ $status -ne 0 && -n $have_logs ]]; then
        log "failed (status $status); last lines of the logs:"
        for f in "$TMP"/*/*.log; do
            echo "--- $f"
            tail -n 30 "$f"
        done >&2
    fi
    if [[ -n ${KEEP_TMP:-} || ($status -ne 0 && -n $have_logs) ]]; then
        log "configurations and logs kept in $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- namespaces -------------------------------------------------------------------------

ns_of() { [[ $1 == a ]] && echo "$NS_A" || echo "$NS_B"; }
in_ns() {
    local n
    n=$(ns_of "$1")
    shift
    ip netns exec "$n" "$@"
}

# spawn SIDE LOG CMD...: runs CMD in namespace SIDE (a or b) in the background, its output in
# LOG; sets SPAWNED to its PID (ip netns exec execs CMD, so that is CMD's own PID).
spawn() {
    local side=$1 out=$2
    shift 2
    ip netns exec "$(ns_of "$side")" "$@" </dev/null >>"$out" 2>&1 &
    SPAWNED=$!
    PIDS+=("$SPAWNED")
}

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "timed out after ${timeout}s waiting for: $what"
        sleep 0.1
    done
}

make_namespaces() {
    local ns
    for ns in "$NS_A" "$NS_B"; do
        ip netns add "$ns"
        NAMESPACES+=("$ns")
        ip -n "$ns" link set lo up
    done
    local va="tp$$a" vb="tp$$b"
    ip link add "${va:0:15}" netns "$NS_A" type veth peer name "${vb:0:15}" netns "$NS_B"
    ip -n "$NS_A" addr add 198.18.0.1/24 dev "${va:0:15}"
    ip -n "$NS_B" addr add 198.18.0.2/24 dev "${vb:0:15}"
    ip -n "$NS_A" link set "${va:0:15}" up
    ip -n "$NS_B" link set "${vb:0:15}" up
    if [[ -n $CC ]]; then
        in_ns a sysctl -q -w "net.ipv4.tcp_congestion_control=$CC"
        in_ns b sysctl -q -w "net.ipv4.tcp_congestion_control=$CC"
    fi
    wait_for 10 "the underlay to carry ping" in_ns a ping -c1 -W1 198.18.0.2
}

# namespace_clean SIDE: only lo and the veth end remain, and nothing listens (TCP or UDP).
namespace_clean() {
    local links sockets
    links=$(ip -n "$(ns_of "$1")" -o link show | wc -l)
    sockets=$(in_ns "$1" ss -H -l -t -u -n | wc -l)
    ((links == 2 && sockets == 0))
}

# overlay_device SIDE ADDRESS: the device holding ADDRESS/24 in namespace SIDE.
overlay_device() {
    ip -n "$(ns_of "$1")" -o -4 addr show | awk -v a="$2/24" '$4 == a { print $2; exit }'
}

# device_kind SIDE DEV: the kernel's kind of the device ("tun" for a TUN device a userspace
# daemon opened; "wireguard" or "ovpn-dco" would mean the kernel moves the packets).
device_kind() {
    ip -n "$(ns_of "$1")" -d -j link show dev "$2" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("linkinfo", {}).get("info_kind", "none"))'
}

device_mtu() { ip -n "$(ns_of "$1")" -o link show dev "$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }

# tinc_up ADDRESS: a tinc-up script (tincd and sluiced both run it) for the overlay address.
tinc_up() {
    printf '#!/bin/sh\nip addr add %s/24 dev "$INTERFACE"\nip link set "$INTERFACE" mtu %s\nip link set "$INTERFACE" up\n' \
        "$1" "$TUNNEL_MTU"
}

# tinc_style_config DIR: nodes alpha (namespace A, connects) and beta (namespace B) in
# tinc 1.0 configuration directories DIR/alpha and DIR/beta, made by sluicectl init (the same
# files tincd reads: RSA keys, tinc.conf, host files with Address and Subnet), with tinc-up.
tinc_style_config() {
    local dir=$1 name i=0
    for name in alpha beta; do
        i=$((i + 1))
        "$SLUICECTL" -c "$dir/$name" init "$name" >/dev/null
        printf 'Address = 198.18.0.%s\nSubnet = 198.19.0.%s/32\n' "$i" "$i" >>"$dir/$name/hosts/$name"
        tinc_up "198.19.0.$i" >"$dir/$name/tinc-up"
        chmod +x "$dir/$name/tinc-up"
    done
    printf 'ConnectTo = beta\n' >>"$dir/alpha/tinc.conf"
    cp "$dir/alpha/hosts/alpha" "$dir/beta/hosts/alpha"
    cp "$dir/beta/hosts/beta" "$dir/alpha/hosts/beta"
}

# ---- VPN: tinc 1.0.36 (Debian's tincd, default aes-256-cbc + HMAC-SHA256/4) --------------

declare -A TINC_PID=()
VPN_NEEDS[tinc]="tincd:tinc"

vpn_tinc_setup() {
    local dir=$1 side name peer
    command -v tincd >/dev/null || die "tincd is missing (Debian package tinc)"
    VPN_VERSION=$(tincd --version | head -n 1)
    [[ $VPN_VERSION == *" 1.0.36"* ]] || log "WARNING: the baseline is meant to be tinc 1.0.36; this is: $VPN_VERSION"
    VPN_DESCRIPTION="Debian's tincd, default Cipher/Digest (aes-256-cbc + HMAC-SHA256/4), -d2"
    tinc_style_config "$dir"
    for side in b a; do
        [[ $side == a ]] && name=alpha || name=beta
        spawn "$side" "$dir/$name.out" tincd -c "$dir/$name" -D -d2 --logfile="$dir/$name.log" --pidfile="$dir/$name.pid"
        TINC_PID[$side]=$SPAWNED
        wait_for 20 "tincd $name is ready" grep -q "Ready" "$dir/$name.log"
    done
    wait_for 30 "tinc alpha's meta connection to beta" grep -q "Connection with beta .* activated" "$dir/alpha.log"
    # tincd sends every frame above its discovered path MTU over TCP until "Fixing MTU of PEER"
    # (net_packet.c). That line is logged at debug level 5 (DEBUG_TRAFFIC), which would also
    # log every packet during the measurement, so the daemons run at -d2 and SIGINT raises
    # them to 5 only until the discovery has finished (tincd's SIGINT toggles level 5).
    for side in a b; do
        [[ $side == a ]] && name=alpha || name=beta
        kill -INT "${TINC_PID[$side]}"
        wait_for 10 "tincd $name at debug level 5" grep -q "Temporarily setting debug level to 5" "$dir/$name.log"
    done
    # Keys, and with them the MTU probes, start with the first packet in each direction.
    wait_for 60 "ping alpha -> beta over tinc" in_ns a ping -c1 -W1 198.19.0.2
    wait_for 60 "ping beta -> alpha over tinc" in_ns b ping -c1 -W1 198.19.0.1
    for side in a b; do
        [[ $side == a ]] && name=alpha peer=beta || name=beta peer=alpha
        wait_for 90 "tincd $name fixed its path MTU to $peer" grep -q "Fixing MTU of $peer" "$dir/$name.log"
        kill -INT "${TINC_PID[$side]}"
        wait_for 10 "tincd $name back at debug level 2" grep -q "Reverting to old debug level" "$dir/$name.log"
    done
}

vpn_tinc_daemons() {
    echo "tincd@A ${TINC_PID[a]}"
    echo "tincd@B ${TINC_PID[b]}"
}

vpn_tinc_report() {
    grep -h "Fixing MTU of" "$1/alpha.log" "$1/beta.log" | sed 's/^/path MTU: /'
    meta_connection_bytes
}

# meta_connection_bytes: bytes each side sent over the TCP meta connection (port 655) so far;
# far more than a few kB after the runs means frames went as PACKET over TCP, not UDP.
meta_connection_bytes() {
    local side
    for side in a b; do
        in_ns "$side" ss -H -t -i -n state established '( sport = :655 or dport = :655 )' |
            grep -o 'bytes_sent:[0-9]*' | sed "s/^/meta connection (TCP 655), namespace ${side^^}: /"
    done
}

vpn_tinc_teardown() {
    stop_pid "${TINC_PID[a]}"
    stop_pid "${TINC_PID[b]}"
}

# ---- VPN: sluice (two sluiced nodes, default settings: DataPlane = managed) --------------

declare -A SLUICED_PID=() SLUICE_LOG_LINES=()

vpn_sluice_setup() {
    local dir=$1 side name
    [[ -x $SLUICED && -x $SLUICECTL && -x $BUILD/dataplane/sluice-dp ]] ||
        die "sluice binaries missing under $BUILD (build them: ninja -C $BUILD)"
    VPN_VERSION="$("$SLUICED" --version | head -n 1), $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
    VPN_DESCRIPTION="sluiced + sluice-dp, default settings (DataPlane = managed) but DataPlaneCPUs rotated per node, -d5"
    tinc_style_config "$dir"
    # Both nodes share this machine: by default each would pin its worker 0 to the first CPU,
    # and the one busy worker of each node (all traffic between two nodes shares one UDP
    # 4-tuple, so one socket) would fight over it. Rotating the list puts them on different
    # CPUs, as separate gateways would be.
    local cpus
    if [[ ${SLUICE_UNPINNED:-} == yes ]]; then
        cpus=none
        printf 'DataPlaneCPUs = none\n' >>"$dir/alpha/tinc.conf"
        VPN_DESCRIPTION="sluiced + sluice-dp, default settings but DataPlaneCPUs = none (workers not pinned), -d5"
    else
        cpus=$(seq -s ' ' 0 $(($(nproc) - 1)))
        printf 'DataPlaneCPUs = %s\n' "$cpus" >>"$dir/alpha/tinc.conf"
        [[ $cpus == *" "* ]] && cpus="${cpus#* } ${cpus%% *}"
    fi
    printf 'DataPlaneCPUs = %s\n' "$cpus" >>"$dir/beta/tinc.conf"
    for side in b a; do
        [[ $side == a ]] && name=alpha || name=beta
        # -d5 for the "Fixing MTU" line below. sluiced has no tincd-style SIGINT toggle (SIGINT
        # stops it), but it logs nothing per packet on the UDP path (sluice-dp never logs per
        # packet), so level 5 costs nothing during the runs; vpn_sluice_report counts the lines.
        spawn "$side" "$dir/$name.out" "$SLUICED" -c "$dir/$name" -D -d5 --logfile="$dir/$name.log"
        SLUICED_PID[$side]=$SPAWNED
        wait_for 30 "sluiced $name is ready" grep -q "Ready" "$dir/$name.log"
        local dp
        dp=$(sluice_dp_pid "$dir" "$name")
        [[ -n $dp ]] || die "sluiced $name logged no sluice-dp pid"
        PIDS+=("$dp")
    done
    wait_for 30 "sluice alpha reaches beta" sluice_reachable "$dir" alpha beta
    wait_for 30 "sluice beta reaches alpha" sluice_reachable "$dir" beta alpha
    wait_for 60 "ping alpha -> beta over sluice" in_ns a ping -c1 -W1 198.19.0.2
    wait_for 60 "ping beta -> alpha over sluice" in_ns b ping -c1 -W1 198.19.0.1
    wait_for 30 "sluice alpha holds a key for beta" sluice_key_valid "$dir" alpha beta
    wait_for 30 "sluice beta holds a key for alpha" sluice_key_valid "$dir" beta alpha
    # Like tincd, sluiced sends frames above the path MTU it knows so far over TCP until its
    # discovery fixes the MTU (2 s after the last probe result; logged at level 5).
    wait_for 90 "sluice alpha fixed its path MTU to beta" grep -q "Fixing MTU of beta" "$dir/alpha.log"
    wait_for 90 "sluice beta fixed its path MTU to alpha" grep -q "Fixing MTU of alpha" "$dir/beta.log"
    SLUICE_LOG_LINES[a]=$(wc -l <"$dir/alpha.log")
    SLUICE_LOG_LINES[b]=$(wc -l <"$dir/beta.log")
}

# sluice_dp_pid DIR NAME: the pid of the sluice-dp serving node NAME (the last one started).
sluice_dp_pid() {
    sed -n 's/.*Started sluice-dp .*, pid \([0-9]*\).*/\1/p' "$1/$2.log" | tail -n 1
}
sluice_reachable() {
    "$SLUICECTL" -c "$1/$2" dump nodes --json | grep -q "\"name\": \"$3\", \"reachable\": true"
}
sluice_key_valid() {
    "$SLUICECTL" -c "$1/$2" dump nodes --json | grep -q "\"name\": \"$3\".*\"key_valid\": true"
}

vpn_sluice_daemons() {
    local dir=$1
    echo "sluiced@A ${SLUICED_PID[a]}"
    echo "sluice-dp@A $(sluice_dp_pid "$dir" alpha)"
    echo "sluiced@B ${SLUICED_PID[b]}"
    echo "sluice-dp@B $(sluice_dp_pid "$dir" beta)"
}

vpn_sluice_report() {
    local dir=$1 name side
    grep -h "Fixing MTU of" "$dir/alpha.log" "$dir/beta.log" | sed 's/^/path MTU: /'
    for name in alpha beta; do
        [[ $name == alpha ]] && side=a || side=b
        echo "== $name: log lines written since the tunnel was ready: $(($(wc -l <"$dir/$name.log") - SLUICE_LOG_LINES[$side]))"
        echo "== $name: sluicectl dump workers"
        "$SLUICECTL" -c "$dir/$name" dump workers 2>&1 || true
        echo "== $name: sluicectl dump nodes"
        "$SLUICECTL" -c "$dir/$name" dump nodes 2>&1 || true
        echo "== $name: sluice-dp starts: $(grep -c "Started sluice-dp" "$dir/$name.log" || true)"
        echo "== $name: log lines at warning or above"
        grep -Ei "warn|error|fail|drop|fallback|tcp" "$dir/$name.log" | grep -v "Started sluice-dp" | tail -n 20 || true
    done
    meta_connection_bytes
}

# sluice_unpinned: the same two nodes with DataPlaneCPUs = none. On a box where both VPN ends
# and both iperf3 processes share two CPUs, pinned workers cannot get out of each other's and
# iperf3's way; the scheduler can. Both variants are reported, so the cost of pinning shows.
vpn_sluice_unpinned_setup() { SLUICE_UNPINNED=yes vpn_sluice_setup "$@"; }
vpn_sluice_unpinned_daemons() { vpn_sluice_daemons "$@"; }
vpn_sluice_unpinned_report() { vpn_sluice_report "$@"; }
vpn_sluice_unpinned_teardown() { vpn_sluice_teardown "$@"; }

vpn_sluice_teardown() {
    local dir=$1 side name dp
    for side in a b; do
        [[ $side == a ]] && name=alpha || name=beta
        dp=$(sluice_dp_pid "$dir" "$name")
        "$SLUICECTL" -c "$dir/$name" stop >/dev/null 2>&1 || log "sluicectl stop $name failed; stopping by pid"
        wait_gone "${SLUICED_PID[$side]}" 15
        # sluiced stops its sluice-dp on a clean exit; make sure it went.
        [[ -z $dp ]] || wait_gone "$dp" 10
    done
}

# ---- helpers shared by the VPNs below that make their own TUN device ---------------------

# userspace_device SIDE DEV VPN: DEV exists in namespace SIDE, is a TUN device (the daemon's
# own, not a kernel implementation's), and gets ADDRESS/24, MTU 1420 and up.
userspace_device() {
    local side=$1 dev=$2 vpn=$3 address=$4 kind
    wait_for 20 "$vpn's device $dev in namespace ${side^^}" ip -n "$(ns_of "$side")" link show dev "$dev"
    kind=$(device_kind "$side" "$dev")
    [[ $kind == tun ]] || die "$vpn: $dev in namespace ${side^^} is a '$kind' device, not the daemon's own TUN device (ip -d link)"
    ip -n "$(ns_of "$side")" addr add "$address/24" dev "$dev"
    ip -n "$(ns_of "$side")" link set dev "$dev" mtu "$TUNNEL_MTU" up
}

side_address() { [[ $1 == a ]] && echo "$2.1" || echo "$2.2"; }
other_side() { [[ $1 == a ]] && echo b || echo a; }

# ---- VPN: wireguard-go (Debian's, userspace; configured with wg from wireguard-tools) ----

declare -A WG_PID=() WG_DEV=()
VPN_NEEDS[wireguard_go]="wireguard-go:wireguard-go wg:wireguard-tools"

vpn_wireguard_go_setup() {
    local dir=$1 side
    command -v wireguard-go >/dev/null || die "wireguard-go is missing (Debian package wireguard-go)"
    command -v wg >/dev/null || die "wg is missing (Debian package wireguard-tools)"
    VPN_VERSION="$(wireguard-go --version | head -n 1); $(wg --version | cut -d' ' -f1-2)"
    VPN_DESCRIPTION="Debian's wireguard-go (userspace: its own TUN device, no kernel WireGuard), wg set, ChaCha20-Poly1305, defaults otherwise"
    [[ -d $WG_RUN ]] || WG_RUN_CREATED=yes
    for side in a b; do
        # The socket directory is shared by all namespaces: names unique to this run.
        WG_DEV[$side]="wg$$$side"
        [[ ! -e $WG_RUN/${WG_DEV[$side]}.sock ]] || die "$WG_RUN/${WG_DEV[$side]}.sock exists already"
        (umask 077 && wg genkey >"$dir/$side.key")
        wg pubkey <"$dir/$side.key" >"$dir/$side.pub"
    done
    for side in a b; do
        # -f: stays in the foreground, so the spawned pid is the daemon's (env execs it). The
        # variable only silences its banner about the kernel module.
        spawn "$side" "$dir/wireguard-go-$side.log" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "${WG_DEV[$side]}"
        WG_PID[$side]=$SPAWNED
        wait_for 20 "wireguard-go's socket for ${WG_DEV[$side]}" test -S "$WG_RUN/${WG_DEV[$side]}.sock"
        userspace_device "$side" "${WG_DEV[$side]}" wireguard-go "$(side_address "$side" 198.19.0)"
    done
    for side in a b; do
        local other
        other=$(other_side "$side")
        in_ns "$side" wg set "${WG_DEV[$side]}" listen-port 51820 private-key "$dir/$side.key" \
            peer "$(cat "$dir/$other.pub")" allowed-ips "$(side_address "$other" 198.19.0)/32" \
            endpoint "$(side_address "$other" 198.18.0):51820"
    done
    # The first packet starts the handshake.
    wait_for 30 "ping A -> B over wireguard-go" in_ns a ping -c1 -W1 198.19.0.2
    wait_for 30 "ping B -> A over wireguard-go" in_ns b ping -c1 -W1 198.19.0.1
}

vpn_wireguard_go_daemons() {
    echo "wireguard-go@A ${WG_PID[a]}"
    echo "wireguard-go@B ${WG_PID[b]}"
}

vpn_wireguard_go_report() {
    local side
    for side in a b; do
        echo "== namespace ${side^^}: ${WG_DEV[$side]} is a '$(device_kind "$side" "${WG_DEV[$side]}")' device (ip -d link)"
        in_ns "$side" wg show "${WG_DEV[$side]}" 2>&1 | grep -Ev "private key|public key|^peer:" || true
    done
}

vpn_wireguard_go_teardown() {
    # On SIGTERM wireguard-go closes its device (the kernel removes it) and its socket.
    stop_pid "${WG_PID[a]}"
    stop_pid "${WG_PID[b]}"
    [[ -z $WG_RUN_CREATED ]] || rmdir "$WG_RUN" 2>/dev/null || true
}

# ---- VPN: fastd (Debian's fastd 22, TUN mode, one peer each side) -----------------------

declare -A FASTD_PID=()
VPN_NEEDS[fastd]="fastd:fastd"
FASTD_METHOD=aes128-ctr+umac # the AES-NI method of this package (its list: null, aes128-gcm,
                             # aes128-ctr+umac, salsa2012+umac, salsa20+umac, null@l2tp, ...)

vpn_fastd_setup() {
    local dir=$1 side other keys
    command -v fastd >/dev/null || die "fastd is missing (Debian package fastd)"
    VPN_VERSION=$(fastd --version | head -n 1)
    VPN_DESCRIPTION="Debian's fastd, mode tun, method $FASTD_METHOD, defaults otherwise"
    for side in a b; do
        keys=$(fastd --generate-key 2>/dev/null)
        sed -n 's/^Secret: //p' <<<"$keys" >"$dir/$side.secret"
        sed -n 's/^Public: //p' <<<"$keys" >"$dir/$side.public"
        [[ -s $dir/$side.secret && -s $dir/$side.public ]] || die "fastd --generate-key gave no key pair"
    done
    for side in a b; do
        other=$(other_side "$side")
        cat >"$dir/$side.conf" <<EOF
log level info;
mode tun;
interface "ft$$$side";
mtu $TUNNEL_MTU;
bind $(side_address "$side" 198.18.0):10000;
method "$FASTD_METHOD";
secret "$(cat "$dir/$side.secret")";
peer "$other" {
    key "$(cat "$dir/$other.public")";
    remote $(side_address "$other" 198.18.0):10000;
}
EOF
        chmod 600 "$dir/$side.conf"
    done
    for side in a b; do
        spawn "$side" "$dir/fastd-$side.log" fastd -c "$dir/$side.conf"
        FASTD_PID[$side]=$SPAWNED
        userspace_device "$side" "ft$$$side" fastd "$(side_address "$side" 198.19.0)"
    done
    for side in a b; do
        wait_for 30 "fastd ${side^^} established its session" grep -q "connection with .* established" "$dir/fastd-$side.log"
    done
}

vpn_fastd_daemons() {
    echo "fastd@A ${FASTD_PID[a]}"
    echo "fastd@B ${FASTD_PID[b]}"
}

vpn_fastd_report() {
    local side
    for side in a b; do
        echo "== namespace ${side^^}: ft$$$side is a '$(device_kind "$side" "ft$$$side")' device (ip -d link)"
        grep -iE "established|method|warn|error" "$1/fastd-$side.log" | tail -n 10 || true
    done
}

vpn_fastd_teardown() {
    stop_pid "${FASTD_PID[a]}"
    stop_pid "${FASTD_PID[b]}"
}

# ---- VPN: OpenVPN 2.6 (Debian's; point-to-point over UDP, TLS, AES-256-GCM, no DCO) ------

declare -A OPENVPN_PID=()
VPN_NEEDS[openvpn]="openvpn:openvpn openssl:openssl"

vpn_openvpn_setup() {
    local dir=$1 side other role
    command -v openvpn >/dev/null || die "openvpn is missing (Debian package openvpn)"
    command -v openssl >/dev/null || die "openssl is missing (Debian package openssl)"
    VPN_VERSION=$(openvpn --version | head -n 1 | cut -d' ' -f1-2)
    VPN_DESCRIPTION="Debian's OpenVPN, point-to-point over UDP, TLS with self-signed certificates (--peer-fingerprint), data channel AES-256-GCM, --disable-dco (userspace), defaults otherwise"
    for side in a b; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -subj "/CN=$side" -keyout "$dir/$side.key" -out "$dir/$side.crt" 2>/dev/null
        openssl x509 -in "$dir/$side.crt" -noout -fingerprint -sha256 | sed 's/.*=//' >"$dir/$side.fingerprint"
    done
    for side in a b; do
        other=$(other_side "$side")
        # A connects (TLS client), B answers (TLS server), as alpha and beta do for tinc.
        [[ $side == a ]] && role=(--tls-client) || role=(--tls-server --dh none)
        spawn "$side" "$dir/openvpn-$side.log" openvpn --dev "ov$$$side" --dev-type tun --disable-dco \
            --proto udp --local "$(side_address "$side" 198.18.0)" --lport 1194 \
            --remote "$(side_address "$other" 198.18.0)" 1194 \
            "${role[@]}" --cert "$dir/$side.crt" --key "$dir/$side.key" \
            --peer-fingerprint "$(cat "$dir/$other.fingerprint")" \
            --data-ciphers AES-256-GCM --data-ciphers-fallback AES-256-GCM \
            --tun-mtu "$TUNNEL_MTU" --verb 3
        OPENVPN_PID[$side]=$SPAWNED
        userspace_device "$side" "ov$$$side" OpenVPN "$(side_address "$side" 198.19.0)"
    done
    for side in a b; do
        wait_for 60 "OpenVPN ${side^^} completed its initialization" grep -q "Initialization Sequence Completed" "$dir/openvpn-$side.log"
        grep -q "Data Channel: cipher 'AES-256-GCM'" "$dir/openvpn-$side.log" ||
            die "OpenVPN ${side^^} did not log the data channel cipher AES-256-GCM"
    done
}

vpn_openvpn_daemons() {
    echo "openvpn@A ${OPENVPN_PID[a]}"
    echo "openvpn@B ${OPENVPN_PID[b]}"
}

vpn_openvpn_report() {
    local side
    for side in a b; do
        echo "== namespace ${side^^}: ov$$$side is a '$(device_kind "$side" "ov$$$side")' device (ip -d link)"
        grep -iE "data channel|dco|warn|error" "$1/openvpn-$side.log" | tail -n 10 || true
    done
}

vpn_openvpn_teardown() {
    stop_pid "${OPENVPN_PID[a]}"
    stop_pid "${OPENVPN_PID[b]}"
}

# ---- measurement ------------------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID: utime + stime of the process (all its threads), in clock ticks.
cpu_ticks() {
    local rest fields
    rest=$(sed 's/^.*) //' "/proc/$1/stat") || return 1
    read -r -a fields <<<"$rest" # fields[0] is field 3 (state): utime is 14, stime 15
    echo $((fields[11] + fields[12]))
}

# cpu_snapshot VPN DIR OUT: "label pid ticks" per daemon into OUT.
cpu_snapshot() {
    local vpn=$1 dir=$2 out=$3 label pid
    : >"$out"
    while read -r label pid; do
        if [[ -z $pid ]] || ! alive "$pid"; then die "$vpn daemon $label (pid ${pid:-?}) is not running"; fi
        echo "$label $pid $(cpu_ticks "$pid")" >>"$out"
    done < <("vpn_${vpn}_daemons" "$dir")
}

# iperf3_json_error FILE: why the iperf3 JSON in FILE holds no results (nothing if it does).
# iperf3 can exit 0 with an "error" in its JSON.
iperf3_json_error() {
    python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("no JSON: %s" % e); sys.exit()
if d.get("error"):
    print(d["error"])
elif not d.get("end", {}).get("sum_received"):
    print("no results in the JSON")' "$1"
}

# iperf3_attempts OUT ARGS...: an iperf3 client in A against the server in B with ARGS, JSON
# into OUT, up to 3 attempts; fails if none gave results. A failed attempt is kept beside OUT.
# (A UDP test starts with one datagram each way that iperf3 3.12 never resends: if the tunnel
# loses it, that attempt fails after 30 s.)
iperf3_attempts() {
    local out=$1 attempt why
    shift
    for attempt in 1 2 3; do
        in_ns a iperf3 -c 198.19.0.2 -p 5201 -J "$@" >"$out" 2>"$out.err" || true
        why=$(iperf3_json_error "$out")
        [[ -n $why ]] || return 0
        log "iperf3 $* (attempt $attempt of 3) gave no results: $why $(cat "$out.err")"
        cp "$out" "$out.attempt$attempt"
    done
    return 1
}

# iperf_run OUT STREAMS: one iperf3 TCP run from A to B through the tunnel; prints a summary.
iperf_run() {
    local out=$1 streams=$2
    iperf3_attempts "$out" -t "$DURATION" -P "$streams" || die "iperf3 with $streams stream(s) failed 3 times"
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]; print("%.0f Mbit/s, %d retransmits" % (e["sum_received"]["bits_per_second"]/1e6, e["sum_sent"].get("retransmits", 0)))' "$out"
}

# udp_run OUT: one iperf3 UDP run from A to B, 64-byte payloads, no rate limit (-b 0), JSON
# into OUT; prints a summary. The figure is what the server received: sum_received holds the
# server's own counts (packets by sequence number, lost ones), reported back at the end. A run
# that fails 3 times is reported as failed (n/a), not fatal: the TCP figures still stand.
udp_run() {
    local out=$1
    if ! iperf3_attempts "$out" -u -l 64 -b 0 -t "$DURATION"; then
        echo "failed 3 times"
        return 0
    fi
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["end"]["sum_received"]; print("%.0f packets/s received, %.1f %% lost" % ((r["packets"] - r["lost_packets"]) / r["seconds"], r["lost_percent"]))' "$out"
}

# kernel_snapshot RES PHASE: UDP/TCP counters (/proc/net/snmp) and link statistics of both
# namespaces, kept raw; the report turns them into per-phase deltas (drops, buffer errors).
kernel_snapshot() {
    local res=$1 phase=$2 side
    for side in a b; do
        in_ns "$side" cat /proc/net/snmp >"$res/kernel-$phase-$side.snmp"
        ip -n "$(ns_of "$side")" -s -j link show >"$res/kernel-$phase-$side.links.json"
    done
}

measure_vpn() {
    local vpn=$1 dir=$TMP/$1 res=$RES/$1 i summary
    mkdir -p "$dir" "$res"
    log "== $vpn: setting up"
    VPN_DESCRIPTION="" VPN_VERSION=""
    local started=$SECONDS
    "vpn_${vpn}_setup" "$dir"
    wait_for 30 "ping A -> B over $vpn" in_ns a ping -c1 -W1 198.19.0.2
    log "$vpn: tunnel up after $((SECONDS - started)) s"
    printf '%s\n' "$VPN_DESCRIPTION" >"$res/description"
    printf '%s\n' "$VPN_VERSION" >"$res/version"
    local dev_a dev_b
    dev_a=$(overlay_device a 198.19.0.1)
    dev_b=$(overlay_device b 198.19.0.2)
    [[ -n $dev_a && -n $dev_b ]] || die "$vpn: no device holds the overlay addresses"
    {
        echo "A $dev_a $(device_mtu a "$dev_a") $(device_kind a "$dev_a")"
        echo "B $dev_b $(device_mtu b "$dev_b") $(device_kind b "$dev_b")"
    } >"$res/devices"
    while read -r side dev mtu _; do
        [[ $mtu == "$TUNNEL_MTU" ]] || die "$vpn: $dev in namespace $side has MTU $mtu, not $TUNNEL_MTU"
    done <"$res/devices"

    spawn b "$dir/iperf3-server.log" iperf3 -s -p 5201
    local server=$SPAWNED
    wait_for 10 "iperf3 server listening in B" bash -c "ip netns exec $NS_B ss -H -ltn 'sport = :5201' | grep -q ."

    log "$vpn: idle RTT (ping -c 20 -i 0.05)"
    in_ns a ping -c 20 -i 0.05 198.19.0.2 >"$res/ping.txt" || die "$vpn: ping failed: $(cat "$res/ping.txt")"
    log "$vpn: $(grep rtt "$res/ping.txt")"

    kernel_snapshot "$res" 0
    cpu_snapshot "$vpn" "$dir" "$res/cpu-before"
    for ((i = 1; i <= RUNS; i++)); do
        summary=$(iperf_run "$res/p1-run$i.json" 1) || exit 1
        log "$vpn: 1 stream, run $i/$RUNS, ${DURATION} s: $summary"
    done
    cpu_snapshot "$vpn" "$dir" "$res/cpu-after"
    kernel_snapshot "$res" 1
    for ((i = 1; i <= RUNS; i++)); do
        summary=$(iperf_run "$res/p4-run$i.json" 4) || exit 1
        log "$vpn: 4 streams, run $i/$RUNS, ${DURATION} s: $summary"
    done
    kernel_snapshot "$res" 2
    for ((i = 1; i <= RUNS; i++)); do
        summary=$(udp_run "$res/u64-run$i.json") || exit 1
        log "$vpn: UDP 64-byte packets, run $i/$RUNS, ${DURATION} s: $summary"
    done
    kernel_snapshot "$res" 3

    if declare -F "vpn_${vpn}_report" >/dev/null; then "vpn_${vpn}_report" "$dir" >"$res/report.txt" 2>&1 || true; fi
    stop_pid "$server"
    log "$vpn: tearing down"
    "vpn_${vpn}_teardown" "$dir"
    wait_for 20 "namespace A clean after $vpn" namespace_clean a
    wait_for 20 "namespace B clean after $vpn" namespace_clean b
}

# ---- main -------------------------------------------------------------------------------

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces)"
for c in ip ping iperf3 python3 ss sysctl gnuplot; do command -v "$c" >/dev/null || die "needs $c (tools/dev bench installs everything)"; done
# tinc's configuration is made by sluicectl init too.
if [[ " $VPNS " == *" tinc "* || " $VPNS " == *" sluice"* ]]; then
    [[ -x $SLUICECTL ]] || die "$SLUICECTL is missing (build it: ninja -C $BUILD)"
fi
[[ $RUNS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ ]] || die "RUNS and DURATION must be positive integers"
for vpn in $VPNS; do
    for f in setup daemons teardown; do
        declare -F "vpn_${vpn}_$f" >/dev/null || die "unknown VPN $vpn (no function vpn_${vpn}_$f)"
    done
    # Before anything is measured: a missing program would otherwise fail minutes into the run.
    for need in ${VPN_NEEDS[$vpn]:-}; do
        command -v "${need%%:*}" >/dev/null || die "$vpn needs ${need%%:*} (Debian package ${need#*:}; tools/dev bench installs it)"
    done
done
mkdir -p "$(dirname "$OUTPUT")"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
make_namespaces
CC_A=$(in_ns a sysctl -n net.ipv4.tcp_congestion_control)
CC_B=$(in_ns b sysctl -n net.ipv4.tcp_congestion_control)
log "namespaces $NS_A and $NS_B up; congestion control A: $CC_A, B: $CC_B; RUNS=$RUNS DURATION=$DURATION"

for vpn in $VPNS; do measure_vpn "$vpn"; done

buildtype=$(python3 -c 'import json,sys; print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"), "unknown"))' \
    "$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null || echo unknown)

CHART_DATA=$TMP/chart.dat
CHART_TITLE=$TMP/chart.title
python3 - "$RES" "$OUTPUT" "$CHART_DATA" "$CHART_TITLE" <<EOF
import json, os, statistics, sys, datetime, platform, re

res_dir, output, chart_data, chart_title = sys.argv[1:5]
vpns = "$VPNS".split()
clk_tck = $CLK_TCK
labels = {"tinc": "tinc 1.0.36", "sluice": "sluice", "sluice_unpinned": "sluice unpinned",
          "wireguard_go": "wireguard-go", "fastd": "fastd", "openvpn": "OpenVPN"}

def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default

def cpu_model():
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"

def iperf_case(d, prefix):
    runs = []
    for i in range(1, $RUNS + 1):
        end = json.load(open(os.path.join(d, f"{prefix}-run{i}.json")))["end"]
        runs.append({
            "mbit_per_s": end["sum_received"]["bits_per_second"] / 1e6,
            "bytes_received": end["sum_received"]["bytes"],
            "retransmits": end["sum_sent"].get("retransmits"),
            "seconds": end["sum_received"]["seconds"],
        })
    return {"runs": runs, "median_mbit_per_s": statistics.median(r["mbit_per_s"] for r in runs)}

def udp_case(d):
    """iperf3 -u -l 64 -b 0: packets per second the server received (sum_received is its count)."""
    runs = []
    for i in range(1, $RUNS + 1):
        doc = json.load(open(os.path.join(d, f"u64-run{i}.json")))
        end = doc.get("end", {})
        if not end.get("sum_received"):
            runs.append({"failed": doc.get("error", "no results")})
            continue
        sent, got = end["sum_sent"], end["sum_received"]
        received = got["packets"] - got["lost_packets"]
        runs.append({
            "packets_sent": sent["packets"],
            "packets_sent_per_s": sent["packets"] / sent["seconds"],
            "packets_received": received,
            "packets_received_per_s": received / got["seconds"],
            "lost_percent": got["lost_percent"],
            "seconds": got["seconds"],
        })
    ok = [r["packets_received_per_s"] for r in runs if "failed" not in r]
    return {"payload_bytes": 64, "runs": runs, "median_packets_received_per_s": statistics.median(ok) if ok else None}

def cpu_case(d, bytes_moved):
    before = {l.split()[0]: l.split()[1:] for l in read(os.path.join(d, "cpu-before")).splitlines()}
    after = {l.split()[0]: l.split()[1:] for l in read(os.path.join(d, "cpu-after")).splitlines()}
    gb = bytes_moved / 1e9
    procs = {}
    for label, (pid, t0) in before.items():
        pid1, t1 = after[label]
        # A daemon restarted during the runs (a new pid under the same label) has no valid delta.
        cpu = (int(t1) - int(t0)) / clk_tck if pid1 == pid else None
        procs[label] = {"pid": int(pid), "cpu_seconds": cpu,
                        "cpu_seconds_per_gb": cpu / gb if cpu is not None and gb else None}
    valid = all(p["cpu_seconds"] is not None for p in procs.values())
    total = sum(p["cpu_seconds"] for p in procs.values()) if valid else None
    return {"processes": procs, "cpu_seconds": total, "gb_moved": gb,
            "cpu_seconds_per_gb": total / gb if valid and gb else None}

def ping_case(d):
    text = read(os.path.join(d, "ping.txt"))
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", text)
    loss = re.search(r"([\d.]+)% packet loss", text)
    return {"count": 20, "interval_s": 0.05,
            "each_ms": [float(x) for x in re.findall(r"time=([\d.]+) ms", text)],
            "min_ms": float(m.group(1)), "avg_ms": float(m.group(2)),
            "max_ms": float(m.group(3)), "mdev_ms": float(m.group(4)),
            "loss_percent": float(loss.group(1)) if loss else None}

def snmp(path):
    lines = [l.split() for l in read(path).splitlines()]
    out = {}
    for head, vals in zip(lines[::2], lines[1::2]):
        proto = head[0].rstrip(":")
        out[proto] = dict(zip(head[1:], (int(v) for v in vals[1:])))
    return out

def links(path):
    out = {}
    for l in json.loads(read(path, "[]")):
        st = l.get("stats64", {})
        out[l["ifname"]] = {f"{d}_{k}": st.get(d, {}).get(k, 0) for d in ("rx", "tx") for k in ("packets", "dropped", "errors")}
    return out

def kernel_case(d):
    """Per-phase deltas of the kernel's counters in each namespace."""
    phases = {}
    for name, p0, p1 in (("one_stream", 0, 1), ("four_streams", 1, 2), ("udp_64_bytes", 2, 3)):
        per_ns = {}
        for side in ("a", "b"):
            s0, s1 = snmp(f"{d}/kernel-{p0}-{side}.snmp"), snmp(f"{d}/kernel-{p1}-{side}.snmp")
            l0, l1 = links(f"{d}/kernel-{p0}-{side}.links.json"), links(f"{d}/kernel-{p1}-{side}.links.json")
            per_ns[side.upper()] = {
                "udp": {k: s1["Udp"][k] - s0["Udp"][k] for k in ("InDatagrams", "OutDatagrams", "InErrors", "RcvbufErrors", "SndbufErrors")},
                "tcp_retrans_segs": s1["Tcp"]["RetransSegs"] - s0["Tcp"]["RetransSegs"],
                "links": {dev: {k: v - l0.get(dev, {}).get(k, 0) for k, v in c.items()} for dev, c in l1.items() if dev != "lo"},
            }
        phases[name] = per_ns
    return phases

def kernel_problems(k):
    """Non-zero drop and error counters of the TCP phases, as short text (the UDP flood
    overruns something by design; its counters stay in the JSON)."""
    out = []
    for phase, per_ns in k.items():
        if phase == "udp_64_bytes":
            continue
        for side, c in per_ns.items():
            for key in ("InErrors", "RcvbufErrors", "SndbufErrors"):
                if c["udp"][key]:
                    out.append(f"{phase}: namespace {side} UDP {key} {c['udp'][key]}")
            for dev, lc in c["links"].items():
                for key, v in lc.items():
                    if v and ("dropped" in key or "errors" in key):
                        out.append(f"{phase}: namespace {side} {dev} {key} {v}")
    return out

results = []
for vpn in vpns:
    d = os.path.join(res_dir, vpn)
    one, four = iperf_case(d, "p1"), iperf_case(d, "p4")
    cpu = cpu_case(d, sum(r["bytes_received"] for r in one["runs"]))
    results.append({
        "name": vpn,
        "label": labels.get(vpn, vpn),
        "description": read(os.path.join(d, "description")),
        "version": read(os.path.join(d, "version")),
        "tunnel_devices": [{"namespace": ns, "device": dev, "mtu": int(mtu), "kind": kind}
                           for ns, dev, mtu, kind in (l.split() for l in read(os.path.join(d, "devices")).splitlines())],
        "one_stream": one,
        "four_streams": four,
        "udp_64_bytes": udp_case(d),
        "rtt": ping_case(d),
        "cpu_during_one_stream_runs": cpu,
        "kernel_counters": kernel_case(d),
        "report": read(os.path.join(d, "report.txt")),
    })

def figures(r):
    return {"one_stream_mbit_per_s": r["one_stream"]["median_mbit_per_s"],
            "four_streams_mbit_per_s": r["four_streams"]["median_mbit_per_s"],
            "udp_64_bytes_packets_per_s": r["udp_64_bytes"]["median_packets_received_per_s"],
            "rtt_ms": r["rtt"]["avg_ms"],
            "cpu_seconds_per_gb": r["cpu_during_one_stream_runs"]["cpu_seconds_per_gb"]}

# tinc is the baseline; a run without it (VPNS=...) compares with the first VPN instead.
base = next((r for r in results if r["name"] == "tinc"), results[0])
b = figures(base)
for r in results:
    f = figures(r)
    r["figures"] = f
    r["ratio_to_baseline"] = {k: (f[k] / b[k] if f[k] is not None and b[k] else None) for k in f}

doc = {
    "benchmark": "bench/throughput.sh",
    "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    "machine": {
        "cpu_model": cpu_model(),
        "nproc": os.cpu_count() if not hasattr(os, "sched_getaffinity") else len(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "os": read("/etc/debian_version") and "Debian " + read("/etc/debian_version"),
        "load_average_at_start": "$LOAD_START",
        "load_average_at_end": " ".join(read("/proc/loadavg").split()[:3]),
    },
    "congestion_control": {"namespace_a": "$CC_A", "namespace_b": "$CC_B"},
    "baseline": base["name"],
    "settings": {"runs": $RUNS, "duration_s": $DURATION, "tunnel_mtu": $TUNNEL_MTU,
                 "underlay": "veth 198.18.0.1/24 <-> 198.18.0.2/24",
                 "overlay": "198.19.0.1/24 <-> 198.19.0.2/24",
                 "iperf3": "TCP, client in A, server in B; median of runs",
                 "udp": "iperf3 -u -l 64 -b 0 from A to B; packets/s the server received; median of runs",
                 "ping": "ping -c 20 -i 0.05, average",
                 "cpu": "utime+stime of the VPN daemons in both namespaces over the 1-stream runs, per 1e9 bytes received",
                 "sluice_build": "$BUILD ($buildtype)"},
    "vpns": results,
}
with open(output, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")

m = doc["machine"]
print()
print(f"Machine: {m['cpu_model']}, {m['nproc']} CPUs, kernel {m['kernel']}; load average {m['load_average_at_start']} at start, {m['load_average_at_end']} at end")
print(f"TCP congestion control: {doc['congestion_control']['namespace_a']} (namespace A), {doc['congestion_control']['namespace_b']} (namespace B)")
print(f"iperf3 A -> B, {$DURATION} s per run, median of {$RUNS}; tunnel MTU {$TUNNEL_MTU}; ratios are to {base['label']} in this run")
print()
cols = [("1 stream Mbit/s", "one_stream_mbit_per_s", "%.0f", 1), ("4 streams Mbit/s", "four_streams_mbit_per_s", "%.0f", 1),
        ("64 B UDP kpkt/s", "udp_64_bytes_packets_per_s", "%.1f", 1e3), ("RTT ms", "rtt_ms", "%.3f", 1),
        ("CPU-s/GB", "cpu_seconds_per_gb", "%.2f", 1)]
def cell(r, key, fmt, scale):
    v = r["figures"][key]
    s = "n/a" if v is None else fmt % (v / scale)
    if r["ratio_to_baseline"][key] is not None:
        s += " (%.2fx)" % r["ratio_to_baseline"][key]
    return s
rows = [["VPN"] + [c[0] for c in cols]] + [[r["label"]] + [cell(r, k, f, sc) for _, k, f, sc in cols] for r in results]
widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
for j, row in enumerate(rows):
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    if j == 0:
        print("  ".join("-" * w for w in widths))
print()
print("Higher is better for Mbit/s and kpkt/s (64-byte UDP packets received per second), lower for RTT and CPU-s/GB.")
for r in results:
    retrans = [run["retransmits"] for run in r["one_stream"]["runs"]], [run["retransmits"] for run in r["four_streams"]["runs"]]
    cpu = r["cpu_during_one_stream_runs"]["processes"]
    print(f"{r['label']}: iperf3 retransmits 1 stream {retrans[0]}, 4 streams {retrans[1]}; "
          f"64-byte UDP lost {[round(run['lost_percent'], 1) if 'failed' not in run else 'failed' for run in r['udp_64_bytes']['runs']]} %; "
          f"devices {', '.join(d['kind'] for d in r['tunnel_devices'])}")
    print(f"{r['label']}: CPU in the 1-stream runs: "
          + ", ".join(f"{k} " + ("restarted" if v['cpu_seconds'] is None else "%.2f s (%.2f s/GB)" % (v['cpu_seconds'], v['cpu_seconds_per_gb'] or 0))
                      for k, v in cpu.items()))
    for p in kernel_problems(r["kernel_counters"]):
        print(f"{r['label']}: kernel counter {p}")
    meta = sum(int(x) for x in re.findall(r"meta connection .*bytes_sent:(\d+)", r["report"]))
    moved = sum(run["bytes_received"] for c in ("one_stream", "four_streams") for run in r[c]["runs"])
    if meta > 0.01 * moved:
        print(f"{r['label']}: WARNING: {meta} bytes went over the TCP meta connections for {moved} bytes moved: "
              "frames fell back to TCP")
print(f"Results: {output}")

def ratio(r, key):
    v = r["ratio_to_baseline"][key]
    return "NaN" if v is None else "%.2f" % v
with open(chart_data, "w") as f:
    for r in results:
        f.write('"%s" %s\n' % (r["label"], " ".join(ratio(r, k) for _, k, _, _ in cols)))
with open(chart_title, "w") as f:
    f.write(f"{base['label']}\n")
    f.write(f"{m['cpu_model']}, {m['nproc']} CPUs, kernel {m['kernel']}, load average {m['load_average_at_start'].split()[0]} at start; "
            f"{doc['congestion_control']['namespace_a']}; tunnel MTU {$TUNNEL_MTU}; median of {$RUNS} x {$DURATION} s; {doc['date'][:10]}\n")
    bf = base["figures"]
    def fmt(v, spec):
        return "n/a" if v is None else spec % v
    f.write(f"1 = {base['label']}: TCP {fmt(bf['one_stream_mbit_per_s'], '%.0f')} Mbit/s with 1 stream, "
            f"{fmt(bf['four_streams_mbit_per_s'], '%.0f')} with 4; "
            f"{fmt(bf['udp_64_bytes_packets_per_s'] and bf['udp_64_bytes_packets_per_s'] / 1e3, '%.1f')} k 64-byte UDP packets/s; "
            f"idle RTT {fmt(bf['rtt_ms'], '%.3f')} ms; {fmt(bf['cpu_seconds_per_gb'], '%.2f')} CPU-seconds per GB\n")
EOF

# The chart: every figure as a ratio to the baseline (1 = tinc), throughput above (higher is
# better), costs below (lower is better).
png=${OUTPUT%.json}.png
# Enhanced-text characters in the machine's description would be taken as markup.
mapfile -t title < <(sed 's/[&_^{}@~\\"]/ /g' "$CHART_TITLE")
gnuplot <<EOF || die "gnuplot failed to draw $png"
set terminal pngcairo size 1100,950 font ",10"
set output '$png'
set datafile missing "NaN"
set multiplot layout 2,1 title "Each VPN as a ratio to ${title[0]} measured in the same run\n{/*0.8 ${title[1]}}\n{/*0.8 ${title[2]}}"
set lmargin at screen 0.06
set rmargin at screen 0.80
set offsets 0, 0, graph 0.08, 0
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set key outside right top
set xtics scale 0
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 lw 1.5 lc rgb "black" front
set title "Throughput through the tunnel: higher is better"
plot '$CHART_DATA' using 2:xtic(1) title 'TCP 1 stream', '' using 3 title 'TCP 4 streams', \
    '' using 4 title '64-byte UDP pkt/s', \
    '' using (\$0 - 0.25):2:(sprintf("%.2f", \$2)) with labels offset 0,0.6 font ",8" notitle, \
    '' using (\$0):3:(sprintf("%.2f", \$3)) with labels offset 0,0.6 font ",8" notitle, \
    '' using (\$0 + 0.25):4:(sprintf("%.2f", \$4)) with labels offset 0,0.6 font ",8" notitle
set title "Costs: lower is better"
plot '$CHART_DATA' using 5:xtic(1) title 'idle RTT' lc 4, '' using 6 title 'CPU-seconds per GB' lc 7, \
    '' using (\$0 - 1.0/6):5:(sprintf("%.2f", \$5)) with labels offset 0,0.6 font ",8" notitle, \
    '' using (\$0 + 1.0/6):6:(sprintf("%.2f", \$6)) with labels offset 0,0.6 font ",8" notitle
unset multiplot
EOF
[[ -s $png ]] || die "gnuplot wrote no $png"
echo "Chart: $png"

# Anything the VPNs' own diagnostics say (sluice: data-plane worker counters and drops).
for vpn in $VPNS; do
    if [[ -s $RES/$vpn/report.txt ]]; then
        echo
        echo "---- $vpn diagnostics"
        cat "$RES/$vpn/report.txt"
    fi
done
