#!/usr/bin/env bash
# The quick-start demo, run by `tools/dev demo` after the build.
#
# Today it shows what exists: two nodes initialised by sluicectl, their configurations
# validated by sluice, and the same configurations run unchanged by Debian's tincd 1.0.36,
# which authenticates with sluicectl's keys and carries a ping between two network
# namespaces. The live sluice mesh replaces the tincd part as the daemons land.
#
#    ns alpha  198.18.0.1 ---- veth ---- 198.18.0.2  ns beta
#    overlay   198.19.0.1                198.19.0.2
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR}
sluicectl="$build/tools/sluicectl"
tmp=$(mktemp -d /tmp/sluice-demo.XXXXXX)
ns_a="sluice-demo-alpha-$$"
ns_b="sluice-demo-beta-$$"
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    done
    ip netns delete "$ns_a" 2>/dev/null || true
    ip netns delete "$ns_b" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() {
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "demo: timed out waiting for $what" >&2
            return 1
        fi
        sleep 0.1
    done
}

step "sluicectl init: two nodes with RSA (tinc) and Ed25519 (sluice) keys"
"$sluicectl" -c "$tmp/alpha" init alpha
"$sluicectl" -c "$tmp/beta" init beta

step "adding addresses and subnets the tinc way, and exchanging host files"
printf 'Address = 198.18.0.1\nSubnet = 198.19.0.1/32\n' >>"$tmp/alpha/hosts/alpha"
printf 'Subnet = 198.19.0.2/32\n' >>"$tmp/beta/hosts/beta"
printf 'ConnectTo = alpha\n' >>"$tmp/beta/tinc.conf"
cp "$tmp/alpha/hosts/alpha" "$tmp/beta/hosts/"
cp "$tmp/beta/hosts/beta" "$tmp/alpha/hosts/"
for n in alpha beta; do
    ip=1
    [[ $n == beta ]] && ip=2
    printf '#!/bin/sh\nip addr add 198.19.0.%s/24 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' "$ip" >"$tmp/$n/tinc-up"
    chmod +x "$tmp/$n/tinc-up"
done
echo "--- $tmp/beta/tinc.conf"; cat "$tmp/beta/tinc.conf"
echo "--- $tmp/beta/hosts/alpha (key body left out)"; sed '/^MII/,/^-----END/{/^-----END/!d}' "$tmp/beta/hosts/alpha"

step "sluicectl fsck: sluice validates both configurations"
"$sluicectl" -c "$tmp/alpha" fsck
"$sluicectl" -c "$tmp/beta" fsck

if [[ $(id -u) -ne 0 ]] || ! command -v tincd >/dev/null; then
    echo "demo: the tincd part needs root and Debian's tinc package; stopping here"
    exit 0
fi

step "Debian's tincd 1.0.36 runs the same configurations in two network namespaces"
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add sdemo-a netns "$ns_a" type veth peer name sdemo-b netns "$ns_b"
ip -n "$ns_a" addr add 198.18.0.1/24 dev sdemo-a
ip -n "$ns_b" addr add 198.18.0.2/24 dev sdemo-b
for n in "$ns_a" "$ns_b"; do ip -n "$n" link set lo up; done
ip -n "$ns_a" link set sdemo-a up
ip -n "$ns_b" link set sdemo-b up
ip netns exec "$ns_a" tincd -c "$tmp/alpha" -D -d2 --logfile="$tmp/alpha.log" --pidfile="$tmp/alpha.pid" &
pids+=($!)
wait_for 20 "alpha's tincd" grep -q "Ready" "$tmp/alpha.log"
ip netns exec "$ns_b" tincd -c "$tmp/beta" -D -d2 --logfile="$tmp/beta.log" --pidfile="$tmp/beta.pid" &
pids+=($!)
wait_for 20 "the tinc link" grep -q "Connection with alpha .* activated" "$tmp/beta.log"
grep -h "activated" "$tmp/alpha.log" "$tmp/beta.log"
wait_for 20 "a ping through the tunnel" ip netns exec "$ns_b" ping -c1 -W1 198.19.0.1
ip netns exec "$ns_b" ping -c3 -i0.2 198.19.0.1

step "done"
echo "sluicectl made both configurations; sluice validated them; tincd 1.0.36 ran them as they are."
