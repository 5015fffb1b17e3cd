#!/bin/bash
# tandem as the registrar of an IP-PBX (trunk of kind "registered", issue
# 18 item 4): baresip (package baresip-core) plays the PBX. It registers to
# tandem with digest credentials; "show sip registrations" shows its
# Contact, source and expiry; an ISUP call from the libss7 switch reaches
# it at the registered Contact (sent to the REGISTER's source), it answers
# (answermode=auto) and its 1004 Hz reaches the E1; the switch releases.
# A second baresip with a wrong password gets 403 and binds nothing. The
# PBX quits (its REGISTER with Expires: 0 unbinds it): the next ISUP call
# gets REL 20 (subscriber absent). It registers again and is killed
# (-KILL: no unregistration): its binding expires on tandem's timer, and
# the call after that gets REL 20 too. Then RFC 3261 10.3 edge cases from
# a small digest client (python): 423 with Min-Expires for a too brief
# interval, 400 for "*" without Expires: 0, 500 for a CSeq not above the
# binding's, "*" with Expires: 0 removing every binding.
# Ports 25739-25769 (baresip also takes its SIP port + 1 for TLS).
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:sip-registrar: isup-switch not built"; exit 0; }
[ -x "$BUILD/peers/e1-emu" ] || { skip "it:sip-registrar: e1-emu not built"; exit 0; }
BARESIP=$(command -v baresip)
[ -n "$BARESIP" ] || { skip "it:sip-registrar: baresip (package baresip-core) is not installed"; exit 0; }
MODS=$(dirname "$(dpkg -L baresip-core 2>/dev/null | grep '/g711\.so$' | head -1)")
for m in g711 aufile aubridge account menu; do
	[ -f "$MODS/$m.so" ] ||
		{ skip "it:sip-registrar: baresip module $m.so not found (in '$MODS')"; exit 0; }
done
command -v python3 >/dev/null || { skip "it:sip-registrar: python3 needed"; exit 0; }
cd "$TMPD" || exit 1
VTY=25750 M3UA=25751 SIP=25752 PBX=25753 BAD=25757 SPAN_L=25755 SPAN_R=25756 PYC=25759 MET=25739
SECONDS_VOICE=3

near() { # VALUE TARGET TOLERANCE
	awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { exit !(v != "" && v >= t - d && v <= t + d) }'
}

python3 - "$TMPD/tone1004.wav" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
a = 22794 * 10 ** (-10 / 20)
w.writeframes(b"".join(struct.pack("<h", int(round(a * math.sin(2 * math.pi * 1004 * i / 8000))))
                       for i in range(8000 * 30)))
w.close()
PY

# pbx_cfg NAME PORT PASSWORD REGINT: a baresip config dir $TMPD/NAME whose
# account registers to tandem as user "pbx"
pbx_cfg() {
	local d=$TMPD/$1
	mkdir -p "$d"
	cat >"$d/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:$2
net_interface		127.0.0.1
audio_player		aubridge,nil
audio_source		aufile,$TMPD/tone1004.wav
audio_alert		aubridge,nil
rtp_ports		25760-25769
module_path		$MODS
module			g711.so
module			aufile.so
module			aubridge.so
module_app		account.so
module_app		menu.so
CFG
	echo "<sip:pbx@127.0.0.1:$SIP>;auth_pass=$3;answermode=auto;regint=$4" >"$d/accounts"
	: >"$d/contacts"
}
pbx_cfg pbx $PBX s3cret-pbx 20
pbx_cfg bad $BAD wrong-one 60

{
	gw_cfg_head info
	cat <<CFG
sip
 listen udp 127.0.0.1 $SIP
 trunk pbx
  auth pbx s3cret-pbx
  registered expires min 5 max 600
  registered state-file $TMPD/pbx.bindings
  auth-algorithms md5
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via pbx
 route to-isup default via sw1
media
 rtp-port-range 25740 25749
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
operations
 metrics listen 127.0.0.1 $MET
CFG
} >"$TMPD/t.cfg"

regs() { vty $VTY "show sip registrations"; }

out=$TMPD/sw.out
mkfifo "$TMPD/sw.in"
start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 \
	--dpc 2 --cics 1-31 --timeout 590 --script "$TMPD/sw.in"
exec 3>"$TMPD/sw.in"
start_bg "$TMPD/td.log" "$TANDEMD" -c "$TMPD/t.cfg"
TD=$BG_PID
wait_tcp $VTY 50 || { fail "it:sip-registrar:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
sw "wait-link 10"
wait_ev "$out" "EV GRS cic=1( |$)" 100 || fail "it:sip-registrar:link-up"
sleep 1

# --- nothing registered yet: the call finds no one (REL 20)
sw "call 2 30123456 89555"
check "it:sip-registrar:unregistered-call-rel-20" wait_ev "$out" "EV REL cic=2 cause=20" 50

# --- the PBX registers with its credentials
start_bg "$TMPD/pbx.log" "$BARESIP" -f "$TMPD/pbx" -t 100
pbx=$BG_PID
check "it:sip-registrar:pbx-registered (baresip: 200 OK)" wait_ev "$TMPD/pbx.log" "200 OK" 100
r=$(regs)
sed "s/^/   /" <<<"$r"
check "it:sip-registrar:show-registrations (trunk, aor, contact, source, expires, ua)" \
	grep -qE "^trunk pbx aor pbx contact <sip:pbx[^>]*@127\.0\.0\.1:$PBX[^>]*> source UDP:127\.0\.0\.1:$PBX expires-in [0-9]+ s ua \"baresip" <<<"$r"
exp=$(sed -n 's/.* expires-in \([0-9]*\) s.*/\1/p' <<<"$r" | head -1)
check "it:sip-registrar:expires-granted (regint 20 -> 1..20 s)" \
	awk -v e="$exp" 'BEGIN { exit !(e != "" && e >= 1 && e <= 20) }'
rc=$(vty $VTY enable "show running-config")
check "it:sip-registrar:running-config (registered expires written back)" \
	grep -q "^  registered expires min 5 max 600$" <<<"$rc"
check "it:sip-registrar:running-config (state-file written back)" \
	grep -q "^  registered state-file $TMPD/pbx.bindings$" <<<"$rc"
if command -v curl >/dev/null; then
	m=$(curl -s --max-time 5 "http://127.0.0.1:$MET/metrics")
	check "it:sip-registrar:metrics (1 live binding on trunk pbx)" \
		grep -qx 'tandem_sip_registrations{trunk="pbx"} 1' <<<"$m"
	check "it:sip-registrar:metrics (bound counter)" \
		grep -qx 'tandem_sip_registrar_events_total{event="bound"} 1' <<<"$m"
else
	skip "it:sip-registrar:metrics: curl not installed"
fi
check "it:sip-registrar:digest-authenticated (challenge answered)" grep -qE \
	"trunk pbx: REGISTER authenticated \((SHA-256|MD5), nc [0-9]+\)" "$TMPD/td.log"

# --- an ISUP call reaches the PBX at its Contact, which answers
CIC=3
sw "call $CIC 30123456 89555"
check "it:sip-registrar:to-pbx:acm" wait_ev "$out" "EV ACM cic=$CIC( |$)" 100
check "it:sip-registrar:to-pbx:anm (baresip answered)" wait_ev "$out" "EV ANM cic=$CIC( |$)" 100
check "it:sip-registrar:to-pbx:invite-to-contact" grep -qE \
	"INVITE sip:pbx[^ ]*@127\.0\.0\.1:$PBX[^ ]* via trunk pbx" "$TMPD/td.log"
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--ts "$CIC:tone:1500:-13" --seconds $SECONDS_VOICE >"$TMPD/e1.out"
rx=$(grep "^TS $CIC " "$TMPD/e1.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
echo "   baresip -> E1 TS$CIC: 1004 Hz at ${rx:-?} dBm0 (sent -10)"
check "it:sip-registrar:to-pbx:voice-pbx-to-tdm (1004 Hz, -10 dBm0 +-3)" near "$rx" -10 3
sw "release $CIC 16"
check "it:sip-registrar:to-pbx:rel->rlc" wait_ev "$out" "EV RLC cic=$CIC( |$)" 50
check "it:sip-registrar:to-pbx:bye-ends-the-pbx-call" wait_ev "$TMPD/pbx.log" \
	"session closed" 50
check "it:sip-registrar:to-pbx:cdr (cause 16, SIP 200, trunk pbx)" wait_ev "$TMPD/td.log" \
	"CDR call=[0-9]+ dir=isup-sip .* answered=yes .* cic=$CIC trunk=pbx .* cause=16 sip=200" 30

# --- a wrong password: 403, no second binding
start_bg "$TMPD/bad.log" "$BARESIP" -f "$TMPD/bad" -t 30
bad=$BG_PID
check "it:sip-registrar:wrong-password-403" wait_ev "$TMPD/bad.log" "403" 100
check "it:sip-registrar:wrong-password-logged" wait_ev "$TMPD/td.log" \
	"trunk pbx: REGISTER refused: wrong credentials" 30
kill -KILL "$bad" 2>/dev/null
r=$(regs)
check "it:sip-registrar:wrong-password-no-binding (only the PBX's)" \
	test "$(grep -c "^trunk pbx aor pbx contact" <<<"$r")" = 1
check "it:sip-registrar:wrong-password-no-binding (not port $BAD)" \
	bash -c "! grep -q ':$BAD' <<<'$r'"

# --- the PBX quits: its REGISTER with Expires: 0 unbinds it
kill -TERM "$pbx" 2>/dev/null
check "it:sip-registrar:unregistered (log)" wait_ev "$TMPD/td.log" \
	"trunk pbx: REGISTER from UDP:127.0.0.1:$PBX: 0 bound, 1 removed" 50
r=$(regs)
sed "s/^/   /" <<<"$r"
check "it:sip-registrar:unregistered (show: not registered)" grep -q "^trunk pbx aor pbx: not registered" <<<"$r"
CIC=4
sw "call $CIC 30123456 89555"
check "it:sip-registrar:after-unregister-rel-20" wait_ev "$out" "EV REL cic=$CIC cause=20" 50

# --- registered again, then killed without unregistering: the binding expires
pbx_cfg pbx2 $PBX s3cret-pbx 8
start_bg "$TMPD/pbx2.log" "$BARESIP" -f "$TMPD/pbx2" -t 60
pbx2=$BG_PID
check "it:sip-registrar:registered-again" wait_ev "$TMPD/pbx2.log" "200 OK" 100
kill -KILL "$pbx2" 2>/dev/null
check "it:sip-registrar:binding-expires (timer, within 8 s + 2)" wait_ev "$TMPD/td.log" \
	"trunk pbx: registration of sip:pbx[^ ]* \(from UDP:127\.0\.0\.1:$PBX\) expired" 100
r=$(regs)
sed "s/^/   /" <<<"$r"
check "it:sip-registrar:expired-counted" grep -qE "expired [1-9]" <<<"$r"
CIC=5
sw "call $CIC 30123456 89555"
check "it:sip-registrar:after-expiry-rel-20" wait_ev "$out" "EV REL cic=$CIC cause=20" 50

# --- RFC 3261 10.3 answers, from a small digest client (MD5, qop=auth)
cat >"$TMPD/reg.py" <<'PY'
import hashlib, random, re, socket, sys
sip, me = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", me))
s.settimeout(3)
md5 = lambda x: hashlib.md5(x.encode()).hexdigest()
ruri = "sip:127.0.0.1:%d" % sip

def send(user, call_id, cseq, contact, expires, auth=None, pw="s3cret-pbx"):
    hdr = ["REGISTER %s SIP/2.0" % ruri,
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%08x;rport" % (me, random.getrandbits(32)),
           "Max-Forwards: 70",
           "From: <sip:%s@127.0.0.1>;tag=%08x" % (user, random.getrandbits(32)),
           "To: <sip:%s@127.0.0.1>" % user,
           "Call-ID: %s" % call_id, "CSeq: %d REGISTER" % cseq,
           "User-Agent: reg.py"]
    if contact:
        hdr.append("Contact: %s" % contact)
    if expires is not None:
        hdr.append("Expires: %d" % expires)
    if auth:
        hdr.append("Authorization: " + auth)
    s.sendto(("\r\n".join(hdr) + "\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", sip))
    try:
        r = s.recv(65535).decode(errors="replace")
    except socket.timeout:
        return 0, ""
    return int(r.split(" ", 2)[1]), r

def register(user, call_id, cseq, contact, expires, pw="s3cret-pbx"):
    st, r = send(user, call_id, cseq, contact, expires)
    if st != 401:
        return st, r, None
    realm = re.search(r'realm="([^"]*)"', r).group(1)
    nonce = re.search(r'nonce="([^"]*)"', r).group(1)
    cn = "%08x" % random.getrandbits(32)
    ha1, ha2 = md5("%s:%s:%s" % (user, realm, pw)), md5("REGISTER:%s" % ruri)
    resp = md5("%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cn, ha2))
    auth = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, cnonce="%s", qop=auth, nc=00000001' % (user, realm, nonce, ruri, resp, cn))
    st, r = send(user, call_id, cseq + 1, contact, expires, auth)
    return st, r, auth

c = "<sip:pbx@10.99.0.1:5060>"
st, r, _ = register("pbx", "py-1", 10, c, 2)
print("too-brief", st, "min=" + (re.search(r"Min-Expires: *(\d+)", r) or [0, "-"])[1] if r else "")
st, r, _ = register("pbx", "py-1", 20, "*", 600)
print("star-without-expires-0", st)
st, r, auth = register("pbx", "py-1", 30, c, 60)
m = re.search(r"Contact: <sip:pbx@10\.99\.0\.1:5060>;expires=(\d+)", r)
print("bound", st, "expires=" + (m.group(1) if m else "-"))

def options(sock):
    port = sock.getsockname()[1]
    msg = ("OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%08x\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:pbx@127.0.0.1>;tag=1\r\nTo: <%s>\r\n"
           "Call-ID: opt-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
           % (ruri, port, random.getrandbits(32), ruri, port))
    sock.sendto(msg.encode(), ("127.0.0.1", sip))
    try:
        r = sock.recv(65535).decode(errors="replace")
    except socket.timeout:
        return 0, ""
    m = re.search(r"(?im)^Allow: *(.*)$", r)
    return int(r.split(" ", 2)[1]), (m.group(1).strip() if m else "-")

# admission: the bound source is the trunk's; another port of the same host is not
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind(("127.0.0.1", 0))
other.settimeout(3)
st, allow = options(s)
print("options-from-binding", st)
print("options-allow", allow.replace(" ", ""))
print("options-from-other-port", options(other)[0])
# the same Authorization (nonce-count 1) again: a replay, challenged anew
st, r = send("pbx", "py-1", 32, c, 60, auth)
print("replay", st)
st, r, _ = register("pbx", "py-1", 29, c, 60)
print("old-cseq", st)
st, r, _ = register("pbx", "py-1", 40, "*", 0)
print("star-expires-0", st, "contacts=%d" % r.count("Contact:"))
st, r, _ = register("nobody", "py-2", 1, c, 60)
print("unknown-aor", st)
PY
python3 "$TMPD/reg.py" $SIP $PYC >"$TMPD/reg.out" 2>&1
sed "s/^/   /" "$TMPD/reg.out"
check "it:sip-registrar:rfc3261:423-min-expires" grep -q "^too-brief 423 min=5$" "$TMPD/reg.out"
check "it:sip-registrar:rfc3261:star-needs-expires-0 (400)" grep -q "^star-without-expires-0 400$" "$TMPD/reg.out"
check "it:sip-registrar:rfc3261:200-lists-binding-with-expires" grep -q "^bound 200 expires=60$" "$TMPD/reg.out"
check "it:sip-registrar:admission:binding-source-is-the-trunks (OPTIONS 200)" \
	grep -q "^options-from-binding 200$" "$TMPD/reg.out"
check "it:sip-registrar:options-allow-lists-register (RFC 3261 11.2)" \
	grep -qE "^options-allow .*(^|,)REGISTER(,|$)" "$TMPD/reg.out"
check "it:sip-registrar:admission:other-port-is-a-stranger (OPTIONS 403)" \
	grep -q "^options-from-other-port 403$" "$TMPD/reg.out"
check "it:sip-registrar:rfc3261:nonce-count-replay-401" grep -q "^replay 401$" "$TMPD/reg.out"
check "it:sip-registrar:rfc3261:old-cseq-500" grep -q "^old-cseq 500$" "$TMPD/reg.out"
check "it:sip-registrar:rfc3261:star-expires-0-unbinds-all" grep -q "^star-expires-0 200 contacts=0$" "$TMPD/reg.out"
check "it:sip-registrar:unknown-aor-stranger-403" grep -q "^unknown-aor 403$" "$TMPD/reg.out"
r=$(regs)
sed "s/^/   /" <<<"$r"
check "it:sip-registrar:rfc3261:counters (423 1, out of order 1)" grep -qE "423 1, out of order 1" <<<"$r"
check "it:sip-registrar:rfc3261:nothing-left" grep -q "^trunk pbx aor pbx: not registered" <<<"$r"

# --- a call from the PBX; it unregisters during the call, and its BYE
# (from the call's source, no longer bound) still ends the call
cat >>"$TMPD/reg.py" <<'PY'

if len(sys.argv) > 3:
    import time
    c = "<sip:pbx@127.0.0.1:%d>" % me
    st, r, _ = register("pbx", "py-3", 1, c, 60)
    print("call-registered", st, flush=True)
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio 25738 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")
    target = "sip:+4989777001@127.0.0.1:%d;user=phone" % sip
    base = ("Max-Forwards: 70\r\nFrom: <sip:+4989777@127.0.0.1>;tag=pyfrom\r\n"
            "Call-ID: py-call\r\nContact: <sip:pbx@127.0.0.1:%d>\r\n" % me)
    inv = ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKinv1\r\n%s"
           "To: <%s>\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
           "Content-Length: %d\r\n\r\n%s" % (target, me, base, target, len(sdp), sdp))
    s.sendto(inv.encode(), ("127.0.0.1", sip))
    s.settimeout(20)
    to = None
    while True:
        try:
            r = s.recv(65535).decode(errors="replace")
        except socket.timeout:
            print("call-answer timeout", flush=True)
            sys.exit(0)
        if not r.startswith("SIP/2.0 ") or "INVITE" not in r.split("CSeq:", 1)[1].split("\r\n", 1)[0]:
            continue
        code = int(r.split(" ", 2)[1])
        if code >= 200:
            to = re.search(r"(?im)^To: *(.*)$", r).group(1).strip()
            break
    print("call-answer", code, flush=True)
    if code != 200:
        sys.exit(0)
    ack = ("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKack1\r\n%s"
           "To: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n" % (target, me, base, to))
    s.sendto(ack.encode(), ("127.0.0.1", sip))
    s.settimeout(3)
    st, r, _ = register("pbx", "py-3", 10, "*", 0)
    print("call-unregistered", st, flush=True)
    time.sleep(0.5)
    bye = ("BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKbye1\r\n%s"
           "To: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n" % (target, me, base, to))
    s.sendto(bye.encode(), ("127.0.0.1", sip))
    st = 0
    try:
        while True:
            r = s.recv(65535).decode(errors="replace")
            if "BYE" in r.split("CSeq:", 1)[1].split("\r\n", 1)[0]:
                st = int(r.split(" ", 2)[1])
                break
    except socket.timeout:
        pass
    print("call-bye", st, flush=True)
PY
# the caller waits 20 s for its answer: the switch answers the moment the
# IAM comes, not after the script has seen it (a loaded run's script was
# late)
on_iam 89777001
sw "answer last"
start_bg "$TMPD/call.out" python3 "$TMPD/reg.py" $SIP $PYC call
if wait_ev "$out" "EV IAM cic=[0-9]+ called=89777001 " 100; then
	cic=$(grep -E "EV IAM cic=[0-9]+ called=89777001 " "$out" | head -1 | sed -n 's/.*cic=\([0-9]*\).*/\1/p')
	pass "it:sip-registrar:from-pbx:iam (cic $cic: INVITE from the bound source admitted)"
	check "it:sip-registrar:from-pbx:answered" wait_ev "$TMPD/call.out" "^call-answer 200" 100
	check "it:sip-registrar:from-pbx:unregistered-in-call" wait_ev "$TMPD/call.out" "^call-unregistered 200" 50
	check "it:sip-registrar:from-pbx:bye-after-unregister-200" wait_ev "$TMPD/call.out" "^call-bye 200" 50
	check "it:sip-registrar:from-pbx:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16" 50
else
	fail "it:sip-registrar:from-pbx:iam"
fi
sed "s/^/   /" "$TMPD/call.out"

# --- bindings kept across a restart (registered state-file): the PBX
# registers once (regint 600: no REGISTER again during the test), tandemd
# restarts, and the ISUP call reaches it at the restored binding
pbx_cfg pbx3 $PBX s3cret-pbx 600
start_bg "$TMPD/pbx3.log" "$BARESIP" -f "$TMPD/pbx3" -t 90
pbx3=$BG_PID
check "it:sip-registrar:restart:pbx-registered" wait_ev "$TMPD/pbx3.log" "200 OK" 100
check "it:sip-registrar:restart:state-file-has-the-binding" \
	grep -qE "^binding [0-9]+ [0-9]+ [0-9]+ -?[0-9]+ UDP 127\.0\.0\.1 $PBX [^ ]+ sip:pbx[^ ]*@127\.0\.0\.1:$PBX" "$TMPD/pbx.bindings"
g0=$(grep -c "^EV GRS cic=1 " "$out")
kill -TERM "$TD"
wait "$TD" 2>/dev/null
start_bg "$TMPD/td2.log" "$TANDEMD" -c "$TMPD/t.cfg"
TD=$BG_PID
wait_tcp $VTY 50 || fail "it:sip-registrar:restart:tandemd-start"
check "it:sip-registrar:restart:binding-restored (log)" wait_ev "$TMPD/td2.log" \
	"trunk pbx: binding sip:pbx[^ ]*@127\.0\.0\.1:$PBX[^ ]* \(from UDP:127\.0\.0\.1:$PBX\) restored from $TMPD/pbx.bindings, expires in [0-9]+ s" 50
r=$(regs)
sed "s/^/   /" <<<"$r"
check "it:sip-registrar:restart:show-registrations (restored binding)" \
	grep -qE "^trunk pbx aor pbx contact <sip:pbx[^>]*@127\.0\.0\.1:$PBX[^>]*> source UDP:127\.0\.0\.1:$PBX expires-in [0-9]+ s" <<<"$r"
if wait_ev "$out" "^EV GRS cic=1 " 150 $((g0 + 1)); then
	sw "call 9 30123456 89555"
	check "it:sip-registrar:restart:call-answered-by-the-pbx" wait_ev "$out" "EV ANM cic=9( |$)" 100
	check "it:sip-registrar:restart:invite-to-the-restored-contact" grep -qE \
		"INVITE sip:pbx[^ ]*@127\.0\.0\.1:$PBX[^ ]* via trunk pbx" "$TMPD/td2.log"
	check "it:sip-registrar:restart:no-register-in-between" \
		bash -c "! grep -q 'REGISTER from' '$TMPD/td2.log'"
	sw "release 9 16"
	check "it:sip-registrar:restart:released" wait_ev "$out" "EV RLC cic=9( |$)" 50
else
	fail "it:sip-registrar:restart:link-up-again"
fi
kill -TERM "$pbx3" 2>/dev/null

if [ "${FAILED:-0}" != 0 ]; then
	echo "--- baresip"; tail -30 "$TMPD/pbx.log"
	echo "--- tandemd"; tail -60 "$TMPD/td.log"
	echo "--- switch"; tail -20 "$out"
fi
exit ${FAILED:-0}
