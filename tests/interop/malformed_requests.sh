#!/usr/bin/env bash
# sluiced drops a meta connection that sends a malformed or unauthorized request, and only
# that one: its link with Debian's tincd 1.0.36 stays up and the daemon keeps running.
#
#    ns alpha   (sluiced)    198.18.0.1 --+
#    ns beta    (tincd)      198.18.0.2 --+-- br0 in ns lan
#    ns mallory (meta_peer)  198.18.0.3 --+
#    beta ConnectTo alpha. mallory has its own key and alpha has hosts/mallory; beta does not
#    know mallory. mallory connects to alpha once per bad input.
#
# Usage: malformed_requests.sh SLUICECTL SLUICED META_PEER
source "$(dirname "$0")/../netns/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED META_PEER}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED META_PEER}
META_PEER=${3:?usage: $0 SLUICECTL SLUICED META_PEER}
require_root
require_cmd ip tincd

make_ns alpha
make_ns beta
make_ns mallory
make_ns lan
bridge lan alpha 198.18.0.1/24 beta 198.18.0.2/24 mallory 198.18.0.3/24
node alpha sluice 198.18.0.1 198.19.0.1
node beta tinc 198.18.0.2 198.19.0.2
share_hosts
connect_to beta alpha
# mallory is no mesh node of lib.sh's (share_hosts leaves it alone): only alpha knows it.
"$SLUICECTL" -c "$TMP/mallory" init mallory >/dev/null
cp "$TMP/mallory/hosts/mallory" "$TMP/alpha/hosts/mallory"
cp "$TMP/alpha/hosts/alpha" "$TMP/mallory/hosts/alpha"

# link_intact WHEN: sluiced runs and its link with beta is the original one, up both ways.
link_intact() {
    kill -0 "${NODE_PID[alpha]}" 2>/dev/null || die "sluiced is no longer running ($1)"
    wait_for 20 "alpha sees beta reachable ($1)" sees_reachable alpha beta
    wait_for 20 "beta sees alpha reachable ($1)" sees_reachable beta alpha
    "$SLUICECTL" -c "$TMP/alpha" dump connections | grep -q "^beta .*active" ||
        die "alpha's connection with beta is not active ($1)"
    if grep "Closing connection with beta" "$TMP/alpha.log"; then
        die "alpha closed its link with beta ($1)"
    fi
}

# logged_since LINE PATTERN: alpha logged, after its first LINE lines, that it closed (or
# tarpitted) a connection for a reason matching PATTERN.
logged_since() {
    tail -n +"$(($1 + 1))" "$TMP/alpha.log" | grep -Ei "(Closing connection with|Refusing connection from) .*$2"
}

# mallory [ARGS...]: runs meta_peer in mallory's namespace against alpha. At most once a
# second: like tincd, sluiced tarpits a host that connects more than 10 times in a burst
# (spec 2.7), and the cases here take only milliseconds each.
NEXT_CONNECT=0
mallory() {
    while ((${EPOCHREALTIME//[.,]/} < NEXT_CONNECT)); do sleep 0.05; done
    NEXT_CONNECT=$((${EPOCHREALTIME//[.,]/} + 1050000))
    in_ns mallory "$META_PEER" -c "$TMP/mallory" 198.18.0.1 655 --expect alpha "$@"
}

# attack WHEN EXITS PATTERN WHAT META_PEER_ARGS...: mallory connects to alpha with those
# arguments. WHEN is "after" (the handshake must succeed first) or "before". meta_peer must
# exit with one of EXITS (0: alpha closed the connection; 3: alpha held it open, as a tarpit
# does, for the --hold time), and alpha's log must give the reason (PATTERN).
attack() {
    local when=$1 exits=$2 pattern=$3 what=$4 hold=10
    shift 4
    [[ $when == after ]] || hold=3
    log "mallory sends $what"
    local lines out status=0
    lines=$(wc -l <"$TMP/alpha.log")
    out=$(mallory --hold "$hold" "$@" 2>&1) || status=$?
    sed 's/^/    mallory: /' <<<"$out"
    [[ " $exits " == *" $status "* ]] || die "$what: meta_peer exited $status, expected one of: $exits"
    if [[ $status -eq 0 ]]; then
        grep -qx "closed by peer" <<<"$out" || die "$what: meta_peer exited 0 without 'closed by peer'"
    fi
    if [[ $when == after ]]; then
        grep -qx "activated with alpha" <<<"$out" || die "$what: the handshake did not complete first"
    elif grep -q "^activated" <<<"$out"; then
        die "$what: alpha activated the connection"
    fi
    wait_for 5 "alpha logged why it dropped mallory: /$pattern/" logged_since "$lines" "$pattern"
    link_intact "after $what"
}

start alpha
start beta
link_intact "before any attack"

# The control: a well-behaved mallory stays connected, gets alpha's snapshot and a PONG.
log "mallory behaves"
status=0
out=$(mallory --send 8 --hold 2 2>&1) || status=$?
sed 's/^/    mallory: /' <<<"$out"
[[ $status -eq 3 ]] || die "a well-behaved mallory: meta_peer exited $status, expected 3 (still open)"
grep -qx "activated with alpha" <<<"$out" || die "a well-behaved mallory was not activated"
grep -q "^got: 12 [0-9a-f]* alpha beta " <<<"$out" || die "mallory did not get the edge alpha -> beta"
grep -qx "got: 9" <<<"$out" || die "alpha did not answer mallory's PING"

attack after 0 "ADD_EDGE from alpha to itself" "an edge from alpha to itself" \
    --raw "12 1 alpha alpha 198.18.0.3 655 c 1"
attack after 0 "invalid name \"?mal-lory" "ADD_SUBNET with a bad owner name" \
    --raw "10 1 mal-lory 198.19.0.9/32#10"
attack after 0 "invalid subnet" "ADD_SUBNET with a /33" \
    --raw "10 1 mallory 198.19.0.9/33#10"
attack after 0 "STATUS .*not implemented" "STATUS (5), which tinc 1.0 does not implement" \
    --raw "5"
attack after 0 "request number 18 is not part of tinc 1.0" "request number 18" \
    --raw "18"
attack after 0 "unauthorized request ID .*after activation" "a second ID after activation" \
    --raw "0 mallory 17"
attack after 0 "length 5000 is longer than the largest body" "PACKET 5000, more than tinc's buffer" \
    --raw "17 5000"
attack after 0 "buffer overflow" "a 3000-byte line without a newline" \
    --unterminated 3000
attack before "0 3" "unauthorized request ACK from .* while expecting ID" "ACK before ID" \
    --before-handshake-raw "4 655 1 c"
attack before "0 3" "ghost had unknown identity" "ID with a name alpha has no host file for" \
    --name ghost

link_intact "at the end"
# alpha logged errors on purpose; tincd must not have seen any of them.
no_errors beta
log "PASS"
