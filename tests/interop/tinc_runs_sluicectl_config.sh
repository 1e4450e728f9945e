#!/usr/bin/env bash
# Configurations made by `sluicectl init` run unchanged under Debian's tincd 1.0.36:
# both daemons load the keys sluicectl wrote, authenticate each other, exchange UDP keys
# and carry a ping across the tunnel.
#
#    ns alpha                         ns beta
#    tincd (sluicectl keys)           tincd (sluicectl keys), ConnectTo = alpha
#    tun 198.19.0.1/24                tun 198.19.0.2/24
#    veth 198.18.0.1/24 ------------- veth 198.18.0.2/24
#
# Usage: tinc_runs_sluicectl_config.sh PATH/TO/sluicectl
source "$(dirname "$0")/../netns/lib.sh"

sluicectl=${1:?usage: $0 PATH/TO/sluicectl}
require_root
require_cmd ip tincd ping

for node in alpha beta; do
    "$sluicectl" -c "$TMP/$node" init "$node" >"$TMP/init-$node.out"
done
# What a user adds by hand after init: addresses, subnets, who connects to whom.
printf 'Address = 198.18.0.1\nSubnet = 198.19.0.1/32\n' >>"$TMP/alpha/hosts/alpha"
printf 'Subnet = 198.19.0.2/32\n' >>"$TMP/beta/hosts/beta"
printf 'ConnectTo = alpha\n' >>"$TMP/beta/tinc.conf"
cp "$TMP/alpha/hosts/alpha" "$TMP/beta/hosts/alpha"
cp "$TMP/beta/hosts/beta" "$TMP/alpha/hosts/beta"
for node in alpha beta; do
    n=1
    [[ $node == beta ]] && n=2
    printf '#!/bin/sh\nip addr add 198.19.0.%s/24 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' "$n" \
        >"$TMP/$node/tinc-up"
    chmod +x "$TMP/$node/tinc-up"
done

make_ns alpha
make_ns beta
link alpha 198.18.0.1/24 beta 198.18.0.2/24

# alpha listens before beta dials, so that neither log holds a "connection refused".
spawn alpha tincd -c "$TMP/alpha" -D -d3 --logfile="$TMP/tincd-alpha.log" --pidfile="$TMP/alpha.pid"
wait_for 20 "alpha's tincd loaded its key and is ready" grep -q "Ready" "$TMP/tincd-alpha.log"
spawn beta tincd -c "$TMP/beta" -D -d3 --logfile="$TMP/tincd-beta.log" --pidfile="$TMP/beta.pid"

wait_for 20 "alpha's tincd activated the connection with beta" \
    grep -q "Connection with beta .* activated" "$TMP/tincd-alpha.log"
wait_for 20 "beta's tincd activated the connection with alpha" \
    grep -q "Connection with alpha .* activated" "$TMP/tincd-beta.log"
wait_for 20 "ping from beta to alpha through the tunnel" in_ns beta ping -c1 -W1 198.19.0.1

if grep -Eq "Error|error" "$TMP/tincd-alpha.log" "$TMP/tincd-beta.log"; then
    grep -E "Error|error" "$TMP/tincd-alpha.log" "$TMP/tincd-beta.log"
    die "tincd logged errors with sluicectl-made keys"
fi
log "PASS"
