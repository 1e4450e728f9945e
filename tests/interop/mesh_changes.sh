#!/usr/bin/env bash
# A larger mixed mesh over IPv4 and IPv6 underlay that changes while it runs: subnets added
# and removed on a sluice node (sluicectl reload) and on a tinc node (SIGHUP), keys expiring
# on both kinds, compression asked for by a tinc node.
#
#          alpha (sluiced) ---v4--- beta (tincd)
#               |                      |
#              v6                     v4
#               |                      |
#          delta (tincd) ---v6--- gamma (sluiced) ---v4--- eps (tincd, Compression = 9)
#
# Changes: gamma (sluice) adds a Subnet and reloads; beta (tinc) restarts with another
# Subnet; eps (tinc) and alpha (sluice) have KeyExpire = 8.
#
# Usage: mesh_changes.sh SLUICECTL SLUICED
source "$(dirname "$0")/../netns/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip tincd

all=(alpha beta gamma delta eps)
for n in "${all[@]}"; do make_ns "$n"; done
link alpha 198.18.1.1/24 beta 198.18.1.2/24
link beta 198.18.2.2/24 gamma 198.18.2.3/24
link alpha 2001:db8:14::1/64 delta 2001:db8:14::4/64
link gamma 2001:db8:34::3/64 delta 2001:db8:34::4/64
link gamma 198.18.5.3/24 eps 198.18.5.5/24

node alpha sluice 198.18.1.1 198.19.0.1
node beta tinc 198.18.1.2 198.19.0.2
node gamma sluice 198.18.2.3 198.19.0.3
node delta tinc 2001:db8:14::4 198.19.0.4
node eps tinc 198.18.5.5 198.19.0.5
printf 'Address = 2001:db8:14::1\n' >>"$TMP/alpha/hosts/alpha"
printf 'Address = 198.18.5.3\nAddress = 2001:db8:34::3\n' >>"$TMP/gamma/hosts/gamma"
printf 'Address = 2001:db8:34::4\n' >>"$TMP/delta/hosts/delta"
printf 'Compression = 9\n' >>"$TMP/eps/tinc.conf"
printf 'KeyExpire = 8\n' >>"$TMP/eps/tinc.conf"
printf 'KeyExpire = 8\n' >>"$TMP/alpha/tinc.conf"
share_hosts
connect_to alpha beta
connect_to beta gamma
connect_to delta alpha
connect_to delta gamma
connect_to eps gamma

for n in "${all[@]}"; do start "$n"; done
for a in "${all[@]}"; do
    for b in "${all[@]}"; do
        [[ $a == "$b" ]] || wait_for 30 "$a sees $b" sees_reachable "$a" "$b"
    done
done
wait_for 10 "beta knows gamma's subnet" knows_subnet beta gamma 198.19.0.3/32
wait_for 10 "alpha knows eps's subnet" knows_subnet alpha eps 198.19.0.5/32
wait_for 30 "alpha has eps's key (eps asks for compression 9)" has_key alpha eps

log "gamma (sluice) adds a subnet and reloads"
printf 'Subnet = 198.19.30.0/24\n' >>"$TMP/gamma/hosts/gamma"
"$SLUICECTL" -c "$TMP/gamma" reload
wait_for 20 "delta (tinc) learns gamma's new subnet" knows_subnet delta gamma 198.19.30.0/24
wait_for 20 "alpha (sluice) learns gamma's new subnet" knows_subnet alpha gamma 198.19.30.0/24

# tincd 1.0.36 does not announce its own Subnet changes on SIGHUP (1.1 does), so beta
# restarts. The others still hold its old subnet and send it back in their snapshot; beta
# retracts it with DEL_SUBNET, which must reach every node.
log "beta (tinc) restarts with a different subnet"
kill "${NODE_PID[beta]}"
wait "${NODE_PID[beta]}" 2>/dev/null || true
sed -i '/^Subnet = 198.19.0.2\/32/d' "$TMP/beta/hosts/beta"
printf 'Subnet = 198.19.20.0/24\n' >>"$TMP/beta/hosts/beta"
: >"$TMP/beta.log"
start beta
wait_for 20 "alpha (sluice) forgets beta's old subnet" bash -c "! '$SLUICECTL' -c '$TMP/alpha' dump subnets | grep -q '198.19.0.2/32'"
wait_for 20 "gamma (sluice) learns beta's new subnet" knows_subnet gamma beta 198.19.20.0/24

log "keys expire on eps (tinc) and alpha (sluice); everyone gets fresh ones"
wait_for 30 "eps expired its keys" grep -q "Expiring symmetric keys" "$TMP/eps.log"
wait_for 30 "alpha expired its keys" grep -q "Expiring symmetric keys" "$TMP/alpha.log"
wait_for 30 "alpha got eps's KEY_CHANGED" grep -Eq "Got KEY_CHANGED .*: 14 [0-9a-f]+ eps" "$TMP/alpha.log"
wait_for 30 "alpha asked eps for its new key" bash -c "[[ \$(grep -c 'Sending to .*: 15 alpha eps' '$TMP/alpha.log') -ge 2 ]]"
wait_for 30 "alpha holds eps's new key" has_key alpha eps
wait_for 30 "beta (tinc) got alpha's new key after the expiry" bash -c "[[ \$(grep -c 'Got ANS_KEY from alpha' '$TMP/beta.log') -ge 2 ]]"
wait_for 30 "beta (tinc) holds alpha's key" has_key beta alpha
for n in beta delta eps; do no_errors "$n"; done
log "PASS"
