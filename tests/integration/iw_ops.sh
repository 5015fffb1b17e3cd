#!/bin/bash
# Operating tandem (issue 20): the libss7 switch (ISUP over M3UA) on one
# side, sip-ua peers on the other.
#   - /metrics (libmicrohttpd on the loop): promtool accepts it; the CIC
#     gauges follow a BLO/UBL from us and from the switch; ASP state; calls
#     and causes counted; 404 and 405 for what is not a scrape
#   - CDR file (CSV): calls answered and released, "cdr rotate"; tandemd
#     SIGKILLed with calls up: every finished call's record is in the files,
#     whole, none twice; the next run appends (one header line)
#   - "shutdown graceful" (VTY) with 20 calls up: circuits blocked (CGB), a
#     new INVITE gets 503 with Retry-After, a new IAM is refused, the 20
#     calls go on until the switch clears them (normal clearing, one CDR
#     each), then tandemd exits 0 by itself with their records written
#   - "reload" with calls up: a new route and a trunk's new call limit
#     take the next calls, the calls up stay; a bad routing line is refused
#     and the running routes stay
#   - "sigterm graceful": SIGTERM drains the same way
#   - HEP capture to a collector (tests/integration/hep_collector.py
#     decodes HEP3 itself): the IAM, ANM, REL, RLC of a call and its SIP
#     messages carry one correlation id, the INVITE's Call-ID; with the
#     collector gone the calls go on (runs 2 and 3 have none)
#   - "trace call NUMBER": that call's SIP and ISUP messages in the log,
#     no other call's
#   - tandem-tool top --count 2: calls up, cps, the linkset's circuits and
#     the trunk's calls as /metrics has them; top --once: the CIC grid (VTY
#     "show isup circuits compact") as "show isup circuits" has each circuit
#     (busy in, blocked by the switch, by us, blocked with its call up); the
#     ncurses view under a pseudo-terminal draws it in colour and quits on q
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:iw-ops: isup-switch not built"; exit 0; }
[ -x "$BUILD/peers/sip-ua" ] || { skip "it:iw-ops: sip-ua not built"; exit 0; }
cd "$TMPD" || exit 1
VTY=26000 M3UA=26001 SIP=26002 UAS=26003 SPAN_L=26004 SPAN_R=26005 MET=26006 UAC=26007
UAS2=26008 HEPP=26050

mkdir -p "$TMPD/trace"
{
	gw_cfg_head notice print-level
	cat <<CFG
sip
 listen udp 127.0.0.1 $SIP
 trunk carrier
  remote 127.0.0.1 $UAS
 trunk inbound
  remote 127.0.0.1 $UAC
 trunk other
  remote 127.0.0.1 $UAS2
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via carrier
 route to-isup default via sw1
media
 rtp-port-range 26100 26199
 ! the sip-ua peers send no RTP, and the drain run's 20 calls stay up
 ! across the reload and drain checks: on a loaded machine those can
 ! outlast the 30 s RTP timeout, which would release them (cause 41)
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
hep
 trace-directory $TMPD/trace
 collector 127.0.0.1 $HEPP
 agent-id 2001
 auth-key s3cret
operations
 cdr file $TMPD/cdr.csv format csv
 metrics listen 127.0.0.1 $MET
 sigterm graceful 60
CFG
} >"$TMPD/t.cfg"

# the switch and tandemd, each run afresh (N names the run's files)
start_switch() {
	out=$TMPD/sw$1.out
	mkfifo "$TMPD/sw$1.in"
	start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu \
		--opc 1 --dpc 2 --cics 1-31 --timeout 590 --script "$TMPD/sw$1.in"
	sw_pid=$BG_PID
	exec 3>"$TMPD/sw$1.in"
}
start_td() {
	start_bg "$TMPD/td$1.log" "$TANDEMD" -c "$TMPD/t.cfg"
	td=$BG_PID
	tdlog=$TMPD/td$1.log
	wait_tcp $VTY 50 || { fail "it:iw-ops:tandemd-start-$1"; cat "$tdlog"; exit 1; }
	sw "wait-link 10"
	wait_ev "$out" "EV GRS cic=1( |$)" 100 || fail "it:iw-ops:link-up-$1"
	sleep 0.3
}
metrics() { curl -s --max-time 5 "http://127.0.0.1:$MET/metrics"; }
# metric NAME{LABELS} VALUE: the scrape has exactly that sample
metric() { metrics | grep -qxF "$1 $2"; }
# wait_metric NAME{LABELS} VALUE: within 5 s
wait_metric() {
	for _ in $(seq 1 50); do
		metric "$1" "$2" && return 0
		sleep 0.1
	done
	echo "   $1: $(metrics | grep -F "$1" | head -1)"
	return 1
}
CDR() { "$TOP/tests/integration/cdr_check.py" "$@"; }
# answered N CIC...: ISUP -> SIP calls on these CICs, each answered
answered() {
	local c
	for c in "$@"; do
		sw "call $c 30123$c 89555"
		wait_ev "$out" "EV ANM cic=$c( |$)" 50 || fail "it:iw-ops:call-on-cic-$c-answered"
	done
}
# answered_all CIC...: the calls placed at once, then each one's ANM
answered_all() {
	local c
	for c in "$@"; do sw "call $c 30123$c 89555"; done
	for c in "$@"; do
		wait_ev "$out" "EV ANM cic=$c( |$)" 100 || fail "it:iw-ops:call-on-cic-$c-answered"
	done
}
# released_all CIC...: the same for REL (cause 16) and RLC
released_all() {
	local c
	for c in "$@"; do sw "release $c 16"; done
	for c in "$@"; do
		wait_ev "$out" "EV RLC cic=$c( |$)" 100 || fail "it:iw-ops:call-on-cic-$c-released"
	done
}
released() {
	local c
	for c in "$@"; do
		sw "release $c 16"
		wait_ev "$out" "EV RLC cic=$c( |$)" 50 || fail "it:iw-ops:call-on-cic-$c-released"
	done
}
command -v curl >/dev/null || { skip "it:iw-ops: curl is not installed"; exit 0; }
# the CIC grid of tandem-tool top with calls up on CICs 7-9 (busy in): the
# switch blocks 20 and 9 (its call stays), we block 21; each of the 31
# cells against "show isup circuits", then the ncurses view on a pty
top_grid() {
	local row cic want got bad="" ch l
	sw "blo 20"
	sw "blo 9"
	vty $VTY enable "isup block sw1 21" >/dev/null
	wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="remote"}' 2 &&
		wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="local"}' 1 ||
		fail "it:iw-ops:top:blocks-in-place"
	"$BUILD/tandem-tool" top --once --metrics "127.0.0.1:$MET" --vty $VTY >"$TMPD/top1.txt" 2>&1
	vty $VTY "show isup circuits" >"$TMPD/circuits.txt"
	sed -n '/^CIC grid/,$p' "$TMPD/top1.txt" | sed 's/^/   | /'
	sed 's/^/   show isup circuits: /' "$TMPD/circuits.txt"
	# row 0 of linkset sw1's grid: CIC k at column 7 + 2k
	row=$(grep -A2 '^linkset sw1 available: 31 circuits, CIC 1-31' "$TMPD/top1.txt" | sed -n 3p)
	for cic in $(seq 1 31); do
		got=${row:$((7 + 2 * cic)):1}
		# what "show isup circuits" says of it, as one character
		want=.
		if l=$(grep -E "^  CIC $cic span" "$TMPD/circuits.txt"); then
			case $l in *incoming*) want=I ;; *outgoing*) want=O ;; esac
			case $l in
			*local-blocked*remote-blocked*) [ $want = . ] && want=B || want=b ;;
			*local-blocked*) [ $want = . ] && want=L || want=l ;;
			*remote-blocked*) [ $want = . ] && want=R || want=r ;;
			esac
			case $l in *resetting*) want='*' ;; esac
		fi
		[ "$got" = "$want" ] || bad="$bad $cic:$got/$want"
		ch="$ch$got"
	done
	check "it:iw-ops:top:grid-matches-show-isup-circuits (31 cells${bad:+, grid/VTY differ:$bad})" \
		test -z "$bad" -a -n "$row"
	check "it:iw-ops:top:grid-states (7 8 busy in, 9 busy + blocked remote, 20 blocked remote, 21 blocked local: $ch)" \
		test "$ch" = "......IIr..........RL.........."
	check "it:iw-ops:top:once-has-trunks-and-asp" bash -c \
		"grep -qE '^carrier +[a-z_-]+ +3 +0 +-$' '$TMPD/top1.txt' && grep -qE '^sg1 +active$' '$TMPD/top1.txt'"
	check "it:iw-ops:top:once-answer-ratio (5 of 5)" \
		grep -q "^active: 3  finished: 5  answered: 5  ASR: 100.0 %" "$TMPD/top1.txt"
	if command -v script >/dev/null; then
		# keys: down, Tab (linkset sw1 alone), q; the exit status is top's
		(sleep 1.5; printf 'j'; sleep 0.3; printf '\t'; sleep 0.5; printf 'q') |
			TERM=xterm LINES=40 COLUMNS=120 timeout 20 script -qefc \
				"$BUILD/tandem-tool top --metrics 127.0.0.1:$MET --vty $VTY --interval 0.5" \
				/dev/null >"$TMPD/top-tty.out" 2>&1
		rc=$?
		check "it:iw-ops:top:ncurses-quits-on-q (exit $rc)" test $rc = 0
		# xterm's setab: green idle, yellow busy in, magenta blocked remote, red
		# local; after Tab the grid's bar names linkset sw1 (ncurses redraws
		# only what changed: "sw1  [1 of 1]" replaces "all linksets  [all 1]")
		colours=""
		for c in 42 43 45 41; do
			grep -aqF $'\e'"[${c}m" "$TMPD/top-tty.out" && colours="$colours $c"
		done
		check "it:iw-ops:top:ncurses-grid-in-colour (backgrounds${colours:- none})" bash -c \
			"grep -aq 'linkset sw1' '$TMPD/top-tty.out' && grep -aqF 'sw1  [1 of 1]' '$TMPD/top-tty.out' &&
			 test '$colours' = ' 42 43 45 41'"
	else
		skip "it:iw-ops:top:ncurses script(1) is not installed (bsdutils)"
	fi
	sw "ubl 20"
	sw "ubl 9"
	vty $VTY enable "isup unblock sw1 21" >/dev/null
	wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="remote"}' 0 &&
		wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="local"}' 0 ||
		fail "it:iw-ops:top:unblocked-again"
}

start_switch 1
start_td 1
start_bg "$TMPD/uas1.out" "$BUILD/peers/sip-ua" --listen "udp:127.0.0.1:$UAS" --uas --seconds 100
uas=$BG_PID

# --- /metrics
if grep -q "built without libmicrohttpd" "$tdlog"; then
	skip "it:iw-ops:metrics: tandemd was built without libmicrohttpd (libmicrohttpd-dev)"
else
	metrics >"$TMPD/m1.txt"
	if command -v promtool >/dev/null; then
		check "it:iw-ops:metrics:promtool-check ($(wc -l <"$TMPD/m1.txt") lines)" \
			promtool check metrics <"$TMPD/m1.txt"
	else
		skip "it:iw-ops:metrics:promtool-check promtool not installed (Debian prometheus)"
	fi
	check "it:iw-ops:metrics:content-type-0.0.4" bash -c \
		"curl -s -o /dev/null -w '%{content_type}' http://127.0.0.1:$MET/metrics | grep -q 'text/plain; version=0.0.4'"
	check "it:iw-ops:metrics:404-elsewhere" test \
		"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MET/")" = 404
	check "it:iw-ops:metrics:405-for-post" test \
		"$(curl -s -o /dev/null -w '%{http_code}' -d x "http://127.0.0.1:$MET/metrics")" = 405
	check "it:iw-ops:metrics:asp-active" \
		grep -qxF 'tandem_m3ua_asp_state{asp="sg1",state="active"} 1' "$TMPD/m1.txt"
	check "it:iw-ops:metrics:cics-idle-31" \
		grep -qxF 'tandem_isup_circuits{linkset="sw1",state="idle"} 31' "$TMPD/m1.txt"
	check "it:iw-ops:metrics:cics-available-31" \
		grep -qxF 'tandem_isup_circuits_available{linkset="sw1"} 31' "$TMPD/m1.txt"
	# BLO from us (VTY), acknowledged by the switch: blocked_local 1, then UBL
	vty $VTY enable "isup block sw1 5" >/dev/null
	check "it:iw-ops:metrics:blo-sent" wait_ev "$out" "EV BLO cic=5( |$)" 30
	check "it:iw-ops:metrics:cic-gauge-after-blo (blocked local 1)" \
		wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="local"}' 1
	check "it:iw-ops:metrics:cic-gauge-after-blo (available 30)" \
		metric 'tandem_isup_circuits_available{linkset="sw1"}' 30
	vty $VTY enable "isup unblock sw1 5" >/dev/null
	check "it:iw-ops:metrics:cic-gauge-after-ubl (blocked local 0)" \
		wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="local"}' 0
	check "it:iw-ops:metrics:cic-gauge-after-ubl (available 31)" \
		wait_metric 'tandem_isup_circuits_available{linkset="sw1"}' 31
	# BLO from the switch: blocked remote
	sw "blo 6"
	check "it:iw-ops:metrics:cic-gauge-after-remote-blo (blocked remote 1, available 30)" \
		wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="remote"}' 1
	metric 'tandem_isup_circuits_available{linkset="sw1"}' 30 ||
		fail "it:iw-ops:metrics:available-30-after-remote-blo"
	sw "ubl 6"
	check "it:iw-ops:metrics:cic-gauge-after-remote-ubl (blocked remote 0, available 31)" \
		wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="remote"}' 0
	wait_metric 'tandem_isup_circuits_available{linkset="sw1"}' 31 ||
		fail "it:iw-ops:metrics:available-31-after-remote-ubl"
fi

# --- calls: 5 answered and released, "cdr rotate" after the third, 3 up
# (the first three captured to a HEP collector, the second traced)
# what went out before the collector listened (GRS, BLO, UBL above)
hep_pre=$(vty $VTY "show hep" | sed -n 's/^packets sent \([0-9]*\) .*/\1/p')
start_bg "$TMPD/hepc.out" python3 "$TOP/tests/integration/hep_collector.py" serve $HEPP \
	"$TMPD/hep.jsonl" 300
hepc=$BG_PID
wait_udp $HEPP 50 || fail "it:iw-ops:hep:collector-start"
reply=$(vty $VTY enable "trace call 301232 1 pcap")
check "it:iw-ops:trace:vty-reply ($reply)" grep -q "tracing the next 1 call(s) of 301232 to the log and $TMPD/trace/trace-301232-" <<<"$reply"
answered 1 2 3
released 1 2 3
sleep 0.5
vty $VTY enable "show running-config" >"$TMPD/rc1.txt"
check "it:iw-ops:hep:running-config" grep -q "^ collector 127.0.0.1 $HEPP" "$TMPD/rc1.txt"
for c in 1 2 3; do
	check "it:iw-ops:hep:call-on-cic-$c-sip-and-isup-correlated" \
		python3 "$TOP/tests/integration/hep_collector.py" call "$TMPD/hep.jsonl" $c 2001 s3cret \
		$M3UA $UAS
done
show_hep=$(vty $VTY "show hep")
echo "$show_hep" | sed 's/^/   /'
hep_rx=$(wc -l <"$TMPD/hep.jsonl")
hep_now=$(sed -n 's/^packets sent \([0-9]*\) .*/\1/p' <<<"$show_hep")
check "it:iw-ops:hep:show-hep-counts ($hep_rx received = $hep_now sent - $hep_pre before the collector)" \
	test "$hep_rx" -eq $((${hep_now:-0} - ${hep_pre:-0})) -a "$hep_rx" -gt 0 -a \
	-n "$(grep 'send errors 0,' <<<"$show_hep")"
# trace: call 2 (called 49301232) only, its ISUP and SIP messages
check "it:iw-ops:trace:call-matched" grep -qE "trace call [0-9]+: .* -> 49301232 matches 301232" "$tdlog"
check "it:iw-ops:trace:iam-logged" grep -qE "trace call [0-9]+: ISUP received IAM CIC 2 " "$tdlog"
check "it:iw-ops:trace:invite-logged" bash -c \
	"grep -A1 -E 'trace call [0-9]+: SIP sent ' '$tdlog' | grep -q '^INVITE sip:'"
check "it:iw-ops:trace:rel-rlc-logged" bash -c \
	"grep -qE 'trace call [0-9]+: ISUP received REL CIC 2 ' '$tdlog' && grep -qE 'trace call [0-9]+: ISUP sent RLC CIC 2 ' '$tdlog'"
check "it:iw-ops:trace:other-calls-not-logged" bash -c \
	"! grep -qE 'trace call [0-9]+: ISUP .* CIC [13] ' '$tdlog'"
# the same call in the trace's pcap, as tshark decodes it: SIP over UDP
# and the ISUP messages in M3UA over the association's TCP
pcapf=$(ls "$TMPD"/trace/trace-301232-*.pcap 2>/dev/null | head -1)
vty $VTY "show trace" | sed 's/^/   /'
if command -v tshark >/dev/null; then
	sipm=$(tshark -r "$pcapf" -Y sip -T fields -e sip.Method -e sip.Status-Code 2>/dev/null | tr '\t\n' ' ' | tr -s ' ')
	isupm=$(TANDEM_M3UA_PORT=$M3UA tshark -r "$pcapf" -X lua_script:"$TOP/tests/tools/m3ua_tcp.lua" \
		-Y isup -T fields -E separator=: -e isup.cic -e isup.message_type 2>/dev/null | tr '\n' ' ')
	check "it:iw-ops:trace:pcap-sip (tshark: $sipm)" \
		bash -c '[[ " $1 " == *" INVITE "* && " $1 " == *" 200 "* && " $1 " == *" BYE "* ]]' _ "$sipm"
	# IAM 1, ACM 6, ANM 9, REL 12, RLC 16, all on CIC 2
	check "it:iw-ops:trace:pcap-isup (tshark: $isupm)" \
		bash -c '[[ " $1" == *" 2:1 "* && " $1" == *" 2:6 "* && " $1" == *" 2:9 "* &&
			" $1" == *" 2:12 "* && " $1" == *" 2:16 "* && " $1" != *" 1:"* && " $1" != *" 3:"* ]]' _ "$isupm"
else
	skip "it:iw-ops:trace:pcap tshark not installed"
fi
vty $VTY enable "no trace call" >/dev/null
check "it:iw-ops:trace:off" bash -c "vty_out=\$($BUILD/tandem-tool vty --port $VTY 'show trace'); grep -q 'trace call: off' <<<\"\$vty_out\""
# the collector goes away: the next calls go on (the existing checks below)
kill "$hepc" 2>/dev/null
wait "$hepc" 2>/dev/null
hep_before=$(vty $VTY "show hep" | sed -n 's/^packets sent \([0-9]*\) .*/\1/p')
vty $VTY enable "cdr rotate" >/dev/null
answered 4 5
released 4 5
hep_after=$(vty $VTY "show hep" | sed -n 's/^packets sent \([0-9]*\) .*/\1/p')
check "it:iw-ops:hep:collector-gone-calls-go-on (packets sent $hep_before -> $hep_after)" \
	test "${hep_after:-0}" -gt "${hep_before:-0}"
answered 7 8 9
if ! grep -q "built without libmicrohttpd" "$tdlog"; then
	check "it:iw-ops:metrics:calls-active-3" \
		wait_metric 'tandem_calls{direction="isup-sip",state="active"}' 3
	check "it:iw-ops:metrics:calls-answered-5" \
		metric 'tandem_calls_finished_total{direction="isup-sip",result="answered"}' 5
	check "it:iw-ops:metrics:cause-16-5" \
		metric 'tandem_call_releases_total{direction="isup-sip",cause="16"}' 5
	check "it:iw-ops:metrics:cics-busy-3" \
		metric 'tandem_isup_circuits{linkset="sw1",state="busy_in"}' 3
	metrics >"$TMPD/m2.txt"
	echo "   scrape with 3 calls up: $(curl -s -o /dev/null -w '%{size_download} bytes in %{time_total} s' "http://127.0.0.1:$MET/metrics")"
	command -v promtool >/dev/null &&
		check "it:iw-ops:metrics:promtool-check-with-calls" promtool check metrics <"$TMPD/m2.txt"
	# tandem-tool top: two frames from /metrics, the second with a rate
	"$BUILD/tandem-tool" top --metrics "127.0.0.1:$MET" --count 2 --interval 1 >"$TMPD/top.txt" 2>&1
	sed 's/^/   | /' "$TMPD/top.txt" | head -12
	check "it:iw-ops:top:calls-up-3" grep -q "^calls up: 3 (isup-sip 3, sip-isup 0, pri-sip 0, sip-pri 0)" "$TMPD/top.txt"
	check "it:iw-ops:top:linkset-busy-3 (31 circuits, 3 busy in, 28 available)" \
		grep -qE "^sw1 +1 +28 +28 +3 +0 +0 +0 +0$" "$TMPD/top.txt"
	check "it:iw-ops:top:trunk-carrier-3-calls" grep -qE "^carrier +[a-z_-]+ +3 +0 +-$" "$TMPD/top.txt"
	check "it:iw-ops:top:second-frame-has-cps" bash -c \
		"test \$(grep -c '^tandem top' '$TMPD/top.txt') = 2 && grep 'cps: ' '$TMPD/top.txt' | tail -1 | grep -q 'cps: [0-9]'"
	top_grid
fi
rotated=$(ls "$TMPD"/cdr.csv.2* 2>/dev/null | head -1)
check "it:iw-ops:cdr:rotated (${rotated##*/}: 3 records)" \
	test -n "$rotated" -a "$(CDR "${rotated:-/nonexistent}" record_type=call --count 2>/dev/null)" = 3

# --- SIGKILL with 3 calls up: the 5 finished calls' records are all there
kill -KILL "$td"
wait "$td" 2>/dev/null
wait_udp_free $SIP $SPAN_L || fail "it:iw-ops:ports-free-after-sigkill"
cat "$TMPD"/cdr.csv.2* "$TMPD/cdr.csv" | grep -v '^record_id' >"$TMPD/all.csv"
(head -1 "$TMPD/cdr.csv" && cat "$TMPD/all.csv") >"$TMPD/all-h.csv"
n=$(CDR "$TMPD/all-h.csv" --valid)
ids=$(cut -d, -f1 "$TMPD/all.csv" | sort | uniq -d | wc -l)
check "it:iw-ops:cdr:sigkill-keeps-finished ($n records of 5, $ids doubled)" \
	test "$n" = 5 -a "$ids" = 0
for c in 1 2 3 4 5; do
	CDR "$TMPD/all-h.csv" cic=$c -- result=answered cause=16 release_side=isup \
		record_type=call linkset=sw1 trunk=carrier 'call_id~.' calling_in=4989555 \
		"called_in=4930123$c" 'duration_ms>0' ||
		fail "it:iw-ops:cdr:record-cic-$c"
done
check "it:iw-ops:cdr:records-complete (fields of all 5)" true
kill "$uas" 2>/dev/null
wait "$uas" 2>/dev/null
sw "quit"
exec 3>&-
kill "$sw_pid" 2>/dev/null
wait "$sw_pid" 2>/dev/null

# --- next run: "shutdown graceful" from the VTY with 20 calls up (CICs
# 1-10 and 14-23; the reload below uses 11-13)
DRAIN_CICS="$(seq -s ' ' 1 10) $(seq -s ' ' 14 23)"
run1_lines=$(wc -l <"$TMPD/cdr.csv")
start_switch 2
start_td 2
# the last UAS's port is free only once the kernel tore down its ring (a
# loaded run's next UAS found it taken: "Address already in use")
wait_udp_free $UAS || fail "it:iw-ops:uas-port-free-2"
start_bg "$TMPD/uas2.out" "$BUILD/peers/sip-ua" --listen "udp:127.0.0.1:$UAS" --uas --seconds 100
uas=$BG_PID
t0=$(date +%s%N)
# shellcheck disable=SC2086
answered_all $DRAIN_CICS
echo "   20 calls answered in $((($(date +%s%N) - t0) / 1000000)) ms"
# --- reload with the 20 calls up: a route to "other", its limit 1 call
start_bg "$TMPD/uas-other.out" "$BUILD/peers/sip-ua" --listen "udp:127.0.0.1:$UAS2" --uas \
	--seconds 100
uas_other=$BG_PID
cp "$TMPD/t.cfg" "$TMPD/t.cfg.orig"
sed -i -e 's/^ route to-sip default via carrier$/&\n route to-sip 4930124 via other/' \
	-e "s/^  remote 127.0.0.1 $UAS2\$/&\n  limits calls 1 cps 0/" "$TMPD/t.cfg"
reply=$(vty $VTY enable "reload")
echo "   reload: $reply"
check "it:iw-ops:reload:reply-names-what-needs-a-restart" grep -q "re-read.*need a restart" <<<"$reply"
running() { vty $VTY enable "show running-config"; }
check "it:iw-ops:reload:show-running-config-has-the-route" grep -q "route to-sip 4930124 via other" \
	<<<"$(running)"
sw "call 11 3012411 89555"
check "it:iw-ops:reload:new-route-answered" wait_ev "$out" "EV ANM cic=11( |$)" 50
# the trunk's new limit: a second call to it is refused (cause 42)
sw "call 12 3012412 89555"
check "it:iw-ops:reload:new-limit (REL 42)" wait_ev "$out" "EV REL cic=12 cause=42" 50
released 11
check "it:iw-ops:reload:cdr-on-the-new-trunk" CDR "$TMPD/cdr.csv" cic=11 -- trunk=other \
	result=answered called_in=493012411
check "it:iw-ops:reload:calls-up-stay" bash -c "! grep -qE 'EV REL cic=([1-9]|10|1[4-9]|2[0-3]) ' '$out'"
# a bad line: refused, the running routes stay
sed -i 's/^ route to-sip 4930124 via other$/&\n route to-sip 4930125 via/' "$TMPD/t.cfg"
reply=$(vty $VTY enable "reload")
echo "   reload: $reply"
bad=$(grep -n '^ route to-sip 4930125 via$' "$TMPD/t.cfg" | cut -d: -f1)
check "it:iw-ops:reload:bad-line-refused (names the file's line $bad)" \
	grep -q "refused, the running routes stay: .*t.cfg:$bad:.*route to-sip 4930125 via" <<<"$reply"
sw "call 13 3012413 89555"
check "it:iw-ops:reload:old-routes-stay (a call to other answered)" wait_ev "$out" "EV ANM cic=13( |$)" 50
released 13
cp "$TMPD/t.cfg.orig" "$TMPD/t.cfg"
kill -HUP "$td"
check "it:iw-ops:reload:sighup" wait_ev "$tdlog" "reload: .*re-read" 30
rc_now=$(running)
check "it:iw-ops:reload:sighup-removed-the-route (default route kept)" bash -c \
	"grep -q 'route to-sip default via carrier' <<<'$rc_now' && ! grep -q 'route to-sip 4930124' <<<'$rc_now'"
reply=$(vty $VTY enable "shutdown graceful 60")
echo "   $reply"
check "it:iw-ops:drain:vty-reply (20 calls up)" grep -q "draining: 20 call(s) up" <<<"$reply"
check "it:iw-ops:drain:cgb-toward-the-switch" wait_ev "$out" "EV CGB cic=1 range=" 30
check "it:iw-ops:drain:show-shutdown" bash -c \
	"$BUILD/tandem-tool vty --port $VTY 'show shutdown' | grep -q 'draining: 20 call(s) up, 31 circuit(s) blocked'"
if ! grep -q "built without libmicrohttpd" "$tdlog"; then
	check "it:iw-ops:drain:metrics-draining-1" metric tandem_draining 1
	check "it:iw-ops:drain:metrics-cics-blocked-31" \
		wait_metric 'tandem_isup_circuits_blocked{linkset="sw1",side="local"}' 31
fi
# a new SIP call (from the trunk "inbound"): 503 with Retry-After
if command -v sipp >/dev/null; then
	timeout 15 sipp -sn uac "127.0.0.1:$SIP" -i 127.0.0.1 -p $UAC -s +4989123 -m 1 -nostdin \
		-timeout 5 -trace_msg -message_file "$TMPD/uac-503.msg" >/dev/null 2>&1
	check "it:iw-ops:drain:new-invite-503" grep -q "^SIP/2.0 503" "$TMPD/uac-503.msg"
	check "it:iw-ops:drain:retry-after ($(grep -m1 -i '^Retry-After' "$TMPD/uac-503.msg" | tr -d '\r'))" \
		grep -qiE "^Retry-After: [1-9][0-9]*" "$TMPD/uac-503.msg"
else
	skip "it:iw-ops:drain:new-invite-503 sipp is not installed"
fi
# a new IAM: refused (the switch's own blocking may stop it first)
sw "call 24 3012324 89555"
sleep 1
check "it:iw-ops:drain:new-iam-not-connected" bash -c \
	"! grep -qE 'EV (ANM|ACM) cic=24( |$)' '$out'"
# the calls up go on: still up 1 s later, then the switch clears them
check "it:iw-ops:drain:calls-continue" bash -c \
	"kill -0 $td && ! grep -qE 'EV REL cic=([1-9]|10|1[4-9]|2[0-3]) ' '$out'"
if ! grep -q "built without libmicrohttpd" "$tdlog"; then
	check "it:iw-ops:drain:metrics-calls-active-20" \
		metric 'tandem_calls{direction="isup-sip",state="active"}' 20
fi
# shellcheck disable=SC2086
released_all ${DRAIN_CICS% 23}
check "it:iw-ops:drain:running-with-one-call (19 cleared)" bash -c \
	"kill -0 $td && $BUILD/tandem-tool vty --port $VTY 'show shutdown' | grep -q 'draining: 1 call(s) up'"
released 23
for _ in $(seq 1 50); do kill -0 "$td" 2>/dev/null || break; sleep 0.1; done
wait "$td"
check "it:iw-ops:drain:exit-0-after-the-last-call" test $? -eq 0
check "it:iw-ops:cdr:appended-one-header" test "$(grep -c '^record_id' "$TMPD/cdr.csv")" = 1
# run 2's records only (run 1 wrote CICs 4 and 5 to the same file)
(head -1 "$TMPD/cdr.csv" && tail -n +$((run1_lines + 1)) "$TMPD/cdr.csv") >"$TMPD/run2.csv"
ncdr=0
for c in $DRAIN_CICS; do
	test "$(CDR "$TMPD/run2.csv" cic=$c --count)" = 1 &&
		CDR "$TMPD/run2.csv" cic=$c -- 'call_ref~^[0-9]{10}-[0-9]+$' \
		"start_utc~^$(date -u +%Y-%m-%d)T" result=answered cause=16 release_side=isup \
		'duration_ms>0' "called_in=4930123$c" && ncdr=$((ncdr + 1))
done
check "it:iw-ops:drain:cdr-per-call ($ncdr of 20 calls: answered, normal clearing by the switch)" \
	test "$ncdr" = 20
kill "$uas" "$uas_other" 2>/dev/null
wait "$uas" "$uas_other" 2>/dev/null
sw "quit"
exec 3>&-
kill "$sw_pid" 2>/dev/null
wait "$sw_pid" 2>/dev/null

# --- SIGTERM with "sigterm graceful": the same drain
start_switch 3
start_td 3
# the last UAS's port is free only once the kernel tore down its ring (a
# loaded run's next UAS found it taken: "Address already in use")
wait_udp_free $UAS || fail "it:iw-ops:uas-port-free-3"
start_bg "$TMPD/uas3.out" "$BUILD/peers/sip-ua" --listen "udp:127.0.0.1:$UAS" --uas --seconds 100
uas=$BG_PID
answered 25
kill -TERM "$td"
check "it:iw-ops:sigterm:drain-logged" wait_ev "$tdlog" "SIGTERM: shutdown graceful, timeout 60 s" 30
check "it:iw-ops:sigterm:cgb" wait_ev "$out" "EV CGB cic=1 range=" 30
sleep 0.5
check "it:iw-ops:sigterm:call-continues" bash -c "kill -0 $td && ! grep -q 'EV REL cic=25 ' '$out'"
released 25
for _ in $(seq 1 50); do kill -0 "$td" 2>/dev/null || break; sleep 0.1; done
wait "$td"
check "it:iw-ops:sigterm:exit-0" test $? -eq 0
n4=$(CDR "$TMPD/cdr.csv" cic=25 result=answered cause=16 --count)
check "it:iw-ops:sigterm:cdr-written (CIC 25: once, $n4)" test "$n4" = 1
sw "quit"
exec 3>&-

if [ -n "$FAILED" ]; then
	for f in "$TMPD"/td*.log; do
		echo "--- $f"
		grep -v DLGLOBAL "$f" | tail -40
	done
	echo "--- switch"
	tail -40 "$out"
fi
exit ${FAILED:-0}
