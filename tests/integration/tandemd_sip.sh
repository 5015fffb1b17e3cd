#!/bin/bash
# tandemd's SIP side as configured: listeners, a trunk watched by OPTIONS
# (up while sipp answers, down once it is gone), and an INVITE that cannot
# be routed (no ISUP linkset yet) answered 503 with a log line.
source "$(dirname "$0")/../lib.sh"
command -v sipp >/dev/null || { skip "it:tandemd-sip: sipp is not installed"; exit 0; }
cd "$TMPD" || exit 1
VTY=24991
cat >"$TMPD/t.cfg" <<CFG
line vty
 bind 127.0.0.1 $VTY
sip
 listen udp 127.0.0.1 24450
 listen tcp 127.0.0.1 24450
 trunk carrier
  remote 127.0.0.1 24452
  options-interval 1
timer sip T1 50
CFG
start_bg "$TMPD/sipp-uas.out" timeout 60 sipp -sn uas -aa -i 127.0.0.1 -p 24452 -nostdin
sipp_pid=$BG_PID
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:tandemd-sip-start"; cat "$TMPD/tandemd.log"; exit 1; }
up=""
for _ in $(seq 1 30); do
	vty $VTY "show sip trunks" | grep -q " up," && { up=1; break; }
	sleep 0.1
done
check "it:sip-trunk-options-up" test -n "$up"
kill -TERM "$sipp_pid"
down=""
for _ in $(seq 1 80); do
	vty $VTY "show sip trunks" | grep -q " down," && { down=1; break; }
	sleep 0.1
done
check "it:sip-trunk-options-down (Timer F = 64*T1 after the peer went)" test -n "$down"
timeout 15 sipp -sn uac 127.0.0.1:24450 -i 127.0.0.1 -p 24453 -m 1 -nostdin -timeout 10 \
	>"$TMPD/uac.out" 2>&1
sleep 0.2
check "it:sip-invite-without-route-503" grep -q "no route (no ISUP linkset), 503" "$TMPD/tandemd.log"
exit ${FAILED:-0}
