#!/bin/bash
# tandemd starts, answers its VTY over telnet, survives SIGHUP, stops on
# SIGTERM with exit 0 within 2 s; a bad configuration stops start-up with
# file, line and reason, exit 1.
source "$(dirname "$0")/../lib.sh"
PORT=24270
cfg=$TMPD/t.cfg
sed "s/bind 127.0.0.1 4270/bind 127.0.0.1 $PORT/" "$TOP/etc/tandem.cfg" >"$cfg"

start_bg "$TMPD/d.log" "$BUILD/tandemd" -c "$cfg"
pid=$BG_PID
if ! wait_tcp $PORT 50; then
	fail "it:vty-listen: tandemd did not open its VTY on $PORT"
	cat "$TMPD/d.log"
	exit 1
fi
out=$(vty $PORT "show version" "show loop" "show uptime" "show media")
check "it:vty-show-version" grep -q "^tandem $(cat "$TOP/VERSION")" <<<"$out"
check "it:vty-show-loop" grep -q "^submissions: [0-9]" <<<"$out"
check "it:vty-show-uptime" grep -q "has been running for" <<<"$out"
check "it:vty-show-media" grep -q "^worker 0: channels 0" <<<"$out"

out=$(vty $PORT enable "write file")
check "it:vty-write-file" grep -q "Configuration saved to $cfg" <<<"$out"
check "it:written-config-reads-back" "$BUILD/tandemd" -t -c "$cfg"

kill -HUP "$pid"
sleep 0.3
out=$(vty $PORT "show uptime")
check "it:sighup-survived" grep -q "has been running for" <<<"$out"

t0=$(date +%s%N)
kill -TERM "$pid"
rc=timeout
for _ in $(seq 1 20); do
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		rc=$?
		break
	fi
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "it:sigterm-exit-0 (rc=$rc after ${ms} ms)" test "$rc" = 0

printf 'loop\n ring-entries 256\n bogus-setting 7\n' >"$TMPD/bad.cfg"
msg=$("$BUILD/tandemd" -c "$TMPD/bad.cfg" 2>&1)
rc=$?
check "it:bad-config-exit-1" test "$rc" = 1
check "it:bad-config-names-file-line" grep -qF "$TMPD/bad.cfg:3: unknown command" <<<"$msg"
# SCTP association parameters: an RTO set out of order, a count out of
# range and SCTP parameters on a TCP association each name file and line
printf 'sigtran\n asp stp\n  remote 127.0.0.1 2905\n  transport sctp\n  sctp rto initial 300 min 500 max 400\n' >"$TMPD/rto.cfg"
msg=$(timeout 10 "$BUILD/tandemd" -c "$TMPD/rto.cfg" 2>&1)
check "it:sctp-rto-out-of-order-names-file-line (rc=$?)" \
	grep -qF "$TMPD/rto.cfg:5: RTO min 500 ms is above RTO max 400 ms" <<<"$msg"
printf 'sigtran\n asp stp\n  remote 127.0.0.1 2905\n  transport sctp\n  sctp path-max-retrans 0\n' >"$TMPD/pmr.cfg"
msg=$(timeout 10 "$BUILD/tandemd" -c "$TMPD/pmr.cfg" 2>&1)
check "it:sctp-path-max-retrans-0-names-file-line (rc=$?)" \
	grep -qF "$TMPD/pmr.cfg:5: unknown command, or an argument out of range" <<<"$msg"
printf 'line vty\n bind 127.0.0.1 %s\nsigtran\n asp stp\n  remote 127.0.0.1 2905\n  sctp heartbeat interval 500\n' \
	$PORT >"$TMPD/sctptcp.cfg"
msg=$(timeout 10 "$BUILD/tandemd" -c "$TMPD/sctptcp.cfg" 2>&1)
rc=$?
check "it:sctp-params-on-tcp-names-file-line (rc=$rc)" \
	grep -qF "$TMPD/sctptcp.cfg:4: sigtran asp stp: 'sctp' parameters on an association over TCP" <<<"$msg"
check "it:sctp-params-on-tcp-exit-1" test "$rc" = 1
# M3UA over kernel SCTP on a kernel without it: a clear error naming TCP
# (with kernel SCTP the association starts: m3ua_sctp.sh)
if python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
	skip "it:m3ua-sctp-unavailable-names-tcp: the kernel has SCTP (m3ua_sctp.sh runs it)"
else
	printf 'line vty\n bind 127.0.0.1 %s\nsigtran\n asp stp\n  remote 127.0.0.1 2905\n  transport sctp\n' \
		$PORT >"$TMPD/sctp.cfg"
	msg=$(timeout 10 "$BUILD/tandemd" -c "$TMPD/sctp.cfg" 2>&1)
	rc=$?
	check "it:m3ua-sctp-unavailable-names-tcp (rc=$rc)" test "$rc" = 1 -a -n "$(grep "transport tcp" <<<"$msg")"
fi

# Issue 13 item 1: with more than 1,100 descriptors held (SIP over TCP
# connections), a VTY session lands on an fd above FD_SETSIZE: "show calls"
# answers and tandemd lives (through fd_set it aborted: "bit out of range
# 0 - FD_SETSIZE"). tandemd starts with the usual soft limit of 1024 and
# raises it to the hard limit itself.
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 2048 ]; then
	skip "it:vty-fds-above-fd-setsize: hard descriptor limit $(ulimit -Hn)"
else
	SIPT=$((PORT + 1))
	# the connection caps and the first-message deadline (issue 14) opened
	# wide, so that the held connections stay
	printf 'line vty\n bind 127.0.0.1 %s\nsip\n stream-limits connections 4000 per-source 4000 message-size 65535\n stream-timeouts message 600 idle 86400\n listen tcp 127.0.0.1 %s\n' \
		$PORT $SIPT >"$TMPD/fds.cfg"
	start_bg "$TMPD/fds.log" bash -c "ulimit -Sn 1024 && exec \"$BUILD/tandemd\" -c \"$TMPD/fds.cfg\""
	fpid=$BG_PID
	if ! wait_tcp $PORT 50; then
		fail "it:vty-fds-above-fd-setsize: tandemd did not start"
		cat "$TMPD/fds.log"
	else
		start_bg "$TMPD/conns.log" python3 -c '
import resource, socket, sys, time
n = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
held = []
for _ in range(n):
    held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
print("held", len(held), flush=True)
time.sleep(120)
' $SIPT 1150
		wait_ev "$TMPD/conns.log" "^held 1150" 100
		nfd=0
		for _ in $(seq 1 50); do
			nfd=$(ls /proc/$fpid/fd 2>/dev/null | wc -l)
			[ "$nfd" -gt 1150 ] && break
			sleep 0.1
		done
		out=$(vty $PORT "show calls" "show version" 2>&1)
		check "it:vty-fds-above-fd-setsize: tandemd holds $nfd fds" test "$nfd" -gt 1100
		check "it:vty-fds-above-fd-setsize: show calls answers" grep -q "^tandem $(cat "$TOP/VERSION")" <<<"$out"
		check "it:vty-fds-above-fd-setsize: tandemd alive" kill -0 "$fpid"
		if ! kill -0 "$fpid" 2>/dev/null; then tail -5 "$TMPD/fds.log"; fi
	fi
fi
exit ${FAILED:-0}
