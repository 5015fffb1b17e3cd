#!/bin/bash
# Call-progress tones toward TDM, commanded from the signalling side: ITU
# dial tone (425 Hz, continuous) and US busy on a timeslot, measured by the
# E1 emulator; silence once stopped.
source "$(dirname "$0")/../lib.sh"
VTY=24994
cat >"$TMPD/t.cfg" <<CFG
line vty
 bind 127.0.0.1 $VTY
media
 workers 1
 rtp-port-range 24900 24949
 span 0 e1 local 127.0.0.1 24950 remote 127.0.0.1 24952 frames 8
CFG
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:tones-start"; cat "$TMPD/tandemd.log"; exit 1; }
out=$(vty $VTY enable "media test-call span 0 timeslot 6 remote 127.0.0.1 24960 codec pcma")
id=$(sed -n 's/^channel \([0-9a-f]*\) rtp-port.*/\1/p' <<<"$out")
emu() { "$BUILD/peers/e1-emu" --local 127.0.0.1:24952 --remote 127.0.0.1:24950 --timeslots 1-31 \
	--seconds 1.5 >"$TMPD/$1.out"; grep "^TS 6 " "$TMPD/$1.out" | tr ' ' '\n' | sed -n 's/^level_dbm0=//p'; }
vty $VTY enable "media test-call tone $id itu dial" >/dev/null
dial=$(emu dial)
vty $VTY enable "media test-call tone $id us busy" >/dev/null
busy=$(emu busy)
vty $VTY enable "media test-call tone $id itu off" >/dev/null
quiet=$(emu quiet)
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
check "it:tone-itu-dial ($dial dBm0 on TS6)" within "$dial" -16 -7
check "it:tone-us-busy ($busy dBm0 on TS6, half of the time on)" within "$busy" -30 -15
check "it:tone-stopped ($quiet dBm0)" within "$quiet" -99 -50
exit ${FAILED:-0}
