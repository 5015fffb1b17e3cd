#!/bin/bash
# The management plane and configuration checks (issue 14 items 10, 11):
#   - the VTY listens on 127.0.0.1 when the configuration says nothing
#   - password / enable password: a wrong one is refused, the right one
#     gets in; "write file" writes the configuration's own file only
#   - tandemd -t stops on what could open a hole or break calls, with
#     FILE:LINE: a listen address that is no address, a directory as the
#     file, routes to trunks/linksets not configured, two CIC ranges on one
#     timeslot, certificate files that are not there
#   - the systemd unit runs tandemd as its own user with one capability
source "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { skip "it:mgmt: python3 is not installed"; exit 0; }
cd "$TMPD" || exit 1
TD=$BUILD/tandemd

# --- the VTY's default address
printf 'sip\n listen udp 127.0.0.1 26802\n' >"$TMPD/default.cfg"
start_bg "$TMPD/default.log" "$TD" -c "$TMPD/default.cfg"
pid=$BG_PID
wait_tcp 4270 50
listen=$(awk 'NR > 1 && $4 == "0A" { print $2 }' /proc/net/tcp | grep -i ':10AE$')
check "it:mgmt:vty-default-bind-127.0.0.1 ($listen)" test "$listen" = "0100007F:10AE"
check "it:mgmt:vty-default-bind-logged" grep -q "VTY on 127.0.0.1:4270" "$TMPD/default.log"
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
check "it:mgmt:systemd-ambient-net-bind-only" grep -qx "AmbientCapabilities=CAP_NET_BIND_SERVICE" "$unit"
check "it:mgmt:systemd-bounding-set" grep -qx "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" "$unit"
check "it:mgmt:systemd-no-new-privileges" grep -qx "NoNewPrivileges=yes" "$unit"
if command -v systemd-analyze >/dev/null; then
	sed -e "s|@BINDIR@|/usr/bin|; s|@SYSCONFDIR@|/etc|" "$unit" >"$TMPD/tandemd.service"
	v=$(systemd-analyze verify "$TMPD/tandemd.service" 2>&1 | grep -v "not executable\|No such file\|Failed to\|Unit .* not found\|ExecStart")
	check "it:mgmt:systemd-unit-verifies ($v)" test -z "$v"
else
	skip "it:mgmt:systemd-unit-verifies: no systemd-analyze here"
fi
exit ${FAILED:-0}
