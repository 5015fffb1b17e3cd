#!/bin/bash
# tandem against osmo-stp (the Osmocom STP: libosmo-sigtran, an M3UA
# implementation that is not ours) over kernel SCTP. Two tandemd ASPs sit
# behind osmo-stp as two point codes, each in its own AS and routing context:
#
#   tandemd A (PC 2, RC 7, 127.0.0.1) --SCTP-- osmo-stp (PC 9) --SCTP-- tandemd B
#                                                 (PC 1, RC 8, from 127.0.0.3)
#
# so every ISUP message one sends to the other is M3UA DATA routed by
# osmo-stp. Checked on each hop's own counters and in a capture decoded by
# tshark: ASPUP/ASPAC to ASP_ACTIVE on both, BEAT answered, DATA both ways
# (GRS at link-up from each side, answered by GRA; RSC -> RLC), the RC of
# each AS in its DATA, ASPIA and ASPAC again from the VTY, osmo-stp killed
# (MTP pause: both linksets unavailable), reconnection with back-off once
# it is back, GRS after resume and no CIC left busy, ASPDN at the end;
# every SCTP DATA chunk has PPID 3 and decodes as M3UA without error, and
# tandem's DATA go on stream 1 + SLS mod 16.
# needs: kernel-sctp (make check runs it through tests/vm/sctp-tests.sh)
source "$(dirname "$0")/../lib.sh"
if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
	skip "it:osmo-stp: the kernel has no SCTP (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails)"
	exit 0
fi
command -v osmo-stp >/dev/null || {
	skip "it:osmo-stp: osmo-stp not installed (Debian package osmo-stp)"
	exit 0
}
STP=25880 STPVTY=4239 VTYA=25860 VTYB=25870
cd "$TMPD" || exit 1
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
pass() { echo "PASS $* [$(elapsed) s]"; }
fail() {
	echo "FAIL $* [$(elapsed) s]"
	FAILED=1
}

# tshark takes 10-15 s to start under TCG: first, in parallel with the rest
cap=""
if command -v tshark >/dev/null; then
	start_bg "$TMPD/cap.log" tshark -i lo -f "sctp port $STP" -w "$TMPD/stp.pcap"
	cap=$BG_PID
fi

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
 asp asp-a 0 $STP m3ua
  remote-ip 127.0.0.1
  role sg
  sctp-role server
 asp asp-b 0 $STP m3ua
  remote-ip 127.0.0.3
  role sg
  sctp-role server
 as as-a m3ua
  asp asp-a
  routing-key 7 0.0.2
  traffic-mode override
 as as-b m3ua
  asp asp-b
  routing-key 8 0.0.1
  traffic-mode override
 route-table system
  update route 0.0.2 7.255.7 linkset as-a
  update route 0.0.1 7.255.7 linkset as-b
 listen m3ua $STP
  local-ip 127.0.0.1
  accept-asp-connections pre-configured
CFG

# tandem_cfg VTY LOCALIP RC LPC RPC SPANL SPANR SIP RTP0 TRUNKPORT
tandem_cfg() {
	cat <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all info
line vty
 bind 127.0.0.1 $1
sigtran
 asp a1
  remote 127.0.0.1 $STP
  sctp-address local $2
  transport sctp
  routing-context $3
  timer ack 500
  timer beat 1000
isup
 linkset ls
  asp a1
  variant itu
  point-code local $4 remote $5
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $8
 trunk far
  remote 127.0.0.1 ${10}
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via far
 route to-isup default via ls
media
 rtp-port-range $9 $(($9 + 19))
 span 0 e1 local 127.0.0.1 $6 remote 127.0.0.1 $7 frames 8
CFG
}
SIPA=25864 UAC=25866 UAC2=25867 UAS=25876
tandem_cfg $VTYA 127.0.0.1 7 2 1 25862 25863 $SIPA 25900 25865 >"$TMPD/a.cfg"
tandem_cfg $VTYB 127.0.0.3 8 1 2 25872 25873 25874 25920 $UAS >"$TMPD/b.cfg"

stp_up() { # start osmo-stp, wait for its SCTP listener (poll the process too)
	start_bg "$TMPD/stp$1.log" osmo-stp -c "$TMPD/stp.cfg"
	stp=$BG_PID
	for _ in $(seq 1 150); do
		kill -0 "$stp" 2>/dev/null || return 1
		awk -v p="$STP" 'NR > 1 && $6 == p { f = 1 } END { exit !f }' /proc/net/sctp/eps 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
source "$(dirname "$0")/../vty_bash.sh"
# wait_in FILE ERE TENTHS [N]: until file_has, on the wall clock
wait_in() { until_ok "$3" file_has "$1" "$2" "${4:-1}"; }
[ -n "$cap" ] && wait_in "$TMPD/cap.log" "Capturing on" 300
if ! stp_up 1; then
	fail "it:osmo-stp:start (osmo-stp did not listen on SCTP $STP)"
	cat "$TMPD/stp1.log"
	exit 1
fi
start_bg "$TMPD/a.log" "$BUILD/tandemd" -c "$TMPD/a.cfg"
start_bg "$TMPD/b.log" "$BUILD/tandemd" -c "$TMPD/b.cfg"
tdb=$BG_PID
wait_tcp $VTYA 100 && wait_tcp $VTYB 100 || {
	fail "it:osmo-stp:tandemd-start"
	tail -n 20 "$TMPD/a.log" "$TMPD/b.log"
	exit 1
}
asp_is() { vq_has "$1" "asp a1: $2" "show m3ua"; }
wait_asp() { until_ok "${3:-200}" asp_is "$1" "$2"; }
# a linkset counter: PORT rx|tx -> GRS count in $GRS
grs() {
	GRS=-1
	vq "$1" "show isup linksets" 2>/dev/null &&
		[[ $VQ =~ $2\ IAM\ [0-9]+\ REL\ [0-9]+\ GRS\ ([0-9]+) ]] && GRS=${BASH_REMATCH[1]}
}
grs_ge() { grs "$1" "$2" && [ "$GRS" -ge "$3" ]; }
wait_grs() { until_ok 150 grs_ge "$@"; }
all_idle() { vq_has "$1" "linkset ls .*: 31 circuits: 31 idle" "show isup circuits"; }
unavailable() { vq_has "$1" "linkset ls: asp a1, unavailable;" "show isup linksets"; }
show() { # PORT TAG
	vq "$1" "show m3ua" "show isup linksets" 2>/dev/null
	printf '%s' "$VQ" | grep -E '^(as|asp|  |linkset)' | sed "s/^/$2| /"
}

check "it:osmo-stp:a-asp-active (ASPUP, ASPAC over SCTP)" wait_asp $VTYA ASP_ACTIVE
check "it:osmo-stp:b-asp-active" wait_asp $VTYB ASP_ACTIVE
stp_asp() { vq_has $STPVTY "$1 .*$2" "show cs7 instance 0 asp"; }
check "it:osmo-stp:stp-sees-a-active" until_ok 100 stp_asp asp-a ASP_ACTIVE
check "it:osmo-stp:stp-sees-b-active" until_ok 100 stp_asp asp-b ASP_ACTIVE
echo "== after $(elapsed) s:"
show $VTYA A
show $VTYB B
vq $STPVTY "show cs7 instance 0 asp" "show cs7 instance 0 as all" && printf '%s' "$VQ" | grep -E '^(asp|as)-' | sed 's/^/stp| /'

# DATA both ways through osmo-stp: each side's GRS at link-up reaches the
# other. osmo-stp 1.6 sends no DUNA/DAVA: a GRS sent before the other ASP was
# active at the STP is dropped there and repeated on T22 (15 s), so the bound
# is T22 after both are active plus TCG's slack (CI failed once at 16 s)
check "it:osmo-stp:data-a->b (GRS from A received by B)" until_ok 400 grs_ge $VTYB rx 1
check "it:osmo-stp:data-b->a (GRS from B received by A)" until_ok 400 grs_ge $VTYA rx 1
vq_check "it:osmo-stp:a-rx-data-counted" $VTYA "asp a1: .* rx DATA [1-9]" "show m3ua"
vq_check "it:osmo-stp:routing-context-a (7)" $VTYA "  target .*routing context 7;" "show m3ua"
vq_check "it:osmo-stp:routing-context-b (8)" $VTYB "  target .*routing context 8;" "show m3ua"
# RSC from A's VTY for CIC 5 -> B answers RLC; the circuit idles on both.
# First A's own GRS answered: B's GRS reaching A leaves A's circuits idle
# while A's GRS may still wait for its GRA (a GRS sent while osmo-stp had no
# active ASP for the other point code is dropped there and repeated after
# T22, 15 s), and an RSC asked then is refused
check "it:osmo-stp:a-resets-done (A: procedures pending RSC 0, GRS 0)" until_ok 400 isup_settled $VTYA
# and B's: a GRS of B's repeated on T22 would end A's RSC below on its own
check "it:osmo-stp:b-resets-done" until_ok 400 isup_settled $VTYB
vq_do it:osmo-stp:a-vty-rsc $VTYA enable "isup reset ls 5"
# the RLC ends A's RSC procedure (the circuit shows idle from the asking on)
check "it:osmo-stp:rsc-rlc (A's RSC answered, CIC 5 idle on both)" \
	until_ok 300 eval "isup_settled $VTYA && all_idle $VTYA && all_idle $VTYB"

# a call through osmo-stp: sipp -> A (SIP -> ISUP) -> IAM over M3UA via
# osmo-stp -> B (ISUP -> SIP) -> sipp, answered, hung up by the caller
uac2=""
if command -v sipp >/dev/null; then
	SIPP=$TOP/tests/integration/sipp
	start_bg "$TMPD/uas.out" timeout 300 sipp -sn uas -i 127.0.0.1 -p $UAS -m 2 -nostdin \
		-trace_msg -message_file "$TMPD/uas.msg"
	start_bg "$TMPD/uac.out" timeout 120 sipp -sn uac "127.0.0.1:$SIPA" -i 127.0.0.1 -p $UAC \
		-s +4989123456 -m 1 -d 1000 -nostdin
	uac=$BG_PID
	wait "$uac"
	check "it:osmo-stp:call-through-stp (sipp -> A -> ISUP via osmo-stp -> B -> sipp, exit 0)" test $? -eq 0
	vq_check "it:osmo-stp:call-counted-a-out" $VTYA "linkset ls: .*calls in 0 out 1," "show isup linksets"
	vq_check "it:osmo-stp:call-counted-b-in" $VTYB "linkset ls: .*calls in 1 out 0," "show isup linksets"
	vq_check "it:osmo-stp:call-iam-rel-counted-b" $VTYB "linkset ls: .*rx IAM 1 REL 1 " "show isup linksets"
	# a second call stays up across the restart of osmo-stp below
	start_bg "$TMPD/uac2.out" timeout 300 sipp -sf "$SIPP/uac_wait_bye.xml" "127.0.0.1:$SIPA" \
		-i 127.0.0.1 -p $UAC2 -s +4989123457 -m 1 -nostdin -trace_msg -message_file "$TMPD/uac2.msg"
	uac2=$BG_PID
	check "it:osmo-stp:second-call-answered" wait_in "$TMPD/uac2.msg" "SIP/2.0 200 OK" 300
else
	skip "it:osmo-stp:call: sipp not installed"
fi

# ASPIA then ASPAC again from A's VTY (RFC 4666 4.3.4.4, 4.3.4.3)
vq_do it:osmo-stp:a-vty-inactive $VTYA enable "m3ua asp a1 inactive"
check "it:osmo-stp:aspia (A inactive)" wait_asp $VTYA ASP_INACTIVE 100
check "it:osmo-stp:aspia-seen-by-stp" until_ok 100 stp_asp asp-a ASP_INACTIVE
vq_do it:osmo-stp:a-vty-active $VTYA enable "m3ua asp a1 active"
check "it:osmo-stp:aspac-again" wait_asp $VTYA ASP_ACTIVE 100

# osmo-stp dies: both associations are lost -> MTP pause on both linksets
grs $VTYA tx
txa=$GRS
grs $VTYB tx
txb=$GRS
kill -TERM "$stp"
wait "$stp" 2>/dev/null
check "it:osmo-stp:stp-lost->a-linkset-unavailable (MTP pause)" until_ok 100 unavailable $VTYA
check "it:osmo-stp:stp-lost->b-linkset-unavailable (MTP pause)" until_ok 100 unavailable $VTYB
sleep 3
check "it:osmo-stp:reconnect-backoff (retries spaced out, logged)" \
	grep -qE "retry in [0-9]+ ms" "$TMPD/a.log"
if stp_up 2; then
	check "it:osmo-stp:a-active-after-restart" wait_asp $VTYA ASP_ACTIVE 300
	check "it:osmo-stp:b-active-after-restart" wait_asp $VTYB ASP_ACTIVE 300
	check "it:osmo-stp:grs-after-resume-a" wait_grs $VTYA tx $((txa + 1))
	check "it:osmo-stp:grs-after-resume-b" wait_grs $VTYB tx $((txb + 1))
	sleep 1
	if [ -n "$uac2" ]; then
		wait "$uac2"
		check "it:osmo-stp:call-released-after-resume (caller got BYE, exit 0)" test $? -eq 0
		check "it:osmo-stp:release-has-reason (caller's BYE: Reason Q.850)" \
			grep -q "^Reason: Q.850;cause=" "$TMPD/uac2.msg"
		check "it:osmo-stp:release-reaches-far-side (B's BYE to its sipp)" \
			wait_in "$TMPD/uas.msg" "^BYE sip:" 100 2
		grep -h "^Reason:" "$TMPD/uac2.msg" "$TMPD/uas.msg" | sed 's/^/   /'
	fi
	# (a GRS that crossed the other side's coming up is repeated after T22)
	check "it:osmo-stp:no-cic-busy-after-resume" until_ok 600 eval "all_idle $VTYA && all_idle $VTYB"
else
	fail "it:osmo-stp:restart (osmo-stp did not come back)"
fi

# The libss7 switch as point code 1 instead of tandem B: B leaves (ASPDN),
# isup-switch joins osmo-stp as an ASP over SCTP from 127.0.0.3 with RC 8;
# a call each way between libss7 and tandem A through osmo-stp.
if [ -x "$BUILD/peers/isup-switch" ] && command -v sipp >/dev/null; then
	kill -TERM "$tdb"
	wait "$tdb" 2>/dev/null
	# (osmo-stp notices on the SCTP SHUTDOWN; under TCG on a loaded CI
	# machine that took over 10 s once)
	if until_ok 300 stp_asp asp-b ASP_DOWN; then
		pass "it:osmo-stp:b-left (osmo-stp: asp-b down)"
	else
		fail "it:osmo-stp:b-left (osmo-stp: asp-b down)"
		printf '%s' "$VQ" | grep -E '^(asp|as)-' | sed 's/^/   stp| /'
		tail -n 5 "$TMPD/b.log" | sed 's/^/   B| /'
	fi
	check "it:osmo-stp:a-paused-while-pc1-gone" until_ok 100 unavailable $VTYA
	grs $VTYA tx
	txa=$GRS
	mkfifo "$TMPD/sw.in"
	exec 4<>"$TMPD/sw.in"
	start_bg "$TMPD/sw.out" "$BUILD/peers/isup-switch" --asp-sctp "127.0.0.1:$STP" \
		--asp-local 127.0.0.3 --variant itu --opc 1 --dpc 2 --rc 8 --cics 1-31 --timeout 240 \
		--script "$TMPD/sw.in"
	sw() { sw_to 4 "$@"; }
	sw "wait-link 60"
	check "it:osmo-stp:libss7-asp-active (ASPUP/ASPAC over SCTP)" wait_in "$TMPD/sw.out" "EV ASP_ACTIVE" 300
	check "it:osmo-stp:libss7-link-up" wait_in "$TMPD/sw.out" "EV LINK_UP" 300
	check "it:osmo-stp:libss7-gets-grs-from-tandem (via osmo-stp)" \
		wait_in "$TMPD/sw.out" "EV GRS cic=1 range=30" 300
	check "it:osmo-stp:a-resumed-for-libss7" wait_grs $VTYA tx $((txa + 1))
	# ISUP -> SIP: libss7 calls, tandem A sends it to sipp, libss7 releases
	start_bg "$TMPD/uas-sw.out" timeout 120 sipp -sn uas -i 127.0.0.1 -p 25865 -m 2 -nostdin
	sw "call 3 30123456 89555"
	check "it:osmo-stp:libss7-iam->acm" wait_in "$TMPD/sw.out" "EV ACM cic=3( |$)" 300
	check "it:osmo-stp:libss7-iam->anm" wait_in "$TMPD/sw.out" "EV ANM cic=3( |$)" 300
	sw "release 3 16"
	check "it:osmo-stp:libss7-rel->rlc" wait_in "$TMPD/sw.out" "EV RLC cic=3( |$)" 300
	# SIP -> ISUP: sipp calls tandem A, libss7 rings and answers (the moment
	# the IAM comes, not after this script saw it), sipp hangs up
	answer_on_iam 89123456
	start_bg "$TMPD/uac-sw.out" timeout 120 sipp -sn uac "127.0.0.1:$SIPA" -i 127.0.0.1 -p $UAC \
		-s +4989123456 -m 1 -d 1000 -nostdin
	uacsw=$BG_PID
	check "it:osmo-stp:tandem-iam->libss7" wait_in "$TMPD/sw.out" "EV IAM cic=[0-9]+ called=89123456 " 300
	cic=$(sed -n 's/^EV IAM cic=\([0-9]*\) called=89123456 .*/\1/p' "$TMPD/sw.out" | head -1)
	check "it:osmo-stp:bye->rel-16-at-libss7" wait_in "$TMPD/sw.out" "EV REL cic=${cic:-0} cause=16" 300
	wait "$uacsw"
	check "it:osmo-stp:sip-caller-complete (sipp exit 0)" test $? -eq 0
	sw "quit"
	[ -n "${FAILED:-}" ] && { echo "== isup-switch (tail)"; tail -n 30 "$TMPD/sw.out"; }
else
	skip "it:osmo-stp:libss7: isup-switch not built or sipp missing"
fi

# ASPDN at the end (4.3.4.2): tandemd leaves cleanly on SIGTERM
vq_do it:osmo-stp:a-vty-down $VTYA enable "m3ua asp a1 down"
check "it:osmo-stp:aspdn (A down)" wait_asp $VTYA ASP_DOWN 100
echo "== after $(elapsed) s:"
show $VTYA A
show $VTYB B

# the capture: every DATA chunk PPID 3, every M3UA PDU decoded without error
if [ -n "$cap" ]; then
	sleep 1
	kill -TERM "$cap"
	wait "$cap" 2>/dev/null
	# one pass (tshark starts slowly under TCG), tab-separated fields; a
	# packet bundling several chunks gives comma-separated lists
	timeout 300 tshark -r "$TMPD/stp.pcap" -o sctp.checksum:none -o sctp.tsn_analysis:TRUE -T fields -E separator=/t \
		-e frame.number -e sctp.srcport -e sctp.dstport -e sctp.data_sid \
		-e sctp.data_payload_proto_id -e m3ua.message_class -e m3ua.message_type -e mtp3.sls \
		-e _ws.expert.severity -e sctp.retransmission -e sctp.duplicate \
		>"$TMPD/pdus.txt" 2>"$TMPD/tshark-r.err"
	n=$(awk -F'\t' '$4 != ""' "$TMPD/pdus.txt" | wc -l)
	echo "== capture: $n SCTP packets with DATA chunks; M3UA class/type counts:"
	awk -F'\t' '$4 != "" { k = split($6, c, ","); split($7, t, ",")
		for (i = 1; i <= k; i++) print c[i] "/" t[i] }' "$TMPD/pdus.txt" | sort | uniq -c | tr '\n' ' '
	echo
	check "it:osmo-stp:capture-has-data ($n packets)" test "$n" -ge 20
	check "it:osmo-stp:capture-ppid-3 (every DATA chunk)" awk -F'\t' '$4 != "" {
		n = split($5, p, ","); for (i = 1; i <= n; i++) if (p[i] != 3) exit 1 }' "$TMPD/pdus.txt"
	# a chunk SCTP sent again (a retransmission, or a fragment seen
	# before: the VM under load delays SACKs) is not dissected again by
	# tshark; its payload was decoded where it first went
	undecoded() { awk -F'\t' '$4 != "" {
		nd = split($4, d, ","); nc = split($6, c, ","); nr = split($10, r, ",") + split($11, u, ",")
		if (nc != split($7, t, ",") || nc > nd || nc + nr < nd) print }' "$TMPD/pdus.txt"; }
	resent=$(awk -F'\t' '$10 != "" || $11 != ""' "$TMPD/pdus.txt" | wc -l)
	if [ -z "$(undecoded)" ]; then
		pass "it:osmo-stp:capture-all-decoded (one M3UA message per DATA chunk; $resent packets with a chunk sent again)"
	else
		fail "it:osmo-stp:capture-all-decoded (one M3UA message per DATA chunk): frames with a chunk tshark did not decode as M3UA:"
		undecoded | head -5 | sed 's/^/   | /'
	fi
	bad=$(awk -F'\t' '{ n = split($9, v, ","); for (i = 1; i <= n; i++)
		if (v[i] + 0 >= 8388608 || v[i] ~ /^[Ee]rror/) { print $1; break } }' "$TMPD/pdus.txt" | wc -l)
	check "it:osmo-stp:capture-no-error (expert errors, malformed: $bad)" test "$bad" = 0
	# ASPSM/ASPTM: ASPUP(3/1) ASPAC(4/1) BEAT(3/3) BEAT ACK(3/6) ASPIA(4/2) ASPDN(3/2)
	for ct in "3 1 ASPUP" "4 1 ASPAC" "3 3 BEAT" "3 6 BEAT-ACK" "4 2 ASPIA" "3 2 ASPDN" "1 1 DATA"; do
		set -- $ct
		check "it:osmo-stp:capture-has-$3" awk -F'\t' -v c="$1" -v t="$2" '{ n = split($6, cc, ",")
			split($7, tt, ","); for (i = 1; i <= n; i++) if (cc[i] == c && tt[i] == t) f = 1 }
			END { exit !f }' "$TMPD/pdus.txt"
	done
	# tandem's DATA (toward osmo-stp's port) on stream 1 + SLS mod 16
	check "it:osmo-stp:capture-data-stream-by-sls" awk -F'\t' -v port=$STP '
		$3 == port { n = split($6, c, ","); split($7, t, ","); split($4, d, ","); split($8, l, ",")
			j = 0
			for (i = 1; i <= n; i++) if (c[i] == 1 && t[i] == 1) {
				j++; seen++; if (d[i] != 1 + l[j] % 16) bad++ } }
		END { exit !(seen > 0 && bad == 0) }' "$TMPD/pdus.txt"
else
	skip "it:osmo-stp:capture: tshark not installed"
fi
echo "== took $(elapsed) s"
if [ -n "${FAILED:-}" ]; then
	for f in stp1 stp2 a b; do
		echo "== $f.log (tail)"
		tail -n 25 "$TMPD/$f.log" 2>/dev/null
	done
fi
exit ${FAILED:-0}
