#!/bin/bash
# tandem's SIP stack (through the small UA in tests/peers/sip-ua) against
# sipp: sipp's built-in uac against it and it against sipp's built-in uas,
# over UDP and TCP; retransmissions proven with sipp -lost 10.
source "$(dirname "$0")/../lib.sh"
UA=$BUILD/peers/sip-ua
command -v sipp >/dev/null || { skip "it:sipp: sipp is not installed"; exit 0; }
cd "$TMPD" || exit 1

sipp_uac() { # NAME PORT TRANSPORT CALLS [extra sipp args]
	local name=$1 port=$2 tr=$3 calls=$4
	shift 4
	start_bg "$TMPD/$name-ua.out" "$UA" --listen "$tr:127.0.0.1:$port" --uas --seconds 25
	local ua=$BG_PID
	local t=u1
	# (start_bg waited for a UDP listener; over TCP a connection refused
	# fails the calls at once)
	[ "$tr" = tcp ] && t=t1 && wait_tcp "$port"
	timeout 40 sipp -sn uac "127.0.0.1:$port" -t $t -i 127.0.0.1 -p $((port + 1)) -m "$calls" \
		-r 10 -nostdin -timeout 30 -timeout_error "$@" >"$TMPD/$name-sipp.out" 2>&1
	local rc=$?
	kill -TERM "$ua" 2>/dev/null
	wait "$ua" 2>/dev/null
	check "it:$name (sipp uac -> tandem UAS, $tr, $calls calls, sipp rc=$rc)" test "$rc" = 0
	grep -q "answered=$calls" "$TMPD/$name-ua.out" ||
		grep RESULT "$TMPD/$name-ua.out" | sed "s/^/  $name: /"
}

sipp_uas() { # NAME PORT TRANSPORT CALLS [extra sipp args]
	local name=$1 port=$2 tr=$3 calls=$4
	shift 4
	local t=u1
	[ "$tr" = tcp ] && t=t1
	[ $# = 0 ] && set -- -sn uas
	start_bg "$TMPD/$name-sipp.out" timeout 90 sipp -t $t -i 127.0.0.1 -p "$port" -nostdin "$@"
	local sp=$BG_PID
	[ "$tr" = tcp ] && wait_tcp "$port"
	# with losses a call may wait out Timer B/F (32 s) once: leave room for it
	timeout 80 "$UA" --listen "$tr:127.0.0.1:$((port + 1))" --uac "127.0.0.1:$port" \
		--calls "$calls" --hold 100 --seconds 75 >"$TMPD/$name-ua.out" 2>&1
	local rc=$?
	kill -TERM "$sp" 2>/dev/null
	check "it:$name (tandem UAC -> sipp uas, $tr, $calls calls, rc=$rc: $(grep RESULT "$TMPD/$name-ua.out"))" test "$rc" = 0
}

sipp_uac sipp-uac-udp 24400 udp 20
sipp_uac sipp-uac-tcp 24402 tcp 10
sipp_uas sipp-uas-udp 24404 udp 5
sipp_uas sipp-uas-tcp 24406 tcp 5
# 10 % of sipp's messages are dropped: both sides must retransmit
sipp_uac sipp-uac-lost10 24408 udp 20 -lost 10
# (sipp drops a call whose retransmitted INVITE meets its own lost 180 and 200:
# uas_lost.xml always sends the 180)
sipp_uas sipp-uas-lost10 24410 udp 10 -sf "$TOP/tests/integration/sipp/uas_lost.xml" -lost 10
# RFC 3262: tandem PRACKs a reliable 183 (sipp checks the RAck) ...
start_bg "$TMPD/prack-sipp.out" timeout 30 sipp -sf "$TOP/tests/integration/sipp/uas_prack.xml" \
	-i 127.0.0.1 -p 24470 -m 3 -nostdin
sp=$BG_PID
sleep 0.5
timeout 30 "$UA" --listen udp:127.0.0.1:24471 --uac 127.0.0.1:24470 --calls 3 --hold 100 --prack \
	--seconds 20 >"$TMPD/prack-ua.out" 2>&1
wait "$sp"
rc=$?
check "it:prack-uac (sipp rc=$rc, $(grep RESULT "$TMPD/prack-ua.out"))" \
	test "$rc" = 0 -a -n "$(grep 'answered=3 failed=0' "$TMPD/prack-ua.out")"
# ... and sends its 180 reliably to a caller that supports 100rel
start_bg "$TMPD/prack-uas.out" "$UA" --listen udp:127.0.0.1:24480 --uas --prack --seconds 20
ua=$BG_PID
sleep 0.3
timeout 30 sipp -sf "$TOP/tests/integration/sipp/uac_prack.xml" 127.0.0.1:24480 -i 127.0.0.1 \
	-p 24481 -m 3 -nostdin -timeout 15 -timeout_error >"$TMPD/prack-uac-sipp.out" 2>&1
rc=$?
check "it:prack-uas (sipp uac with 100rel, rc=$rc)" test "$rc" = 0
kill -TERM "$ua" 2>/dev/null

# RFC 4028: the session timer a caller asks for comes back in the 2xx with
# the refresher; an UPDATE refreshes it; too short an interval gets 422
start_bg "$TMPD/timer-uas.out" "$UA" --listen udp:127.0.0.1:24484 --uas --seconds 20
ua=$BG_PID
sleep 0.3
timeout 30 sipp -sf "$TOP/tests/integration/sipp/uac_timer.xml" 127.0.0.1:24484 -i 127.0.0.1 \
	-p 24485 -m 2 -nostdin -timeout 15 -timeout_error >"$TMPD/timer-sipp.out" 2>&1
rc=$?
check "it:session-timer-uas (sipp rc=$rc)" test "$rc" = 0
timeout 30 sipp -sf "$TOP/tests/integration/sipp/uac_timer_422.xml" 127.0.0.1:24484 -i 127.0.0.1 \
	-p 24485 -m 1 -nostdin -timeout 15 -timeout_error >"$TMPD/timer422-sipp.out" 2>&1
rc=$?
check "it:session-timer-422-min-se (sipp rc=$rc)" test "$rc" = 0
kill -TERM "$ua" 2>/dev/null

# digest authentication as a client (RFC 3261 22.2, RFC 2617): sipp checks it
start_bg "$TMPD/auth-sipp.out" timeout 30 sipp -sf "$TOP/tests/integration/sipp/uas_auth.xml" \
	-i 127.0.0.1 -p 24420 -nostdin
sp=$BG_PID
sleep 0.5
timeout 30 "$UA" --listen udp:127.0.0.1:24421 --uac 127.0.0.1:24420 --calls 3 --hold 100 \
	--auth tandem:s3cret --seconds 20 >"$TMPD/auth-ua.out" 2>&1
check "it:digest-auth-client ($(grep RESULT "$TMPD/auth-ua.out"))" grep -q "answered=3 failed=0" "$TMPD/auth-ua.out"
timeout 30 "$UA" --listen udp:127.0.0.1:24421 --uac 127.0.0.1:24420 --calls 1 --hold 100 \
	--auth tandem:wrong --seconds 10 >"$TMPD/auth-bad.out" 2>&1
check "it:digest-auth-wrong-password-refused ($(grep 'failed' "$TMPD/auth-bad.out" | head -1))" \
	grep -q "CALL 1 failed 403" "$TMPD/auth-bad.out"
kill -TERM "$sp" 2>/dev/null

# digest authentication as the server of a trunk: sipp answers our 401
# (sipp 3.6.1 answers only the first challenge and has no SHA-256: MD5 only)
start_bg "$TMPD/sauth-ua.out" "$UA" --listen udp:127.0.0.1:24430 --uas --require-auth \
	tandem:s3cret:md5 --seconds 20
ua=$BG_PID
sleep 0.3
timeout 20 sipp -sf "$TOP/tests/integration/sipp/uac_auth.xml" 127.0.0.1:24430 -i 127.0.0.1 \
	-p 24431 -m 3 -auth_uri service@127.0.0.1:24430 -nostdin -timeout 15 -timeout_error >"$TMPD/sauth-sipp.out" 2>&1
rc=$?
check "it:digest-auth-server (sipp rc=$rc, $(grep -c 'INVITE answered' "$TMPD/sauth-ua.out") answered)" \
	test "$rc" = 0 -a "$(grep -c 'INVITE answered' "$TMPD/sauth-ua.out")" = 3
sed 's/password=s3cret/password=wrong/' "$TOP/tests/integration/sipp/uac_auth.xml" >"$TMPD/bad.xml"
timeout 20 sipp -sf "$TMPD/bad.xml" 127.0.0.1:24430 -i 127.0.0.1 -p 24431 -m 1 \
	-auth_uri service@127.0.0.1:24430 -nostdin \
	-timeout 10 -timeout_error >"$TMPD/sauth-bad.out" 2>&1
rc=$?
check "it:digest-auth-server-wrong-password (sipp rc=$rc, still $(grep -c 'INVITE answered' "$TMPD/sauth-ua.out") answered)" \
	test "$rc" != 0 -a "$(grep -c 'INVITE answered' "$TMPD/sauth-ua.out")" = 3
kill -TERM "$ua" 2>/dev/null
exit ${FAILED:-0}
