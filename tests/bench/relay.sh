#!/bin/bash
# make bench: RTP relay packets per CPU-second, tandem against rtpengine,
# same load, same run (issue 6, item 11b).
#
# 1,000 relays, each carrying one 20 ms G.711 stream (50 packets/s, 172
# bytes) from a generator to the relay and back to the generator: 50,000
# packets/s through each relay (build/bench/relay-load). rtpengine (Debian
# rtpengine-daemon, userspace forwarding: table -1, foreground, its own
# configuration) is set up through its ng control protocol, offer/answer per
# call (tests/bench/relay/ng_setup.py); tandem's media engine runs in the
# load program with one worker and 1,000 MEDIA_MODE_RELAY channel pairs. The
# CPU time of the relay (every thread of rtpengine; tandem's worker thread)
# over the measured window comes from /proc/PID/task/*/schedstat.
#
# rtpengine runs in each configuration of RTPE_THREADS (default "1 0":
# one worker thread, then its default of one per core); with one thread on
# this 2-core machine, shared with the generator, it can fall behind and
# discard ("UDP receive queue exceeded"). Each configuration runs ROUNDS
# times (default 2) and its best round counts (least loss, then most packets
# per CPU-second); the ratio is taken against the most efficient rtpengine
# configuration.
#
# Ports: 26400 (ng), 26402/26404 (generator), 26500-26999 on 127.0.0.1-10
# (a call or a relay pair takes 4 ports: 1,000 of them need 4,000).
source "$(dirname "$0")/../lib.sh"
# a directory of its own name: this run outlives many integration runs
rmdir "$TMPD" && TMPD=$(mktemp -d /tmp/tandem-bench-relay.XXXXXX)
STREAMS=${STREAMS:-1000}
SECONDS_RUN=${RELAY_SECONDS:-10}
ROUNDS=${ROUNDS:-2}
RTPE_THREADS=${RTPE_THREADS:-1 0}
NIF=10
NG=26400
LOAD=$BUILD/bench/relay-load
NGC=$TOP/tests/bench/relay/ng_setup.py
[ -x "$LOAD" ] || { skip "relay: $LOAD not built"; exit 0; }

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# the best RESULT line on stdin: least loss, then most packets per CPU-second
best() {
	local b="" l
	while read -r l; do
		[ -z "$b" ] && { b=$l; continue; }
		if [ "$(field "$l" lost)" -lt "$(field "$b" lost)" ] ||
			{ [ "$(field "$l" lost)" = "$(field "$b" lost)" ] &&
				awk -v a="$(field "$l" pps_per_cpu)" -v b="$(field "$b" pps_per_cpu)" \
					'BEGIN { exit !(a > b) }'; }; then
			b=$l
		fi
	done
	echo "$b"
}
json() { # RESULT line -> JSON object
	printf '{"pps":%s,"cpu_s":%s,"pps_per_cpu":%s,"us_per_pkt":%s,"lost":%s}' \
		"$(field "$1" pps)" "$(field "$1" cpu_s)" "$(field "$1" pps_per_cpu)" \
		"$(field "$1" us_per_pkt)" "$(field "$1" lost)"
}
show() { # NAME RESULT
	printf '  %-28s %7.0f pkt/s  CPU %6.3f s  %6.3f CPU-us/pkt  %7.0f pkt per CPU-s  lost %s  jitter p99 %s ms\n' \
		"$1" "$(field "$2" pps)" "$(field "$2" cpu_s)" "$(field "$2" us_per_pkt)" \
		"$(field "$2" pps_per_cpu)" "$(field "$2" lost)" "$(field "$2" jitter_ms_p99)"
}

# run_rtpe THREADS (0: rtpengine's default): best RESULT into $TMPD/rtpe-THREADS.best
run_rtpe() {
	local th=$1 ifs="" pid up=""
	for i in $(seq 1 $NIF); do ifs="$ifs;i$i/127.0.0.$i"; done
	{
		printf '[rtpengine]\ntable = -1\ninterface = %s\nlisten-ng = 127.0.0.1:%s\n' "${ifs#;}" $NG
		printf 'port-min = 26500\nport-max = 26999\nforeground = true\nlog-stderr = true\n'
		printf 'log-level = %s\ntimeout = 600\ndelete-delay = 0\n' "${RTPE_LOG_LEVEL:-4}"
		[ "$th" != 0 ] && printf 'num-threads = %s\n' "$th"
	} >"$TMPD/rtpengine-$th.conf"
	start_bg "$TMPD/rtpengine-$th.log" rtpengine --config-file="$TMPD/rtpengine-$th.conf"
	pid=$BG_PID
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		timeout 5 python3 "$NGC" $NG ping 2>/dev/null && { up=1; break; }
		sleep 0.1
	done
	if [ -z "$up" ]; then
		echo "rtpengine did not start: $(tail -3 "$TMPD/rtpengine-$th.log" | tr '\n' ' ')" \
			>"$TMPD/rtpe.skip"
	elif ! timeout 120 python3 "$NGC" $NG "$STREAMS" 127.0.0.1:26402 127.0.0.1:26404 \
		"$TMPD/targets" $NIF 2>"$TMPD/ng.err"; then
		echo "rtpengine offer/answer failed: $(tail -1 "$TMPD/ng.err")" >"$TMPD/rtpe.skip"
	else
		for _ in $(seq 1 "$ROUNDS"); do
			timeout $((SECONDS_RUN + 30)) "$LOAD" target --targets "$TMPD/targets" \
				--pid "$pid" --streams "$STREAMS" --seconds "$SECONDS_RUN" \
				--gen-port 26402 | grep '^RESULT' >>"$TMPD/rtpe-$th.res"
		done
		best <"$TMPD/rtpe-$th.res" >"$TMPD/rtpe-$th.best"
		if [ "$(field "$(cat "$TMPD/rtpe-$th.best")" lost)" != 0 ]; then
			echo "relay: rtpengine (threads $th) lost packets; the end of its log:"
			tail -3 "$TMPD/rtpengine-$th.log"
		fi
	fi
	# stopped now, by PID: the next relay takes the same ports
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# --- rtpengine ---
if ! command -v rtpengine >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "relay: installing rtpengine-daemon"
	export DEBIAN_FRONTEND=noninteractive
	timeout 300 apt-get install -y -qq --no-install-recommends rtpengine-daemon \
		>"$TMPD/apt.log" 2>&1 ||
		{ timeout 120 apt-get update -qq >/dev/null 2>&1 &&
			timeout 300 apt-get install -y -qq --no-install-recommends rtpengine-daemon \
				>"$TMPD/apt.log" 2>&1; }
fi
if ! command -v rtpengine >/dev/null; then
	echo "rtpengine-daemon not installed (not root, or apt-get failed)" >"$TMPD/rtpe.skip"
else
	for th in $RTPE_THREADS; do
		[ -e "$TMPD/rtpe.skip" ] && break
		run_rtpe "$th"
	done
fi

# --- tandem ---
for _ in $(seq 1 "$ROUNDS"); do
	timeout $((SECONDS_RUN + 60)) "$LOAD" tandem --streams "$STREAMS" --seconds "$SECONDS_RUN" \
		--gen-port 26402 --addr-count $NIF --port-min 26500 --port-max 26999 \
		2>"$TMPD/tandem.err" | grep '^RESULT' >>"$TMPD/tandem.res"
done
tandem=$(best <"$TMPD/tandem.res")
[ -n "$tandem" ] || { echo "relay: tandem run failed"; cat "$TMPD/tandem.err"; exit 1; }

echo "RTP relay: $STREAMS streams x 50 pkt/s (172 bytes), ${SECONDS_RUN} s measured, best of $ROUNDS"
for f in "$TMPD"/rtpe-*.res "$TMPD/tandem.res"; do
	[ -s "$f" ] || continue
	n=$(basename "$f" .res)
	sed "s/^RESULT/  round ($n):/" "$f"
done
show "tandem (1 worker)" "$tandem"
json_t=$(json "$tandem")
rtpe="" rtpe_th="" json_all=""
for th in $RTPE_THREADS; do
	[ -s "$TMPD/rtpe-$th.best" ] || continue
	r=$(cat "$TMPD/rtpe-$th.best")
	label="rtpengine ($([ "$th" = 0 ] && echo "default threads" || echo "$th thread"))"
	show "$label" "$r"
	json_all="$json_all${json_all:+,}{\"threads\":$th,\"best\":$(json "$r")}"
	if [ -z "$rtpe" ] || awk -v a="$(field "$r" pps_per_cpu)" -v b="$(field "$rtpe" pps_per_cpu)" \
		'BEGIN { exit !(a > b) }'; then
		rtpe=$r rtpe_th=$th
	fi
done
if [ -n "$rtpe" ]; then
	ratio=$(awk -v t="$(field "$tandem" pps_per_cpu)" -v r="$(field "$rtpe" pps_per_cpu)" \
		'BEGIN { printf "%.2f", (r > 0 ? t / r : 0) }')
	echo "  ratio: tandem / rtpengine (its most efficient configuration, threads $rtpe_th)" \
		"packets per CPU-second = $ratio (target >= 1.2, 0 loss)"
	echo "{\"bench\":\"relay\",\"streams\":$STREAMS,\"seconds\":$SECONDS_RUN,\"tandem\":$json_t,\"rtpengine\":$(json "$rtpe"),\"rtpengine_threads\":$rtpe_th,\"rtpengine_configs\":[$json_all],\"ratio\":$ratio}"
else
	echo "SKIP relay-rtpengine: $(cat "$TMPD/rtpe.skip" 2>/dev/null)"
	echo "{\"bench\":\"relay\",\"streams\":$STREAMS,\"seconds\":$SECONDS_RUN,\"tandem\":$json_t,\"rtpengine\":null}"
fi
exit 0
