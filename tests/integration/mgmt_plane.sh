#!/bin/bash
# The management plane and configuration checks (issue 14 items 10, 11):
#   - the VTY listens on 127.0.0.1 when the configuration says nothing
#   - password / enable password: a wrong one is refused, the right one
#     gets in; "write file" writes the configuration's own file only
#   - tandemd -t stops on what could open a hole or break calls, with
#     FILE:LINE: a listen address that is no address, a directory as the
#     file, routes to trunks/linksets not configured, two CIC ranges on one
#     timeslot, certificate files that are not there
#   - the systemd unit runs tandemd as its own user with no capability;
#     its settings applied with setpriv/prlimit: SIP, TLS and the VTY work
#     unprivileged, the media worker gets its nice value from LimitNICE
#   - a UDP datagram larger than the receive buffer is dropped and counted
source "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { skip "it:mgmt: python3 is not installed"; exit 0; }
cd "$TMPD" || exit 1
TD=$BUILD/tandemd

# --- the VTY's default address
# (its UDP receive buffer is made 4,096 bytes: see the datagram check below)
printf 'loop\n udp-buffer-size 4096\nsip\n listen udp 127.0.0.1 26802\n trunk t\n  remote 127.0.0.1 26809\n' \
	>"$TMPD/default.cfg"
start_bg "$TMPD/default.log" "$TD" -c "$TMPD/default.cfg"
pid=$BG_PID
wait_tcp 4270 50
listen=$(awk 'NR > 1 && $4 == "0A" { print $2 }' /proc/net/tcp | grep -i ':10AE$')
check "it:mgmt:vty-default-bind-127.0.0.1 ($listen)" test "$listen" = "0100007F:10AE"
check "it:mgmt:vty-default-bind-logged" grep -q "VTY on 127.0.0.1:4270" "$TMPD/default.log"
# issue 14 item 7: a datagram larger than the receive buffer is dropped and
# counted, never parsed cut off (the default buffer, 65,535 bytes, takes any
# IPv4 datagram: sip_edge.sh sends the largest). An OPTIONS of 4,000 bytes
# from the trunk gets its answer (200); one of 5,000 gets none
python3 - 26802 >"$TMPD/udpbuf.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(1.5)
port = s.getsockname()[1]
for total in (4000, 5000):
    head = ("OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-buf{total}\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=b\r\nTo: <sip:probe@127.0.0.1>\r\n"
            f"Call-ID: buf{total}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n")
    msg = head + "X-Pad: " + "p" * (total - len(head) - 11) + "\r\n\r\n"
    assert len(msg) == total
    s.sendto(msg.encode(), ("127.0.0.1", int(sys.argv[1])))
    try:
        print("%d %s" % (total, s.recv(65535).decode(errors="replace").split(" ")[1]))
    except socket.timeout:
        print("%d none" % total)
PY
ntr=$(vty 4270 "show sip security" | sed -n 's/^udp: \([0-9]*\) datagrams larger.*/\1/p')
echo "   udp-buffer-size 4096: $(tr '\n' ' ' <"$TMPD/udpbuf.out")(status or none per size); counted $ntr"
check "it:mgmt:udp-datagram-within-buffer-answered (4,000 bytes)" grep -qx "4000 200" "$TMPD/udpbuf.out"
check "it:mgmt:udp-datagram-over-buffer-dropped (5,000 bytes: no answer)" grep -qx "5000 none" "$TMPD/udpbuf.out"
check "it:mgmt:udp-datagram-over-buffer-counted (show sip security: $ntr)" test "$ntr" = 1
kill -TERM "$pid"
wait "$pid" 2>/dev/null

# --- passwords and write file
cat >"$TMPD/pw.cfg" <<CFG
password s3cret
enable password t0p-s3cret
line vty
 login
 bind 127.0.0.1 26800
sip
 listen udp 127.0.0.1 26801
CFG
start_bg "$TMPD/pw.log" "$TD" -c "$TMPD/pw.cfg"
wait_tcp 26800 50 || { fail "it:mgmt:tandemd-start"; cat "$TMPD/pw.log"; exit 1; }
cat >"$TMPD/telnet.py" <<'PY'
import socket, sys, time
# telnet NEGOTIATION is ignored; each argument is one line typed after the
# previous prompt ("Password: ", "> " or "# ")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(3)
out = b""
def prompt():
    global out
    buf = b""
    while True:
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
        t = buf.rstrip()
        if t.endswith(b"Password:") or t.endswith(b">") or t.endswith(b"#"):
            break
    out += buf
for line in sys.argv[2:]:
    prompt()
    s.sendall(line.encode() + b"\r\n")
prompt()
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
tn() { python3 "$TMPD/telnet.py" 26800 "$@"; }
out=$(tn wrong1 wrong2 wrong3)
check "it:mgmt:vty-wrong-password-refused" test -n "$(grep Password: <<<"$out")" -a -z "$(grep 'tandem>' <<<"$out")"
out=$(tn s3cret "show version")
check "it:mgmt:vty-right-password" grep -q "^tandem $(cat "$TOP/VERSION")" <<<"$out"
out=$(tn s3cret enable nope nope2 nope3 "show running-config")
check "it:mgmt:vty-wrong-enable-password-refused" grep -q "Bad enable passwords" <<<"$out"
check "it:mgmt:vty-wrong-enable-password-no-config" test -z "$(grep '^password' <<<"$out")"
out=$(tn s3cret enable t0p-s3cret "write file $TMPD/elsewhere.cfg" "write file")
check "it:mgmt:write-file-elsewhere-refused" test ! -e "$TMPD/elsewhere.cfg"
check "it:mgmt:write-file-elsewhere-says-why" grep -q "only to the configuration's own file" <<<"$out"
check "it:mgmt:write-file-own-path" grep -q "Configuration saved to $TMPD/pw.cfg" <<<"$out"
check "it:mgmt:written-config-keeps-passwords" grep -q "^password s3cret" "$TMPD/pw.cfg"
check "it:mgmt:written-config-reads-back" "$TD" -t -c "$TMPD/pw.cfg"

# --- configuration checks (-t and start-up)
t_err() { # NAME EXPECTED-TEXT CONFIG-FILE: -t exits 1 and says EXPECTED
	local name=$1 want=$2 f=$3 msg rc
	msg=$("$TD" -t -c "$f" 2>&1)
	rc=$?
	check "it:mgmt:check:$name (rc=$rc: $(grep -F -- "$want" <<<"$msg" | head -1))" \
		test "$rc" = 1 -a -n "$(grep -F -- "$want" <<<"$msg")"
}
printf 'sip\n listen udp 999.1.1.1 5060\n' >"$TMPD/c1.cfg"
t_err bad-listen-address "c1.cfg:2: '999.1.1.1' is not an IP address" "$TMPD/c1.cfg"
msg=$(timeout 10 "$TD" -c "$TMPD/c1.cfg" 2>&1)
check "it:mgmt:check:bad-listen-address-stops-start-up (rc=$?)" \
	grep -qF "c1.cfg:2: '999.1.1.1' is not an IP address" <<<"$msg"
printf 'sip\n listen udp 127.0.0.1 5060\n listen udp ::1 5060\n listen udp 1:2:3::g 5060\n' >"$TMPD/c1b.cfg"
t_err bad-listen-address-v6 "c1b.cfg:4" "$TMPD/c1b.cfg"
mkdir -p "$TMPD/dir.cfg"
t_err directory-as-file "dir.cfg: not a regular file (a directory)" "$TMPD/dir.cfg"
cat >"$TMPD/c2.cfg" <<'CFG'
sigtran
 asp sg1
  remote 127.0.0.1 2905
  transport tcp
isup
 linkset a
  asp sg1
  variant itu
  point-code local 2 remote 1
  cic 1 15 span 0 timeslot 1
 linkset b
  asp sg1
  variant itu
  point-code local 2 remote 3
  cic 1 10 span 0 timeslot 10
sip
 listen udp 127.0.0.1 5060
 trunk t1
  remote 127.0.0.1 5070
routing
 route to-sip default via t1 nosuchtrunk
 route to-isup 49 via a nosuchlinkset
CFG
t_err overlapping-timeslots "c2.cfg:15: linkset b: cic 1-10 uses the same span timeslots as linkset a's cic 1-15" "$TMPD/c2.cfg"
t_err route-to-missing-trunk "c2.cfg:21: route to-sip default: no SIP trunk named nosuchtrunk" "$TMPD/c2.cfg"
t_err route-to-missing-linkset "c2.cfg:22: route to-isup 49: no ISUP linkset or PRI span named nosuchlinkset" "$TMPD/c2.cfg"
cat >"$TMPD/c3.cfg" <<CFG
sip
 listen tls 127.0.0.1 5061 certificate $TMPD/none.pem key $TMPD/none.key
 trunk t1
  remote 127.0.0.1 5070
  tls ca $TMPD/noca.pem server-name carrier.example
 trunk t2
  remote carrier.example 5060
CFG
t_err missing-certificate "c3.cfg:2: certificate $TMPD/none.pem: No such file" "$TMPD/c3.cfg"
t_err missing-key "c3.cfg:2: key $TMPD/none.key: No such file" "$TMPD/c3.cfg"
t_err missing-ca "c3.cfg:5: CA file $TMPD/noca.pem: No such file" "$TMPD/c3.cfg"
# a host name is resolved (RFC 3263, sip_trunk_dns.sh); what is neither an
# address nor a name is refused where it is written
printf 'sip\n trunk t1\n  remote carrier.example\n trunk t2\n  remote bad..name 5060\n' >"$TMPD/c3b.cfg"
t_err trunk-remote-not-a-host "c3b.cfg:5: 'bad..name' is neither an IP address nor a host name" "$TMPD/c3b.cfg"
printf 'sip\n trunk t1\n  remote 127.0.0.1 5070\n  allow 10.1.2.3/8\n' >"$TMPD/c4.cfg"
t_err allow-with-host-bits "c4.cfg:4" "$TMPD/c4.cfg"
printf 'sip\n trunk t1\n  remote 127.0.0.1 5070\n  allow 10.0.0.0/8 port 5060 transport tcp\n  allow 2001:db8::/32\n user-agent carrier-gw 1\n' >"$TMPD/c5.cfg"
check "it:mgmt:check:good-allow-entries-pass" "$TD" -t -c "$TMPD/c5.cfg"

# --- the systemd unit
unit=$TOP/etc/tandemd.service.in
check "it:mgmt:systemd-own-user" grep -q "^User=tandem" "$unit"
check "it:mgmt:systemd-no-ambient-capabilities" grep -qx "AmbientCapabilities=" "$unit"
check "it:mgmt:systemd-empty-bounding-set" grep -qx "CapabilityBoundingSet=" "$unit"
check "it:mgmt:systemd-no-new-privileges" grep -qx "NoNewPrivileges=yes" "$unit"
# the unit's settings applied for real (setpriv and prlimit do what systemd
# would): tandemd as an unprivileged user with the unit's capability sets
# (none) and its LimitNICE serves SIP on 5060 (UDP, TCP) and 5061 (TLS) and
# the VTY, and its media worker gets its nice value; a port below 1024 needs
# the drop-in the unit describes: without it start-up stops
caps() { # KEY: the unit's capability list as setpriv's "-all,+cap,..."
	local v
	v=$(sed -n "s/^$1=//p" "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_//g')
	printf -- '-all%s' "$(for c in $v; do printf ',+%s' "$c"; done)"
}
nice=$(sed -n 's/^LimitNICE=//p' "$unit")
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v prlimit >/dev/null; then
	skip "it:mgmt:systemd-unit-run: needs root, setpriv and prlimit to drop to another user"
elif ! setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$TD"; then
	skip "it:mgmt:systemd-unit-run: $TD is not reachable for user 65534"
else
	chmod 755 "$TMPD"
	V=$TOP/tests/vectors/tls
	cat >"$TMPD/unit.cfg" <<CFG
line vty
 bind 127.0.0.1 26803
sip
 listen udp 127.0.0.1 5060
 listen tcp 127.0.0.1 5060
 listen tls 127.0.0.1 5061 certificate $V/server.pem key $V/server.key
CFG
	# as systemd starts it: limits first (as root), then the user and capabilities
	# raising RLIMIT_NICE takes CAP_SYS_RESOURCE, which a container may lack
	lim=(prlimit --nice=$((20 - nice)))
	"${lim[@]}" true 2>/dev/null || lim=()
	asunit() { # CONFIG LOG: start tandemd as the unit would, PID in $BG_PID
		start_bg "$2" "${lim[@]}" setpriv --reuid 65534 --regid 65534 \
			--clear-groups --inh-caps="$(caps AmbientCapabilities)" \
			--ambient-caps="$(caps AmbientCapabilities)" \
			--bounding-set="$(caps CapabilityBoundingSet)" --no-new-privs "$TD" -c "$1"
	}
	asunit "$TMPD/unit.cfg" "$TMPD/unit.log"
	up=$BG_PID
	if wait_tcp 26803 50; then
		st=$(grep -E '^(Uid|CapEff|CapBnd|CapAmb|NoNewPrivs):' "/proc/$up/status" | tr -s '\t' ' ' | tr '\n' ';')
		echo "   as the unit: $st"
		check "it:mgmt:systemd-unit-run-unprivileged-user (uid 65534)" grep -q "Uid: 65534 65534 65534 65534;" <<<"$st"
		check "it:mgmt:systemd-unit-run-no-capabilities" \
			grep -q "CapEff: 0000000000000000;CapBnd: 0000000000000000;CapAmb: 0000000000000000;NoNewPrivs: 1;" <<<"$st"
		tcp=$(awk 'NR > 1 && $4 == "0A" { print $2 }' /proc/net/tcp | grep -ciE '^0100007F:(13C4|13C5)$')
		udp=$(awk 'NR > 1 { print $2 }' /proc/net/udp | grep -ci '^0100007F:13C4$')
		check "it:mgmt:systemd-unit-run-sip-ports (tcp 5060+5061: $tcp, udp 5060: $udp)" test "$tcp" = 2 -a "$udp" = 1
		check "it:mgmt:systemd-unit-run-vty" grep -q "^tandem " <<<"$(vty 26803 "show version")"
		# the media worker thread's nice value (field 19 of its stat)
		wn=$(for t in /proc/$up/task/*; do
			[ "$(cat "$t/comm")" != tandemd ] && awk '{ print $19 }' "$t/stat"; done | sort -n | head -1)
		if [ ${#lim[@]} -gt 0 ]; then
			check "it:mgmt:systemd-unit-run-worker-nice (LimitNICE=$nice: worker at ${wn:-?})" \
				test "${wn:-0}" = "$nice" -a -z "$(grep 'cannot raise its priority' "$TMPD/unit.log")"
		else
			skip "it:mgmt:systemd-unit-run-worker-nice: cannot raise RLIMIT_NICE here (no CAP_SYS_RESOURCE)"
		fi
	else
		fail "it:mgmt:systemd-unit-run (tandemd did not start)"
		cat "$TMPD/unit.log"
	fi
	kill -TERM "$up"
	wait "$up" 2>/dev/null
	if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 506 ]; then
		printf 'sip\n listen udp 127.0.0.1 506\n' >"$TMPD/low.cfg"
		asunit "$TMPD/low.cfg" "$TMPD/low.log"
		lp=$BG_PID
		for _ in $(seq 1 50); do kill -0 "$lp" 2>/dev/null || break; sleep 0.1; done
		wait "$lp" 2>/dev/null
		rc=$?
		check "it:mgmt:systemd-unit-run-low-port-needs-drop-in (rc=$rc: $(grep -m1 'cannot listen' "$TMPD/low.log"))" \
			test "$rc" != 0 -a -n "$(grep 'cannot listen for SIP on UDP 127.0.0.1:506' "$TMPD/low.log")"
	else
		skip "it:mgmt:systemd-unit-run-low-port-needs-drop-in: ip_unprivileged_port_start is low here"
	fi
fi
if command -v systemd-analyze >/dev/null; then
	sed -e "s|@BINDIR@|/usr/bin|; s|@SYSCONFDIR@|/etc|" "$unit" >"$TMPD/tandemd.service"
	v=$(systemd-analyze verify "$TMPD/tandemd.service" 2>&1 | grep -v "not executable\|No such file\|Failed to\|Unit .* not found\|ExecStart")
	check "it:mgmt:systemd-unit-verifies ($v)" test -z "$v"
else
	skip "it:mgmt:systemd-unit-verifies: no systemd-analyze here"
fi
exit ${FAILED:-0}
