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
# both listening before the first call (a connection refused fails it)
wait_tcp 24462
wait_tcp 24460
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
wait_tcp 24466
wait_tcp 24464
timeout 30 sipp -sn uac 127.0.0.1:24464 -t t1 -i 127.0.0.1 -p 24465 -m 3 -r 5 -nostdin \
	-timeout 20 -timeout_error >"$TMPD/sipp-uac.out" 2>&1
rc=$?
check "it:sip-tls-server (sipp uac through stunnel, rc=$rc)" test "$rc" = 0

# --- tandemd (issue 14 item 9): TLS settings per trunk, as a client toward
# stunnel (a real TLS server) in front of a SIP UAS answering the trunks'
# OPTIONS: the right CA and name -> up; a wrong expected name -> down;
# mutual TLS: stunnel demands a client certificate from its own CA -> up
# with the trunk's certificate, down without. As a server: TLS 1.0/1.1
# and non-forward-secret suites (AES128-SHA) refused, ECDHE-GCM accepted.
VTY=24497
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=test-client-ca -keyout "$TMPD/cca.key" -out "$TMPD/cca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=tandem-client \
	-keyout "$TMPD/client.key" -out "$TMPD/client.csr" 2>/dev/null
echo "subjectAltName=DNS:tandem-client" >"$TMPD/san.ext"
openssl x509 -req -in "$TMPD/client.csr" -CA "$TMPD/cca.pem" -CAkey "$TMPD/cca.key" \
	-CAcreateserial -days 2 -extfile "$TMPD/san.ext" -out "$TMPD/client.pem" 2>/dev/null
# the same CA, another name
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=intruder \
	-keyout "$TMPD/other.key" -out "$TMPD/other.csr" 2>/dev/null
echo "subjectAltName=DNS:intruder" >"$TMPD/san2.ext"
openssl x509 -req -in "$TMPD/other.csr" -CA "$TMPD/cca.pem" -CAkey "$TMPD/cca.key" \
	-CAcreateserial -days 2 -extfile "$TMPD/san2.ext" -out "$TMPD/other.pem" 2>/dev/null
# a trunk connecting to tandemd (TLS client through stunnel): its
# certificate, one of another CA, one of its CA with another name, none
cat >"$TMPD/clients.conf" <<CONF
foreground = yes
pid =
client = yes
[in-good]
accept = 127.0.0.1:24500
connect = 127.0.0.1:24496
cert = $TMPD/client.pem
key = $TMPD/client.key
[in-other-ca]
accept = 127.0.0.1:24501
connect = 127.0.0.1:24496
cert = $V/server.pem
key = $V/server.key
[in-other-name]
accept = 127.0.0.1:24502
connect = 127.0.0.1:24496
cert = $TMPD/other.pem
key = $TMPD/other.key
[in-none]
accept = 127.0.0.1:24503
connect = 127.0.0.1:24496
CONF
start_bg "$TMPD/stunnel-clients.log" "$ST" "$TMPD/clients.conf"
cat >"$TMPD/trunks.conf" <<CONF
foreground = yes
pid =
cert = $V/server.pem
key = $V/server.key
[ok]
accept = 127.0.0.1:24490
connect = 127.0.0.1:24492
[badname]
accept = 127.0.0.1:24493
connect = 127.0.0.1:24492
[mtls]
accept = 127.0.0.1:24491
connect = 127.0.0.1:24492
CAfile = $TMPD/cca.pem
verifyChain = yes
[mtls-nocert]
accept = 127.0.0.1:24494
connect = 127.0.0.1:24492
CAfile = $TMPD/cca.pem
verifyChain = yes
CONF
start_bg "$TMPD/stunnel-trunks.log" "$ST" "$TMPD/trunks.conf"
start_bg "$TMPD/trunk-uas.out" "$UA" --listen tcp:127.0.0.1:24492 --uas --seconds 40
cat >"$TMPD/td.cfg" <<CFG
log stderr
 logging filter all 1
 logging level set-all notice
line vty
 bind 127.0.0.1 $VTY
sip
 listen udp 127.0.0.1 24495
 listen tls 127.0.0.1 24496 certificate $V/server.pem key $V/server.key
 trunk tls-in
  remote 127.0.0.1 24509
  transport tls
  tls client-ca $TMPD/cca.pem name tandem-client
 trunk tls-ok
  remote 127.0.0.1 24490
  transport tls
  tls ca $V/ca.pem server-name localhost
  options-interval 1
 trunk tls-badname
  remote 127.0.0.1 24493
  transport tls
  tls ca $V/ca.pem server-name carrier.example
  options-interval 1
 trunk tls-mtls
  remote 127.0.0.1 24491
  transport tls
  tls ca $V/ca.pem server-name localhost
  tls certificate $TMPD/client.pem key $TMPD/client.key
  options-interval 1
 trunk tls-nocert
  remote 127.0.0.1 24494
  transport tls
  tls ca $V/ca.pem server-name localhost
  options-interval 1
CFG
# the two stunnels and the trunks' UAS listen before tandemd probes them
# (a refused connection marks a trunk down at once; "sleep 0.5" was the
# only order)
wait_listen 24490 24491 24492 24493 24494 24500 24501 24502 24503 ||
	fail "it:sip-tls:peers-listen"
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/td.cfg"
td=$BG_PID
if wait_tcp $VTY 50; then
	trunk_state() { # NAME up|down: waits up to 6 s for it
		for _ in $(seq 1 30); do
			vty $VTY "show sip trunks" | grep -qE "^$1 .*, $2," && return 0
			sleep 0.2
		done
		return 1
	}
	check "it:sip-tls-tandemd-client-verified-up (CA + name localhost)" trunk_state tls-ok up
	check "it:sip-tls-tandemd-client-mutual-tls-up (client certificate)" trunk_state tls-mtls up
	check "it:sip-tls-tandemd-client-wrong-name-down" trunk_state tls-badname down
	check "it:sip-tls-tandemd-client-no-certificate-refused-by-server" trunk_state tls-nocert down
	vty $VTY "show sip trunks" | sed 's/^/   /'
	# requests from the trunk tls-in (the first trunk on 127.0.0.1: a
	# connection's ephemeral port matches no trunk's, its address does)
	# sip_options.py: one OPTIONS over a connected socket, the status
	# answered (through the stunnel clients, and over python's own TLS below)
	cat >"$TMPD/sip_options.py" <<'PY'
def options(s):
    p = s.getsockname()[1]
    s.sendall(("OPTIONS sip:tandem@127.0.0.1:24496;transport=tls SIP/2.0\r\n"
               "Via: SIP/2.0/TLS 127.0.0.1:%d;branch=z9hG4bKtlsin%d\r\n"
               "From: <sip:trunk@127.0.0.1>;tag=%d\r\nTo: <sip:tandem@127.0.0.1>\r\n"
               "Call-ID: tlsin%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n" % (p, p, p, p)).encode())
    try:
        return s.recv(4096).decode(errors="replace").split(" ")[1]
    except Exception:
        return None
PY
	options() { # PORT: the status tandemd answers an OPTIONS with
		PYTHONPATH=$TMPD python3 - "$1" <<'PY'
import socket, sys
from sip_options import options
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(options(s) or "none")
PY
	}
	st_good=$(options 24500) st_ca=$(options 24501) st_name=$(options 24502) st_none=$(options 24503)
	echo "   tls-in OPTIONS: its certificate $st_good, other CA $st_ca, other name $st_name, none $st_none"
	check "it:sip-tls-tandemd-server-trunk-certificate-accepted (200)" test "$st_good" = 200
	check "it:sip-tls-tandemd-server-other-ca-refused (403)" test "$st_ca" = 403
	check "it:sip-tls-tandemd-server-other-name-refused (403)" test "$st_name" = 403
	check "it:sip-tls-tandemd-server-no-certificate-refused (403)" test "$st_none" = 403
	# TLS versions and suites offered to tandemd's listener; the client may
	# go below its system policy (@SECLEVEL=0), shown to work by a control
	# server that accepts TLS 1.1
	sc() { timeout 5 openssl s_client -connect "127.0.0.1:$1" "${@:2}" </dev/null 2>&1; }
	start_bg "$TMPD/s_server.out" timeout 15 openssl s_server -accept 24498 -cert "$V/server.pem" \
		-key "$V/server.key" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -naccept 1 -www
	# its ACCEPT line: listening (a probe connection would be its one
	# accept)
	wait_ev "$TMPD/s_server.out" "^ACCEPT" 300
	check "it:sip-tls-control-client-can-do-tls1.1 (openssl s_server)" bash -c \
		"timeout 5 openssl s_client -connect 127.0.0.1:24498 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >'$TMPD/control.out' 2>&1; grep -q 'Cipher is [A-Z]' '$TMPD/control.out' && grep -q 'Protocol  *: TLSv1.1' '$TMPD/control.out'"
	for v in tls1 tls1_1; do
		check "it:sip-tls-tandemd-refuses-$v (openssl s_client -$v)" bash -c \
			"! timeout 5 openssl s_client -connect 127.0.0.1:24496 -$v -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1 | grep -q 'Cipher is [A-Z]'"
	done
	check "it:sip-tls-tandemd-refuses-aes128-sha-on-1.2" bash -c \
		"! timeout 5 openssl s_client -connect 127.0.0.1:24496 -tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0' </dev/null 2>&1 | grep -q 'Cipher is AES128-SHA'"
	check "it:sip-tls-tandemd-refuses-static-rsa-gcm-on-1.2 (AES128-GCM-SHA256)" bash -c \
		"! timeout 5 openssl s_client -connect 127.0.0.1:24496 -tls1_2 -cipher 'AES128-GCM-SHA256' </dev/null 2>&1 | grep -q 'Cipher is AES128-GCM-SHA256'"
	check "it:sip-tls-tandemd-accepts-ecdhe-gcm-on-1.2" bash -c \
		"timeout 5 openssl s_client -connect 127.0.0.1:24496 -tls1_2 -cipher 'ECDHE-RSA-AES128-GCM-SHA256' </dev/null 2>&1 | grep -q 'Cipher is ECDHE-RSA-AES128-GCM-SHA256'"
	check "it:sip-tls-tandemd-accepts-tls1.3" bash -c \
		"timeout 5 openssl s_client -connect 127.0.0.1:24496 -tls1_3 </dev/null 2>&1 | grep -q 'New, TLSv1.3'"
	# a trunk that resumes its last TLS session (stunnel does, on its
	# second connection): a full handshake again, its certificate checked
	# for the trunk as on the first, its OPTIONS answered 200 (tandemd
	# keeps no sessions: a resumed one brings no certificate chain, which
	# the trunk's check needs); on 1.2 and 1.3. Before: the second
	# handshake failed ("session id context uninitialized").
	resume() { # 1.2|1.3: each connection's "new|reused/STATUS"
		PYTHONPATH=$TMPD python3 - "$1" "$TMPD/client.pem" "$TMPD/client.key" <<'PY'
import socket, ssl, sys
from sip_options import options
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
v = ssl.TLSVersion.TLSv1_3 if sys.argv[1] == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
sess, out = None, []
for n in (1, 2):
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", 24496), timeout=5),
                            session=sess)
    except Exception:
        out.append("failed/-")
        continue
    st = options(s) or "-"
    out.append("%s/%s" % ("reused" if s.session_reused else "new", st))
    sess = s.session
    s.close()
print(" ".join(out))
PY
	}
	for v in 1.2 1.3; do
		r=$(resume $v)
		check "it:sip-tls-tandemd-resumption-$v-full-handshake-verified ($r)" \
			test "$r" = "new/200 new/200"
	done
	kill -TERM "$td"
	wait "$td" 2>/dev/null
else
	fail "it:sip-tls-tandemd-start"
	cat "$TMPD/td.log"
fi
exit ${FAILED:-0}
