# Sourced by tests/bench/scale_hold.sh and scale_churn.sh (not a benchmark of
# its own), BENCH set to the bench's name. scale_start starts one tandemd
# (SIP -> ISUP, an RTP channel per call bound to its E1 timeslot) whose route
# to ISUP load-shares over NLS linksets of 3,410 CICs, each toward its own
# libss7 isup-switch (--auto-answer), started and up.
#
# scale_start in: WANT (calls wanted at once), RATE (CPS), HOLD_S (how long
# the run holds calls, for the peers' own timeouts), NLS (linksets, default 3),
# SCALE_RTCP_MUX, SCALE_NOACK, SCALE_SEND_SLOTS (see scale_hold.sh).
# Out: N (calls: WANT capped by descriptors and CICs), LIMIT (why capped),
# UAC_XML, TD (tandemd's PID), SW_PIDS, and the helpers below; the working
# directory is $TMPD.
source "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"
rmdir "$TMPD" && TMPD=$(mktemp -d /tmp/tandem-bench-$BENCH.XXXXXX)
command -v sipp >/dev/null || { skip "$BENCH: sipp is not installed"; exit 0; }
command -v taskset >/dev/null || { skip "$BENCH: taskset is missing"; exit 0; }
[ -x "$BUILD/peers/isup-switch" ] || { skip "$BENCH: isup-switch not built (make peers)"; exit 0; }

cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/$1/stat; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }
fds() { ls /proc/$1/fd | wc -l; }
metric() { # NAME LABEL-REGEX: the sum of the samples of show metrics that match
	vty $VTY "show metrics" | awk -v n="$1" -v l="$2" '$1 ~ "^" n "({|$)" && $1 ~ l { s += $2 }
		END { print s + 0 }'
}
sw_count() { # EV-NAME: summed over the switches
	local t=0 k
	for k in $(seq 1 $NLS); do t=$((t + $(grep -c "^EV $1 " "sw$k.out"))); done
	echo $t
}
# the end counts: sipp's (ok failed rtx created), tandemd's calls SIP ->
# ISUP (m_started m_answered) and the switches' (sw_iam sw_rel)
scale_counts() {
	ok=$(stat_col uac_stat.csv "SuccessfulCall(C)")
	failed=$(stat_col uac_stat.csv "FailedCall(C)")
	rtx=$(stat_col uac_stat.csv "Retransmissions(C)")
	created=$(stat_col uac_stat.csv "TotalCallCreated")
	m_started=$(metric tandem_calls_started_total 'direction="sip-isup"')
	m_answered=$(metric tandem_calls_finished_total 'direction="sip-isup".*result="answered"')
	sw_iam=$(sw_count IAM) sw_rel=$(sw_count REL)
}
calls_now() { vty $VTY "show calls" | grep -c "^call "; }
peer_ticks() { # the switches' and sipp's CPU, ticks
	local t=0 p
	for p in "${SW_PIDS[@]}" $(pgrep -P "${UAC:-0}" 2>/dev/null); do
		[ -r /proc/$p/stat ] && t=$((t + $(cpu_ticks $p)))
	done
	echo $t
}

udp_drops() { # PORT: the kernel's drops on the UDP sockets bound to it (/proc/net/udp)
	awk -v p=$(printf '%04X' $1) 'FNR > 1 { split($2, a, ":"); if (a[2] == p) d += $NF }
		END { print d + 0 }' /proc/net/udp $( [ -r /proc/net/udp6 ] && echo /proc/net/udp6)
}
loop_late() { # WHAT ("turns worked", "SIP datagrams waited"): tandemd's show loop line
	vty $VTY "show loop" | tr -d '\r' | sed -n "s/^late: $1 //p"
}
late_over() { # "longest 3.2 ms; over 10/100/500 ms: 4/1/0 of 812" STEP(1-3): 4, 1 or 0
	echo "$1" | sed -n 's/.*ms: \([0-9]*\)\/\([0-9]*\)\/\([0-9]*\) of.*/\'$2'/p'
}
udp_err() { awk '/^Udp:/ { if (h) { print "InErrors " $4 " RcvbufErrors " $6; exit } h = 1 }' /proc/net/snmp; }

scale_start() {
	SRV_CPU=0 PEER_CPU=1
	[ "$(nproc)" -ge 2 ] || { SRV_CPU=0 PEER_CPU=0; }
	SIP=26700 VTY=26701 UACP=26702 M3UA0=26703
	NLS=${NLS:-3} CICS=3410 SPANS_PER_LS=110
	NSPANS=$((NLS * SPANS_PER_LS))
	HZ=$(getconf CLK_TCK)
	D=$TOP/tests/bench/cps
	cd "$TMPD" || exit 1

	# descriptors: 2 per call, 1 per span, ~100 for the rest (VTY, M3UA, logs,
	# io_uring, eventfds); tandemd raises its soft limit to the hard one
	ulimit -n "$(ulimit -Hn)" 2>/dev/null
	HARD=$(ulimit -Hn)
	SOCKS=2
	UAC_XML=$D/uac.xml
	[ -n "${SCALE_NOACK:-}" ] && UAC_XML=$D/uac_noack.xml
	if [ -n "${SCALE_RTCP_MUX:-}" ]; then
		SOCKS=1
		sed 's|a=rtpmap:8 PCMA/8000|a=rtpmap:8 PCMA/8000\n      a=rtcp-mux|' "$UAC_XML" >"$TMPD/uac_mux.xml"
		UAC_XML=$TMPD/uac_mux.xml
	fi
	CAP=$(((HARD - NSPANS - 100) / SOCKS))
	N=$WANT
	LIMIT=""
	if [ "$HARD" != unlimited ] && [ "$CAP" -lt "$N" ]; then
		N=$CAP
		LIMIT="descriptors: hard RLIMIT_NOFILE $HARD allows $CAP calls ($SOCKS socket(s) each, $NSPANS spans)"
	fi
	[ "$N" -le $((NLS * CICS)) ] || N=$((NLS * CICS))

	{
		[ -n "${SCALE_SEND_SLOTS:-}" ] && printf 'loop\n udp-send-slots %d\n' "$SCALE_SEND_SLOTS"
		cat <<-CFG
	log stderr
	 logging filter all 1
	 logging print category 1
	 logging level set-all notice
	line vty
	 bind 127.0.0.1 $VTY
	sigtran
	CFG
		for k in $(seq 1 $NLS); do
			printf ' asp sg%d\n  remote 127.0.0.1 %d\n  transport tcp\n' $k $((M3UA0 + k - 1))
		done
		echo "isup"
		for k in $(seq 1 $NLS); do
			s0=$(((k - 1) * SPANS_PER_LS))
			printf ' linkset sw%d\n  asp sg%d\n  variant itu\n  point-code local 2 remote %d\n' \
				$k $k $((10 + k))
			printf '  cic 1 %d span %d-%d\n' $CICS $s0 $((s0 + SPANS_PER_LS - 1))
		done
		cat <<-CFG
	sip
	 listen udp 127.0.0.1 $SIP
	 trunk caller
	  remote 127.0.0.1 $UACP
	routing
	 numbering country-code 49 national-prefix 0 international-prefix 00
	 route to-isup default via $(seq -f 'sw%g' -s ' ' 1 $NLS)
	media
	 workers 1
	 channels-per-worker 16384
	 rtp-timeout 0
	 rtp-port-range 36000 59999
	 spans 0-$((NSPANS - 1)) e1 local 127.0.0.1 33000 remote 127.0.0.1 34000 frames 8
	CFG
	} >t.cfg

	TOTAL_S=$((N / RATE + HOLD_S + 60))
	SW_PIDS=()
	for k in $(seq 1 $NLS); do
		mkfifo "sw$k.in"
		start_bg "sw$k.out" taskset -c $PEER_CPU "$BUILD/peers/isup-switch" \
			--listen "127.0.0.1:$((M3UA0 + k - 1))" --variant itu --opc $((10 + k)) --dpc 2 \
			--cics 1-$CICS --timeout $((TOTAL_S * 2 + 120)) --auto-answer --script "sw$k.in"
		SW_PIDS+=("$BG_PID")
		eval "exec $((k + 2))>sw$k.in"
		echo "wait-link 120" >&$((k + 2))
	done
	start_bg td.log taskset -c $SRV_CPU "$TANDEMD" -c t.cfg
	TD=$BG_PID
	wait_tcp $VTY 600 || { fail "$BENCH:tandemd-start"; tail -20 td.log; exit 1; }
	up=0
	for _ in $(seq 1 300); do
		up=$(vty $VTY "show isup circuits" | grep -c "$CICS circuits: $CICS idle.* 0 resetting")
		[ "$up" = $NLS ] && break
		sleep 0.2
	done
	[ "$up" = $NLS ] || { fail "$BENCH:linksets-up ($up of $NLS)"; vty $VTY "show isup circuits" | head; exit 1; }
}
