#!/bin/bash
# Kamailio as the carrier's registrar for tandem's outbound registration
# (issue 18 item 4): registrar + usrloc in memory, auth with a fixed
# password (pv_www_authenticate), max_expires 20 s.
#   - tandemd's trunk registers: 401 challenge, then 200 with digest; the
#     binding shows in kamailio's usrloc (kamcmd ul.dump) and in "show sip
#     trunks" with the lifetime kamailio granted (20 s, not the 60 asked)
#   - it re-registers at half the granted lifetime, so the binding never
#     lapses at kamailio
#   - a call from the carrier side (sipp -> kamailio, lookup of tandem's
#     AOR -> the registered Contact) reaches the libss7 switch with the
#     number from To, and is answered
#   - kamailio refuses (403): tandem retries with a growing, randomized
#     delay (register retry 1 8: 0.5-1, 1-2, 2-4, 4-8 s), visible in its
#     log and "show sip trunks"; accepted again: registered, failures reset
#   - 423 with Min-Expires 120: asked again at once with 120
#   - kamailio stopped: no answer, the same backoff; started again:
#     registered again
#   - tandemd stopped: REGISTER with Expires 0, the binding gone from usrloc
# and as the carrier's redirect server for ISUP -> SIP calls from the
# libss7 switch (issue 18 item 2; redirect follow 2):
#   - 302 with a Contact in national form (sip:030222@pbx): followed to
#     trunk pbx (a sipp UAS) with the user normalised by the numbering
#     rules (sip:+4930222@...;user=phone), Diversion naming the carrier's
#     URI; answered
#   - 305 Use Proxy naming trunk pbx: the same Request-URI again through
#     it; answered. 305 naming a host that is no configured trunk: refused,
#     REL 31
#   - 380 Alternative Service: not followed (no second INVITE), REL 31
# Ports 27600-27619.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:kam-reg: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:kam-reg: sipp is not installed"; exit 0; }
KAM=$(command -v kamailio || echo /usr/sbin/kamailio)
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
for m in registrar usrloc auth ctl pv tm sl; do
	[ -x "$KAM" ] && [ -f "$KMOD/$m.so" ] ||
		{ skip "it:kam-reg: kamailio with its $m module is not installed"; exit 0; }
done
command -v kamcmd >/dev/null || { skip "it:kam-reg: kamcmd (package kamailio) is not installed"; exit 0; }
cd "$TMPD" || exit 1
KPORT=27600 UAC=27601 UAS=27602 VTY=27610 M3UA=27611 SIP=27612 SPAN=27613 SPAN_R=27614 RTP0=27620
CTL="unix:$TMPD/kamailio.ctl"

cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging timestamp 1
 logging level set-all info
line vty
 bind 127.0.0.1 $VTY
timer sip T1 50
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
 trunk carrier
  remote 127.0.0.1 $KPORT
  domain carrier.example
  auth gw1 s3cret-gw
  register expires 60
  register retry 1 8
  redirect follow 2
 trunk pbx
  remote 127.0.0.1 $UAS
  redirection diversion
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip 4930 via carrier
 route to-isup default via sw1
media
 rtp-port-range $RTP0 $((RTP0 + 19))
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $SPAN remote 127.0.0.1 $SPAN_R frames 8
CFG

# The carrier's registrar: one user gw1 with a fixed password; a shared
# variable "refuse" (kamcmd pv.shvSet) makes it answer 403; every REGISTER
# is logged with its arrival time; INVITEs for any number go to gw1's
# registered Contact.
{
	cat <<KCFG
#!KAMAILIO
debug=1
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:$KPORT
alias="carrier.example"
KCFG
	kam_modules tm sl rr maxfwd pv siputils textops xlog usrloc registrar auth ctl
	cat <<KCFG
modparam("ctl", "binrpc", "$CTL")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 10)
modparam("registrar", "max_expires", 20)
modparam("pv", "shvset", "refuse=i:0")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("REGISTER")) {
		xlog("L_NOTICE", "REG at \$TV(Sn) cseq \$cs auth [\$au] expires [\$hdr(Expires)]\n");
		if (\$shv(refuse) == 1) {
			xlog("L_NOTICE", "REFUSED at \$TV(Sn) cseq \$cs\n");
			sl_send_reply("403", "Forbidden");
			exit;
		}
		if (\$shv(refuse) == 2 && \$(hdr(Expires){s.int}) < 120) {
			xlog("L_NOTICE", "TOO-BRIEF at \$TV(Sn) cseq \$cs\n");
			append_to_reply("Min-Expires: 120\r\n");
			sl_send_reply("423", "Interval Too Brief");
			exit;
		}
		if (!pv_www_authenticate("carrier.example", "s3cret-gw", "0")) {
			www_challenge("carrier.example", "1");
			exit;
		}
		if (\$au != "gw1") {
			sl_send_reply("403", "Not this user");
			exit;
		}
		if (!save("location"))
			sl_reply_error();
		xlog("L_NOTICE", "SAVED at \$TV(Sn) cseq \$cs \$ct\n");
		exit;
	}
KCFG
	kam_route_dialog
	cat <<KCFG
	if (\$si == "127.0.0.1" && \$sp == $SIP) {
		# tandem's calls: the redirect server's answers, by number
		xlog("L_NOTICE", "REDIR-IN \$rU\n");
		if (\$rU == "+4930111") {
			append_to_reply("Contact: <sip:030222@127.0.0.1:$UAS>\r\n");
			sl_send_reply("302", "Moved Temporarily");
		} else if (\$rU == "+4930333") {
			append_to_reply("Contact: <sip:127.0.0.1:$UAS>\r\n");
			sl_send_reply("305", "Use Proxy");
		} else if (\$rU == "+4930334") {
			append_to_reply("Contact: <sip:192.0.2.7:5060>\r\n");
			sl_send_reply("305", "Use Proxy");
		} else if (\$rU == "+4930444") {
			sl_send_reply("380", "Alternative Service");
		} else {
			sl_send_reply("404", "Not Found");
		}
		exit;
	}
	record_route();
	if (!lookup("location", "sip:gw1@carrier.example")) {
		sl_send_reply("480", "Gateway not registered");
		exit;
	}
	xlog("L_NOTICE", "LOOKUP \$ci to \$ru\n");
	t_relay();
}
KCFG
} >"$TMPD/k.cfg"

ul_dump() { kamcmd -s "$CTL" ul.dump 2>/dev/null; }
bound() { ul_dump | grep -q "sip:tandem@127.0.0.1:$SIP"; }
k_start() {
	start_bg "$TMPD/k$1.log" "$KAM" -DD -E -f "$TMPD/k.cfg"
	KP=$BG_PID
	wait_udp $KPORT 50
}
# the arrival times (seconds) of the REGISTERs matching PATTERN in kamailio
# log N, retransmissions (T1 is 50 ms here) left out: the first per CSeq
times() {
	sed -n "s/.*$2 at \([0-9.]*\) cseq \([0-9]*\).*/\1 \2/p" "$TMPD/k$1.log" |
		awk '!seen[$2]++ { print $1 }'
}
trunks() { vty $VTY "show sip trunks"; }

k_start 1 || { fail "it:kam-reg:kamailio-start"; tail -20 "$TMPD/k1.log"; exit 1; }
switch_start --auto-answer
tandemd_start kam-reg
TD=$td
echo "wait-link 10" >&3

# --- registration with digest
check "it:kam-reg:registered (tandem log)" wait_ev "$TMPD/td.log" \
	"trunk carrier: registered for 20 s \(asked 60\)" 50
check "it:kam-reg:challenged-401-then-200" grep -q "trunk carrier: REGISTER challenged (401), answered" "$TMPD/td.log"
check "it:kam-reg:kamailio-saw-challenge-then-credentials" \
	grep -qE "REG at [0-9.]+ cseq 2 auth \[gw1\] expires \[60\]" "$TMPD/k1.log"
check "it:kam-reg:binding-in-usrloc (kamcmd ul.dump)" bound
ul_dump | grep -E "AoR|Address|Expires" | head -4 | sed "s/^/   /"
t=$(trunks)
sed "s/^/   /" <<<"$t"
rc=$(vty $VTY enable "show running-config")
check "it:kam-reg:running-config (register expires 60, register retry 1 8)" \
	bash -c "grep -qx '  register expires 60' <<<'$rc' && grep -qx '  register retry 1 8' <<<'$rc'"
check "it:kam-reg:show-sip-trunks (registered, 20 s granted)" \
	grep -qE "^carrier .*, registered \(20 s granted, refresh in [0-9]+ s\)" <<<"$t"

# --- a call from the carrier side to the registered Contact -> ISUP
if wait_ev "$TMPD/sw.out" "EV GRS cic=1( |$)" 100; then
	timeout 30 sipp -sf "$TOP/tests/bench/cps/uac.xml" -s +4930123456 "127.0.0.1:$KPORT" \
		-i 127.0.0.1 -p $UAC -m 1 -d 500 -nostdin -trace_stat -stf "$TMPD/call_stat.csv" \
		>"$TMPD/call.out" 2>&1
	check "it:kam-reg:call:kamailio-looked-up-the-contact" \
		grep -q "LOOKUP .* to sip:tandem@127.0.0.1:$SIP" "$TMPD/k1.log"
	check "it:kam-reg:call:iam-with-the-number-from-to (called=30123456)" \
		wait_ev "$TMPD/sw.out" "EV IAM cic=[0-9]+ called=30123456" 30
	check "it:kam-reg:call:answered (sipp $(stat_col "$TMPD/call_stat.csv" "SuccessfulCall(C)") ok)" \
		test "$(stat_col "$TMPD/call_stat.csv" "SuccessfulCall(C)")" = 1
else
	fail "it:kam-reg:call:link-up"
fi

# --- kamailio as redirect server for ISUP -> SIP calls
start_bg "$TMPD/uas.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS -m 2 -nostdin \
	-trace_msg -message_file "$TMPD/uas.msg"
wait_udp $UAS 50
# 302 with a national-form Contact
sw "call 5 30111 89555"
if wait_ev "$TMPD/sw.out" "EV ANM cic=5( |$)" 80; then
	check "it:kam-reg:302:followed-to-trunk-pbx" grep -qE \
		"SIP 302 from trunk carrier: redirect 1/2 to sip:030222@127.0.0.1:$UAS via trunk pbx" "$TMPD/td.log"
	check "it:kam-reg:302:user-normalised (+4930222)" grep -qE \
		"redirect target sip:030222@127.0.0.1:$UAS: number \+4930222, Request-URI sip:\+4930222@127.0.0.1:$UAS;user=phone" "$TMPD/td.log"
	check "it:kam-reg:302:uas-got-the-normalised-ruri" \
		grep -q "^INVITE sip:+4930222@127.0.0.1:$UAS;user=phone SIP/2.0" "$TMPD/uas.msg"
	check "it:kam-reg:302:diversion-names-the-carrier-uri" grep -qE \
		"^Diversion: <sip:\+4930111@carrier.example;user=phone>;reason=unconditional;counter=1" "$TMPD/uas.msg"
	sw "release 5 16"
	check "it:kam-reg:302:released" wait_ev "$TMPD/sw.out" "EV RLC cic=5( |$)" 50
else
	fail "it:kam-reg:302:answered"
	grep -E "302|redirect|cic=5( |$)" "$TMPD/td.log" | tail
fi
# 305 naming a configured trunk: the same request through it
sw "call 6 30333 89555"
if wait_ev "$TMPD/sw.out" "EV ANM cic=6( |$)" 80; then
	check "it:kam-reg:305:same-request-through-the-proxy-trunk" grep -q \
		"SIP 305 from trunk carrier: sip:+4930333@carrier.example;user=phone again through proxy trunk pbx" "$TMPD/td.log"
	check "it:kam-reg:305:uas-got-the-original-ruri" \
		grep -q "^INVITE sip:+4930333@carrier.example;user=phone SIP/2.0" "$TMPD/uas.msg"
	sw "release 6 16"
	check "it:kam-reg:305:released" wait_ev "$TMPD/sw.out" "EV RLC cic=6( |$)" 50
else
	fail "it:kam-reg:305:answered"
	grep -E "305|redirect|cic=6( |$)" "$TMPD/td.log" | tail
fi
# 305 naming a foreign host: refused; 380: not followed; both REL 31
sw "call 7 30334 89555"
check "it:kam-reg:305-foreign:rel-31" wait_ev "$TMPD/sw.out" "EV REL cic=7 cause=31" 80
check "it:kam-reg:305-foreign:refused" grep -q \
	"SIP 305 Contact sip:192.0.2.7:5060: not another configured trunk: refused" "$TMPD/td.log"
sw "call 8 30444 89555"
check "it:kam-reg:380:rel-31" wait_ev "$TMPD/sw.out" "EV REL cic=8 cause=31" 80
check "it:kam-reg:380:not-followed (logged)" grep -q \
	"SIP 380 Alternative Service from trunk carrier: not followed" "$TMPD/td.log"
check "it:kam-reg:380:one-invite-only" test "$(grep -c "REDIR-IN +4930444" "$TMPD/k1.log")" = 1
check "it:kam-reg:3xx:uas-saw-two-calls-only (302 and 305 targets)" \
	test "$(grep -c "^INVITE sip:" "$TMPD/uas.msg")" = 2

# --- re-registration at half the granted 20 s, before the binding lapses
saved() { [ "$(times 1 SAVED | wc -l)" -ge 3 ]; }
for _ in $(seq 1 300); do saved && break; sleep 0.1; done
check "it:kam-reg:refreshed-twice" saved
mapfile -t sv < <(times 1 SAVED)
gap=$(awk -v a="${sv[0]}" -v b="${sv[1]}" 'BEGIN { printf "%.1f", b - a }')
gap2=$(awk -v a="${sv[1]}" -v b="${sv[2]}" 'BEGIN { printf "%.1f", b - a }')
echo "   binding refreshed after $gap s and $gap2 s (granted 20 s)"
check "it:kam-reg:refresh-at-half-the-lifetime (9..12 s: $gap, $gap2)" \
	awk -v a="$gap" -v b="$gap2" 'BEGIN { exit !(a >= 9 && a <= 12 && b >= 9 && b <= 12) }'
check "it:kam-reg:binding-still-in-usrloc" bound
check "it:kam-reg:refresh-logged" grep -q "trunk carrier: registration refreshed, 20 s granted" "$TMPD/td.log"

# --- refused (403): backoff 1 s base doubling up to 8 s
kamcmd -s "$CTL" pv.shvSet refuse int 1 >/dev/null
refused5() { [ "$(times 1 REFUSED | wc -l)" -ge 5 ]; }
for _ in $(seq 1 400); do refused5 && break; sleep 0.1; done
check "it:kam-reg:403:five-refusals" refused5
mapfile -t rf < <(times 1 REFUSED)
gaps=$(awk 'NR > 1 { printf "%.1f ", $1 - p } { p = $1 }' < <(printf '%s\n' "${rf[@]:0:5}"))
echo "   REGISTER after each 403: $gaps s apart (bounds 0.5-1, 1-2, 2-4, 4-8)"
check "it:kam-reg:403:growing-delays ($gaps)" awk -v g="$gaps" 'BEGIN {
	n = split(g, v, " "); lo[1] = 0.45; hi[1] = 1.6; lo[2] = 0.95; hi[2] = 2.6
	lo[3] = 1.95; hi[3] = 4.6; lo[4] = 3.95; hi[4] = 8.6
	if (n != 4) exit 1
	for (i = 1; i <= 4; i++) if (v[i] < lo[i] || v[i] > hi[i]) exit 1 }'
check "it:kam-reg:403:logged-with-failure-count" \
	grep -qE "trunk carrier: registration refused with 403 \(failure 4\), retry in [4-8]\.[0-9] s" "$TMPD/td.log"
t=$(trunks)
sed "s/^/   /" <<<"$t"
check "it:kam-reg:403:show-sip-trunks (not registered, failures, last 403)" \
	grep -qE "^carrier .*, not registered \([4-9] failures, last 403, retry in [0-8] s\)" <<<"$t"
kamcmd -s "$CTL" pv.shvSet refuse int 0 >/dev/null
n0=$(grep -c "trunk carrier: registered for" "$TMPD/td.log")
check "it:kam-reg:403:registered-again-when-accepted" wait_ev "$TMPD/td.log" \
	"trunk carrier: registered for 20 s" 100 $((n0 + 1))
check "it:kam-reg:403:failures-reset" grep -qE "^carrier .*, registered \(20 s granted" <<<"$(trunks)"

# --- 423 Interval Too Brief with Min-Expires 120: asked again with 120 at once
kamcmd -s "$CTL" pv.shvSet refuse int 2 >/dev/null
check "it:kam-reg:423:asked-again-with-min-expires" wait_ev "$TMPD/td.log" \
	"trunk carrier: 423, registering again for 120 s" 150
check "it:kam-reg:423:kamailio-saw-expires-120" wait_ev "$TMPD/k1.log" \
	"REG at [0-9.]+ cseq [0-9]+ auth \[gw1\] expires \[120\]" 30
refreshed_after_423() {
	awk '/423, registering again/ { s = 1 } s && /registration refreshed, 20 s granted/ { f = 1 }
		END { exit !f }' "$TMPD/td.log"
}
for _ in $(seq 1 30); do refreshed_after_423 && break; sleep 0.1; done
check "it:kam-reg:423:refreshed-after-it" refreshed_after_423
check "it:kam-reg:423:still-registered" grep -qE "^carrier .*, registered \(20 s granted" <<<"$(trunks)"
kamcmd -s "$CTL" pv.shvSet refuse int 0 >/dev/null

# --- kamailio stopped: no answer (ICMP port unreachable on loopback), backoff
kill -TERM $KP
wait $KP 2>/dev/null
f0=$(grep -c "no answer to REGISTER" "$TMPD/td.log")
check "it:kam-reg:stopped:no-answer-failures (3)" wait_ev "$TMPD/td.log" \
	"trunk carrier: no answer to REGISTER \(failure [0-9]+\)" 400 $((f0 + 3))
grep "no answer to REGISTER" "$TMPD/td.log" | tail -3 | sed "s/^/   /"
n0=$(grep -c "trunk carrier: registered for" "$TMPD/td.log")
k_start 2 || fail "it:kam-reg:stopped:kamailio-restart"
check "it:kam-reg:stopped:registered-after-restart" wait_ev "$TMPD/td.log" \
	"trunk carrier: registered for 20 s" 150 $((n0 + 1))
check "it:kam-reg:stopped:binding-in-new-usrloc" bound

# --- tandemd stops: its binding removed (REGISTER Expires 0, RFC 3261 10.2.2)
kill -TERM $TD
for _ in $(seq 1 50); do kill -0 $TD 2>/dev/null || break; sleep 0.1; done
check "it:kam-reg:stop:unregistered-with-expires-0 (digest)" \
	grep -qE "REG at [0-9.]+ cseq [0-9]+ auth \[gw1\] expires \[0\]" "$TMPD/k2.log"
check "it:kam-reg:stop:logged" grep -q "trunk carrier: unregistered (200)" "$TMPD/td.log"
unbound() { ! bound; }
check "it:kam-reg:stop:usrloc-empty" unbound
[ -n "${FAILED:-}" ] && { grep -i "regist\|carrier" "$TMPD/td.log" | tail -20; grep -v "^ *$" "$TMPD/k1.log" | tail -20; }
exit ${FAILED:-0}
