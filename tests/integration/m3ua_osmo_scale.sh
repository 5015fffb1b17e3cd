#!/bin/bash
# Two tandemd instances (X from 127.0.0.1, Y from 127.0.0.2) as ASPs of one
# AS behind osmo-stp, registered by RKM (RFC 4666 3.6, 4.4) rather than
# configured in the STP: osmo-stp accepts unknown ASPs
# (accept-asp-connections dynamic-permitted) and creates the AS of a routing
# key it does not know (xua rkm routing-key-allocation dynamic-permitted).
#
#   tandemd Z (PC 1, as-z, 127.0.0.4) --SCTP-- osmo-stp --SCTP-- tandemd X (PC 2)
#                                       (as-rkm-20, loadshare) --- tandemd Y (PC 2)
#
# Checked: X and Y are the two ASPs of as-x (RC 20, loadshare) as
# osmo-stp's configuration names them; a key osmo-stp does not know (X's
# a2, 'routing-key 2 destination 3', no RC, from an ASP osmo-stp does not
# know) makes it create an AS and assign an RC (REG RSP success); a full ISUP key (SI, OPC, CIC range) is refused by osmo-stp 1.6 with
# status 9 "Unsupported Routing Key Parameter" (it takes keys by DPC
# alone); X and Y ASPAC in loadshare; RSCs from Z to PC 2 reach X and Y
# both and each is answered with RLC; Y lost (killed: association gone) ->
# the AS stays active on X, which takes all the traffic, none lost; X's a2
# leaves with ASPIA, DEREG REQ (success), ASPDN and osmo-stp removes the
# AS it made. Why X and Y are configured in osmo-stp rather than joining
# by RKM: osmo-stp 1.6 adds an ASP that registers the RC of an existing AS
# to it but does not tell the AS that the ASP is there (the AS stays
# AS_DOWN: "Event ASPAS-ASP_ACTIVE.ind not permitted", DATA to it dropped),
# and an AS it made by RKM is destroyed with the first of its dynamic ASPs
# that goes (seen in this test's earlier runs).
# needs: kernel-sctp (make check runs it through tests/vm/sctp-tests.sh)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vty_bash.sh"
if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
	skip "it:osmo-scale: the kernel has no SCTP (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails)"
	exit 0
fi
command -v osmo-stp >/dev/null || {
	skip "it:osmo-scale: osmo-stp not installed (Debian package osmo-stp)"
	exit 0
}
STP=25950 STPVTY=4239 VTYX=25951 VTYY=25952 VTYZ=25953
cd "$TMPD" || exit 1

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
 xua rkm routing-key-allocation dynamic-permitted
 asp asp-z 0 $STP m3ua
  remote-ip 127.0.0.4
  role sg
  sctp-role server
 as as-z m3ua
  asp asp-z
  routing-key 9 0.0.1
  traffic-mode override
 asp asp-x 0 $STP m3ua
  remote-ip 127.0.0.1
  role sg
  sctp-role server
 asp asp-y 0 $STP m3ua
  remote-ip 127.0.0.2
  role sg
  sctp-role server
 as as-x m3ua
  asp asp-x
  asp asp-y
  routing-key 20 0.0.2
  traffic-mode loadshare
 route-table system
  update route 0.0.1 7.255.7 linkset as-z
  update route 0.0.2 7.255.7 linkset as-x
 listen m3ua $STP
  local-ip 127.0.0.1
  accept-asp-connections dynamic-permitted
CFG

# tandem_cfg VTY LOCALIP LPC RPC SPAN0 KEY...: KEY lines go into asp a1
tandem_cfg() {
	local vty=$1 ip=$2 lpc=$3 rpc=$4 span=$5
	shift 5
	cat <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all info
line vty
 bind 127.0.0.1 $vty
sigtran
 asp a1
  remote 127.0.0.1 $STP
  sctp-address local $ip
  transport sctp
  timer ack 500
$(printf '  %s\n' "$@")
isup
 linkset ls
  asp a1
  variant itu
  point-code local $lpc remote $rpc
  cic 1 31 span 0 timeslot 1
  reset-on-link-up ${GRS:-yes}
media
 span 0 e1 local 127.0.0.1 $span remote 127.0.0.1 $((span + 1)) frames 8
CFG
}
KEY=("routing-context 20" "traffic-mode loadshare")
# X and Y send no GRS at link up: they share PC 2 behind a loadsharing AS,
# so the GRA to one's GRS may reach the other, which discards it, and the
# first repeats its GRS every T22 (15 s) for the whole test, resetting Z's
# circuits under the RSCs counted below
GRS=no tandem_cfg $VTYX 127.0.0.1 2 1 25960 "${KEY[@]}" >"$TMPD/x.cfg"
GRS=no tandem_cfg $VTYY 127.0.0.2 2 1 25962 "${KEY[@]}" >"$TMPD/y.cfg"
tandem_cfg $VTYZ 127.0.0.4 1 2 25964 "routing-context 9" >"$TMPD/z.cfg"
# two more ASPs in X: a key osmo-stp does not know (no RC: it makes an AS
# and assigns one), and the full ISUP key (DPC, SI 5, OPC, CIC range)
cat >>"$TMPD/x.cfg" <<CFG
sigtran
 asp a2
  remote 127.0.0.1 $STP
  sctp-address local 127.0.0.3
  transport sctp
  timer ack 500
  routing-key 2 destination 3
 asp a3
  remote 127.0.0.1 $STP
  sctp-address local 127.0.0.5
  transport sctp
  timer ack 500
  routing-key 3 destination 5 origin 1 cic-range 1 31
CFG

start_bg "$TMPD/stp.log" osmo-stp -c "$TMPD/stp.cfg"
stp=$BG_PID
for _ in $(seq 1 150); do
	kill -0 "$stp" 2>/dev/null || break
	awk -v p="$STP" 'NR > 1 && $6 == p { f = 1 } END { exit !f }' /proc/net/sctp/eps 2>/dev/null && break
	sleep 0.2
done
if ! awk -v p="$STP" 'NR > 1 && $6 == p { f = 1 } END { exit !f }' /proc/net/sctp/eps 2>/dev/null; then
	fail "it:osmo-scale:stp-start"
	tail -n 20 "$TMPD/stp.log"
	exit 1
fi
for n in x y z; do
	start_bg "$TMPD/$n.log" "$BUILD/tandemd" -c "$TMPD/$n.cfg"
	eval "td_$n=\$BG_PID"
done
wait_tcp $VTYX 150 && wait_tcp $VTYY 150 && wait_tcp $VTYZ 150 || {
	fail "it:osmo-scale:tandemd-start"
	tail -n 20 "$TMPD/x.log" "$TMPD/y.log" "$TMPD/z.log"
	exit 1
}
asp_is() { vq_has "$1" "asp ${3:-a1}: $2" "show m3ua"; }
wait_asp() { until_ok "${3:-200}" asp_is "$1" "$2"; }
stp_show() { vq $STPVTY "show cs7 instance 0 asp" "show cs7 instance 0 as all" 2>/dev/null; }
stp_has() { stp_show && [[ $VQ =~ $'\n'$1 ]]; }
rx_once() {
	RX=-1
	vq "$1" "show m3ua" 2>/dev/null && [[ $VQ =~ asp\ a1:\ [^$'\n']*rx\ DATA\ ([0-9]+) ]] && RX=${BASH_REMATCH[1]}
}
rx_data() { until_ok 150 rx_once "$1"; } # PORT -> $RX: DATA received by asp a1 (-1: no answer in 15 s)
# snap NAME: what X, Y, Z and osmo-stp show now, into $TMPD/snap-NAME.txt
# (kept with the logs when a check fails, read where the failure was)
snap() {
	local p
	{
		for p in $VTYX $VTYY $VTYZ; do
			echo "== tandemd, VTY $p"
			vq $p "show m3ua" "show isup linksets" "show isup circuits compact ls" && echo "$VQ"
		done
		echo "== osmo-stp"
		stp_show && echo "$VQ"
	} >"$TMPD/snap-$1.txt" 2>&1
}

# RKM: X's a2 registers a key osmo-stp does not know; a3 the full ISUP key
asp_sect() { # PORT ASP: that ASP's lines of show m3ua in $SECT
	SECT=
	vq "$1" "show m3ua" 2>/dev/null || return 1
	local l on=
	while IFS= read -r l; do
		[[ $l == "asp $2:"* ]] && on=1 && SECT+=$l$'\n' && continue
		[[ $l == "asp "* || $l == "as "* ]] && on=
		[ -n "$on" ] && SECT+=$l$'\n'
	done <<<"$VQ"
	[ -n "$SECT" ]
}
sect_has() { asp_sect "$1" "$2" && [[ $SECT =~ $3 ]]; }
check "it:osmo-scale:x-a2-registered-rc-assigned (osmo-stp makes an AS)" \
	until_ok 100 sect_has $VTYX a2 "routing key registered \(status 0\); routing context ([0-9]+);"
rc2=$(sed -n 's/.*routing key registered (status 0); routing context \([0-9]*\);.*/\1/p' <<<"$SECT")
check "it:osmo-scale:full-isup-key-refused (osmo-stp 1.6: status 9, keys by DPC only)" \
	until_ok 100 sect_has $VTYX a3 "routing key refused \(status 9\)"
check "it:osmo-scale:x-active" wait_asp $VTYX ASP_ACTIVE
check "it:osmo-scale:y-active" wait_asp $VTYY ASP_ACTIVE
check "it:osmo-scale:z-active" wait_asp $VTYZ ASP_ACTIVE
check "it:osmo-scale:stp-as-x-active (RC 20, DPC 0.0.2)" \
	until_ok 100 stp_has "as-x +AS_ACTIVE +20 +0\.0\.2"
check "it:osmo-scale:stp-made-as-rkm-${rc2:-?} (DPC 0.0.3)" \
	until_ok 100 stp_has "as-rkm-${rc2:-x} +AS_[A-Z]+ +${rc2:-x} +0\.0\.3"
stp_show
printf '%s' "$VQ" | grep -E '^(asp|as)-' | sed 's/^/stp| /'

# loadshare: RSCs from Z to PC 2 on CICs 1-10: where they land
z_avail() { vq_has $VTYZ "linkset ls: asp a1, available" "show isup linksets" 2>/dev/null; }
check "it:osmo-scale:z-linkset-available" until_ok 150 z_avail
# and Z's reset of its circuits at link up done (its GRS answered): an RSC
# asked while that GRS waits is refused ("a procedure is already pending").
# Z's GRS sent before X and Y were active at osmo-stp is lost there and
# repeated after T22 (15 s); the procedures pending are what tell
z_settled() {
	isup_settled $VTYZ && vq $VTYZ "show isup circuits compact ls" 2>/dev/null &&
		[[ $VQ =~ linkset\ ls\ available\ [0-9]+\ ([^$'\n']*) ]] &&
		[[ ${BASH_REMATCH[1]} != *'*'* ]]
}
check "it:osmo-scale:z-circuits-reset-done" until_ok 600 z_settled
# rx_must PORT NAME: rx_data, a FAIL when the VTY gave no count
rx_must() { rx_data "$1" || fail "it:osmo-scale:$2-counts-read"; }
rx_must $VTYX x
x0=$RX
rx_must $VTYY y
y0=$RX
rx_must $VTYZ z
zr0=$RX
cmds=(enable)
for c in $(seq 1 10); do cmds+=("isup reset ls $c"); done
vq_do it:osmo-scale:z-vty-resets $VTYZ "${cmds[@]}"
zr_ge() { rx_data $VTYZ && [ "$RX" -ge "$1" ]; }
check "it:osmo-scale:10-rsc-10-rlc (Z's DATA rx +10)" until_ok 300 zr_ge $((zr0 + 10))
snap after-10-rsc
rx_must $VTYX x
x1=$RX
rx_must $VTYY y
y1=$RX
echo "   10 RSC on CICs 1-10 from Z: X got $((x1 - x0)), Y got $((y1 - y0)) DATA"
check "it:osmo-scale:spread-over-both (X $((x1 - x0)), Y $((y1 - y0)))" \
	test $((x1 - x0)) -gt 0 -a $((y1 - y0)) -gt 0 -a $((x1 - x0 + y1 - y0)) -ge 10

# Y lost: its association goes (kill -9, no ASPDN); X takes it all
kill -KILL "$td_y"
wait "$td_y" 2>/dev/null
# Z's ten RSCs answered (a reset asked while one is pending is refused)
check "it:osmo-scale:z-rscs-done" until_ok 300 isup_settled $VTYZ
# osmo-stp sees Y's association gone (on a loaded TCG host that took over
# 10 s once): RSCs sent before would go round robin to Y's dead one too
check "it:osmo-scale:stp-sees-y-down" until_ok 300 stp_has "asp-y +[^ ]* +ASP_DOWN"
check "it:osmo-scale:as-stays-active-on-x" until_ok 100 stp_has "as-x +AS_ACTIVE"
rx_must $VTYZ z
zr1=$RX
vq_do it:osmo-scale:z-vty-resets $VTYZ "${cmds[@]}"
check "it:osmo-scale:after-y-lost-10-rsc-10-rlc" until_ok 400 zr_ge $((zr1 + 10))
snap after-y-lost
rx_must $VTYX x
x2=$RX
check "it:osmo-scale:x-takes-all ($((x2 - x1)) of 10; X's rx DATA $x1 -> $x2)" test "$x2" -ge 0 -a $((x2 - x1)) -ge 10

# X's a2 leaves: ASPIA, DEREG REQ (success), ASPDN; osmo-stp drops the AS
# it made for the key
vq_do it:osmo-scale:x-vty-a2-down $VTYX enable "m3ua asp a2 down"
check "it:osmo-scale:x-a2-deregistered (DEREG RSP success)" \
	until_ok 100 sect_has $VTYX a2 "routing key deregistered .* DEREG [1-9]"
check "it:osmo-scale:x-a2-down" until_ok 100 sect_has $VTYX a2 "^asp a2: ASP_DOWN"
snap after-a2-down
gone() { stp_show && ! [[ $VQ =~ $'\n'as-rkm-${rc2:-x}\  ]]; }
check "it:osmo-scale:stp-removed-as-rkm-${rc2:-?}" until_ok 100 gone
if [ -n "${FAILED:-}" ]; then
	echo "== osmo-stp (tail)"
	tail -n 30 "$TMPD/stp.log"
	for n in x y z; do
		echo "== tandemd $n (tail)"
		tail -n 15 "$TMPD/$n.log"
	done
fi
exit ${FAILED:-0}
