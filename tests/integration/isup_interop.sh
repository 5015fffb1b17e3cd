#!/bin/bash
# ISUP interop against an independent implementation: the libss7 switch of
# tests/peers/isup-switch, reached over M3UA (TCP), for ITU and ANSI. The
# switch is driven line by line through a FIFO; what it reports is read
# back from its output. Calls toward SIP end at sipp (answering UAS); calls
# from SIP start at sipp (UAC).
#
# Q.764 procedures covered: circuit group reset at link-up (2.9.3.1),
# incoming call with ACM/ANM and release from the switch (2.1, 2.3),
# outgoing call (from SIP) with ACM/ANM/REL from us, release causes both
# ways, BLO/UBL both ways (2.8.2), CGB/CGU (2.8.2), RSC (2.9.3.1), CQM
# (2.13? circuit query), UCIC for a CIC we do not have (2.12), GRS from the
# switch; for ITU (procedures_itu) also CPG, INR/INF, CON, SUS/RES with T6,
# CFN, T1/T5 against a silent switch, overlap (IAM without ST + SAM), the
# continuity check (COT passed / failed) and dual seizure.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:isup-interop: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:isup-interop: sipp is not installed"; exit 0; }
cd "$TMPD" || exit 1
# a switch that is gone (its --timeout, a crash) makes the checks fail, not
# the script die on a write to its FIFO
trap '' PIPE

# sip_call CALLED HOLD_MS: a call from sipp toward ISUP; waits for the IAM
# and sets CIC (0 when none came); sipp's messages in $TMPD/uac-CALLED.msg
sip_call() {
	local called=$1 hold=$2
	start_bg "$TMPD/uac-$called.out" timeout 30 sipp -sn uac "127.0.0.1:$sip" -i 127.0.0.1 \
		-p "$uac" -s "+49$called" -m 1 -d "$hold" -nostdin -trace_msg \
		-message_file "$TMPD/uac-$called.msg"
	UACPID=$BG_PID
	wait_ev "$out" "EV (IAM|RX) cic=[0-9]+ (called=$called |type=1 muted)" 50
	CIC=$(sed -n "s/^EV IAM cic=\([0-9]*\) called=$called .*/\1/p" "$out" | tail -n 1)
	CIC=${CIC:-0}
}

# The call procedures of Q.764 beyond set-up and release, with libss7 on the
# other side (ITU): CPG, INR/INF, CON, SUS/RES and T6, CFN, T1/T5 (a switch
# that does not answer REL), overlap (IAM without ST, then SAM) and dual
# seizure. libss7 sends CPG, CON, SUS, RES and INR itself; what it cannot
# send (an IAM without ST, SAM, an unknown message, a colliding IAM, REL
# for a call it does not know) the switch sends by hand ("raw"), with
# tandem's messages kept from libss7 ("mute").
procedures_itu() {
	local c n

	# ACM, then CPG alerting -> 180 (after the ACM's own 18x); INR -> INF.
	# The switch plays the whole call the moment the IAM comes (CPG and
	# ANM once the INF came), not after this script's latency: tandem's T7
	# and sipp's 30 s run meanwhile
	on_iam 89123460
	sw "ring last"
	sw "sleep 300"
	sw "inr last 0x01"
	sw "expect INF - 30"
	sw "progress last 1"
	sw "sleep 300"
	sw "answer last"
	sip_call 89123460 1500
	c=$CIC
	check "it:isup-$var:inr->inf (Q.764 2.1.6: calling party address requested)" \
		wait_ev "$out" "EV INF cic=$c( |$)" 50
	wait "$UACPID"
	check "it:isup-$var:cpg-alerting->180 (ACM's 18x, then CPG's 180)" \
		test "$(grep -cE '^SIP/2.0 18[03]' "$TMPD/uac-89123460.msg")" -ge 2 -a \
		"$(grep -E '^SIP/2.0 18[03]' "$TMPD/uac-89123460.msg" | tail -n 1 | cut -c9-11)" = 180
	check "it:isup-$var:cpg-call-complete (REL 16 after BYE)" wait_ev "$out" "EV REL cic=$c cause=16" 30

	# CON (no ACM) -> 200; SUS (network) + RES within T6: the call stays;
	# SUS without RES: REL cause 102 at T6 (Q.764 2.6.2, T6 2 s here). The
	# caller holds up to 25 s (sipp's limit is 30 s): tandem's BYE after T6
	# ends the call; with 8 s a loaded run's caller hung up first (its BYE:
	# REL 16 between SUS and RES, loaded run 7). The switch plays it all
	# the moment the IAM comes (CON; SUS, RES 0.5 s later; SUS again 3 s
	# later), not after this script saw the 200: a loaded run's script was
	# over 20 s late there (run 25: the caller's BYE came first). No REL
	# between the RES and the second SUS: the switch prints its events as
	# they come, between its commands
	on_iam 89123461
	sw "connect last"
	sw "suspend last 1"
	sw "sleep 500"
	sw "resume last 1"
	sw "sleep 3000"
	sw "suspend last 1"
	sip_call 89123461 25000
	c=$CIC
	check "it:isup-$var:con->200" wait_ev "$TMPD/uac-89123461.msg" "^SIP/2.0 200" 50
	check "it:isup-$var:sus-without-res->rel-102-at-t6" wait_ev "$out" "EV REL cic=$c cause=102" 100
	# what the switch saw from the RES to its second SUS (this call only)
	sed -n '/^CMD expect IAM - 30 called=89123461$/,$p' "$out" |
		sed -n '/^CMD resume last 1$/,/^CMD suspend last 1$/p' >"$TMPD/sus-res-$var.txt"
	check "it:isup-$var:sus-res-within-t6 (no REL for 3 s after the RES: $(grep -c '^EV REL' "$TMPD/sus-res-$var.txt") RELs)" \
		bash -c "grep -q '^CMD suspend last 1$' '$TMPD/sus-res-$var.txt' && ! grep -q '^EV REL cic=$c ' '$TMPD/sus-res-$var.txt'"
	check "it:isup-$var:sus-t6-bye-to-sip" wait_ev "$TMPD/uac-89123461.msg" "^BYE sip:" 30
	wait "$UACPID"

	# CFN: an unknown message type (0xfe) on an idle circuit -> CFN cause 97
	sw "raw 9 fe"
	check "it:isup-$var:unknown-message->cfn-97 (Q.764 2.9.5.1)" \
		wait_ev "$out" "EV CFN cic=9 cause=97" 50

	# T1/T5: the switch answers, then hears nothing from us on that CIC:
	# REL repeated every T1 (1 s), after T5 (4 s) RSC; heard again, the
	# RSC (repeated every T16) resets the circuit. The switch goes silent
	# on that CIC and answers the moment the IAM comes: the REL after the
	# caller's 300 ms must already find it muted (and T7 runs till then)
	on_iam 89123462
	sw "mute last"
	sw "ring last"
	sw "answer last"
	sip_call 89123462 300
	c=$CIC
	check "it:isup-$var:t1-rel-repeated (switch silent)" \
		wait_ev "$out" "EV RX cic=$c type=12 muted=1" 60 2
	check "it:isup-$var:t5-rsc (Q.764 2.3.1 e)" wait_ev "$out" "EV RX cic=$c type=18 muted=1" 80
	n=$(grep -c "EV RX cic=$c type=12 muted=1" "$out")
	check "it:isup-$var:t1-repeats-until-t5 ($n RELs in T5 4 s, T1 1 s)" test "$n" -ge 3 -a "$n" -le 5
	sw "unmute $c"
	check "it:isup-$var:t16-rsc-again->rlc" wait_ev "$out" "EV RSC cic=$c( |$)" 50
	wait "$UACPID"

	# overlap (ITU, "overlap yes"): IAM with 3012 and no ST, then SAM
	# 3457+ST -> one INVITE for the whole number; REL from the switch
	# clears it
	sw "mute all"
	sw "raw 25 010020010a0002000403100321"
	sw "sleep 300"
	sw "raw 25 020200048043750f"
	check "it:isup-$var:iam-without-st+sam->invite-whole-number (Q.764 2.1.2)" \
		wait_ev "$log" "INVITE sip:\+4930123457@" 50
	check "it:isup-$var:overlap-no-invite-before-st" bash -c "! grep -q 'INVITE sip:+493012@' '$log'"
	check "it:isup-$var:overlap-answered (ACM, ANM to the switch)" \
		wait_ev "$out" "EV RX cic=25 type=9 muted=1" 80
	sw "raw 25 0c0200028090"
	check "it:isup-$var:overlap-rel->rlc" wait_ev "$out" "EV RX cic=25 type=16 muted=1" 50

	# continuity check (Q.764 2.1.8): IAM with NoCI "check required on
	# this circuit": no INVITE until COT; COT passed -> INVITE; COT failed
	# -> the attempt is abandoned, no INVITE. libss7 has no sender for
	# either (no NoCI setter, no COT), so both come by hand. The switch
	# sends the COT 500 ms after the IAM itself (tandem's T8, 10 s, runs
	# meanwhile); that no INVITE came before it is read from the order of
	# tandem's log: the loop, taken off when the COT came, then the INVITE
	sw "raw 27 010420010a000200078310032143850f"
	sw "sleep 500"
	sw "raw 27 0501"
	check "it:isup-$var:iam-cot-required->loop-back" \
		wait_ev "$log" "CIC 27 \(span 0 ts 27\): looped back for the continuity check" 50
	check "it:isup-$var:cot-passed->invite" wait_ev "$log" "INVITE sip:\+4930123458@" 50
	check "it:isup-$var:iam-cot-required->no-invite-before-cot" \
		awk '/CIC 27 \(span 0 ts 27\): looped back for the continuity check/ && !l { l = NR }
			/CIC 27 \(span 0 ts 27\): continuity loop off/ && !o { o = NR }
			/INVITE sip:\+4930123458@/ && !i { i = NR }
			END { exit !(l && o && i && l < o && o < i) }' "$log"
	check "it:isup-$var:cot-passed-answered (ANM)" wait_ev "$out" "EV RX cic=27 type=9 muted=1" 80
	sw "raw 27 0c0200028090"
	check "it:isup-$var:cot-call-rel->rlc" wait_ev "$out" "EV RX cic=27 type=16 muted=1" 50
	sw "raw 29 010420010a000200078310032143950f"
	sw "sleep 300"
	sw "raw 29 0500"
	check "it:isup-$var:cot-failed->abandoned" \
		wait_ev "$log" "CIC 29: continuity check failed \(COT\): call abandoned" 50
	check "it:isup-$var:cot-failed->no-invite" bash -c "! grep -q 'INVITE sip:+4930123459@' '$log'"

	# dual seizure: our IAM, then the switch's IAM on the same CIC before
	# any backward message. tandem (PC 2) controls the even CICs and hunts
	# them first: it keeps its call and ignores the IAM (Q.764 2.10.1.4).
	# The switch (muted: no backward message) sends its IAM the moment
	# ours comes, not after this script's latency (tandem's T7 and sipp's
	# 30 s run meanwhile); no IAM of ours came muted before this one, so
	# its CIC is the first such line's (a retry on another CIC, when
	# tandem yields, may already follow it)
	sw "expect RX - 30 type=1 muted=1"
	sw "raw last 010020010a0002000403100399"
	sip_call 89123463 300
	c=$(grep "EV RX cic=[0-9]* type=1 muted=1" "$out" | head -n 1 | sed 's/.*cic=\([0-9]*\).*/\1/')
	if [ $((c % 2)) = 0 ]; then
		check "it:isup-$var:dual-seizure-even-cic-$c-ours-kept" \
			wait_ev "$log" "CIC $c: dual seizure, we control it: IAM ignored" 50
	else
		check "it:isup-$var:dual-seizure-odd-cic-$c-we-yield" \
			wait_ev "$log" "CIC $c: dual seizure, the peer controls it" 50
	fi
	check "it:isup-$var:dual-seizure-counted (show isup linksets)" \
		bash -c "$BUILD/tandem-tool vty --port $vty 'show isup linksets' | grep -q 'dual seizures 1 (lost $((c % 2)))'"
	sw "raw $c 0c0200028090"
	check "it:isup-$var:dual-seizure-rel->rlc" wait_ev "$out" "EV RX cic=$c type=16 muted=1" 50
	wait "$UACPID"
	sw "unmute all"
}

run_variant() {
	local var=$1 base=$2
	local vty=$base m3ua=$((base + 1)) sip=$((base + 2)) uas=$((base + 3)) uac=$((base + 4))
	local span_l=$((base + 5)) span_r=$((base + 6)) rtp0=$((base + 10))
	local out=$TMPD/sw-$var.out log=$TMPD/td-$var.log
	cat >"$TMPD/$var.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all info
line vty
 bind 127.0.0.1 $vty
sigtran
 asp sg1
  remote 127.0.0.1 $m3ua
  transport tcp
  routing-context 7
isup
 linkset sw1
  asp sg1
  variant $var
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
  timer T7 25
  timer T1 1
  timer T5 4
  timer T6 2
  timer T16 2
  overlap yes
sip
 listen udp 127.0.0.1 $sip
 trunk carrier
  remote 127.0.0.1 $uas
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via carrier
 route to-isup default via sw1
media
 rtp-port-range $rtp0 $((rtp0 + 39))
 span 0 e1 local 127.0.0.1 $span_l remote 127.0.0.1 $span_r frames 8
CFG
	start_bg "$TMPD/uas-$var.out" timeout $PEER_LIFE sipp -sn uas -i 127.0.0.1 -p "$uas" -nostdin
	local uas_pid=$BG_PID
	mkfifo "$TMPD/sw-$var.in"
	start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$m3ua" --variant "$var" \
		--opc 1 --dpc 2 --rc 7 --cics 1-40 --timeout $PEER_LIFE --script "$TMPD/sw-$var.in"
	local sw_pid=$BG_PID
	exec 3>"$TMPD/sw-$var.in"
	start_bg "$log" "$TANDEMD" -c "$TMPD/$var.cfg"
	local td=$BG_PID
	wait_tcp "$vty" 50 || { fail "it:isup-$var:tandemd-start"; cat "$log"; return; }

	check "it:isup-$var:per-linkset-timer (T7 25 s here, group default 20)" \
		bash -c "$BUILD/tandem-tool vty --port $vty 'show isup timers sw1' | grep -q 'T7 = 25 s' && $BUILD/tandem-tool vty --port $vty 'show timer isup' | grep -q 'T7 = 20 s'"
	sw "wait-link 10"
	check "it:isup-$var:link-up (M3UA ASP active, libss7 MTP up)" wait_ev "$out" "EV LINK_UP" 100
	check "it:isup-$var:grs-at-link-up (Q.764 2.9.3.1: GRS 1 range 30)" \
		wait_ev "$out" "EV GRS cic=1 range=30" 100
	local reset_done=""
	for _ in $(seq 1 50); do
		vty "$vty" "show isup circuits" | grep -q "0 resetting" && { reset_done=1; break; }
		sleep 0.1
	done
	check "it:isup-$var:gra-clears-reset" test -n "$reset_done"

	# ISUP -> SIP: IAM from the switch, sipp answers, the switch releases
	sw "call 3 30123456 89555"
	check "it:isup-$var:iam-in->acm" wait_ev "$out" "EV ACM cic=3( |$)" 50
	check "it:isup-$var:iam-in->anm" wait_ev "$out" "EV ANM cic=3( |$)" 50
	check "it:isup-$var:invite-e164" grep -q "INVITE sip:+4930123456@" "$log"
	sw "release 3 16"
	check "it:isup-$var:rel-in->rlc" wait_ev "$out" "EV RLC cic=3( |$)" 50

	# SIP -> ISUP: sipp calls, the switch rings and answers (the moment the
	# IAM comes: tandem's T7 runs till then), sipp hangs up
	answer_on_iam 89123456
	start_bg "$TMPD/uac-$var.out" timeout 30 sipp -sn uac "127.0.0.1:$sip" -i 127.0.0.1 \
		-p "$uac" -s +4989123456 -m 1 -d 1000 -nostdin
	local uacpid=$BG_PID
	check "it:isup-$var:invite->iam (national number)" \
		wait_ev "$out" "EV IAM cic=[0-9]+ called=89123456 " 50
	local cic
	cic=$(sed -n 's/^EV IAM cic=\([0-9]*\) called=89123456 .*/\1/p' "$out" | head -1)
	check "it:isup-$var:bye->rel-16" wait_ev "$out" "EV REL cic=${cic:-0} cause=16" 80
	wait "$uacpid"
	check "it:isup-$var:sip-call-complete (sipp uac exit 0)" test $? -eq 0

	# release cause from the switch toward a SIP caller: REL 17 -> 486,
	# sent the moment the IAM comes
	on_iam 89123457
	sw "release last 17"
	start_bg "$TMPD/uac2-$var.out" timeout 30 sipp -sn uac "127.0.0.1:$sip" -i 127.0.0.1 \
		-p "$uac" -s +4989123457 -m 1 -nostdin -trace_msg -message_file "$TMPD/uac2-$var.msg"
	uacpid=$BG_PID
	wait "$uacpid"
	check "it:isup-$var:rel-17->486-with-reason" \
		grep -q "Reason: Q.850;cause=17" "$TMPD/uac2-$var.msg"
	check "it:isup-$var:rel-17->486" grep -q "SIP/2.0 486" "$TMPD/uac2-$var.msg"

	[ "$var" = itu ] && procedures_itu

	# maintenance from the switch
	sw "blo 5"
	check "it:isup-$var:blo->bla" wait_ev "$out" "EV BLA cic=5( |$)" 50
	check "it:isup-$var:remotely-blocked-shown" \
		bash -c "$BUILD/tandem-tool vty --port $vty 'show isup circuits' | grep -q 'CIC 5 .*remote-blocked'"
	sw "ubl 5"
	check "it:isup-$var:ubl->uba" wait_ev "$out" "EV UBA cic=5( |$)" 50
	sw "cgb 10 2"
	check "it:isup-$var:cgb->cgba" wait_ev "$out" "EV CGBA cic=10 range=2" 50
	sw "cgu 10 2"
	check "it:isup-$var:cgu->cgua" wait_ev "$out" "EV CGUA cic=10 range=2" 50
	sw "rsc 7"
	check "it:isup-$var:rsc->rlc" wait_ev "$out" "EV RLC cic=7( |$)" 50
	sw "grs 20 3"
	check "it:isup-$var:grs->gra" wait_ev "$out" "EV GRA cic=20 range=3" 50
	sw "cqm 1 2"
	check "it:isup-$var:cqm->cqr" wait_ev "$out" "EV CQR cic=1 range=2" 50
	sw "call 35 30111 -"
	check "it:isup-$var:unequipped-cic->ucic (Q.764 2.12)" wait_ev "$out" "EV UCIC cic=35( |$)" 50

	# maintenance from tandem's VTY
	vty "$vty" enable "isup block sw1 6" >/dev/null
	check "it:isup-$var:vty-block->blo" wait_ev "$out" "EV BLO cic=6( |$)" 50
	sleep 0.3
	check "it:isup-$var:bla->locally-blocked" \
		bash -c "$BUILD/tandem-tool vty --port $vty 'show isup circuits' | grep -q 'CIC 6 .*local-blocked' && ! $BUILD/tandem-tool vty --port $vty 'show isup circuits' | grep -q 'CIC 6 .*blocking'"
	vty "$vty" enable "isup unblock sw1 6" >/dev/null
	check "it:isup-$var:vty-unblock->ubl" wait_ev "$out" "EV UBL cic=6( |$)" 50
	vty "$vty" enable "isup reset sw1 8" >/dev/null
	check "it:isup-$var:vty-reset->rsc" wait_ev "$out" "EV RSC cic=8( |$)" 50
	vty "$vty" enable "isup block sw1 12 count 4" >/dev/null
	check "it:isup-$var:vty-group-block->cgb" wait_ev "$out" "EV CGB cic=12 range=3" 50
	vty "$vty" enable "isup unblock sw1 12 count 4" >/dev/null
	check "it:isup-$var:vty-group-unblock->cgu" wait_ev "$out" "EV CGU cic=12 range=3" 50
	vty "$vty" enable "isup query sw1 1 count 3" >/dev/null
	check "it:isup-$var:vty-query->cqm" wait_ev "$out" "EV CQM cic=1 range=2" 50
	sleep 0.5
	local circ
	circ=$(vty "$vty" "show isup circuits")
	check "it:isup-$var:all-circuits-idle-at-end" \
		grep -q "31 circuits: 31 idle, 0 incoming, 0 outgoing, 0 locally blocked, 0 remotely blocked, 0 resetting" <<<"$circ"
	grep -q "31 idle" <<<"$circ" || echo "$circ"

	sw "quit"
	exec 3>&-
	kill -TERM "$td"
	wait "$td" 2>/dev/null
	# this variant's peers go now, not at the script's end
	stop_bg "$uas_pid"
	stop_bg "$sw_pid"
	check "it:isup-$var:no-malformed" bash -c "! grep -q 'malformed ISUP' '$log'"
	if [ -n "$FAILED" ]; then
		echo "--- switch ($var)"
		cat "$out"
		echo "--- tandemd ($var)"
		grep -v DLGLOBAL "$log" | tail -60
	fi
}

run_variant itu 25100
[ "${1:-}" != itu ] && run_variant ansi 25130
exit ${FAILED:-0}
