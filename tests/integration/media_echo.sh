#!/bin/bash
# The line echo canceller on the wire: far-end noise comes in on RTP, goes
# to two timeslots whose hybrid (the E1 emulator) returns it 20 ms later
# 12 dB down; one channel cancels, the other does not. What comes back on
# RTP is measured at the RTP end (the whole run, convergence included).
source "$(dirname "$0")/../lib.sh"
VTY=24992
cat >"$TMPD/t.cfg" <<CFG
line vty
 bind 127.0.0.1 $VTY
media
 workers 1
 rtp-port-range 24700 24799
 echo-canceller tandem tail 128
 span 0 e1 local 127.0.0.1 24530 remote 127.0.0.1 24532 frames 8
CFG
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:echo-start: tandemd did not start"; cat "$TMPD/tandemd.log"; exit 1; }
out=$(vty $VTY enable \
	"media test-call span 0 timeslot 4 remote 127.0.0.1 24540 codec pcma" \
	"media test-call span 0 timeslot 5 remote 127.0.0.1 24542 codec pcma echo-canceller off")
p1=$(sed -n 's/^channel [0-9a-f]* rtp-port //p' <<<"$out" | sed -n 1p)
p2=$(sed -n 's/^channel [0-9a-f]* rtp-port //p' <<<"$out" | sed -n 2p)
[ -n "$p1" ] && [ -n "$p2" ] || { fail "it:echo-test-call: $out"; exit 1; }
start_bg "$TMPD/ec.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:24540 --remote 127.0.0.1:$p1 \
	--noise -15 --seconds 6
a=$BG_PID
start_bg "$TMPD/noec.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:24542 --remote 127.0.0.1:$p2 \
	--noise -15 --seconds 6
b=$BG_PID
"$BUILD/peers/e1-emu" --local 127.0.0.1:24532 --remote 127.0.0.1:24530 --timeslots 1-31 \
	--ts 4:echo:20:12 --ts 5:echo:20:12 --seconds 6 >"$TMPD/e1.out"
wait "$a" "$b"
val() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -1; }
on=$(val "$TMPD/ec.out" level_dbm0)
off=$(val "$TMPD/noec.out" level_dbm0)
gain=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.1f", b - a }')
check "it:echo-path-present (no canceller: echo at $off dBm0 for -15 dBm0 sent)" \
	awk -v v="$off" 'BEGIN { exit !(v > -32 && v < -22) }'
check "it:echo-cancelled-on-the-wire (canceller: $on dBm0, $gain dB less over 6 s)" \
	awk -v g="$gain" 'BEGIN { exit !(g >= 15) }'
exit ${FAILED:-0}
