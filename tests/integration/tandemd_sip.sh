#!/bin/bash
# tandemd's SIP side as configured: listeners, a trunk watched by OPTIONS
# (up while sipp answers, down once it is gone; its round trip in /metrics
# and tandem-tool top), and an INVITE that cannot
# be routed (no routing table) answered 404 with Reason: Q.850;cause=3.
source "$(dirname "$0")/../lib.sh"
command -v sipp >/dev/null || { skip "it:tandemd-sip: sipp is not installed"; exit 0; }
cd "$TMPD" || exit 1
VTY=24991
cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging level set-all notice
 logging level iw info
line vty
 bind 127.0.0.1 $VTY
sip
 listen udp 127.0.0.1 24450
 listen tcp 127.0.0.1 24450
 trunk carrier
  remote 127.0.0.1 24452
  options-interval 1
  limits calls 0 cps 3
timer sip T1 50
operations
 metrics listen 127.0.0.1 24994
CFG
start_bg "$TMPD/sipp-uas.out" timeout 60 sipp -sn uas -aa -i 127.0.0.1 -p 24452 -nostdin
sipp_pid=$BG_PID
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:tandemd-sip-start"; cat "$TMPD/tandemd.log"; exit 1; }
# (waits on the wall clock: loops that counted passes ran out early on a
# loaded machine)
trunk_is() { vty $VTY "show sip trunks" | grep -q " $1,"; }
check "it:sip-trunk-options-up" until_tenths 100 trunk_is up
if grep -q "built without libmicrohttpd" "$TMPD/tandemd.log"; then
	skip "it:sip-trunk-options-rtt tandemd was built without libmicrohttpd (libmicrohttpd-dev)"
else
	rtt=$(curl -s --max-time 5 http://127.0.0.1:24994/metrics |
		awk '$1 == "tandem_sip_trunk_options_rtt_seconds{trunk=\"carrier\"}" { print $2 }')
	check "it:sip-trunk-options-rtt (/metrics: ${rtt:-none} s)" \
		awk -v r="${rtt:-0}" 'BEGIN { exit !(r > 0 && r < 1) }'
	top=$("$BUILD/tandem-tool" top --once --metrics 127.0.0.1:24994 --vty none | grep '^carrier ')
	check "it:sip-trunk-options-rtt-in-top ($top)" grep -qE '^carrier +up +0 +0 +[0-9]+\.[0-9] ms$' <<<"$top"
fi
kill -TERM "$sipp_pid"
check "it:sip-trunk-options-down (Timer F = 64*T1 after the peer went)" until_tenths 200 trunk_is down
timeout 15 sipp -sn uac 127.0.0.1:24450 -i 127.0.0.1 -p 24453 -m 1 -nostdin -timeout 10 \
	-s +4912345 -trace_msg -message_file "$TMPD/uac.msg" >"$TMPD/uac.out" 2>&1
sleep 0.2
# no routing table: Q.850 cause 3 (no route to destination), 404 (RFC 3398 7.2.4.1)
check "it:sip-invite-without-route-404" grep -q "no route for +4912345" "$TMPD/tandemd.log"
check "it:sip-invite-without-route-404-on-the-wire" grep -q "^SIP/2.0 404" "$TMPD/uac.msg"
check "it:sip-invite-without-route-reason-q850-3" grep -q "^Reason: Q.850;cause=3" "$TMPD/uac.msg"

# the trunk's calls-per-second limit: past it, 503 with Retry-After
# (the calls within it find no route: 404); a fresh one-second window first
sleep 1.1
timeout 15 sipp -sn uac 127.0.0.1:24450 -i 127.0.0.1 -p 24452 -m 10 -r 40 -nostdin -timeout 10 \
	-s +4912345 -trace_msg -message_file "$TMPD/cps.msg" >"$TMPD/cps.out" 2>&1
# one answer per call (retransmitted final responses counted once)
count_calls() { # STATUS
	awk -v st="$1" '/^SIP\/2.0 / { cur = $2 } /^Call-ID:/ { if (cur == st) seen[$2] = 1; cur = "" }
		END { print length(seen) }' "$TMPD/cps.msg"
}
n503=$(count_calls 503)
n404=$(count_calls 404)
echo "   10 calls at 40/s on a trunk limited to 3/s: $n404 x 404, $n503 x 503"
check "it:sip-trunk-cps-limit (3 admitted, 7 refused 503)" test "$n404" = 3 -a "$n503" = 7
check "it:sip-trunk-cps-limit-retry-after" grep -q "^Retry-After: 1" "$TMPD/cps.msg"

# outbound registration with digest authentication (RFC 3261 10, 22)
for pw in s3cret wrong; do
	cat >"$TMPD/r.cfg" <<CFG
line vty
 bind 127.0.0.1 $((VTY + 1))
sip
 listen udp 127.0.0.1 24456
 trunk carrier
  remote 127.0.0.1 24458
  domain carrier.test
  auth tandem $pw
  register expires 60
CFG
	# the registrar listens before tandemd starts (start_bg waits for a
	# uas* scenario's port): CI's run once sent the REGISTER before it did
	# (the last registrar still had the port, or the new one was not yet
	# bound), "no answer", retried after 20 s
	wait_udp_free 24458 || fail "it:sip-register-$pw: port 24458 still in use after 30 s"
	start_bg "$TMPD/reg-sipp-$pw.out" timeout 30 sipp -sf "$TOP/tests/integration/sipp/uas_registrar.xml" \
		-i 127.0.0.1 -p 24458 -nostdin
	sp=$BG_PID
	start_bg "$TMPD/reg-$pw.log" "$BUILD/tandemd" -c "$TMPD/r.cfg"
	td=$BG_PID
	wait_tcp $((VTY + 1)) 50
	# the outcome: registered, or refused (REGISTER, 401, again with
	# credentials, 403); 30 passes of the loop were ~4 s, and a loaded run
	# stopped tandemd before its REGISTER had gone: 20 s of wall clock
	state=""
	reg_outcome() {
		state=$(vty $((VTY + 1)) "show sip trunks")
		grep -q ", registered" <<<"$state" || grep -q "registration refused" "$TMPD/reg-$pw.log"
	}
	until_tenths 200 reg_outcome
	echo "$state"
	if [ $pw = s3cret ]; then
		check "it:sip-register-with-digest ($(grep -o 'registered.*' "$TMPD/reg-$pw.log" | head -1))" \
			grep -q ", registered" <<<"$state"
	else
		check "it:sip-register-wrong-password ($(grep -o 'registration refused with [0-9]*\|no answer to REGISTER' "$TMPD/reg-$pw.log" | head -1))" \
			grep -q "registration refused with 403" "$TMPD/reg-$pw.log"
	fi
	kill -TERM "$td" "$sp" 2>/dev/null
	wait "$td" "$sp" 2>/dev/null
done
exit ${FAILED:-0}
