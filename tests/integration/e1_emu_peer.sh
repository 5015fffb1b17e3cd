#!/bin/bash
# The E1 span emulator checked against itself back to back (two spans on
# one pseudowire): tone level and frequency, DTMF digits, a metallic loop,
# and the echo path's return loss, so later media tests can trust it.
source "$(dirname "$0")/../lib.sh"
EMU=$BUILD/peers/e1-emu
A=24310
B=24312
# B (the loop) listens first and runs until A has been quiet for 300 ms
# (10 s at most), so that A's measurement of its own tone come back (one
# second of the loop's samples, 300 ms after the first one heard, on the
# span's sample clock) never takes in the loop before B started or after
# it stopped, and B hears all of A however late A starts: each end's start
# and stop under load once moved silence into it (-14.8 dBm0 for -10), and
# a B with a fixed 3 s missed A's tone when A started 2 s late
start_bg "$TMPD/b.out" "$EMU" --local 127.0.0.1:$B --remote 127.0.0.1:$A --timeslots 1-4 --ts 1:loop \
	--ts 3:tone:1004:-10 --seconds 10 --until-quiet 300
b=$BG_PID
wait_udp $B 50 || fail "it:e1emu-start: the loop end does not listen on $B"
"$EMU" --local 127.0.0.1:$A --remote 127.0.0.1:$B --timeslots 1-4 \
	--ts 1:tone:1004:-10 --ts 2:dtmf:1234# --ts 3:echo:20:12 --seconds 2 --analyse 1000 >"$TMPD/a.out"
wait "$b"
field() { # FILE TS KEY
	grep "^TS $2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p" | tr -d '"'
}
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
check "it:e1emu-tone-level ($(field "$TMPD/b.out" 1 f1004_dbm0) dBm0)" \
	within "$(field "$TMPD/b.out" 1 f1004_dbm0)" -10.5 -9.5
check "it:e1emu-dtmf ($(field "$TMPD/b.out" 2 dtmf))" test "$(field "$TMPD/b.out" 2 dtmf)" = "1234#"
check "it:e1emu-loop ($(field "$TMPD/a.out" 1 f1004_dbm0) dBm0)" \
	within "$(field "$TMPD/a.out" 1 f1004_dbm0)" -11.5 -9.5
check "it:e1emu-echo-erl ($(field "$TMPD/a.out" 3 echo_erl_db) dB)" \
	within "$(field "$TMPD/a.out" 3 echo_erl_db)" 11 19
check "it:e1emu-no-loss" grep -q "lost=0 bad=0" "$TMPD/a.out"
exit ${FAILED:-0}
