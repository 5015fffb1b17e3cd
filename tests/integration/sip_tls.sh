#!/bin/bash
# SIP over TLS against a real TLS implementation: stunnel (OpenSSL, its
# own TLS code paths and certificate checks) in front of sipp, both ways.
# tandem verifies the peer's certificate (CA and name), and stunnel
# verifies tandem's.
source "$(dirname "$0")/../lib.sh"
command -v sipp >/dev/null || { skip "it:sip-tls: sipp is not installed"; exit 0; }
ST=$(command -v stunnel4 || command -v stunnel)
[ -n "$ST" ] || { skip "it:sip-tls: stunnel is not installed"; exit 0; }
cd "$TMPD" || exit 1
V=$TOP/tests/vectors/tls
UA=$BUILD/peers/sip-ua

# tandem (TLS client) -> stunnel (TLS server) -> sipp uas (TCP)
cat >"$TMPD/srv.conf" <<CONF
foreground = yes
pid =
[sip-tls-in]
accept = 127.0.0.1:24460
connect = 127.0.0.1:24462
cert = $V/server.pem
key = $V/server.key
CONF
start_bg "$TMPD/stunnel-srv.log" "$ST" "$TMPD/srv.conf"
start_bg "$TMPD/uas.out" timeout 40 sipp -sn uas -t t1 -i 127.0.0.1 -p 24462 -nostdin
sleep 0.7
timeout 30 "$UA" --listen tcp:127.0.0.1:24461 --uac tls:127.0.0.1:24460 --calls 3 --hold 100 \
	--ca "$V/ca.pem" --tls-name localhost --seconds 25 >"$TMPD/uac.out" 2>&1
check "it:sip-tls-client-verified ($(grep RESULT "$TMPD/uac.out"))" \
	grep -q "answered=3 failed=0" "$TMPD/uac.out"
timeout 20 "$UA" --listen tcp:127.0.0.1:24461 --uac tls:127.0.0.1:24460 --calls 1 \
	--ca "$V/ca.pem" --tls-name carrier.example --seconds 6 >"$TMPD/uac-bad.out" 2>&1
check "it:sip-tls-wrong-name-refused ($(grep '^CALL 1' "$TMPD/uac-bad.out" | head -1))" \
	grep -q "CALL 1 failed 503" "$TMPD/uac-bad.out"

# sipp uac (TCP) -> stunnel (TLS client, verifies us) -> tandem (TLS server)
cat >"$TMPD/cli.conf" <<CONF
foreground = yes
pid =
[sip-tls-out]
client = yes
accept = 127.0.0.1:24464
connect = 127.0.0.1:24466
CAfile = $V/ca.pem
verifyChain = yes
checkHost = localhost
CONF
start_bg "$TMPD/stunnel-cli.log" "$ST" "$TMPD/cli.conf"
start_bg "$TMPD/uas-tandem.out" "$UA" --listen tls:127.0.0.1:24466 --cert "$V/server.pem" \
	--key "$V/server.key" --uas --seconds 25
sleep 0.7
timeout 30 sipp -sn uac 127.0.0.1:24464 -t t1 -i 127.0.0.1 -p 24465 -m 3 -r 5 -nostdin \
	-timeout 20 -timeout_error >"$TMPD/sipp-uac.out" 2>&1
rc=$?
check "it:sip-tls-server (sipp uac through stunnel, rc=$rc)" test "$rc" = 0
exit ${FAILED:-0}
