#!/usr/bin/env bash
# Key requests and answers cross the middle node of a chain, both ways round:
#
#   part 1:  alpha (tincd) ---- beta (sluiced, TCPOnly = no) ---- gamma (tincd)
#            198.18.1.1     198.18.1.2 | 198.18.2.2              198.18.2.3
#   part 2:  delta (sluiced) ---- eps (tincd) ---- zeta (sluiced)
#            198.18.3.4     198.18.3.5 | 198.18.4.5      198.18.4.6
#
# In part 1 tincd alpha wants to send to gamma by UDP, so it sends REQ_KEY through sluiced;
# gamma's ANS_KEY comes back the same way and must validate in alpha. In part 2 the sluiced
# ends fetch each other's keys through tincd. No end ever logs a key or request error.
#
# Usage: chain_keys.sh SLUICECTL SLUICED
source "$(dirname "$0")/../netns/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip tincd ping

for n in alpha beta gamma delta eps zeta; do make_ns "$n"; done
link alpha 198.18.1.1/24 beta 198.18.1.2/24
link beta 198.18.2.2/24 gamma 198.18.2.3/24
# alpha's and gamma's UDP to each other goes to beta, which does not forward it: the ends
# want UDP (so they ask for keys) but only the meta links carry anything.
ip -n "$(ns alpha)" route add default via 198.18.1.2
ip -n "$(ns gamma)" route add default via 198.18.2.2
link delta 198.18.3.4/24 eps 198.18.3.5/24
link eps 198.18.4.5/24 zeta 198.18.4.6/24

node alpha tinc 198.18.1.1 198.19.0.1
node beta sluice 198.18.1.2 198.19.0.2
node gamma tinc 198.18.2.3 198.19.0.3
printf 'Address = 198.18.2.2\n' >>"$TMP/beta/hosts/beta"
# Part 1 needs tincd alpha to want UDP to gamma: beta must not announce TCPOnly.
printf 'TCPOnly = no\n' >>"$TMP/beta/tinc.conf"
node delta sluice 198.18.3.4 198.19.0.4
node eps tinc 198.18.3.5 198.19.0.5
node zeta sluice 198.18.4.6 198.19.0.6
printf 'Address = 198.18.4.5\n' >>"$TMP/eps/hosts/eps"
share_hosts
connect_to alpha beta
connect_to gamma beta
connect_to delta eps
connect_to zeta eps

log "part 1: tinc - sluice - tinc"
start beta
start alpha
start gamma
wait_for 20 "alpha sees gamma reachable through beta" sees_reachable alpha gamma
wait_for 20 "gamma sees alpha reachable through beta" sees_reachable gamma alpha
# A packet for gamma makes tincd alpha ask for gamma's key.
in_ns alpha ping -c1 -W1 198.19.0.3 >/dev/null 2>&1 || true
wait_for 20 "alpha holds a valid key for gamma (REQ_KEY and ANS_KEY crossed beta)" has_key alpha gamma
grep -q "Sending to gamma.*: 15 alpha gamma" "$TMP/beta.log" || die "beta did not forward alpha's REQ_KEY to gamma"
grep -q "Sending to alpha.*: 16 gamma alpha " "$TMP/beta.log" || die "beta did not forward gamma's ANS_KEY to alpha"
no_errors alpha gamma

log "part 2: sluice - tinc - sluice"
start eps
start delta
start zeta
wait_for 20 "delta sees zeta reachable through eps" sees_reachable delta zeta
wait_for 20 "zeta sees delta reachable through eps" sees_reachable zeta delta
wait_for 30 "delta holds a valid key for zeta (through eps)" has_key delta zeta
wait_for 30 "zeta holds a valid key for delta (through eps)" has_key zeta delta
grep -q "REQ_KEY from delta" "$TMP/eps.log" || die "eps never saw delta's REQ_KEY"
grep -q "ANS_KEY from zeta" "$TMP/eps.log" || die "eps never saw zeta's ANS_KEY"
no_errors eps delta zeta
log "PASS"
