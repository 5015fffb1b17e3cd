#!/bin/bash
# Two tandemd builds against each other in one run (issue 13: CPU per call):
# tests/bench/cps.sh with the chain only (no Kamailio), run with build OLD
# then NEW, then NEW then OLD, ROUNDS times (a shared, loaded machine hits
# both alike, and a load that changes over the run favours neither), each
# at one rate, then calls held. Per run: each tandem's CPU us
# per call of the set-up step (utime+stime of all its threads from
# /proc, the sipp generator not counted), and its CPU ms per second while
# HOLD calls are only held; at the end the mean per build.
#
#   tests/bench/cps_ab.sh OLD-TANDEMD NEW-TANDEMD
#   AB_ROUNDS=2 AB_RATE=300 AB_STEP_S=15 AB_HOLD=900 (at most 992: the linkset's circuits)
#
# Run it inside a private network namespace (fixed ports, see cps.sh).
OLD=${1:?old tandemd} NEW=${2:?new tandemd}
ROUNDS=${AB_ROUNDS:-2} RATE=${AB_RATE:-300} STEP_S=${AB_STEP_S:-15} HOLD=${AB_HOLD:-900}
DIR=$(cd "$(dirname "$0")" && pwd)
echo "cps_ab: old $OLD, new $NEW; $ROUNDS round(s), old/new then new/old; $RATE CPS for $STEP_S s," \
	"then $HOLD calls held (load average $(cut -d' ' -f1-3 /proc/loadavg))"
declare -A SUM_A SUM_B SUM_HA SUM_HB N
for r in $(seq 1 "$ROUNDS"); do
	# old new, new old, ...: a load that rises or falls over the run
	# favours neither
	order="old new"
	[ $((r % 2)) = 0 ] && order="new old"
	for which in $order; do
		bin=$OLD
		[ $which = new ] && bin=$NEW
		out=$(CPS_TANDEMD=$bin CPS_KAMAILIO=0 CPS_RATES=$RATE CPS_STEP_S=$STEP_S \
			CPS_HOLD=$HOLD CPS_HOLD_S=$((HOLD / 200 + 12)) CPS_IDLE_WAIT=0 \
			bash "$DIR/cps.sh" 2>&1)
		line=$(grep -m1 "^  chain rate=" <<<"$out")
		held=$(grep -m1 "CPU while" <<<"$out")
		if [ -z "$line" ]; then
			echo "cps_ab: round $r $which: no result"
			tail -5 <<<"$out"
			continue
		fi
		read -r ca cb <<<"$(sed 's/.*cpu_us=//' <<<"$line")"
		read -r ha hb <<<"$(sed -n 's/.*: A \([0-9.]*\) B \([0-9.]*\) ms.*/\1 \2/p' <<<"$held")"
		echo "  round $r $which: ${line# }; held: A ${ha:--} B ${hb:--} ms/s"
		SUM_A[$which]=$(awk -v s="${SUM_A[$which]:-0}" -v v="$ca" 'BEGIN { print s + v }')
		SUM_B[$which]=$(awk -v s="${SUM_B[$which]:-0}" -v v="$cb" 'BEGIN { print s + v }')
		SUM_HA[$which]=$(awk -v s="${SUM_HA[$which]:-0}" -v v="${ha:-0}" 'BEGIN { print s + v }')
		SUM_HB[$which]=$(awk -v s="${SUM_HB[$which]:-0}" -v v="${hb:-0}" 'BEGIN { print s + v }')
		N[$which]=$((${N[$which]:-0} + 1))
	done
done
for which in old new; do
	n=${N[$which]:-0}
	[ "$n" -gt 0 ] || continue
	awk -v w=$which -v n="$n" -v a="${SUM_A[$which]}" -v b="${SUM_B[$which]}" \
		-v ha="${SUM_HA[$which]}" -v hb="${SUM_HB[$which]}" -v hold="$HOLD" -v rate="$RATE" \
		'BEGIN { printf "cps_ab: %s (mean of %d): CPU per call at %d CPS: tandem A %.0f us, tandem B %.0f us;", w, n, rate, a / n, b / n
			printf " with %d calls held: A %.1f B %.1f ms/s\n", hold, ha / n, hb / n }'
done
