#!/bin/bash
# Calls (not only circuit resets) spread over two tandemd instances behind
# osmo-stp, one of them killed mid-run (issue 17 item 4), both directions:
#
#   isup-switch (libss7, PC 1, as-s RC 10, ASP from 127.0.0.4)
#        |  SCTP
#   osmo-stp (routes by DPC) --SCTP-- tandemd X (PC 2, as-x RC 20, CICs 1-31) --+-- sipp UAS
#                            --SCTP-- tandemd Y (PC 3, as-y RC 30, CICs 33-63) -+
#   sipp UAC -- Kamailio (dispatcher, OPTIONS probes) --> X and Y
#
# One point code (and AS) per instance: osmo-stp 1.6 routes by DPC only (no
# CIC-range keys) and its loadshare AS picks an ASP per message round robin,
# not by SLS, so a call's IAM and REL could reach different instances
# (docs/scale-out.md). The switch sees two circuit groups, to PC 2 and PC 3
# (isup-switch --dpc-cics), and offers its calls on both.
# Checked: ISUP -> SIP calls spread over both (every IAM answered: ACM and
# ANM from SIP 200, released by the switch, RLC; counted at the switch and
# in each tandemd's 'show isup linksets'); Y killed (SIGKILL) with calls up:
# osmo-stp marks asp-y and as-y down and sends the switch DUNA for PC 3, the
# dispatcher marks Y down, X's calls of that moment release normally, the
# calls after the kill all go to X and none fails; Y restarted: ASP active,
# DAVA for PC 3, its GRS at link-up clears at the switch the circuits whose
# calls died with it (GRA), the dispatcher marks it up, it takes calls
# again; the SIP side got a BYE for every call but those lost with Y; SIP ->
# ISUP calls through the dispatcher spread over X and Y, each IAM reaching
# the switch through osmo-stp and answered; at the end no circuit busy.
# Sizes: CALLS_BATCH calls per instance per round (default 10), rounds
# before / after the kill / after the restart (4 / 3 / 2): 200 ISUP -> SIP
# calls; CALLS_SIP (20) SIP -> ISUP calls.
# needs: kernel-sctp (make check runs it through tests/vm/sctp-tests.sh)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vty_bash.sh"
N=osmo-calls
if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
	skip "it:$N: the kernel has no SCTP (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails)"
	exit 0
fi
command -v osmo-stp >/dev/null || { skip "it:$N: osmo-stp not installed (Debian package osmo-stp)"; exit 0; }
command -v sipp >/dev/null || { skip "it:$N: sipp not installed (Debian package sip-tester)"; exit 0; }
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:$N: isup-switch not built (make peers)"; exit 0; }
STP=26050 STPVTY=4239 VTYX=26051 VTYY=26052 UAS=26060 SIPX=26061 SIPY=26062 KPORT=26065 UAC=26066
B=${CALLS_BATCH:-10} R1=${CALLS_ROUNDS1:-4} R2=${CALLS_ROUNDS2:-3} R3=${CALLS_ROUNDS3:-2}
cd "$TMPD" || exit 1
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

cat >"$TMPD/stp.cfg" <<CFG
log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging level set-all notice
 logging level lss7 info
 logging level lm3ua info
line vty
 no login
 bind 127.0.0.1
cs7 instance 0
 point-code 0.1.1
 asp asp-s 0 $STP m3ua
  remote-ip 127.0.0.4
  role sg
  sctp-role server
 asp asp-x 0 $STP m3ua
  remote-ip 127.0.0.1
  role sg
  sctp-role server
 asp asp-y 0 $STP m3ua
  remote-ip 127.0.0.2
  role sg
  sctp-role server
 as as-s m3ua
  asp asp-s
  routing-key 10 0.0.1
  traffic-mode override
 as as-x m3ua
  asp asp-x
  routing-key 20 0.0.2
  traffic-mode override
 as as-y m3ua
  asp asp-y
  routing-key 30 0.0.3
  traffic-mode override
 route-table system
  update route 0.0.1 7.255.7 linkset as-s
  update route 0.0.2 7.255.7 linkset as-x
  update route 0.0.3 7.255.7 linkset as-y
 listen m3ua $STP
  local-ip 127.0.0.1
  accept-asp-connections pre-configured
CFG

# tandem_cfg VTY LOCALIP RC LPC FIRSTCIC SIP SPAN RTP0
tandem_cfg() {
	cat <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all notice
line vty
 bind 127.0.0.1 $1
sigtran
 asp a1
  remote 127.0.0.1 $STP
  sctp-address local $2
  transport sctp
  routing-context $3
  timer ack 500
isup
 linkset ls
  asp a1
  variant itu
  point-code local $4 remote 1
  cic $5 $(($5 + 30)) span 0 timeslot 1
sip
 listen udp 127.0.0.1 $6
 trunk far
  remote 127.0.0.1 $UAS
 trunk proxy
  remote 127.0.0.1 $KPORT
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via far
 route to-isup default via ls
media
 rtp-port-range $8 $(($8 + 99))
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $7 remote 127.0.0.1 $(($7 + 1)) frames 8
CFG
}
tandem_cfg $VTYX 127.0.0.1 20 2 1 $SIPX 26070 26100 >"$TMPD/x.cfg"
tandem_cfg $VTYY 127.0.0.2 30 3 33 $SIPY 26072 26200 >"$TMPD/y.cfg"

# Kamailio's dispatcher in front of X and Y for calls from SIP (the SIP
# half of scale-out, as sip_dispatcher.sh on the host): round robin, OPTIONS
# every second, a destination down after one unanswered probe
KAM=$(command -v kamailio || echo /usr/sbin/kamailio)
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
kam=""
if [ -x "$KAM" ] && [ -f "$KMOD/dispatcher.so" ]; then
	kam_dispatcher_cfg "$TMPD/k.cfg" $KPORT fr=3000 "sip:127.0.0.1:$SIPX" "sip:127.0.0.1:$SIPY"
fi

start_bg "$TMPD/stp.log" osmo-stp -c "$TMPD/stp.cfg"
stp=$BG_PID
for _ in $(seq 1 150); do
	kill -0 "$stp" 2>/dev/null || break
	awk -v p="$STP" 'NR > 1 && $6 == p { f = 1 } END { exit !f }' /proc/net/sctp/eps 2>/dev/null && break
	sleep 0.2
done
if ! awk -v p="$STP" 'NR > 1 && $6 == p { f = 1 } END { exit !f }' /proc/net/sctp/eps 2>/dev/null; then
	fail "it:$N:stp-start"
	tail -n 20 "$TMPD/stp.log"
	exit 1
fi
start_bg "$TMPD/uas.log" sipp -sf "$TOP/tests/integration/sipp/uas_answer_retrans.xml" -i 127.0.0.1 -p $UAS -nostdin -trace_stat -stf "$TMPD/uas.csv" -fd 1 \
	-trace_err -error_file "$TMPD/uas_err.log"
start_bg "$TMPD/x.log" "$BUILD/tandemd" -c "$TMPD/x.cfg"
td_x=$BG_PID
start_bg "$TMPD/y1.log" "$BUILD/tandemd" -c "$TMPD/y.cfg"
td_y=$BG_PID
mkfifo "$TMPD/sw.in"
exec 4<>"$TMPD/sw.in"
start_bg "$TMPD/sw.out" "$BUILD/peers/isup-switch" --asp-sctp "127.0.0.1:$STP" \
	--asp-local 127.0.0.4 --variant itu --opc 1 --dpc 2 --dpc-cics 3:33-63 --rc 10 \
	--cics 1-63 --timeout 590 --auto-answer --script "$TMPD/sw.in"
sw=$BG_PID
sw() { printf '%s\n' "$@" >&4; }
wait_tcp $VTYX 150 && wait_tcp $VTYY 150 || {
	fail "it:$N:tandemd-start"
	tail -n 20 "$TMPD/x.log" "$TMPD/y1.log"
	exit 1
}
asp_is() { vq_has "$1" "asp a1: $2" "show m3ua"; }
stp_show() { vq $STPVTY "show cs7 instance 0 asp" "show cs7 instance 0 as all" 2>/dev/null; }
stp_has() { stp_show && [[ $VQ =~ $'\n'$1 ]]; }
stp_row() { stp_show && [[ $VQ =~ $'\n'$1\ [^$'\n']*$2 ]]; } # NAME ERE: on NAME's line
avail() { vq_has "$1" "linkset ls: asp a1, available" "show isup linksets"; }
idle() { vq_has "$1" "linkset ls .*: 31 circuits: 31 idle" "show isup circuits"; }
# calls in/out of a tandemd's linkset -> $CIN
calls_in_once() {
	local LC_ALL=C # the telnet negotiation bytes are no UTF-8
	CIN=-1
	vq "$1" "show isup linksets" 2>/dev/null && [[ $VQ =~ calls\ in\ ([0-9]+)\ out ]] && CIN=${BASH_REMATCH[1]}
}
calls_in() { until_ok 100 calls_in_once "$1"; }
# count_ev ERE -> $CNT: lines of the switch's output matching ERE (bash only)
count_ev() {
	local l LC_ALL=C
	CNT=0
	while IFS= read -r l; do [[ $l =~ $1 ]] && CNT=$((CNT + 1)); done <"$TMPD/sw.out"
	return 0 # (the loop's status is its last test's)
}
# the switch's answered calls, per instance: ANM on CICs 1-31 (X), 33-63 (Y)
anm_split() {
	local l c LC_ALL=C
	ANX=0 ANY=0
	while IFS= read -r l; do
		[[ $l =~ ^EV\ ANM\ cic=([0-9]+)$ ]] || continue
		c=${BASH_REMATCH[1]}
		if [ "$c" -le 31 ]; then ANX=$((ANX + 1)); else ANY=$((ANY + 1)); fi
	done <"$TMPD/sw.out"
	return 0
}
ev_ge() { count_ev "$1" && [ "$CNT" -ge "$2" ]; }

sw "wait-link 120"
check "it:$N:x-active" until_ok 300 asp_is $VTYX ASP_ACTIVE
check "it:$N:y-active" until_ok 300 asp_is $VTYY ASP_ACTIVE
check "it:$N:switch-asp-active (libss7 over SCTP)" until_ok 300 file_has "$TMPD/sw.out" "^EV ASP_ACTIVE"
check "it:$N:switch-link-up" until_ok 300 file_has "$TMPD/sw.out" "^EV LINK_UP"
check "it:$N:stp-three-as-active" until_ok 300 eval 'stp_has "as-x +AS_ACTIVE" && stp_has "as-y +AS_ACTIVE" && stp_has "as-s +AS_ACTIVE"'
stp_show
printf '%s' "$VQ" | grep -E '^(asp|as)-' | sed 's/^/stp| /'
check "it:$N:x-linkset-available" until_ok 300 avail $VTYX
check "it:$N:y-linkset-available" until_ok 300 avail $VTYY
# each instance's GRS at link-up reached the switch through osmo-stp (a GRS
# sent before as-s was active is repeated on T22, 15 s)
check "it:$N:grs-from-x-at-switch" until_ok 400 file_has "$TMPD/sw.out" "^EV GRS cic=1 range=30"
check "it:$N:grs-from-y-at-switch" until_ok 400 file_has "$TMPD/sw.out" "^EV GRS cic=33 range=30"
# and their GRSs answered: the switch prints EV GRS before it sends its GRA,
# and an IAM on a circuit whose reset is pending is discarded
check "it:$N:x-resets-done" until_ok 400 isup_settled $VTYX
check "it:$N:y-resets-done" until_ok 400 isup_settled $VTYY
check "it:$N:sipp-uas-up" wait_udp $UAS 100
if [ -n "$KAM" ] && [ -f "$TMPD/k.cfg" ]; then
	start_bg "$TMPD/k.log" "$KAM" -DD -E -m 32 -M 8 -f "$TMPD/k.cfg"
	kam=$BG_PID
fi
echo "   set up after $(elapsed) s"

OFFERED=0 # IAMs the switch sent
# round XN YN: XN calls on X's CICs 1..XN, YN on Y's 33..; waits for every
# ANM; leaves them up (release_round ends them)
round_up() {
	local c cmds=()
	RX=$1 RY=$2
	count_ev "^EV ANM cic="
	A0=$CNT
	for c in $(seq 1 "$1"); do cmds+=("call $c 301$c 89555"); done
	for c in $(seq 33 $((32 + $2))); do cmds+=("call $c 301$c 89555"); done
	sw "${cmds[@]}"
	OFFERED=$((OFFERED + $1 + $2))
	until_ok 600 ev_ge "^EV ANM cic=" $((A0 + $1 + $2))
}
# release_round X|Y|XY: REL 16 from the switch on that instance's CICs of
# the round, wait for every RLC
release_round() {
	local c cmds=() n=0
	count_ev "^EV RLC cic="
	R0=$CNT
	if [[ $1 == *X* ]]; then
		for c in $(seq 1 "$RX"); do cmds+=("release $c 16"); done
		n=$((n + RX))
	fi
	if [[ $1 == *Y* ]]; then
		for c in $(seq 33 $((32 + RY))); do cmds+=("release $c 16"); done
		n=$((n + RY))
	fi
	sw "${cmds[@]}"
	until_ok 600 ev_ge "^EV RLC cic=" $((R0 + n))
}
FAILS=0
rounds() { # K XN YN: K rounds, each answered and released
	local i
	for i in $(seq 1 "$1"); do
		if ! round_up "$2" "$3"; then
			FAILS=$((FAILS + 1))
			echo "   round $i: not every call answered (ANM $CNT of $((A0 + $2 + $3))); the switch's other events:"
			grep -nE "^(EV (REL|HANGUP|UCIC|CFN|RSC|GRS|CPG|DUNA)|ERR)" "$TMPD/sw.out" | tail -n 8 | sed 's/^/   | /' 
		fi
		if ! release_round XY; then
			FAILS=$((FAILS + 1))
			echo "   round $i: not every call released (RLC $CNT of $((R0 + $2 + $3)))"
		fi
	done
}

# 1. both instances: R1 rounds of B calls each
t1=$(date +%s.%N)
rounds "$R1" "$B" "$B"
anm_split
dt=$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "   phase 1: $((R1 * 2 * B)) calls in $dt s; answered at the switch: X $ANX, Y $ANY"
check "it:$N:spread-both-answered (X $ANX, Y $ANY of $((R1 * B)) each; no failed round)" \
	test "$FAILS" = 0 -a "$ANX" = $((R1 * B)) -a "$ANY" = $((R1 * B))
calls_in $VTYX
cx1=$CIN
calls_in $VTYY
cy1=$CIN
check "it:$N:spread-counted-by-tandemd (X in $cx1, Y in $cy1)" test "$cx1" = $((R1 * B)) -a "$cy1" = $((R1 * B))

# 2. a round up on both, then Y killed with its calls up
if round_up "$B" "$B"; then
	pass "it:$N:kill-round-up (${B}+${B} calls answered)"
else
	fail "it:$N:kill-round-up (ANM $CNT of $((A0 + 2 * B)))"
fi
calls_in $VTYY
cy2=$CIN
count_ev "^EV DUNA pc=3$"
duna0=$CNT
kd0=0 ku0=0
if [ -n "$kam" ]; then
	while IFS= read -r l; do
		[[ $l == *"DSTATE down sip:127.0.0.1:$SIPY"* ]] && kd0=$((kd0 + 1))
		[[ $l == *"DSTATE up sip:127.0.0.1:$SIPY"* ]] && ku0=$((ku0 + 1))
	done <"$TMPD/k.log"
fi
kl=0
while IFS= read -r l; do kl=$((kl + 1)); done <"$TMPD/sw.out"
kill -KILL "$td_y"
wait "$td_y" 2>/dev/null
tk=$(date +%s.%N)
check "it:$N:stp-asp-y-down (association lost)" until_ok 300 stp_row asp-y ASP_DOWN
check "it:$N:stp-as-y-down" until_ok 300 stp_has "as-y +AS_(DOWN|INACTIVE|PENDING)"
# as-x stays active while Y goes: the first answer osmo-stp gives with its
# AS table must show as-x AS_ACTIVE (busy with the lost association, its VTY
# has given no answer at all for a moment: asked again, for up to 10 s)
stp_as_x() {
	stp_show && [[ $VQ =~ $'\n'as-x\ +([A-Z_]+) ]] && ASX=${BASH_REMATCH[1]}
}
ASX=none
until_ok 100 stp_as_x
check "it:$N:stp-as-x-still-active (as-x: $ASX)" test "$ASX" = AS_ACTIVE
printf '%s' "$VQ" | grep -E '^(asp|as)-(x|y)' | sed 's/^/stp| /'
[ -n "$kam" ] && check "it:$N:dispatcher-marks-y-down (OPTIONS unanswered)" \
	until_ok 150 file_has "$TMPD/k.log" "DSTATE down sip:127.0.0.1:$SIPY" $((kd0 + 1))
if release_round X; then
	pass "it:$N:x-calls-of-kill-round-released (REL -> RLC)"
else
	fail "it:$N:x-calls-of-kill-round-released (RLC $CNT of $((R0 + B)))"
fi
# what the far exchange is told: osmo-stp sends DUNA for PC 3 (RFC 4666
# 3.4.1) once as-y is down; at the switch that is MTP-PAUSE for the circuit
# group toward PC 3: it offers no more calls there (below, only X's CICs)
check "it:$N:stp-duna-pc3-to-switch (PC 3 unavailable)" until_ok 300 ev_ge "^EV DUNA pc=3$" $((duna0 + 1))
echo "   the switch's SSNM (output line: event; the kill after line $kl): $(grep -nE "^EV (DUNA|DAVA)" "$TMPD/sw.out" | tr '\n' ' ')"
count_ev "^EV DAVA pc=3$"
dava0=$CNT

# 3. after the kill: only X's circuit group (the switch's route to PC 3 is
# out of use); every call must succeed
FAILS=0
count_ev "^EV ANM cic="
a2=$CNT
rounds "$R2" $((2 * B > 31 ? 31 : 2 * B)) 0
count_ev "^EV ANM cic="
n2=$((R2 * (2 * B > 31 ? 31 : 2 * B)))
check "it:$N:after-kill-all-on-x-answered ($((CNT - a2)) of $n2, no failure)" test "$FAILS" = 0 -a $((CNT - a2)) = "$n2"

# 4. Y restarted: ASP active, its GRS at link-up clears at the switch the
# CICs whose calls died with it, then it takes calls again
count_ev "^EV GRS cic=33 range=30"
g0=$CNT
# a tandemd killed hard can leave its UDP ports bound a while (lib.sh)
check "it:$N:y-ports-free" wait_udp_free $SIPY 26072
start_bg "$TMPD/y2.log" "$BUILD/tandemd" -c "$TMPD/y.cfg"
td_y=$BG_PID
check "it:$N:y-restarted-active" until_ok 300 eval "wait_tcp $VTYY 10 && asp_is $VTYY ASP_ACTIVE"
check "it:$N:stp-as-y-active-again" until_ok 300 stp_has "as-y +AS_ACTIVE"
check "it:$N:y-grs-clears-switch-cics (GRS 33+30 -> GRA)" until_ok 400 ev_ge "^EV GRS cic=33 range=30" $((g0 + 1))
check "it:$N:y-resets-done-again" until_ok 400 isup_settled $VTYY
check "it:$N:y-available-again" until_ok 300 avail $VTYY
check "it:$N:stp-dava-pc3-to-switch (PC 3 available again)" until_ok 300 ev_ge "^EV DAVA pc=3$" $((dava0 + 1))
tr=$(awk -v a="$tk" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "   Y back and reset $tr s after the kill"
[ -n "$kam" ] && check "it:$N:dispatcher-marks-y-up-again" \
	until_ok 150 file_has "$TMPD/k.log" "DSTATE up sip:127.0.0.1:$SIPY" $((ku0 + 1))
FAILS=0
anm_split
ax3=$ANX ay3=$ANY
rounds "$R3" "$B" "$B"
anm_split
check "it:$N:after-restart-both-answered (X $((ANX - ax3)), Y $((ANY - ay3)) of $((R3 * B)) each)" \
	test "$FAILS" = 0 -a $((ANX - ax3)) = $((R3 * B)) -a $((ANY - ay3)) = $((R3 * B))
calls_in $VTYY
cy3=$CIN
check "it:$N:y-restarted-counts-its-calls (in $cy3)" test "$cy3" = $((R3 * B))

# 5. SIP -> ISUP through Kamailio's dispatcher: sipp calls the proxy, which
# spreads them over X and Y; each sends its IAM through osmo-stp to PC 1,
# where the switch answers (ACM, ANM) and clears on REL (RLC)
NS=${CALLS_SIP:-20}
if [ -n "$kam" ] && kill -0 "$kam" 2>/dev/null; then
	count_ev "^EV IAM cic="
	i0=$CNT
	timeout 120 sipp -sf "$TOP/tests/bench/cps/uac.xml" -s 4930123456 "127.0.0.1:$KPORT" \
		-i 127.0.0.1 -p $UAC -r 10 -m "$NS" -d 1000 -nostdin -trace_stat -stf "$TMPD/uac.csv" \
		>"$TMPD/uac.out" 2>&1
	uok=$(stat_col "$TMPD/uac.csv" "SuccessfulCall(C)")
	ubad=$(stat_col "$TMPD/uac.csv" "FailedCall(C)")
	dx=0 dy=0
	while IFS= read -r l; do
		[[ $l == *"DISPATCH "*" to sip:127.0.0.1:$SIPX"* ]] && dx=$((dx + 1))
		[[ $l == *"DISPATCH "*" to sip:127.0.0.1:$SIPY"* ]] && dy=$((dy + 1))
	done <"$TMPD/k.log"
	count_ev "^EV IAM cic="
	echo "   SIP -> ISUP via the dispatcher: $uok answered, $ubad failed; to X $dx, to Y $dy; IAMs at the switch $((CNT - i0))"
	check "it:$N:sip-to-isup-via-dispatcher-answered ($uok of $NS)" test "$uok" = "$NS" -a "$ubad" = 0
	check "it:$N:sip-to-isup-spread (X $dx, Y $dy)" test "$dx" -gt 0 -a "$dy" -gt 0 -a $((dx + dy)) = "$NS"
	check "it:$N:sip-to-isup-iams-at-switch ($((CNT - i0)))" test $((CNT - i0)) = "$NS"
else
	skip "it:$N:sip-to-isup: kamailio with its dispatcher module not installed or not running"
fi

# the end: no circuit busy on either instance; the totals
check "it:$N:x-all-idle" until_ok 200 idle $VTYX
check "it:$N:y-all-idle" until_ok 200 idle $VTYY
calls_in $VTYX
cxe=$CIN
anm_split
count_ev "^EV RLC cic="
rlc=$CNT
echo "   calls offered by the switch: $OFFERED; answered: X $ANX, Y $ANY; RLC $rlc"
echo "   per tandemd: X took $cxe calls; Y $cy2 before the kill (of them $B lost with it), $cy3 after its restart"
check "it:$N:total-answered ($((ANX + ANY)) of $OFFERED)" test $((ANX + ANY)) = "$OFFERED"
check "it:$N:x-counts-every-call-it-took (in $cxe)" test "$cxe" = $(((R1 + 1 + R3) * B + R2 * (2 * B > 31 ? 31 : 2 * B)))
check "it:$N:y-counted-its-calls-before-the-kill (in $cy2)" test "$cy2" = $(((R1 + 1) * B))
# the SIP side: every call got its BYE but the B that died with Y (nothing
# is left to send it: the SIP peer's session timer or media timeout ends them)
sip_side() {
	sok=$(stat_col "$TMPD/uas.csv" "SuccessfulCall(C)")
	sbad=$(stat_col "$TMPD/uas.csv" "FailedCall(C)")
	scur=$(stat_col "$TMPD/uas.csv" "CurrentCall")
	[ "$sok" = $((OFFERED - B)) ] && [ "$sbad" = 0 ] && [ "$scur" = "$B" ]
}
until_ok 100 sip_side
echo "   sipp UAS: $sok calls ended by BYE, $sbad failed, $scur still open"
check "it:$N:sip-side-bye-for-all-but-ys-lost-calls ($sok ended, $sbad failed, $scur open)" sip_side
[ "$sbad" = 0 ] || head -c 1500 "$TMPD/uas_err.log" 2>/dev/null | sed 's/^/   uas err| /' 
echo "== took $(elapsed) s"
sw quit
if [ -n "${FAILED:-}" ]; then
	for f in stp x y1 y2 k; do
		echo "== $f.log (tail)"
		tail -n 15 "$TMPD/$f.log" 2>/dev/null
	done
	echo "== isup-switch (tail)"
	grep -v '^EV \(ACM\|ANM\|RLC\|RX\|CPG\)' "$TMPD/sw.out" | tail -n 25
fi
exit ${FAILED:-0}
