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
    rm -rf "$TMP"
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
    local ia="v${NS_PREFIX}${#NAMESPACES[@]}a" ib="v${NS_PREFIX}${#NAMESPACES[@]}b"
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
