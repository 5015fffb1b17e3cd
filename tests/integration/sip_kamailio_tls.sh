#!/bin/bash
# tandemd toward Kamailio over TLS and TCP (issue 18): Kamailio's tls
# module (OpenSSL, its own code) with a certificate this test makes.
#   - TLS client: the trunk verifies Kamailio's certificate (CA + name):
#     a call ISUP (libss7 switch) -> tandemd -> TLS -> Kamailio -> sipp
#     UAS (UDP), answered and released; Kamailio's log ($proto, its tls
#     variables) and its tls.list RPC show the TLS connection; tandemd's
#     transport counters count it
#   - the wrong CA, and the right CA with the wrong name: the handshake
#     is refused and logged, no call reaches Kamailio (REL toward ISUP)
#   - outbound REGISTER with digest over TLS (trunk kam-tls, user gw1)
#     and over TCP (trunk kam-tcp, user gw2, Contact user "pbx-gw"):
#     each binding in Kamailio's usrloc with its socket (tls:/tcp:),
#     refreshed at half the 20 s Kamailio grants; a call from the carrier
#     side (sipp -> Kamailio lookup -> the registered Contact) reaches the
#     switch over each transport, answered
#   - stop: tandemd un-registers (REGISTER Expires 0, RFC 3261 10.2.2)
#     every bound trunk before it exits: the TLS and TCP bindings leave
#     Kamailio's usrloc; a third trunk (kam-mute, user gw3) whose
#     un-REGISTER Kamailio leaves unanswered does not hold the stop past
#     its 2 s bound (logged), its binding stays
# Ports 27700-27739.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:kam-tls: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:kam-tls: sipp is not installed"; exit 0; }
command -v openssl >/dev/null || { skip "it:kam-tls: openssl is not installed"; exit 0; }
KAM=$(command -v kamailio || echo /usr/sbin/kamailio)
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -x "$KAM" ] || { skip "it:kam-tls: kamailio is not installed"; exit 0; }
[ -f "$KMOD/tls.so" ] ||
	{ skip "it:kam-tls: kamailio's tls module (package kamailio-tls-modules) is not installed"; exit 0; }
for m in registrar usrloc auth ctl pv tm sl; do
	[ -f "$KMOD/$m.so" ] || { skip "it:kam-tls: kamailio's $m module is not installed"; exit 0; }
done
command -v kamcmd >/dev/null || { skip "it:kam-tls: kamcmd (package kamailio) is not installed"; exit 0; }
cd "$TMPD" || exit 1
KUDP=27700 KTCP=27701 KTLS=27702 KBADCA=27703 KBADNAME=27704 UAC=27705 UAS=27706
VTY=27710 M3UA=27711 SIP=27712 SPAN=27713 SPAN_R=27714 SIPTCP=27715 SIPTLS=27716 RTP0=27720
CTL="unix:$TMPD/kamailio.ctl"

# --- certificates: the carrier's CA and Kamailio's (kam.example), tandem's
# own listener certificate, and a CA that signed neither
mkca() { # NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$TMPD/$1.key" -out "$TMPD/$1.pem" 2>/dev/null
}
mkcert() { # NAME CA DNS
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$3" \
		-keyout "$TMPD/$1.key" -out "$TMPD/$1.csr" 2>/dev/null
	echo "subjectAltName=DNS:$3" >"$TMPD/$1.ext"
	openssl x509 -req -in "$TMPD/$1.csr" -CA "$TMPD/$2.pem" -CAkey "$TMPD/$2.key" \
		-CAcreateserial -days 2 -extfile "$TMPD/$1.ext" -out "$TMPD/$1.pem" 2>/dev/null
}
mkca carrier-ca && mkca other-ca && mkcert kam carrier-ca kam.example &&
	mkcert td carrier-ca tandem.example ||
	{ fail "it:kam-tls:certificates (openssl)"; exit 1; }

cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging timestamp 1
 logging level set-all info
line vty
 bind 127.0.0.1 $VTY
timer sip T1 100
sigtran
 asp sg1
  remote 127.0.0.1 $M3UA
  transport tcp
isup
 linkset sw1
  asp sg1
  variant itu
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $SIP
 listen tcp 127.0.0.1 $SIPTCP
 listen tls 127.0.0.1 $SIPTLS certificate $TMPD/td.pem key $TMPD/td.key
 trunk kam-tls
  remote 127.0.0.1 $KTLS
  transport tls
  tls ca $TMPD/carrier-ca.pem server-name kam.example
  domain carrier.example
  auth gw1 s3cret-gw
  register expires 60
  register retry 1 4
 trunk kam-tcp
  remote 127.0.0.1 $KTCP
  transport tcp
  domain carrier.example
  auth gw2 s3cret-gw
  register expires 60
  register retry 1 4
  register contact-user pbx-gw
 trunk kam-mute
  remote 127.0.0.1 $KTCP
  transport tcp
  domain carrier.example
  auth gw3 s3cret-gw
  register expires 60
  register retry 1 4
 trunk kam-badca
  remote 127.0.0.1 $KBADCA
  transport tls
  tls ca $TMPD/other-ca.pem server-name kam.example
 trunk kam-badname
  remote 127.0.0.1 $KBADNAME
  transport tls
  tls ca $TMPD/carrier-ca.pem server-name carrier.example
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip 4930 via kam-tls
 route to-sip 4931 via kam-badca
 route to-sip 4932 via kam-badname
 route to-isup default via sw1
media
 rtp-port-range $RTP0 $((RTP0 + 19))
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $SPAN remote 127.0.0.1 $SPAN_R frames 8
CFG

# Kamailio: UDP, TCP and TLS (three TLS ports, one certificate: a trunk's
# TLS settings go with its destination); registrar for gw1 and gw2 with a
# fixed password; tandem's INVITEs (over TLS) go to the sipp UAS; other
# INVITEs to a registered Contact (+4940... gw1, +4941... gw2).
{
	cat <<KCFG
#!KAMAILIO
debug=1
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
enable_tls=yes
listen=udp:127.0.0.1:$KUDP
listen=tcp:127.0.0.1:$KTCP
listen=tls:127.0.0.1:$KTLS
listen=tls:127.0.0.1:$KBADCA
listen=tls:127.0.0.1:$KBADNAME
alias="carrier.example"
KCFG
	kam_modules tls tm sl rr maxfwd pv siputils textops xlog usrloc registrar auth ctl
	cat <<KCFG
modparam("tls", "certificate", "$TMPD/kam.pem")
modparam("tls", "private_key", "$TMPD/kam.key")
modparam("tls", "tls_method", "TLSv1.2+")
modparam("tls", "verify_certificate", 0)
modparam("tls", "require_certificate", 0)
modparam("ctl", "binrpc", "$CTL")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 10)
modparam("registrar", "max_expires", 20)
modparam("pv", "shvset", "mute=i:0")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("REGISTER")) {
		xlog("L_NOTICE", "REG at \$TV(Sn) proto \$proto cseq \$cs auth [\$au] expires [\$hdr(Expires)]\n");
		if (\$shv(mute) == 1 && \$fU == "gw3") {
			xlog("L_NOTICE", "MUTE at \$TV(Sn) gw3 cseq \$cs\n");
			exit;
		}
		if (!pv_www_authenticate("carrier.example", "s3cret-gw", "0")) {
			www_challenge("carrier.example", "1");
			exit;
		}
		if (\$au != "gw1" && \$au != "gw2" && \$au != "gw3") {
			sl_send_reply("403", "Not this user");
			exit;
		}
		if (!save("location"))
			sl_reply_error();
		xlog("L_NOTICE", "SAVED at \$TV(Sn) \$au proto \$proto cseq \$cs expires [\$hdr(Expires)] \$ct\n");
		exit;
	}
KCFG
	kam_route_dialog 'xlog("L_NOTICE", "IN-DIALOG $rm $ci proto $proto\n");'
	cat <<KCFG
	record_route();
	if (\$proto == "tls") {
		xlog("L_NOTICE", "FROM-TANDEM \$rU proto \$proto port \$Rp tls [\$tls_version] cipher [\$tls_cipher_info]\n");
		\$du = "sip:127.0.0.1:$UAS";
		t_relay();
		exit;
	}
	if (\$rU =~ "^\\\\+4941")
		\$var(aor) = "sip:gw2@carrier.example";
	else
		\$var(aor) = "sip:gw1@carrier.example";
	if (!lookup("location", "\$var(aor)")) {
		sl_send_reply("480", "Gateway not registered");
		exit;
	}
	xlog("L_NOTICE", "LOOKUP \$ci \$var(aor) to \$ru\n");
	t_relay();
}
KCFG
} >"$TMPD/k.cfg"

ul_dump() { kamcmd -s "$CTL" ul.dump 2>/dev/null; }
# bound USER-PATTERN SOCKET: a binding of that Contact through that socket
bound() { ul_dump | tr -d '\n' | grep -qE "Address: sip:$1@127.0.0.1:[0-9]+;transport=[a-z]+[^}]*Socket: $2"; }
start_bg "$TMPD/k.log" "$KAM" -DD -E -f "$TMPD/k.cfg"
KP=$BG_PID
wait_tcp $KTLS 50 || { fail "it:kam-tls:kamailio-start"; tail -30 "$TMPD/k.log"; exit 1; }
switch_start --auto-answer
tandemd_start kam-tls
TD=$td
sw "wait-link 10"

# --- registration over TLS and TCP, with digest
check "it:kam-tls:reg-tls:registered" wait_ev "$TMPD/td.log" \
	"trunk kam-tls: registered for 20 s \(asked 60\)" 60
check "it:kam-tls:reg-tcp:registered" wait_ev "$TMPD/td.log" \
	"trunk kam-tcp: registered for 20 s \(asked 60\)" 60
check "it:kam-tls:reg-tls:kamailio-saw-it-over-tls-with-credentials" \
	grep -qE "SAVED at [0-9.]+ gw1 proto tls cseq 2 .*sip:tandem@127.0.0.1:$SIPTLS;transport=tls" "$TMPD/k.log"
check "it:kam-tls:reg-tcp:kamailio-saw-it-over-tcp-with-credentials (contact user pbx-gw)" \
	grep -qE "SAVED at [0-9.]+ gw2 proto tcp cseq 2 .*sip:pbx-gw@127.0.0.1:$SIPTCP;transport=tcp" "$TMPD/k.log"
check "it:kam-tls:reg-tls:usrloc-socket-tls (kamcmd ul.dump)" bound tandem "tls:127.0.0.1:$KTLS"
check "it:kam-tls:reg-tcp:usrloc-socket-tcp (kamcmd ul.dump)" bound pbx-gw "tcp:127.0.0.1:$KTCP"
ul_dump | grep -E "AoR|Address|Socket" | sed "s/^/   /"
rc=$(vty $VTY enable "show running-config")
check "it:kam-tls:running-config (register contact-user pbx-gw)" \
	grep -qx '  register contact-user pbx-gw' <<<"$rc"

# --- ISUP -> tandemd -> TLS (verified) -> Kamailio -> sipp UAS (udp)
# the UAS keeps Kamailio's Record-Route, so ACK and BYE come through it
start_bg "$TMPD/uas.out" timeout 50 sipp -sf "$TOP/tests/bench/cps/uas.xml" -i 127.0.0.1 -p $UAS \
	-m 1 -nostdin -trace_msg -message_file "$TMPD/uas.msg" -trace_stat -stf "$TMPD/uas.csv"
wait_udp $UAS 50
wait_ev "$TMPD/sw.out" "EV GRS cic=1( |$)" 100
sw "call 5 30555 89555"
if wait_ev "$TMPD/sw.out" "EV ANM cic=5( |$)" 100; then
	pass "it:kam-tls:tls-call:answered (ANM at the switch)"
	tl=$(kamcmd -s "$CTL" tls.list 2>&1)
	sed "s/^/   tls.list: /" <<<"$tl" | head -30
	check "it:kam-tls:tls-call:kamailio-tls.list-shows-the-connection" \
		bash -c "grep -qx '	dst_port: $KTLS' <<<'$tl' && grep -qx '	state: established' <<<'$tl'"
	sw "release 5 16"
	check "it:kam-tls:tls-call:released (RLC)" wait_ev "$TMPD/sw.out" "EV RLC cic=5( |$)" 60
else
	fail "it:kam-tls:tls-call:answered (ANM at the switch)"
	grep -E "cic=5|kam-tls|TLS" "$TMPD/td.log" | tail
fi
check "it:kam-tls:tls-call:kamailio-got-the-invite-over-tls (\$proto, \$tls_version)" \
	grep -qE "FROM-TANDEM \+4930555 proto tls port $KTLS tls \[TLSv1\.[23]\]" "$TMPD/k.log"
grep "FROM-TANDEM" "$TMPD/k.log" | sed "s/^/   /"
check "it:kam-tls:tls-call:ack-and-bye-over-tls (kamailio's loose_route)" bash -c \
	"grep -qE 'IN-DIALOG ACK .*@tandem proto tls' '$TMPD/k.log' && grep -qE 'IN-DIALOG BYE .*@tandem proto tls' '$TMPD/k.log'"
until_tenths 30 test "$(stat_col "$TMPD/uas.csv" "SuccessfulCall(C)")" = 1
check "it:kam-tls:tls-call:uas-got-invite-ack-bye (sipp $(stat_col "$TMPD/uas.csv" "SuccessfulCall(C)") ok)" bash -c \
	"grep -q '^INVITE sip:+4930555' '$TMPD/uas.msg' && grep -q '^ACK sip:' '$TMPD/uas.msg' && grep -q '^BYE sip:' '$TMPD/uas.msg'"

# --- the wrong CA, the wrong name: refused, no call
sw "call 6 31555 89555"
check "it:kam-tls:wrong-ca:rel (no call)" wait_ev "$TMPD/sw.out" "EV REL cic=6( |$)" 100
sw "call 7 32555 89555"
check "it:kam-tls:wrong-name:rel (no call)" wait_ev "$TMPD/sw.out" "EV REL cic=7( |$)" 100
grep -E "TLS.*(handshake|certificate|verif)" "$TMPD/td.log" | sed "s/^/   /" | head -6
check "it:kam-tls:wrong-ca:handshake-refused-and-logged" \
	grep -qE "TLS 127.0.0.1:$KBADCA: handshake failed: .*certificate verify failed: (unable to get local issuer|self-signed)" "$TMPD/td.log"
check "it:kam-tls:wrong-name:handshake-refused-and-logged" \
	grep -qE "TLS 127.0.0.1:$KBADNAME: handshake failed: .*certificate verify failed: hostname mismatch" "$TMPD/td.log"
check "it:kam-tls:wrong-ca-and-name:no-invite-reached-kamailio" \
	bash -c "! grep -qE 'FROM-TANDEM \+493[12]' '$TMPD/k.log'"
sec=$(vty $VTY "show sip security")
grep -E "^connections" <<<"$sec" | sed "s/^/   /"
check "it:kam-tls:counters:4-connections-out-2-tls-handshakes-failed (show sip security)" \
	grep -qE "^connections: 0 in, 4 out, 2 closed; TLS handshakes failed 2" <<<"$sec"

# --- calls from the carrier side to each registered Contact
call_in() { # NUMBER CIC-LOG-TAG
	timeout 20 sipp -sf "$TOP/tests/bench/cps/uac.xml" -s "$1" "127.0.0.1:$KUDP" \
		-i 127.0.0.1 -p $UAC -m 1 -d 300 -nostdin -trace_stat -stf "$TMPD/call_$2.csv" \
		>"$TMPD/call_$2.out" 2>&1
}
call_in +4940123456 tls
check "it:kam-tls:reg-tls:call-in:kamailio-looked-up-the-tls-contact" \
	grep -qE "LOOKUP .* sip:gw1@carrier.example to sip:tandem@127.0.0.1:$SIPTLS;transport=tls" "$TMPD/k.log"
check "it:kam-tls:reg-tls:call-in:iam (called=40123456)" \
	wait_ev "$TMPD/sw.out" "EV IAM cic=[0-9]+ called=40123456" 30
check "it:kam-tls:reg-tls:call-in:answered" test "$(stat_col "$TMPD/call_tls.csv" "SuccessfulCall(C)")" = 1
call_in +4941123456 tcp
check "it:kam-tls:reg-tcp:call-in:kamailio-looked-up-the-tcp-contact" \
	grep -qE "LOOKUP .* sip:gw2@carrier.example to sip:pbx-gw@127.0.0.1:$SIPTCP;transport=tcp" "$TMPD/k.log"
check "it:kam-tls:reg-tcp:call-in:iam (called=41123456)" \
	wait_ev "$TMPD/sw.out" "EV IAM cic=[0-9]+ called=41123456" 30
check "it:kam-tls:reg-tcp:call-in:answered" test "$(stat_col "$TMPD/call_tcp.csv" "SuccessfulCall(C)")" = 1
check "it:kam-tls:reg-tls:call-in:cdr-names-trunk-kam-tls" \
	grep -qE "CDR call=[0-9]+ dir=sip-isup .*called=\+4940123456 .*trunk=kam-tls .*sip=200" "$TMPD/td.log"
check "it:kam-tls:reg-tcp:call-in:cdr-names-trunk-kam-tcp (the connection's transport)" \
	grep -qE "CDR call=[0-9]+ dir=sip-isup .*called=\+4941123456 .*trunk=kam-tcp .*sip=200" "$TMPD/td.log"
tr=$(vty $VTY "show sip security")
grep -E "^connections" <<<"$tr" | sed "s/^/   /"
check "it:kam-tls:counters:connections-in-from-kamailio (2: tls and tcp)" \
	grep -qE "^connections: 2 in," <<<"$tr"

# --- refresh at half the granted 20 s, over the same transport
saved_n() { grep -cE "SAVED at [0-9.]+ $1 proto $2 " "$TMPD/k.log"; }
refreshed() { [ "$(saved_n gw1 tls)" -ge 2 ] && [ "$(saved_n gw2 tcp)" -ge 2 ]; }
until_tenths 150 refreshed
check "it:kam-tls:refreshed (gw1 over tls $(saved_n gw1 tls)x, gw2 over tcp $(saved_n gw2 tcp)x)" refreshed
t=$(vty $VTY "show sip trunks")
sed "s/^/   /" <<<"$t"
check "it:kam-tls:show-sip-trunks (both registered, 20 s granted)" bash -c \
	"grep -qE '^kam-tls .*registered \(20 s granted' <<<'$t' && grep -qE '^kam-tcp .*registered \(20 s granted' <<<'$t'"

# --- stop: un-REGISTER every bound trunk, then exit; gw3's goes unanswered
check "it:kam-tls:reg-mute:registered-before-stop" bound tandem "tcp:127.0.0.1:$KTCP"
kamcmd -s "$CTL" pv.shvSet mute int 1 >/dev/null
t0=$(now_us)
kill -TERM $TD
for _ in $(seq 1 100); do kill -0 $TD 2>/dev/null || break; sleep 0.05; done
stop_ms=$((($(now_us) - t0) / 1000))
check "it:kam-tls:stop:tandemd-exited-within-the-bound (${stop_ms} ms, bound 2 s + exit)" \
	bash -c "! kill -0 $TD 2>/dev/null && [ $stop_ms -lt 3500 ]"
check "it:kam-tls:stop:unregister-over-tls (Expires 0)" \
	grep -qE "SAVED at [0-9.]+ gw1 proto tls cseq [0-9]+ expires \[0\]" "$TMPD/k.log"
check "it:kam-tls:stop:unregister-over-tcp (Expires 0)" \
	grep -qE "SAVED at [0-9.]+ gw2 proto tcp cseq [0-9]+ expires \[0\]" "$TMPD/k.log"
check "it:kam-tls:stop:unregistered-logged" bash -c \
	"grep -q 'trunk kam-tls: unregistered' '$TMPD/td.log' && grep -q 'trunk kam-tcp: unregistered' '$TMPD/td.log'"
check "it:kam-tls:stop:unanswered-un-register-logged" \
	grep -q "stopping with 1 un-REGISTER(s) unanswered" "$TMPD/td.log"
check "it:kam-tls:stop:kamailio-left-gw3-unanswered" grep -qE "MUTE at [0-9.]+ gw3" "$TMPD/k.log"
u=$(ul_dump)
grep -E "AoR|Address" <<<"$u" | sed "s/^/   after stop: /"
check "it:kam-tls:stop:usrloc-without-the-tls-and-tcp-bindings (gw1, gw2 gone)" \
	bash -c "! grep -qE 'AoR: gw[12]\$' <<<'$u'"
check "it:kam-tls:stop:unanswered-binding-stays (gw3)" grep -qE "AoR: gw3$" <<<"$u"
[ -n "${FAILED:-}" ] && { grep -iE "regist|kam-|TLS" "$TMPD/td.log" | tail -30; grep -v "^ *$" "$TMPD/k.log" | tail -30; }
exit ${FAILED:-0}
