#!/bin/bash
# Continuity check (Q.764 2.1.8 / Q.724) on timeslots of an emulated E1:
# where the far end loops the timeslot back the 2000 Hz check tone returns
# and tandem reports it; where it does not, nothing is reported. And
# tandem's own loop-back returns what the far end sends.
source "$(dirname "$0")/../lib.sh"
VTY=24995
cat >"$TMPD/t.cfg" <<CFG
line vty
 bind 127.0.0.1 $VTY
log stderr
 logging level media info
media
 workers 1
 rtp-port-range 24960 24979
 span 0 e1 local 127.0.0.1 24980 remote 127.0.0.1 24982 frames 8
CFG
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:cot-start"; cat "$TMPD/tandemd.log"; exit 1; }
out=$(vty $VTY enable \
	"media test-call span 0 timeslot 7 remote 127.0.0.1 24990 codec pcma echo-canceller off" \
	"media test-call span 0 timeslot 8 remote 127.0.0.1 24990 codec pcma echo-canceller off" \
	"media test-call span 0 timeslot 9 remote 127.0.0.1 24990 codec pcma echo-canceller off")
ids=($(sed -n 's/^channel \([0-9a-f]*\) rtp-port.*/\1/p' <<<"$out"))
vty $VTY enable "media test-call cot ${ids[0]} check" "media test-call cot ${ids[1]} check" \
	"media test-call cot ${ids[2]} loop" >/dev/null
"$BUILD/peers/e1-emu" --local 127.0.0.1:24982 --remote 127.0.0.1:24980 --timeslots 1-31 \
	--ts 7:loop --ts 9:tone:1004:-10 --seconds 2 >"$TMPD/e1.out"
sleep 0.2
check "it:cot-check-passes-on-a-looped-timeslot" \
	grep -q "channel ${ids[0]}: continuity check passed" "$TMPD/tandemd.log"
check "it:cot-check-silent-on-an-open-timeslot" \
	test -z "$(grep "channel ${ids[1]}: continuity check passed" "$TMPD/tandemd.log")"
lvl=$(grep "^TS 9 " "$TMPD/e1.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
check "it:cot-loop-back (the far end's -10 dBm0 tone came back at $lvl dBm0)" \
	awk -v v="$lvl" 'BEGIN { exit !(v > -11 && v < -9) }'
exit ${FAILED:-0}
