# Shared helpers for netns and interop scenarios, sourced by each scenario script.
#
# Every scenario runs as root in network namespaces it creates itself, named with this
# shell's PID so that scenarios never collide, and removes them on exit through a trap.
# Scenarios wait for conditions (wait_for), never for fixed times.
#
# Exit status 77 means "skipped" to Meson; under CI=true tools/dev counts that as failure.

set -euo pipefail

SCENARIO=$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/sluice-${SCENARIO}.XXXXXX")
NS_PREFIX="sl$$"
declare -a NAMESPACES=()
declare -a PIDS=()
LINKS=0

log() { printf '[%s] %s\n' "$SCENARIO" "$*"; }
skip() { log "SKIP: $*"; exit 77; }
die() { log "FAIL: $*"; exit 1; }

require_root() { [[ $(id -u) -eq 0 ]] || skip "needs root for network namespaces"; }
require_cmd() {
    local c
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "needs $c"; done
}

cleanup() {
    local status=$?
    local pid ns
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    # sluice-dp processes our sluiced nodes started (they outlive a killed sluiced on purpose).
    local log_file
    for log_file in "$TMP"/*.log; do
        [[ -f "$log_file" ]] || continue
        for pid in $(sed -n 's/.*Started sluice-dp .*, pid \([0-9]*\).*/\1/p' "$log_file"); do
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        done
    done
    for ns in "${NAMESPACES[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
    if [[ $status -ne 0 && $status -ne 77 ]]; then
        log "logs kept for the failure:"
        local f
        for f in "$TMP"/*.log; do
            [[ -f "$f" ]] || continue
            echo "--- $f (last 40 lines)"
            tail -n 40 "$f"
        done
    fi
    [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$TMP"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ns NAME: the full namespace name for a short node name.
ns() { echo "${NS_PREFIX}-$1"; }

# make_ns NAME: creates a namespace with loopback up.
make_ns() {
    local n
    n=$(ns "$1")
    ip netns add "$n"
    NAMESPACES+=("$n")
    ip -n "$n" link set lo up
}

# link A ADDR_A B ADDR_B: a veth pair between namespaces A and B with the given CIDRs.
link() {
    local a=$1 addr_a=$2 b=$3 addr_b=$4
    LINKS=$((LINKS + 1))
    local ia="v${NS_PREFIX}l${LINKS}a" ib="v${NS_PREFIX}l${LINKS}b"
    ia=${ia:0:15}
    ib=${ib:0:15}
    ip link add "$ia" netns "$(ns "$a")" type veth peer name "$ib" netns "$(ns "$b")"
    ip -n "$(ns "$a")" addr add "$addr_a" dev "$ia"
    ip -n "$(ns "$b")" addr add "$addr_b" dev "$ib"
    ip -n "$(ns "$a")" link set "$ia" up
    ip -n "$(ns "$b")" link set "$ib" up
}

# spawn NAME CMD...: runs CMD in namespace NAME in the background and records its PID.
spawn() {
    local n=$1
    shift
    ip netns exec "$(ns "$n")" "$@" &
    PIDS+=("$!")
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
    log "ok: $what"
}

# in_ns NAME CMD...: runs CMD in namespace NAME in the foreground.
in_ns() {
    local n=$1
    shift
    ip netns exec "$(ns "$n")" "$@"
}

# ---- mesh nodes: sluiced or Debian's tincd, each in its own namespace -------------------
# Configuration directories live in $TMP/NAME; logs in $TMP/NAME.log. SLUICECTL and SLUICED
# must point at the binaries under test.

declare -A NODE_KIND=()

# node NAME KIND UNDERLAY_ADDRESS OVERLAY_ADDRESS [OVERLAY6]: makes the configuration with
# sluicectl init (for tinc nodes too: those files are tinc's formats), with Address and a /32
# Subnet (and a /128 for OVERLAY6). tinc nodes, and sluice nodes with a data plane, get a
# tinc-up that puts OVERLAY_ADDRESS/24 (and OVERLAY6/64) on the device.
# Sluice nodes run with DataPlane = $DATA_PLANE (default none: the meta-protocol scenarios
# need no packet engine; the data-plane scenarios set DATA_PLANE=managed).
node() {
    local name=$1 kind=$2 underlay=$3 overlay=$4 overlay6=${5:-}
    NODE_KIND[$name]=$kind
    "$SLUICECTL" -c "$TMP/$name" init "$name" >/dev/null
    printf 'Address = %s\nSubnet = %s/32\n' "$underlay" "$overlay" >>"$TMP/$name/hosts/$name"
    [[ -z $overlay6 ]] || printf 'Subnet = %s/128\n' "$overlay6" >>"$TMP/$name/hosts/$name"
    if [[ $kind == sluice ]]; then
        printf 'DataPlane = %s\n' "${DATA_PLANE:-none}" >>"$TMP/$name/tinc.conf"
    fi
    if [[ $kind == tinc || ${DATA_PLANE:-none} != none ]]; then
        {
            printf '#!/bin/sh\nip addr add %s/24 dev "$INTERFACE"\n' "$overlay"
            [[ -z $overlay6 ]] || printf 'ip addr add %s/64 dev "$INTERFACE"\n' "$overlay6"
            printf 'ip link set "$INTERFACE" up\n'
        } >"$TMP/$name/tinc-up"
        chmod +x "$TMP/$name/tinc-up"
    fi
}

# share_hosts: every node gets every node's host file.
share_hosts() {
    local a b
    for a in "${!NODE_KIND[@]}"; do
        for b in "${!NODE_KIND[@]}"; do
            [[ $a == "$b" ]] || cp "$TMP/$b/hosts/$b" "$TMP/$a/hosts/$b"
        done
    done
}

connect_to() { printf 'ConnectTo = %s\n' "$2" >>"$TMP/$1/tinc.conf"; }

declare -A NODE_PID=()

# start NAME: runs the node's daemon in namespace NAME, in the foreground, logging to a file.
start() {
    local name=$1
    if [[ ${NODE_KIND[$name]} == tinc ]]; then
        spawn "$name" tincd -c "$TMP/$name" -D -d5 --logfile="$TMP/$name.log" --pidfile="$TMP/$name.pid"
    else
        spawn "$name" "$SLUICED" -c "$TMP/$name" -D -d5 --logfile="$TMP/$name.log"
    fi
    NODE_PID[$name]=${PIDS[-1]}
    wait_for 20 "$name is ready" grep -q "Ready" "$TMP/$name.log"
}

# stop_hard NAME: SIGKILL, as a crash would.
stop_hard() {
    kill -9 "${NODE_PID[$1]}" 2>/dev/null || true
    wait "${NODE_PID[$1]}" 2>/dev/null || true
    rm -f "$TMP/$1.pid" "$TMP/$1/sluiced.pid" "$TMP/$1/sluiced.socket"
}

# iperf_no_stall FILE: an iperf3 -J result in which every one-second interval moved data;
# prints the per-second rates, names the empty seconds, and fails the scenario otherwise.
iperf_no_stall() {
    python3 - "$1" <<'PY' || die "iperf3 stalled (above)"
import json, sys
d = json.load(open(sys.argv[1]))
if "error" in d:
    print("iperf3:", d["error"]); sys.exit(1)
bad = [i for i in d["intervals"] if i["sum"]["bits_per_second"] <= 0]
for i in bad: print(f"no data in the second starting at {round(i['sum']['start'])} s")
print("intervals (Mbit/s):", " ".join(str(int(i["sum"]["bits_per_second"] / 1e6)) for i in d["intervals"]))
sys.exit(1 if bad else 0)
PY
}

# fixed_mtu A B: node A (sluiced or tincd, logging at level 5) has fixed its path MTU to B.
# Until then both send frames above the confirmed size over the meta connection.
# peer_stat NODE PEER FIELD: FIELD of PEER's entry in NODE's `sluicectl stats --json` (a
# number, or null), e.g. peer_stat beta gamma rx_bytes.
peer_stat() {
    "$SLUICECTL" -c "$TMP/$1" stats --json |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(next((p[sys.argv[2]] for p in d["peers"] if p["name"] == sys.argv[1]), None)))' "$2" "$3"
}

# stats_consistent NODE: in one `stats --json` of NODE, the peers' UDP figures (with the
# overflow slot) never exceed the workers': every per-peer count is also a worker count.
stats_consistent() {
    "$SLUICECTL" -c "$TMP/$1" stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for f in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "native_rx_packets", "native_tx_packets"):
    peers = sum(p[f] for p in d["peers"]) + d["peer_overflow"][f]
    workers = sum(w[f] for w in d["workers"])
    if peers > workers:
        sys.exit(f"{f}: peers {peers} > workers {workers}")
'
}

fixed_mtu() { grep -q "Fixing MTU of $2" "$TMP/$1.log"; }

# dp_pid NAME: the pid of the sluice-dp serving node NAME (from its log).
dp_pid() {
    sed -n 's/.*Started sluice-dp .*, pid \([0-9]*\).*/\1/p' "$TMP/$1.log" | tail -n 1
}

# tinc_dump NAME: asks tincd for its graph (SIGUSR2) and prints that dump from its log.
tinc_dump() {
    local name=$1 before
    before=$(grep -c "End of subnet list" "$TMP/$name.log" || true)
    kill -USR2 "$(cat "$TMP/$name.pid")"
    local deadline=$((SECONDS + 10))
    while (($(grep -c "End of subnet list" "$TMP/$name.log" || true) <= before)); do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
    # The last dump in the log: from its last "Nodes:" line to the end.
    local start
    start=$(grep -n "Nodes:$" "$TMP/$name.log" | tail -n 1 | cut -d: -f1)
    tail -n +"$start" "$TMP/$name.log" | sed -n '1,/End of subnet list/p'
}

# tinc_status A B: the hex status tincd A shows for node B in a fresh dump (empty if none).
tinc_status() {
    tinc_dump "$1" | grep " $2 at " | sed -n 's/.* status \([0-9a-f]*\) .*/\1/p' | tail -n 1
}

# sees_reachable A B: node A considers node B reachable (tinc: status bit 0x10).
sees_reachable() {
    local a=$1 b=$2
    if [[ ${NODE_KIND[$a]} == tinc ]]; then
        local s
        s=$(tinc_status "$a" "$b")
        [[ -n $s ]] && (((0x$s & 0x10) != 0))
    else
        "$SLUICECTL" -c "$TMP/$a" dump nodes --json | grep -q "\"name\": \"$b\", \"reachable\": true"
    fi
}

sees_unreachable() { ! sees_reachable "$@"; }

# knows_subnet A OWNER SUBNET: node A has OWNER's SUBNET (e.g. 198.19.0.2/32).
knows_subnet() {
    local a=$1 owner=$2 subnet=$3
    if [[ ${NODE_KIND[$a]} == tinc ]]; then
        tinc_dump "$a" | grep -q " $subnet#[0-9]* owner $owner\$"
    else
        "$SLUICECTL" -c "$TMP/$a" dump subnets --json | grep -q "\"owner\": \"$owner\", \"subnet\": \"$subnet\""
    fi
}

# has_key A B: A holds a valid key for sending to B (tinc: status bit 0x02).
has_key() {
    local a=$1 b=$2
    if [[ ${NODE_KIND[$a]} == tinc ]]; then
        local s
        s=$(tinc_status "$a" "$b")
        [[ -n $s ]] && (((0x$s & 0x02) != 0))
    else
        "$SLUICECTL" -c "$TMP/$a" dump nodes --json | grep -q "\"name\": \"$b\".*\"key_valid\": true"
    fi
}

# no_errors NAME...: the nodes' logs hold no error about keys, requests or authentication.
no_errors() {
    local name
    for name in "$@"; do
        if grep -Ei "error|invalid|bogus|unauthorized|wrong|failed" "$TMP/$name.log" |
            grep -Eiv "Error while connecting|connection refused|Could not set up a meta connection"; then
            die "$name logged errors (above)"
        fi
    done
}

# bridge HUB NODE ADDR [NODE ADDR]...: one L2 segment. A bridge in namespace HUB (made with
# make_ns first) and a veth pair from it to each NODE, whose end gets ADDR (a CIDR).
bridge() {
    local hub=$1
    shift
    ip -n "$(ns "$hub")" link add br0 type bridge
    ip -n "$(ns "$hub")" link set br0 up
    local i=0 node addr port end
    while (($# >= 2)); do
        node=$1 addr=$2
        shift 2
        port="b${NS_PREFIX}h$i" end="b${NS_PREFIX}n$i"
        port=${port:0:15}
        end=${end:0:15}
        ip link add "$port" netns "$(ns "$hub")" type veth peer name "$end" netns "$(ns "$node")"
        ip -n "$(ns "$hub")" link set "$port" master br0 up
        ip -n "$(ns "$node")" addr add "$addr" dev "$end"
        ip -n "$(ns "$node")" link set "$end" up
        i=$((i + 1))
    done
}
