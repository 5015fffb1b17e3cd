#!/bin/bash
# Scale-out on the SIP side (issue 17 item 4): Kamailio's dispatcher in front
# of two tandemd instances, each with its own circuits toward its own libss7
# switch, probing both with OPTIONS; SIP -> ISUP calls from sipp.
#   - calls spread over both instances, every one answered by a switch
#   - instance B killed (SIGKILL) while calls run: the calls it held fail
#     (nothing can release them), the dispatcher marks it down on its probe,
#     and calls offered after that all go to A and are all answered
#   - B started again resets its circuits toward its switch (GRS), answers
#     the probe and takes calls again
#   - B drained (shutdown graceful): it answers OPTIONS 503, the dispatcher
#     stops sending, no caller sees a refusal, B's last call ends normally
# The ISUP half of scale-out (osmo-stp routing each instance's point code)
# is m3ua_osmo_scale.sh, under kernel SCTP in the VM.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:dispatcher: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:dispatcher: sipp is not installed"; exit 0; }
KAM=$(command -v kamailio || echo /usr/sbin/kamailio)
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -x "$KAM" ] && [ -f "$KMOD/dispatcher.so" ] ||
	{ skip "it:dispatcher: kamailio with its dispatcher module is not installed"; exit 0; }
cd "$TMPD" || exit 1
KPORT=27300 UAC=27301 A_VTY=27310 A_M3UA=27311 A_SIP=27312 A_SPAN=27313 B_VTY=27320 B_M3UA=27321 \
	B_SIP=27322 B_SPAN=27323 SPAN_R=27330 RTP0=27340
UACXML=$TOP/tests/bench/cps/uac.xml

tandem_cfg() { # NAME VTY M3UA SIP SPAN RTP-FIRST
	cat >"$TMPD/$1.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all notice
line vty
 bind 127.0.0.1 $2
sigtran
 asp sg1
  remote 127.0.0.1 $3
  transport tcp
isup
 linkset sw1
  asp sg1
  variant itu
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $4
 trunk proxy
  remote 127.0.0.1 $KPORT
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-isup default via sw1
media
 rtp-port-range $6 $(($6 + 99))
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $5 remote 127.0.0.1 $SPAN_R frames 8
CFG
}
tandem_cfg a $A_VTY $A_M3UA $A_SIP $A_SPAN $RTP0
tandem_cfg b $B_VTY $B_M3UA $B_SIP $B_SPAN $((RTP0 + 100))

# The proxy a carrier puts in front (tests/lib.sh): round robin over A and
# B, OPTIONS every second, a destination down after one unanswered or
# refused probe and up after one answered; an INVITE that times out (2 s)
# or gets 503 goes to the next destination.
kam_dispatcher_cfg "$TMPD/k.cfg" $KPORT "fr=2000,failover,ctl=$TMPD/kamailio.ctl" \
	"sip:127.0.0.1:$A_SIP" "sip:127.0.0.1:$B_SIP"

sw_start() { # NAME M3UA FD: the switch reads its script from a FIFO kept open on FD
	mkfifo "$TMPD/sw-$1.in"
	start_bg "$TMPD/sw-$1.out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$2" --variant itu \
		--opc 1 --dpc 2 --cics 1-31 --timeout 400 --auto-answer --script "$TMPD/sw-$1.in"
	eval "exec $3>\"$TMPD/sw-$1.in\""
}
td_start() { # NAME VTY
	start_bg "$TMPD/td-$1.log" "$TANDEMD" -c "$TMPD/$1.cfg"
	eval "TD_$1=$BG_PID"
	wait_tcp "$2" 100
}
linkset_up() { vty "$1" "show isup linksets" 2>/dev/null | grep -q "^linkset sw1: asp sg1, available"; }
until_ok() { # TENTHS CMD...: until CMD succeeds, TENTHS/10 s of wall clock
	until_tenths "$@"
}
iams() { grep -c "^EV IAM cic=" "$TMPD/sw-$1.out" 2>/dev/null; }
# dflags PORT: the proxy's own view of a destination (kamcmd dispatcher.list:
# FLAGS AP = active and probed, IP = inactive and probed, DX = disabled)
dflags() {
	kamcmd -s "unix:$TMPD/kamailio.ctl" dispatcher.list 2>/dev/null |
		awk -v u="sip:127.0.0.1:$1" '$1 == "URI:" { m = ($2 == u) } m && $1 == "FLAGS:" { print $2; exit }'
}
inactive() { [[ "$(dflags "$1")" == I* ]]; }
active() { [[ "$(dflags "$1")" == A* ]]; }
calls() { # NAME RATE CALLS HOLD-MS: sipp UAC through the proxy; "ok failed" on stdout
	rm -f "$TMPD/$1"_*.csv
	timeout $(($3 / $2 + $4 / 1000 + 40)) sipp -sf "$UACXML" -s 4930123456 "127.0.0.1:$KPORT" \
		-i 127.0.0.1 -p $UAC -r "$2" -m "$3" -d "$4" -nostdin -trace_stat -stf "$TMPD/$1_stat.csv" \
		-trace_err -error_file "$TMPD/$1_err.log" >"$TMPD/$1.out" 2>&1
	echo "$(stat_col "$TMPD/$1_stat.csv" "SuccessfulCall(C)") $(stat_col "$TMPD/$1_stat.csv" "FailedCall(C)")"
}

sw_start a $A_M3UA 3
sw_start b $B_M3UA 4
td_start a $A_VTY || { fail "it:dispatcher:tandem-a-start"; cat "$TMPD/td-a.log"; exit 1; }
td_start b $B_VTY || { fail "it:dispatcher:tandem-b-start"; cat "$TMPD/td-b.log"; exit 1; }
start_bg "$TMPD/k.log" "$KAM" -DD -E -f "$TMPD/k.cfg"
KP=$BG_PID
check "it:dispatcher:linkset-a-up" until_ok 150 linkset_up $A_VTY
check "it:dispatcher:linkset-b-up" until_ok 150 linkset_up $B_VTY
# both answer the probes: the proxy counts them up (or never saw them down)
both_ap() { [ "$(dflags "$A_SIP")" = AP ] && [ "$(dflags "$B_SIP")" = AP ]; }
until_ok 100 both_ap
if ! kill -0 $KP 2>/dev/null; then
	fail "it:dispatcher:kamailio-up"
	tail -20 "$TMPD/k.log"
	exit 1
fi
check "it:dispatcher:both-active-and-probed (A $(dflags $A_SIP), B $(dflags $B_SIP))" both_ap

# 1. spread: 40 calls at 10/s, each held 1 s
a0=$(iams a) b0=$(iams b)
read -r ok bad <<<"$(calls spread 10 40 1000)"
a1=$(iams a) b1=$(iams b)
check "it:dispatcher:spread:all-answered ($ok of 40, $bad failed)" test "$ok" = 40 -a "$bad" = 0
[ "$ok" = 40 ] || { head -30 "$TMPD/spread_err.log" "$TMPD/spread.out"; grep -v "^ *$" "$TMPD/k.log" | tail -20; tail -20 "$TMPD/td-a.log"; }
check "it:dispatcher:spread:over-both (A $((a1 - a0)) IAM, B $((b1 - b0)) IAM)" \
	test $((a1 - a0)) -ge 15 -a $((b1 - b0)) -ge 15 -a $((a1 - a0 + b1 - b0)) = 40

# 2. B killed while calls run: 36 calls at 6/s held 3 s (at most 18 up on A
# alone: the 31 circuits suffice); B dies after 2 s
calls kill 6 36 3000 >"$TMPD/kill.res" &
cp=$!
sleep 2
# B's IAMs counted once its switch has seen the association go (calls
# come at 6/s: a count taken before the kill missed the IAM of a call
# that came between the two)
asp_down0=$(grep -c "^EV ASP_DOWN" "$TMPD/sw-b.out")
kill -KILL "$TD_b"
wait "$TD_b" 2>/dev/null
tk=$(date +%s%N)
wait_ev "$TMPD/sw-b.out" "^EV ASP_DOWN" 300 $((asp_down0 + 1)) ||
	echo "   (B's switch did not see the association go)"
b_before=$(iams b)
check "it:dispatcher:kill:b-marked-down" until_ok 100 inactive $B_SIP
td_ms=$((($(date +%s%N) - tk) / 1000000))
wait $cp
read -r ok bad <"$TMPD/kill.res"
echo "   B held $((b_before - b0 - (b1 - b0))) calls of this run when killed; marked down after ${td_ms} ms"
check "it:dispatcher:kill:only-b-calls-failed ($ok ok, $bad failed, B had $((b_before - b1)) of the run)" \
	test "$ok" -ge $((36 - (b_before - b1))) -a "$bad" -le $((b_before - b1))
[ "$bad" -le $((b_before - b1)) ] || { grep -v "^ *$" "$TMPD/kill.out" | tail -12; grep -E "DSTATE|FAILOVER" "$TMPD/k.log" | tail -12; }
# (no check that B's switch saw no IAM after: B is dead by then, and what
# the proxy sends after the kill is checked below: every call on A)

# 3. after the probe interval: every call goes to A and is answered
a2=$(iams a)
read -r ok bad <<<"$(calls after 10 30 500)"
a3=$(iams a)
check "it:dispatcher:survivor:all-answered ($ok of 30, $bad failed)" test "$ok" = 30 -a "$bad" = 0
check "it:dispatcher:survivor:all-on-a (A +$((a3 - a2)))" test $((a3 - a2)) = 30

# 4. B back: the probe finds it, it takes calls again
g0=$(grep -c "^EV GRS" "$TMPD/sw-b.out")
td_start b $B_VTY || fail "it:dispatcher:restart:tandem-b-start"
check "it:dispatcher:restart:linkset-b-up" until_ok 200 linkset_up $B_VTY
# the circuits the killed instance held are reset toward its switch
check "it:dispatcher:restart:grs-resets-the-circuits" wait_ev "$TMPD/sw-b.out" "^EV GRS cic=1 " 100 $((g0 + 1))
check "it:dispatcher:restart:b-marked-up" until_ok 100 active $B_SIP
b2=$(iams b)
read -r ok bad <<<"$(calls back 10 30 500)"
b3=$(iams b)
check "it:dispatcher:restart:all-answered ($ok of 30, $bad failed)" test "$ok" = 30 -a "$bad" = 0
check "it:dispatcher:restart:b-takes-calls (B +$((b3 - b2)))" test $((b3 - b2)) -ge 10

# 5. B drained: OPTIONS 503, no new call to it, nobody refused
calls drain 10 40 3000 >"$TMPD/drain.res" &
cp=$!
sleep 1.5
vty $B_VTY enable "shutdown graceful 60" >"$TMPD/drain.vty" 2>&1
td=$(date +%s%N)
check "it:dispatcher:drain:b-marked-down" until_ok 100 inactive $B_SIP
dd_ms=$((($(date +%s%N) - td) / 1000000))
# (an INVITE that reached B before the first probe was refused 503 and went
# to A; the probes every second are answered 503 while B drains)
# (B stops once its last call is over: then its log's last line says it)
probed_503() {
	vty $B_VTY "show shutdown" >"$TMPD/drain.show" 2>&1
	grep -q " [1-9][0-9]* OPTIONS answered 503" "$TMPD/drain.show" && return 0
	local n
	n=$(grep -o "no call left, stopping ([0-9]* OPTIONS answered 503)" "$TMPD/td-b.log" | grep -o "[0-9]*" | head -1)
	[ "${n:-0}" -gt 0 ] && echo "stopped, its log: $n OPTIONS answered 503" >"$TMPD/drain.show"
}
until_ok 25 probed_503
f0=$(grep -c "FAILOVER" "$TMPD/k.log")
b4=$(iams b)
wait $cp
read -r ok bad <"$TMPD/drain.res"
b5=$(iams b)
echo "   B marked down ${dd_ms} ms after 'shutdown graceful'"
check "it:dispatcher:drain:all-answered ($ok of 40, $bad failed)" test "$ok" = 40 -a "$bad" = 0
check "it:dispatcher:drain:no-iam-at-b-after (B's switch saw $((b5 - b4)) more)" test "$b5" = "$b4"
check "it:dispatcher:drain:options-503 ($(grep -o '[0-9]* OPTIONS answered 503' "$TMPD/drain.show"))" \
	grep -q " [1-9][0-9]* OPTIONS answered 503" "$TMPD/drain.show"
grep -q " [1-9][0-9]* OPTIONS answered 503" "$TMPD/drain.show" || { cat "$TMPD/drain.show" "$TMPD/drain.vty"; grep -i "options\|drain\|shutdown" "$TMPD/td-b.log" | tail; }
check "it:dispatcher:drain:no-invite-refused-after-the-probes (proxy failovers +$(($(grep -c "FAILOVER" "$TMPD/k.log") - f0)))" \
	test "$(grep -c "FAILOVER" "$TMPD/k.log")" = "$f0"
check "it:dispatcher:drain:b-exits-0-after-its-last-call" until_ok 100 sh -c "! kill -0 $TD_b 2>/dev/null"
wait "$TD_b" 2>/dev/null
rc=$?
check "it:dispatcher:drain:b-exit-status-0 (rc $rc)" test "$rc" = 0
[ -n "${FAILED:-}" ] && { grep -E "DSTATE" "$TMPD/k.log"; kamcmd -s "unix:$TMPD/kamailio.ctl" dispatcher.list; }
exit ${FAILED:-0}
