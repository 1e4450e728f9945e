#!/usr/bin/env bash
# sluice reads a configuration directory exactly as tinc 1.0.36 users make it: keys from
# Debian's `tincd -K`, the rest written by hand the tinc way (mixed separators, comments,
# CRLF, case variations, the PEM key inside the host file, a peer's host file).
#
# Usage: sluice_reads_tinc_config.sh PATH/TO/sluicectl
source "$(dirname "$0")/../netns/lib.sh"

sluicectl=${1:?usage: $0 PATH/TO/sluicectl}
require_cmd tincd

dir="$TMP/tinc"
mkdir -p "$dir/hosts"
printf '# made the tinc way\nName = gamma\nconnectto\tdelta\nMode=router\r\nPingInterval 30\n' >"$dir/tinc.conf"
tincd -c "$dir" -K2048 </dev/null >"$TMP/keygen.log" 2>&1 || die "tincd -K failed: $(cat "$TMP/keygen.log")"
[[ -f "$dir/rsa_key.priv" ]] || die "tincd -K wrote no rsa_key.priv"
printf 'Subnet = 198.19.1.0/24\nADDRESS = 198.18.2.3 655\n' >>"$dir/hosts/gamma"

# A peer's host file with its public key, copied from another tinc node.
peer="$TMP/peer"
mkdir -p "$peer/hosts"
printf 'Name = delta\n' >"$peer/tinc.conf"
tincd -c "$peer" -K2048 </dev/null >>"$TMP/keygen.log" 2>&1 || die "tincd -K failed for the peer"
{ printf 'Address = 198.18.2.4\nSubnet = 198.19.2.0/24#5\n'; cat "$peer/hosts/delta"; } >"$dir/hosts/delta"

"$sluicectl" -c "$dir" fsck >"$TMP/fsck.log" 2>&1 || die "sluicectl fsck refused tinc's directory: $(cat "$TMP/fsck.log")"
cat "$TMP/fsck.log"
grep -q "RSA private key .*2048 bits.*matches hosts/gamma" "$TMP/fsck.log" || die "fsck did not confirm the RSA key pair"
grep -q "delta" "$TMP/fsck.log" || die "fsck did not list the peer delta"

# Adding sluice's Ed25519 key to the tinc-made node keeps its RSA key and tinc's view of it.
"$sluicectl" -c "$dir" generate-ed25519-keys >"$TMP/ed.log" 2>&1 || die "generate-ed25519-keys failed: $(cat "$TMP/ed.log")"
"$sluicectl" -c "$dir" fsck >"$TMP/fsck2.log" 2>&1 || die "fsck failed after adding Ed25519: $(cat "$TMP/fsck2.log")"
grep -q "Ed25519 private key ed25519_key.priv: matches hosts/gamma" "$TMP/fsck2.log" || die "fsck did not confirm the Ed25519 pair"
grep -q "RSA private key .*matches hosts/gamma" "$TMP/fsck2.log" || die "the RSA pair no longer matches"
log "PASS"
