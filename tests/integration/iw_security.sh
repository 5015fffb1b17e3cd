#!/bin/bash
# The SIP edge as a trust boundary (issue 14 items 2, 3, 4, 8), one tandemd:
#   - digest (require-auth): sipp's honest MD5 call (INVITE and BYE each
#     challenged) gives one IAM; the Authorization header it sent, replayed
#     raw on new INVITEs to other numbers and to the same one, gives none
#     (403: digest uri is not the Request-URI; 401: nonce-count replay);
#     tandem's own UA answers the SHA-256 challenge (listed first, RFC 8760)
#   - RFC 3325: PAI from an untrusted trunk never becomes the calling
#     number (From, user provided not verified: scr=0); a trusted trunk's
#     does (network provided: scr=3); a default-calling-number replaces the
#     From; toward an untrusted trunk a restricted number is not sent;
#     tshark decodes the IAMs from a capture of the M3UA link (independent
#     of the switch's libss7 view): the untrusted trunk's PAI is in none
#   - tandem as the digest client of a trunk: kamailio's auth module
#     challenges tandem's INVITE (401 and 407, SHA-256, qop=auth) and
#     verifies its answer; a wrong password gets kamailio's 403 -> REL 21
#   - topology hiding: sipp (A side, 127.0.0.3) -> tandem -> ISUP (tandem's
#     own linkset lA, M3UA IPSP, to its linkset lB) -> tandem -> sipp (B
#     side); nothing of A's Via, Record-Route, Contact, Call-ID, tags, SDP
#     origin or User-Agent appears in what B receives, nor any of the SS7
#     side (point codes, CIC, linkset, ISUP body)
#   - loop prevention: +4977... goes SIP -> ISUP (lA) -> lB -> SIP trunk
#     "self" (tandem itself) -> ISUP ... until the hop counter is spent:
#     REL 25 at the far end, 483 at the caller, every circuit idle again
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:iw-sec: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:iw-sec: sipp is not installed"; exit 0; }
command -v python3 >/dev/null || { skip "it:iw-sec: python3 is not installed"; exit 0; }
cd "$TMPD" || exit 1
SIPP=$TOP/tests/integration/sipp
VTY=25800 M3UA=25801 M3AB=25802 SIP=25803
UA_AUTH=25810 UA_SHA=25811 UA_UNTR=25812 UA_TR=25813 UA_DEF=25814 UAS_UNTR=25815 UAS_TR=25816
UA_A=25817 UAS_B=25818 KAM=25819 UAS_K=25826
cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all info
line vty
 bind 127.0.0.1 $VTY
sigtran
 asp sg1
  remote 127.0.0.1 $M3UA
  transport tcp
 asp a
  remote 127.0.0.1 $M3AB
  role ipsp-client
  transport tcp
  routing-context 7
 asp b
  listen 127.0.0.1 $M3AB
  role ipsp-server
  transport tcp
  routing-context 7
isup
 linkset sw1
  asp sg1
  variant itu
  point-code local 2 remote 1
  cic 1 15 span 0 timeslot 1
 linkset lA
  asp a
  variant itu
  point-code local 12 remote 11
  cic 1 31 span 1 timeslot 1
 linkset lB
  asp b
  variant itu
  point-code local 11 remote 12
  cic 1 31 span 2 timeslot 1
sip
 listen udp 127.0.0.1 $SIP
 user-agent carrier-gw 2.1
 trunk self
  remote 127.0.0.1 $SIP
 trunk authed
  remote 127.0.0.1 $UA_AUTH
  auth tandem s3cret
  require-auth
  auth-algorithms md5
  auth-realm tandem.test
 trunk authed-sha
  remote 127.0.0.1 $UA_SHA
  auth tandem s3cret
  require-auth
 trunk untrusted
  remote 127.0.0.1 $UA_UNTR
 trunk trusted
  remote 127.0.0.1 $UA_TR
  trust-identity yes
 trunk defnum
  remote 127.0.0.1 $UA_DEF
  default-calling-number 4930999000
 trunk out-untrusted
  remote 127.0.0.1 $UAS_UNTR
 trunk out-trusted
  remote 127.0.0.1 $UAS_TR
  trust-identity yes
 trunk a-side
  remote 127.0.0.3 $UA_A
 trunk b-side
  remote 127.0.0.1 $UAS_B
 ! Kamailio here relays without record_route: our in-dialog requests go
 ! through it anyway (outbound-proxy), as toward a carrier's proxy; sipp
 ! behind it answers a request to where its call came from (the proxy),
 ! not per Via, so a BYE sent straight to its Contact is never answered
 trunk kam
  remote 127.0.0.1 $KAM
  auth tandem s3cret
  outbound-proxy
 trunk kam-bad
  remote 127.0.0.1 $KAM
  auth tandem wrong
  outbound-proxy
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-isup 4977 via lA
 route to-isup 4978 via lA
 route to-isup default via sw1
 route to-sip 4977 via self
 route to-sip 4978 via b-side
 route to-sip 4941 via out-untrusted
 route to-sip 4942 via out-trusted
 route to-sip 4943 via kam
 route to-sip 4944 via kam-bad
media
 rtp-port-range 25900 26199
 span 0 e1 local 127.0.0.1 25820 remote 127.0.0.1 25821 frames 8
 span 1 e1 local 127.0.0.1 25822 remote 127.0.0.1 25823 frames 8
 span 2 e1 local 127.0.0.1 25824 remote 127.0.0.1 25825 frames 8
CFG
# the M3UA link to the switch, captured for tshark (it reads the IAMs' calling
# numbers itself: an independent decoder of what tandem put on the wire)
have_cap=""
if command -v tshark >/dev/null; then
	start_bg "$TMPD/cap.log" tshark -i lo -f "tcp port $M3UA" -w "$TMPD/m3ua.pcap"
	cap=$BG_PID
	wait_ev "$TMPD/cap.log" "Capturing on" 300 && pcap_tcp_ready "$TMPD/m3ua.pcap" $M3UA &&
		have_cap=1
fi
out=$TMPD/sw.out
mkfifo "$TMPD/sw.in"
start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 \
	--dpc 2 --cics 1-15 --timeout 240 --auto-answer --script "$TMPD/sw.in"
exec 3>"$TMPD/sw.in"
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
td=$BG_PID
wait_tcp $VTY 50 || { fail "it:iw-sec:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
sw "wait-link 10"
wait_ev "$out" "EV GRS cic=1( |$)" 100 || fail "it:iw-sec:link-up"
links_up() {
	for _ in $(seq 1 50); do
		vty $VTY "show isup linksets" | grep -q "linkset lA: asp a, available" &&
			vty $VTY "show isup linksets" | grep -q "linkset lB: asp b, available" && return 0
		sleep 0.1
	done
	return 1
}
check "it:iw-sec:own-ipsp-linksets-available (lA <-> lB)" links_up
sleep 0.5
iams() { grep -c "EV IAM " "$out"; }

# ---------------------------------------------------------------- digest
n0=$(iams)
timeout 30 sipp -sf "$SIPP/uac_auth.xml" "127.0.0.1:$SIP" -i 127.0.0.1 -p $UA_AUTH -s +4989100001 \
	-auth_uri "+4989100001@127.0.0.1:$SIP" -m 1 -nostdin -timeout 20 -timeout_error \
	-trace_msg -message_file "$TMPD/auth.msg" >"$TMPD/auth.out" 2>&1
rc=$?
check "it:iw-sec:digest-md5-honest-call (sipp rc=$rc: INVITE and BYE challenged and answered)" \
	test "$rc" = 0
check "it:iw-sec:digest-md5-honest-call-one-iam" test "$(iams)" = $((n0 + 1))
check "it:iw-sec:digest-md5-only-trunk (auth-algorithms md5)" bash -c \
	"grep -q 'algorithm=MD5' '$TMPD/auth.msg' && ! grep -q 'algorithm=SHA-256' '$TMPD/auth.msg'"
check "it:iw-sec:digest-bye-challenged" grep -q "trunk authed: BYE authenticated (MD5" "$TMPD/td.log"
auth=$(grep -m1 "^Authorization: " "$TMPD/auth.msg" | tr -d '\r')
echo "   captured: ${auth:0:120}..."
# the attacker: the captured header on new INVITEs (new Call-IDs, other
# numbers, then the same number), from the trunk's own address and port
cat >"$TMPD/replay.py" <<'PY'
import socket, sys, random
port, dst, auth = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(3)
for num in sys.argv[4:]:
    cid = "replay%08x" % random.getrandbits(32)
    body = "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\n"
    msg = ("INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
           "From: <sip:attacker@127.0.0.1>;tag=%s\r\nTo: <sip:%s@127.0.0.1>\r\n"
           "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:attacker@127.0.0.1:%d>\r\n"
           "Max-Forwards: 70\r\n%s\r\nContent-Type: application/sdp\r\n"
           "Content-Length: %d\r\n\r\n%s") % (num, dst, port, cid, cid, num, cid, port, auth,
                                               len(body), body)
    s.sendto(msg.encode(), ("127.0.0.1", dst))
    final = "none"
    try:
        while True:
            r = s.recv(65535).decode(errors="replace")
            if ("Call-ID: %s\r\n" % cid) not in r:
                continue  # a late retransmission to the trunk's port, not ours
            code = int(r.split(" ", 2)[1])
            if code >= 200:
                final = str(code)
                for l in r.split("\r\n"):
                    if l.lower().startswith("www-authenticate:"):
                        print("CHALLENGE " + l)
                to = [l for l in r.split("\r\n") if l.lower().startswith("to:")][0]
                ack = ("ACK sip:%s@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
                       "From: <sip:attacker@127.0.0.1>;tag=%s\r\n%s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
                       "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n") % (num, dst, port, cid, cid, to, cid)
                s.sendto(ack.encode(), ("127.0.0.1", dst))
                break
    except socket.timeout:
        pass
    print("REPLAY %s -> %s" % (num, final))
PY
if [ -n "$auth" ]; then
	python3 "$TMPD/replay.py" $UA_AUTH $SIP "$auth" +4989100002 +4989100003 +4989100004 \
		+4989100001 >"$TMPD/replay.out" 2>&1
	sed 's/^/   /' "$TMPD/replay.out"
	check "it:iw-sec:replayed-authorization-other-numbers-403 (digest uri != Request-URI)" \
		test "$(grep -c -- '-> 403' "$TMPD/replay.out")" = 3
	check "it:iw-sec:replayed-authorization-same-number-401 (nonce-count replay)" \
		grep -q "+4989100001 -> 401" "$TMPD/replay.out"
	sleep 0.5
	check "it:iw-sec:replayed-authorization-no-iam (switch counted $(($(iams) - n0 - 1)) more)" \
		test "$(iams)" = $((n0 + 1))
	check "it:iw-sec:replay-logged" grep -q "nonce-count 1 already seen for its nonce: replay" \
		"$TMPD/td.log"
else
	fail "it:iw-sec:replay (no Authorization captured)"
fi
# every in-dialog method from a require-auth trunk is challenged, not only
# BYE: a client with its own digest code (MD5, qop=auth) sets up a call,
# then sends INFO (with and without a body tandem does not take), UPDATE,
# a re-INVITE, REFER and MESSAGE without credentials (each must get 401,
# RFC 3261 8.2: authentication before the method and body checks), INFO and
# MESSAGE with them (200; 415 for the body; 405 for MESSAGE), BYE with them
cat >"$TMPD/indialog.py" <<'PY'
import hashlib, os, random, re, socket, sys
lport, dst, num = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", lport))
s.settimeout(3)
cid, ftag, cseq = "indlg%08x" % random.getrandbits(32), "f%06x" % random.getrandbits(24), 0
ruri, totag = "sip:%s@127.0.0.1:%d" % (num, dst), ""
sdp = ("v=0\r\no=x 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")
def h(x): return hashlib.md5(x.encode()).hexdigest()
def auth(chal, meth, uri):
    p = dict(re.findall(r'(\w+)="?([^",]*)"?', chal))
    cn = os.urandom(8).hex()
    resp = h("%s:%s:00000001:%s:auth:%s" % (h("tandem:%s:s3cret" % p["realm"]), p["nonce"], cn,
                                            h("%s:%s" % (meth, uri))))
    return ('Authorization: Digest username="tandem", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="%s"\r\n'
            % (p["realm"], p["nonce"], uri, resp, cn))
def req(meth, extra="", body="", cs=None):
    global cseq
    cseq += 1
    br = "z9hG4bK%x" % random.getrandbits(48)
    ct = "Content-Type: application/sdp\r\n" if body.startswith("v=0") else \
        ("Content-Type: text/plain\r\n" if body else "")
    m = ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n"
         "From: <sip:trunk@127.0.0.1>;tag=%s\r\nTo: <sip:%s@127.0.0.1>%s\r\nCall-ID: %s\r\n"
         "CSeq: %d %s\r\nContact: <sip:trunk@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n%s%s"
         "Content-Length: %d\r\n\r\n%s") % (meth, ruri, lport, br, ftag, num, totag, cid, cseq, meth,
                                            lport, extra, ct, len(body), body)
    s.sendto(m.encode(), ("127.0.0.1", dst))
    while True:
        r = s.recv(65535).decode(errors="replace")
        if not r.startswith("SIP/2.0 ") or ("Call-ID: %s\r\n" % cid) not in r:
            continue
        if ("CSeq: %d %s\r\n" % (cseq, meth)) not in r:
            continue
        code = int(r.split(" ", 2)[1])
        if code < 200:
            continue
        if meth == "INVITE" and code >= 300:  # ACK to a failure: same branch
            to = [l for l in r.split("\r\n") if l.lower().startswith("to:")][0]
            s.sendto(("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n"
                      "From: <sip:trunk@127.0.0.1>;tag=%s\r\n%s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\n"
                      "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                      % (ruri, lport, br, ftag, to, cid, cseq)).encode(), ("127.0.0.1", dst))
        chal = [l.split(":", 1)[1] for l in r.split("\r\n") if l.lower().startswith("www-authenticate:")]
        return code, r, chal
code, r, chal = req("INVITE", body=sdp % 1)
code, r, _ = req("INVITE", auth(chal[0], "INVITE", ruri), sdp % 1)
print("INVITE-with-credentials %d" % code)
print("\n".join(l for l in r.split("\r\n") if l.startswith("Server:")))
if code != 200:
    sys.exit(1)
totag = ";tag=" + re.search(r"\r\nTo:[^\r]*;tag=([^;\r]+)", r).group(1)
ruri = re.search(r"\r\nContact:\s*<([^>]+)>", r).group(1)
s.sendto(("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKack%x\r\n"
          "From: <sip:trunk@127.0.0.1>;tag=%s\r\nTo: <sip:%s@127.0.0.1>%s\r\nCall-ID: %s\r\n"
          "CSeq: %d ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
          % (ruri, lport, random.getrandbits(32), ftag, num, totag, cid, cseq)).encode(),
         ("127.0.0.1", dst))
for name, meth, body in (("INFO", "INFO", ""), ("INFO-text-body", "INFO", "hello"),
                         ("UPDATE", "UPDATE", ""), ("re-INVITE", "INVITE", sdp % 2),
                         ("REFER", "REFER", ""), ("MESSAGE", "MESSAGE", "hi")):
    extra = "Refer-To: <sip:+4989100099@127.0.0.1>\r\n" if meth == "REFER" else ""
    code, r, chal = req(meth, extra, body)
    print("%s-without-credentials %d" % (name, code))
for name, meth, body in (("INFO", "INFO", ""), ("INFO-text-body", "INFO", "hello"),
                         ("MESSAGE", "MESSAGE", "hi")):
    code, r, chal = req(meth, "", body)
    code, r, _ = req(meth, auth(chal[0], meth, ruri), body) if chal else (code, r, None)
    print("%s-with-credentials %d" % (name, code))
code, r, chal = req("BYE")
code, r, _ = req("BYE", auth(chal[0], "BYE", ruri))
print("BYE-with-credentials %d" % code)
PY
n2=$(iams)
timeout 30 python3 "$TMPD/indialog.py" $UA_AUTH $SIP +4989100007 >"$TMPD/indialog.out" 2>&1
sed 's/^/   in-dialog: /' "$TMPD/indialog.out"
check "it:iw-sec:digest-own-client-call (INVITE 200 after MD5, one IAM)" \
	test -n "$(grep -x 'INVITE-with-credentials 200' "$TMPD/indialog.out")" -a "$(iams)" = $((n2 + 1))
# the Server header is what user-agent says (the default, "tandem" without
# a version, is checked by sip_edge.sh)
check "it:iw-sec:server-header-configured ($(grep '^Server:' "$TMPD/indialog.out"))" \
	grep -qx "Server: carrier-gw 2.1" "$TMPD/indialog.out"
# RFC 3261 8.2: authentication first, then the method (MESSAGE, not taken:
# 405), extension and body (text/plain in INFO: 415) checks
for m in INFO INFO-text-body UPDATE re-INVITE REFER MESSAGE; do
	check "it:iw-sec:digest-in-dialog-$m-challenged (401 without credentials)" \
		grep -qx "$m-without-credentials 401" "$TMPD/indialog.out"
done
check "it:iw-sec:digest-in-dialog-INFO-with-credentials-served (200)" \
	grep -qx "INFO-with-credentials 200" "$TMPD/indialog.out"
check "it:iw-sec:digest-in-dialog-INFO-text-body-with-credentials-415" \
	grep -qx "INFO-text-body-with-credentials 415" "$TMPD/indialog.out"
check "it:iw-sec:digest-in-dialog-MESSAGE-with-credentials-405 (authenticated, then not taken)" \
	grep -qx "MESSAGE-with-credentials 405" "$TMPD/indialog.out"
check "it:iw-sec:digest-in-dialog-BYE-with-credentials-200" grep -qx "BYE-with-credentials 200" \
	"$TMPD/indialog.out"
# a trunk with both: SHA-256 first, then MD5, one nonce (RFC 8760 2.4)
python3 "$TMPD/replay.py" $UA_SHA $SIP "X-None: 1" +4989100009 >"$TMPD/chal.out" 2>&1
check "it:iw-sec:digest-challenges-sha256-first-then-md5 (RFC 8760)" bash -c \
	"grep CHALLENGE '$TMPD/chal.out' | head -1 | grep -q 'algorithm=SHA-256, qop=\"auth\"' &&
	 grep CHALLENGE '$TMPD/chal.out' | sed -n 2p | grep -q 'algorithm=MD5, qop=\"auth\"' &&
	 grep -q '+4989100009 -> 401' '$TMPD/chal.out'"
# SHA-256: tandem's own UA (it answers the first challenge, SHA-256).
# tandem's UA does not answer a challenge to its own BYE, and it exits once
# that BYE is answered (401): the switch ends the call while the UA holds
# it, and the UA answers tandem's BYE (else that BYE to a port nobody holds
# would keep the call for Timer F, 32 s). The switch releases 1.5 s after
# the IAM (it answered 200 ms after it), well inside the UA's 6 s hold,
# by itself: not after the script has seen the answer (a loaded run's
# script was late)
n1=$(iams)
on_iam 89100005
sw "sleep 1500"
sw "release last 16"
start_bg "$TMPD/sha.out" "$BUILD/peers/sip-ua" --listen "udp:127.0.0.1:$UA_SHA" \
	--uac "127.0.0.1:$SIP" --calls 1 --hold 6000 --ruri "sip:+4989100005@127.0.0.1" \
	--auth tandem:s3cret --seconds 8
sha=$BG_PID
check "it:iw-sec:digest-sha256-iam" wait_ev "$out" "EV IAM cic=[0-9]+ called=89100005" 50
check "it:iw-sec:digest-sha256-used" grep -q "trunk authed-sha: INVITE authenticated (SHA-256" \
	"$TMPD/td.log"
check "it:iw-sec:digest-sha256-answered" wait_ev "$TMPD/sha.out" "CALL 1 answered" 50
cic=$(grep -E "EV IAM cic=[0-9]+ called=89100005" "$out" | head -1 | sed -n 's/.*cic=\([0-9]*\).*/\1/p')
[ -n "$cic" ] && wait_ev "$out" "EV RLC cic=$cic( |$)" 50
check "it:iw-sec:digest-sha256-bye-from-tandem-answered" wait_ev "$TMPD/sha.out" "BYE rx" 50
wait "$sha"
check "it:iw-sec:digest-sha256-one-iam" test "$(iams)" = $((n1 + 1))

# ---------------------------------------------------------------- RFC 3325
# identity NAME PORT CALLED PRIVACY
identity() {
	timeout 20 sipp -sf "$SIPP/uac_identity.xml" "127.0.0.1:$SIP" -i 127.0.0.1 -p "$2" \
		-s "+49$3" -key from +4930111222 -key pai +4930555666 -key privacy "$4" -m 1 \
		-nostdin -timeout 15 -timeout_error >"$TMPD/id-$1.out" 2>&1
	local rc=$?
	check "it:iw-sec:identity-$1-call (sipp rc=$rc)" test "$rc" = 0
	iam=$(grep -E "EV IAM cic=[0-9]+ called=$3 " "$out" | head -1)
}
identity untrusted $UA_UNTR 89300001 none
echo "   untrusted: $iam"
check "it:iw-sec:untrusted-pai-ignored (calling = From 30111222)" grep -q "calling=30111222 " <<<"$iam"
check "it:iw-sec:untrusted-user-provided-not-verified (scr=0)" grep -q "scr=0" <<<"$iam"
identity trusted $UA_TR 89300002 none
echo "   trusted:   $iam"
check "it:iw-sec:trusted-pai-used (calling 30555666)" grep -q "calling=30555666 " <<<"$iam"
check "it:iw-sec:trusted-network-provided (scr=3)" grep -q "scr=3" <<<"$iam"
identity default $UA_DEF 89300003 none
echo "   default:   $iam"
check "it:iw-sec:default-calling-number (30999000, network provided)" \
	grep -qE "calling=30999000 .*scr=3" <<<"$iam"
identity untrusted-privacy $UA_UNTR 89300004 id
check "it:iw-sec:untrusted-privacy-id-restricts (pres=1, From's number)" \
	grep -qE "calling=30111222 .*pres=1" <<<"$iam"
# ISUP -> SIP with a restricted calling number: no PAI toward the untrusted
# trunk (From anonymous, Privacy: id), PAI toward the trusted one
for kind in untrusted trusted; do
	port=$UAS_UNTR num=41000001 cic=10
	[ $kind = trusted ] && port=$UAS_TR num=42000001 cic=11
	start_bg "$TMPD/uas-$kind.out" timeout 20 sipp -sn uas -i 127.0.0.1 -p $port -m 1 -nostdin \
		-trace_msg -message_file "$TMPD/uas-$kind.msg"
	uas=$BG_PID
	sleep 0.3
	sw "call $cic $num 301234567 pres=1"
	wait_ev "$out" "EV ANM cic=$cic( |$)" 50
	sw "release $cic 16"
	wait_ev "$out" "EV RLC cic=$cic( |$)" 50
	wait "$uas"
done
inv_u=$(sed -n '/^INVITE /,/^$/p' "$TMPD/uas-untrusted.msg")
inv_t=$(sed -n '/^INVITE /,/^$/p' "$TMPD/uas-trusted.msg")
check "it:iw-sec:to-untrusted-restricted-no-pai (number nowhere)" \
	bash -c "[ -n \"\$1\" ] && ! grep -qi 'P-Asserted-Identity' <<<\"\$1\" && ! grep -q '301234567' <<<\"\$1\" && grep -q 'anonymous@anonymous.invalid' <<<\"\$1\"" _ "$inv_u"
check "it:iw-sec:to-trusted-restricted-pai-privacy-id" \
	bash -c "grep -q 'P-Asserted-Identity: <sip:+49301234567@' <<<\"\$1\" && grep -q '^Privacy: id' <<<\"\$1\"" _ "$inv_t"

# the same IAMs as tshark decodes them from the captured M3UA (not the
# switch's libss7 view): the untrusted trunk's PAI number is in no IAM
if [ -n "$have_cap" ]; then
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" 2>/dev/null
	TANDEM_M3UA_PORT=$M3UA timeout 60 tshark -r "$TMPD/m3ua.pcap" \
		-X lua_script:"$TOP/tests/tools/m3ua_tcp.lua" -Y "tcp.dstport==$M3UA && isup.message_type==1" \
		-T fields -E separator='|' -e isup.called -e isup.calling -e isup.screening_indicator \
		-e isup.address_presentation_restricted_indicator 2>/dev/null |
		awk -F'|' '{ n = split($1, a, ","); split($2, b, ","); split($3, c, ","); split($4, d, ",");
			for (i = 1; i <= n; i++) print "IAM called=" a[i] " calling=" b[i] " scr=" c[i] " pres=" d[i] }' \
		>"$TMPD/tshark-iam.txt"
	ts_iam() { grep -m1 "called=[^ ]*$1" "$TMPD/tshark-iam.txt"; }
	echo "   tshark: $(ts_iam 89300001) / $(ts_iam 89300002)"
	check "it:iw-sec:tshark-untrusted-iam-calling-is-from (30111222, user provided not verified)" \
		grep -qE "calling=30111222 scr=0 " <<<"$(ts_iam 89300001)"
	check "it:iw-sec:tshark-untrusted-pai-in-no-iam (30555666 only in the trusted trunk's IAM)" \
		test "$(grep -c 'calling=30555666 ' "$TMPD/tshark-iam.txt")" = 1 -a \
		-n "$(grep 'calling=30555666 scr=3 ' <<<"$(ts_iam 89300002)")"
	check "it:iw-sec:tshark-untrusted-privacy-restricted (pres=1)" \
		grep -qE "calling=30111222 scr=0 pres=1" <<<"$(ts_iam 89300004)"
else
	skip "it:iw-sec:tshark: tshark missing or cannot capture on lo"
fi

# ------------------------------------------- kamailio challenges tandem
# tandem as the digest client toward a trunk: kamailio's auth module (SHA-256,
# RFC 8760, qop=auth) challenges tandem's INVITE with 401 (www) or 407
# (proxy, numbers ending in 7), checks the answer against its own password and
# relays the call to sipp; a trunk with the wrong password gets 403 from it
KAMD=$(command -v kamailio || echo /usr/sbin/kamailio)
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
if [ -x "$KAMD" ] && [ -f "$KMOD/auth.so" ]; then
	cat >"$TMPD/k.cfg" <<KCFG
#!KAMAILIO
debug=1
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:$KAM
mpath="$KMOD/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "auth.so"
modparam("auth", "algorithm", "SHA-256")
modparam("auth", "nonce_count", 1)
modparam("auth", "qop", "auth")

request_route {
	if (is_method("ACK")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	if (has_totag() || !is_method("INVITE")) {
		sl_send_reply("405", "Not here");
		exit;
	}
	if (\$rU =~ "7\$") {
		\$var(rc) = pv_proxy_authenticate("tandem.test", "s3cret", "0");
		if (\$var(rc) < 0) {
			xlog("L_ERR", "KAUTH 407 rc=\$var(rc) \$rU \$hdr(Proxy-Authorization)\n");
			if (\$var(rc) == -2 || \$var(rc) == -3) {
				sl_send_reply("403", "Wrong credentials");
				exit;
			}
			proxy_challenge("tandem.test", "1");
			exit;
		}
		xlog("L_ERR", "KAUTH-OK 407 user=\$au \$rU \$hdr(Proxy-Authorization)\n");
	} else {
		\$var(rc) = pv_www_authenticate("tandem.test", "s3cret", "0");
		if (\$var(rc) < 0) {
			xlog("L_ERR", "KAUTH 401 rc=\$var(rc) \$rU \$hdr(Authorization)\n");
			if (\$var(rc) == -2 || \$var(rc) == -3) {
				sl_send_reply("403", "Wrong credentials");
				exit;
			}
			www_challenge("tandem.test", "1");
			exit;
		}
		xlog("L_ERR", "KAUTH-OK 401 user=\$au \$rU \$hdr(Authorization)\n");
	}
	\$du = "sip:127.0.0.1:$UAS_K";
	t_relay();
}
KCFG
	start_bg "$TMPD/k.log" "$KAMD" -DD -E -f "$TMPD/k.cfg"
	kp=$BG_PID
	start_bg "$TMPD/uas-k.out" timeout 40 sipp -sn uas -i 127.0.0.1 -p $UAS_K -m 2 -nostdin \
		-trace_msg -message_file "$TMPD/uas-k.msg"
	wait_udp $KAM 50
	wait_udp $UAS_K 50
	for c in "12 43000001 401" "13 43000007 407"; do
		set -- $c
		k=$(grep -c "EV ANM cic=$1\$" "$out")
		sw "call $1 $2 301234567"
		check "it:iw-sec:kamailio-$3-challenge-answered-sha256 (ANM cic=$1)" \
			wait_ev "$out" "EV ANM cic=$1\$" 80 $((k + 1))
		sw "release $1 16"
		wait_ev "$out" "EV RLC cic=$1\$" 50
	done
	grep "KAUTH" "$TMPD/k.log" | sed 's/^/   /' | cut -c1-200
	check "it:iw-sec:kamailio-401-sha256-verified (kamailio checked tandem's Authorization)" \
		grep -qE "KAUTH-OK 401 user=tandem .*algorithm=SHA-256" "$TMPD/k.log"
	check "it:iw-sec:kamailio-407-sha256-verified (Proxy-Authorization)" \
		grep -qE "KAUTH-OK 407 user=tandem .*algorithm=SHA-256" "$TMPD/k.log"
	check "it:iw-sec:kamailio-challenged-first (one challenge each, no credentials before)" \
		test "$(grep -c 'KAUTH 40[17] rc=-5 ' "$TMPD/k.log")" = 2
	k=$(grep -c "EV ANM cic=14\$" "$out")
	sw "call 14 44000001 301234567"
	check "it:iw-sec:kamailio-wrong-password-rel (403 from kamailio -> REL 21, no answer)" \
		wait_ev "$out" "EV REL cic=14 cause=21\$" 80
	check "it:iw-sec:kamailio-wrong-password-not-answered" test "$(grep -c "EV ANM cic=14\$" "$out")" = "$k"
	check "it:iw-sec:kamailio-wrong-password-tried-once (no loop of answers)" \
		test "$(grep -c 'KAUTH 401 rc=-2 ' "$TMPD/k.log")" = 1
	kill -TERM "$kp"
else
	skip "it:iw-sec:kamailio-auth: kamailio with its auth module is not installed"
fi

# ---------------------------------------------------------------- topology
start_bg "$TMPD/uas-b.out" timeout 30 sipp -sn uas -i 127.0.0.1 -p $UAS_B -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/b.msg"
uasb=$BG_PID
sleep 0.3
sed 's/STATUS/200/; s/ACKBRANCH/[branch]/; s/<!--BYE//; s/BYE-->//' "$SIPP/uac_topology.xml" >"$TMPD/uac_topo200.xml"
timeout 30 sipp -sf "$TMPD/uac_topo200.xml" "127.0.0.1:$SIP" -i 127.0.0.3 -p $UA_A -s +4978000001 \
	-m 1 -nostdin -timeout 20 -timeout_error -trace_msg -message_file "$TMPD/a.msg" \
	>"$TMPD/uac-a.out" 2>&1
rc=$?
wait "$uasb"
check "it:iw-sec:topology-call-sip-isup-sip (sipp A rc=$rc)" test "$rc" = 0
# every header value A sent, cut into tokens; none may reach B (but the
# numbers, which are the call's, and generic words)
python3 - "$TMPD/a.msg" "$TMPD/b.msg" >"$TMPD/topo.out" <<'PY'
import re, sys
a, b = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sent = []
for block in re.split(r"-{5,}.*\n", a):
    lines = block.split("\n")
    if not any(l.startswith(("INVITE ", "ACK ", "BYE ")) for l in lines[:3]):
        continue  # only what A sent (requests), not what it received
    inbody = started = False
    for l in lines:
        l = l.strip("\r")
        if not started:
            started = l.startswith(("INVITE ", "ACK ", "BYE "))
            continue
        if l == "":
            inbody = True
            continue
        if inbody:
            if l[:2] in ("o=", "s=", "c="):
                sent.append(l[2:])
        elif ":" in l and not l.startswith(("INVITE", "ACK", "BYE")):
            sent.append(l.split(":", 1)[1])
# protocol words and the call's own numbers may pass; values may not
allowed = {"sip:+4978000001@127.0.0.1:25803", "+4978000001", "+4930111222", "INVITE", "ACK",
           "BYE", "application/sdp", "phone", "SIP/2.0/UDP", "UDP", "127.0.0.1", "IP4", "IN", "lr"}
toks = set()
for v in sent:
    for t in re.split(r"[\s<>;,\"]+", v):
        t = t.split("=", 1)[1] if "=" in t else t  # a parameter's value, not its name
        if len(t) >= 3 and t not in allowed and not t.isdigit():
            toks.add(t)
leak = sorted(t for t in toks if t in b)
print("TOKENS %d" % len(toks))
for t in leak:
    print("LEAK %s" % t)
PY
sed 's/^/   /' "$TMPD/topo.out"
check "it:iw-sec:topology-a-side-tokens-checked ($(sed -n 's/TOKENS //p' "$TMPD/topo.out") tokens)" \
	test "$(sed -n 's/TOKENS //p' "$TMPD/topo.out")" -gt 10
check "it:iw-sec:topology-nothing-of-a-reaches-b (Via, Record-Route, Contact, Call-ID, tags, SDP, User-Agent)" \
	bash -c "! grep -q '^LEAK' '$TMPD/topo.out'"
check "it:iw-sec:topology-b-sees-no-a-address (127.0.0.3, 10.99.)" \
	bash -c "! grep -qE '127\\.0\\.0\\.3|10\\.99\\.' '$TMPD/b.msg'"
check "it:iw-sec:topology-b-sees-no-ss7-side (point codes, CIC, linkset, ISUP body)" \
	bash -c "! grep -qiE 'application/isup|cic|linkset|point-code|lA|lB|sw1' '$TMPD/b.msg'"

# ---------------------------------------------------------------- loop
loops0=$(grep -c "IAM on linkset lA" "$TMPD/td.log")
sed 's/STATUS/483/; s/ACKBRANCH/[branch-5]/' "$SIPP/uac_topology.xml" >"$TMPD/uac_loop.xml"
timeout 60 sipp -sf "$TMPD/uac_loop.xml" "127.0.0.1:$SIP" -i 127.0.0.3 -p $UA_A -s +4977000001 \
	-m 1 -nostdin -timeout 40 -timeout_error >"$TMPD/uac-loop.out" 2>&1
rc=$?
loops=$(($(grep -c "IAM on linkset lA" "$TMPD/td.log") - loops0))
echo "   loop: $loops IAMs on lA before the hop counter ran out"
check "it:iw-sec:loop-ends-483-at-caller (sipp rc=$rc)" test "$rc" = 0
check "it:iw-sec:loop-stopped-by-hop-counter-rel-25" grep -q "hop counter spent: REL 25" "$TMPD/td.log"
check "it:iw-sec:loop-bounded (IAMs $loops, 2..20)" test "$loops" -ge 2 -a "$loops" -le 20
idle() {
	for _ in $(seq 1 50); do
		vty $VTY "show calls" | grep -qE "(^| )0 calls;" && return 0
		sleep 0.2
	done
	vty $VTY "show calls" | sed 's/^/   left: /'
	return 1
}
check "it:iw-sec:loop-every-call-released" idle

sw "quit"
exec 3>&-
kill -TERM "$td"
for _ in $(seq 1 30); do kill -0 "$td" 2>/dev/null || break; sleep 0.1; done
exit ${FAILED:-0}
