#!/bin/bash
# make bench: call rate through two tandems against Kamailio (issue 13).
#
#   chain:    sipp UAC -> tandemd A (SIP -> ISUP) -> M3UA IPSP double exchange
#             over TCP -> tandemd B (ISUP -> SIP) -> sipp UAS
#   kamailio: sipp UAC -> Kamailio (tm + record_route, children=1) -> sipp UAS
#
# Same scenarios (tests/bench/cps/uac.xml, uas.xml: INVITE with SDP, 180,
# 200, ACK, BYE through the route set), one run, steps of rising rate with
# the two systems interleaved at each step. The servers run pinned to CPU
# 0 (taskset), every sipp on CPU 1. Per step and system:
#   - calls offered, failed, UAC retransmissions (sipp -trace_stat)
#   - CPU us per call of each server process: utime+stime from
#     /proc/PID/stat (all threads; Kamailio: the sum of its processes)
#   - INVITE->200 p50 / p99 at the UAC (sipp -trace_rtt)
# The max CPS of a system is the highest step with < 0.1 % failed calls,
# retransmissions < 1 % of the calls (no storm) and the offered rate
# reached. Then HOLD calls held (HOLD_S each): RSS per held call of each
# server (VmRSS delta / calls), and each tandem's RSS IDLE_WAIT s after the
# load ended, against its idle RSS before (malloc_trim on idle).
#
#   CPS_QUICK=1 (default): rates 100 200 400 600, 4 s each, 400 held,
#                20 s after the load
#   CPS_QUICK=0: rates 100 200 300 400 500 600 800 1000 1200 1400 1600 2000,
#                10 s each (both systems passed 1,200, the top step
#                before), 400 held, 60 s after the load
#   CPS_RATES="..." CPS_STEP_S=N CPS_HOLD=N override; CPS_PERF=1 records
#   tandemd A with perf during the step at CPS_PERF_RATE (default 300)
#   (CPS_PERF_CG="--call-graph dwarf" for call chains through libraries).
#   CPS_KAMAILIO=0 leaves Kamailio out; CPS_HOLD=0 ends after the steps
#   (no memory phase); CPS_TANDEMD=path runs another tandemd build (an
#   old one against a new one: tests/bench/cps_ab.sh).
#
# Ports: 26610-26629 (SIP, VTY, M3UA), spans 27000-27031 / 28000-28031
# (remote ends 29000+, nobody sends), RTP 40000-55999.
source "$(dirname "$0")/../lib.sh"
rmdir "$TMPD" && TMPD=$(mktemp -d /tmp/tandem-bench-cps.XXXXXX)
command -v sipp >/dev/null || { skip "cps: sipp is not installed"; exit 0; }
command -v taskset >/dev/null || { skip "cps: taskset is missing"; exit 0; }
KAM=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$KAM" ] || KAM=""
[ "${CPS_KAMAILIO:-1}" = 0 ] && KAM=""
QUICK=${CPS_QUICK:-1}
if [ "$QUICK" = 1 ]; then
	RATES=${CPS_RATES:-100 200 400 600}
	STEP_S=${CPS_STEP_S:-4}
	HOLD=${CPS_HOLD:-400}
	IDLE_WAIT=${CPS_IDLE_WAIT:-20}
else
	RATES=${CPS_RATES:-100 200 300 400 500 600 800 1000 1200 1400 1600 2000}
	STEP_S=${CPS_STEP_S:-10}
	HOLD=${CPS_HOLD:-400}
	IDLE_WAIT=${CPS_IDLE_WAIT:-60}
fi
HOLD_S=${CPS_HOLD_S:-20}
SRV_CPU=0 UAC_CPU=1
[ "$(nproc)" -ge 2 ] || { SRV_CPU=0 UAC_CPU=0; }
D=$TOP/tests/bench/cps
SIPA=26610 VTYA=26611 SIPB=26612 VTYB=26613 DE=26614 UASB=26615 KPORT=26616 UASK=26617
UACP=26618
HZ=$(getconf CLK_TCK)
TANDEMD=${CPS_TANDEMD:-$BUILD/tandemd}
cd "$TMPD" || exit 1

mkcfg() { # VTY SIP M3UA-LINE PC-LOCAL PC-REMOTE SPAN-L SPAN-R RTP0 ROUTE-LINES TRUNK-LINES
	cat <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all notice
line vty
 bind 127.0.0.1 $1
sigtran
 asp peer
$3
  role ipsp-de
  transport tcp
  routing-context 7
isup
 linkset t
  asp peer
  variant itu
  point-code local $4 remote $5
  cic 1 992 span 0-31
sip
 listen udp 127.0.0.1 $2
${10}
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
$9
media
 workers 1
 channels-per-worker 8192
 rtp-timeout 0
 rtp-port-range $8 $(($8 + 7999))
 spans 0-31 e1 local 127.0.0.1 $6 remote 127.0.0.1 $7 frames 8
CFG
}
mkcfg $VTYB $SIPB "  listen 127.0.0.1 $DE" 1 2 28000 29200 48000 \
	" route to-sip default via uas" " trunk uas
  remote 127.0.0.1 $UASB" >b.cfg
mkcfg $VTYA $SIPA "  remote 127.0.0.1 $DE" 2 1 27000 29000 40000 \
	" route to-isup default via t" " trunk caller
  remote 127.0.0.1 $UACP" >a.cfg

start_bg tb.log taskset -c $SRV_CPU "$TANDEMD" -c b.cfg
TB=$BG_PID
wait_tcp $VTYB 50 || { fail "cps:tandemd-b-start"; cat tb.log; exit 1; }
start_bg ta.log taskset -c $SRV_CPU "$TANDEMD" -c a.cfg
TA=$BG_PID
wait_tcp $VTYA 50 || { fail "cps:tandemd-a-start"; cat ta.log; exit 1; }
up=""
for _ in $(seq 1 100); do
	vty $VTYA "show isup circuits t" | grep -q "992 idle.* 0 resetting" &&
		vty $VTYB "show isup circuits t" | grep -q "992 idle.* 0 resetting" && { up=1; break; }
	sleep 0.2
done
[ -n "$up" ] || { fail "cps:linkset-up"; tail -5 ta.log tb.log; exit 1; }
start_bg uasb.log taskset -c $UAC_CPU sipp -sf "$D/uas.xml" -i 127.0.0.1 -p $UASB -nostdin \
	-trace_stat -stf uasb_stat.csv

KPIDS=""
if [ -n "$KAM" ]; then
	sed -e "s/@PORT@/$KPORT/" -e "s/@UAS@/127.0.0.1:$UASK/" "$D/kamailio.cfg" >k.cfg
	start_bg k.log taskset -c $SRV_CPU "$KAM" -DD -E -f k.cfg -m 256
	KMAIN=$BG_PID
	start_bg uask.log taskset -c $UAC_CPU sipp -sf "$D/uas.xml" -i 127.0.0.1 -p $UASK \
		-nostdin -trace_stat -stf uask_stat.csv
	wait_tcp 1 1 2>/dev/null # nothing listens there: a short pause
	for _ in $(seq 1 50); do
		# the UDP worker, timer and helper processes: all forked by main
		[ "$(pgrep -P $KMAIN | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	KPIDS=$(pgrep -P $KMAIN | tr '\n' ' ')
	KPIDS="$KMAIN $KPIDS"
elif [ "${CPS_KAMAILIO:-1}" != 0 ]; then
	skip "cps:kamailio (not installed: apt-get install kamailio)"
fi
sleep 1

cpu_ticks() { # PIDS...: utime+stime of all, in ticks
	local t=0 p
	for p in "$@"; do
		[ -r /proc/$p/stat ] || continue
		t=$((t + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/$p/stat)))
	done
	echo $t
}
rss_kb() { # PIDS...: sum of VmRSS
	local t=0 p
	for p in "$@"; do
		[ -r /proc/$p/status ] || continue
		t=$((t + $(awk '/^VmRSS/ { print $2 }' /proc/$p/status)))
	done
	echo $t
}
pctl() { # FILE P: the P-th percentile of column 2 of a sipp rtt file, ms
	awk -F';' 'NR > 1 && $2 != "" { print $2 }' "$1" | sort -g |
		awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
			i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; if (i > NR) i = NR
			printf "%.2f", v[i] }'
}

# run_step NAME TARGET-PORT RATE CALLS PIDS...: prints one result line
run_step() {
	local name=$1 port=$2 rate=$3 calls=$4
	shift 4
	local pids=("$@") c0=() c1=() t0 t1 p i
	for p in "${pids[@]}"; do c0+=("$(cpu_ticks $p)"); done
	t0=$(date +%s%N)
	rm -f uac_*.csv
	timeout $((calls / rate + 40)) taskset -c $UAC_CPU sipp -sf "$D/uac.xml" -s 4930123456 \
		127.0.0.1:$port -i 127.0.0.1 -p $UACP -r "$rate" -m "$calls" -l $((rate * 4 + 100)) \
		-d 0 -nostdin -trace_stat -stf uac_stat.csv -trace_rtt -rtt_freq 50 \
		-trace_err -error_file uac_err.log >uac.out 2>&1
	t1=$(date +%s%N)
	sleep 0.5 # the last BYEs and the servers' own clean-up
	for p in "${pids[@]}"; do c1+=("$(cpu_ticks $p)"); done
	local ok fail rtx secs offered_cps rttf
	ok=$(stat_col uac_stat.csv "SuccessfulCall(C)")
	fail=$(stat_col uac_stat.csv "FailedCall(C)")
	rtx=$(stat_col uac_stat.csv "Retransmissions(C)")
	secs=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	rttf=$(ls uac_*_rtt.csv 2>/dev/null | head -1)
	local cpu=""
	for i in "${!pids[@]}"; do
		cpu+=$(awk -v d=$((${c1[$i]} - ${c0[$i]})) -v hz=$HZ -v n=$((ok + fail)) \
			'BEGIN { printf " %.0f", n ? d / hz * 1e6 / n : 0 }')
	done
	echo "$name rate=$rate calls=$calls ok=$ok failed=$fail rtx=$rtx secs=$secs" \
		"p50=$(pctl "$rttf" 50) p99=$(pctl "$rttf" 99) cpu_us=${cpu# }"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
good() { # RESULT: < 0.1 % failed, rtx < 1 % of calls, the calls done in time
	local l=$1 n
	n=$(field "$l" calls)
	awk -v f="$(field "$l" failed)" -v r="$(field "$l" rtx)" -v n="$n" -v ok="$(field "$l" ok)" \
		-v s="$(field "$l" secs)" -v rate="$(field "$l" rate)" \
		'BEGIN { exit !(ok + f >= n && f * 1000 < n && r * 100 < n && s < n / rate * 1.25 + 3) }'
}

echo "cps: chain = sipp -> tandemd A -> M3UA (IPSP DE, TCP) -> tandemd B -> sipp;" \
	"kamailio = sipp -> Kamailio (tm, record_route, children=1) -> sipp"
echo "cps: servers on CPU $SRV_CPU, sipp on CPU $UAC_CPU; steps of ${STEP_S} s: $RATES CPS" \
	"(load average $(cut -d' ' -f1-3 /proc/loadavg): the machine is shared)"
MAXC=0 MAXK=0 RES=()
for rate in $RATES; do
	calls=$((rate * STEP_S))
	if [ -n "${CPS_PERF:-}" ] && [ "$rate" = "${CPS_PERF_RATE:-300}" ] && command -v perf >/dev/null; then
		perf record -F 999 ${CPS_PERF_CG:--g} -p $TA -o "$TMPD/perf.data" >perf.log 2>&1 &
		PERF=$!
	fi
	r=$(run_step chain $SIPA $rate $calls $TA $TB)
	if [ -n "${PERF:-}" ]; then
		kill -INT $PERF
		wait $PERF
		perf report -i "$TMPD/perf.data" --no-children --percent-limit 1.5 --stdio \
			--sort symbol 2>/dev/null | grep -v "^$" | grep "%" | head -40 >perf.txt
		cp "$TMPD/perf.data" "${CPS_PERF_OUT:-/tmp/tandem-cps-perf.data}" 2>/dev/null
		echo "  perf (tandemd A at $rate CPS, self time by symbol):"
		sed 's/^/    /' perf.txt
		PERF=""
	fi
	echo "  $r"
	RES+=("$r")
	good "$r" && [ $MAXC -lt $rate ] && MAXC=$rate
	if [ -n "$KAM" ]; then
		# shellcheck disable=SC2086
		r=$(run_step kamailio $KPORT $rate $calls $KPIDS)
		cpu=$(sed 's/.*cpu_us=//' <<<"$r")
		# one figure per system: the sum over Kamailio's processes
		r="${r% cpu_us=*} cpu_us=$(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }' <<<"$cpu")"
		echo "  $r"
		RES+=("$r")
		good "$r" && [ $MAXK -lt $rate ] && MAXK=$rate
	fi
done

if [ "$HOLD" = 0 ]; then
	echo "cps: results (CPS_HOLD=0: no memory phase)"
	for r in "${RES[@]}"; do echo "  $r"; done
	exit 0
fi
# --- memory: calls held, then the RSS a while after the load
idle_a=$(rss_kb $TA) idle_b=$(rss_kb $TB)
tl0_a=$(vty $VTYA enable "show talloc-context application brief" | grep -m1 -o "total [0-9]*" | cut -d' ' -f2)
tl0_b=$(vty $VTYB enable "show talloc-context application brief" | grep -m1 -o "total [0-9]*" | cut -d' ' -f2)
# shellcheck disable=SC2086
idle_k=$(rss_kb $KPIDS)
hold_one() { # NAME PORT
	rm -f uac_*.csv
	timeout $((HOLD / 200 + HOLD_S + 40)) taskset -c $UAC_CPU sipp -sf "$D/uac.xml" \
		-s 4930123456 127.0.0.1:$2 -i 127.0.0.1 -p $UACP -r 200 -m $HOLD -l $((HOLD + 10)) \
		-d $((HOLD_S * 1000)) -nostdin -trace_stat -stf uac_stat.csv >hold_$1.out 2>&1 &
	HOLD_PID=$!
}
hold_one chain $SIPA
sleep $((HOLD / 200 + 3))
held_a=$(rss_kb $TA) held_b=$(rss_kb $TB)
# what the calls cost while only held (no set-up): the media workers'
# ticks and health checks, timers; CPU ms per second of each tandem
hc0_a=$(cpu_ticks $TA) hc0_b=$(cpu_ticks $TB) ht0=$(date +%s%N)
sleep "${CPS_HELD_CPU_S:-5}"
hc1_a=$(cpu_ticks $TA) hc1_b=$(cpu_ticks $TB) ht1=$(date +%s%N)
held_cpu=$(awk -v a=$((hc1_a - hc0_a)) -v b=$((hc1_b - hc0_b)) -v hz=$HZ -v ns=$((ht1 - ht0)) \
	'BEGIN { printf "A %.1f B %.1f", a / hz * 1e12 / ns, b / hz * 1e12 / ns }')
talloc_total() { vty $1 enable "show talloc-context application brief" | grep -m1 -o "total [0-9]*" | cut -d' ' -f2; }
tl_a=$(talloc_total $VTYA) tl_b=$(talloc_total $VTYB)
if [ -n "${CPS_TALLOC_OUT:-}" ]; then
	vty $VTYA enable "show talloc-context application 3" >"$CPS_TALLOC_OUT.a.txt"
	vty $VTYB enable "show talloc-context application 3" >"$CPS_TALLOC_OUT.b.txt"
fi
mem_a=$(vty $VTYA "show memory" 2>/dev/null | grep -m1 "signalling per call")
calls_up=$(vty $VTYA "show calls" | grep -m1 -E "^[0-9]+ calls")
wait $HOLD_PID
hold_ok=$(stat_col uac_stat.csv "SuccessfulCall(C)")
if [ -n "$KAM" ]; then
	hold_one kamailio $KPORT
	sleep $((HOLD / 200 + 3))
	# shellcheck disable=SC2086
	held_k=$(rss_kb $KPIDS)
	wait $HOLD_PID
fi
sleep "$IDLE_WAIT"
after_a=$(rss_kb $TA) after_b=$(rss_kb $TB)

echo "cps: results (max CPS: highest step with < 0.1 % failed, retransmissions < 1 % of calls, rate reached)"
printf '  %-9s %5s %6s %6s %6s %8s %8s  %s\n' system rate calls failed rtx p50_ms p99_ms \
	"CPU us/call (chain: A B; kamailio: all processes)"
for r in "${RES[@]}"; do
	printf '  %-9s %5s %6s %6s %6s %8s %8s  %s\n' "${r%% *}" "$(field "$r" rate)" \
		"$(field "$r" calls)" "$(field "$r" failed)" "$(field "$r" rtx)" "$(field "$r" p50)" \
		"$(field "$r" p99)" "$(sed 's/.*cpu_us=//' <<<"$r")"
done
echo "  max CPS: chain $MAXC, kamailio $MAXK" \
	"$( [ "$MAXK" -gt 0 ] && awk -v c=$MAXC -v k=$MAXK 'BEGIN { printf "(chain/kamailio %.2f: chain max CPS over Kamailio max CPS on the same core)", c / k }')"
# CPU per call ratio at the highest rate both passed
for r in "${RES[@]}"; do
	[ "${r%% *}" = chain ] || continue
	rate=$(field "$r" rate)
	[ "$rate" -le "$MAXC" ] && [ "$rate" -le "$MAXK" ] || continue
	cr=$r
	for k in "${RES[@]}"; do
		[ "${k%% *}" = kamailio ] && [ "$(field "$k" rate)" = "$rate" ] && kr=$k
	done
done
if [ -n "${cr:-}" ] && [ -n "${kr:-}" ]; then
	read -r ca cb <<<"$(sed 's/.*cpu_us=//' <<<"$cr")"
	ck=$(sed 's/.*cpu_us=//' <<<"$kr")
	echo "  CPU per call at $(field "$cr" rate) CPS: tandem A $ca us, tandem B $cb us, Kamailio $ck us;" \
		"A/Kamailio $(awk -v a=$ca -v k=$ck 'BEGIN { printf "%.2f", k ? a / k : 0 }')," \
		"B/Kamailio $(awk -v a=$cb -v k=$ck 'BEGIN { printf "%.2f", k ? a / k : 0 }')" \
		"(one tandem's whole process, all threads, against all Kamailio processes, same calls)"
	echo "  INVITE->200 at $(field "$cr" rate) CPS: chain p50 $(field "$cr" p50) ms p99 $(field "$cr" p99) ms;" \
		"kamailio p50 $(field "$kr" p50) ms p99 $(field "$kr" p99) ms (at the UAC, through each system)"
fi
echo "  held calls: chain $hold_ok of $HOLD ($calls_up)"
echo "  CPU while $HOLD calls were held (no set-up): $held_cpu ms per second (tandem A, B)"
echo "  RSS per held call: tandem A $(( (held_a - idle_a) * 1024 / HOLD )) B, tandem B" \
	"$(( (held_b - idle_b) * 1024 / HOLD )) B$( [ -n "$KAM" ] && echo ", Kamailio (all processes) $(( (held_k - idle_k) * 1024 / HOLD )) B")" \
	"(VmRSS with $HOLD calls up minus idle, over $HOLD)"
[ -n "$mem_a" ] && echo "  tandem A: $mem_a"
[ -n "$tl_a" ] && [ -n "$tl0_a" ] && echo "  talloc per held call: tandem A $(( (tl_a - tl0_a) / HOLD )) B," \
	"tandem B $(( (tl_b - tl0_b) / HOLD )) B (talloc total of the whole process, held minus idle, over $HOLD:" \
	"signalling state and the media channels' own allocations)"
echo "  RSS idle -> $HOLD held -> ${IDLE_WAIT} s after: tandem A ${idle_a} -> ${held_a} -> ${after_a} kB," \
	"tandem B ${idle_b} -> ${held_b} -> ${after_b} kB" \
	"(after/idle A $(awk -v a=$after_a -v i=$idle_a 'BEGIN { printf "%.2f", a / i }')," \
	"B $(awk -v a=$after_b -v i=$idle_b 'BEGIN { printf "%.2f", a / i }'))"
exit 0
