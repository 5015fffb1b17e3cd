#!/bin/bash
# tandemd answers the requests RFC 3261 8.2 refuses at once, as raw UDP
# datagrams show: 505 for another SIP version, 400 for a missing
# Call-ID/CSeq/From/To, a CSeq number past 2^31 or a CSeq method other than
# the request's, 416 for a Request-URI scheme it does not serve, and the
# RFC 4475 3.3 (application-layer semantics) messages answered as that
# RFC says: with the header each refusal must carry (Allow on 405,
# Unsupported with the unknown tags on 420, Accept on 415), Via, From,
# Call-ID and CSeq copied, a To tag added. A request without Via, and an
# ACK, get nothing. Each refusal is also in tandemd's log.
source "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { skip "it:sip-answers: python3 is not installed"; exit 0; }
VEC=$TOP/tests/vectors/sip
PORT=24650
cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging level set-all info
line vty
 bind 127.0.0.1 24651
sip
 listen udp 127.0.0.1 $PORT
 ! the probes come from 127.0.0.1 (any port): a configured trunk, so that
 ! source admission (403 for strangers) lets them reach the checks below
 trunk probe
  remote 127.0.0.1 5999
  transport udp
CFG
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp 24651 50 || { fail "it:sip-answers:start"; cat "$TMPD/tandemd.log"; exit 1; }

# All datagrams go out from one python process (each from a fresh port;
# the answer, or nothing within 1 s, into NAME.out): the cases are listed
# first ("NAME FILE" lines in $TMPD/cases), sent, then judged.
cat >"$TMPD/probe.py" <<'PY'
import socket, sys
port, cases, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for line in open(cases):
    name, path = line.split()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(1.0)
    s.sendto(open(path, "rb").read(), ("127.0.0.1", port))
    try:
        r, _ = s.recvfrom(65535)
    except socket.timeout:
        r = b""
    open("%s/%s.out" % (outdir, name), "wb").write(r)
    s.close()
PY
: >"$TMPD/cases"
JUDGE=()

# msg NAME START-LINE HEADERS: a request written out with CRLF (HEADERS
# with \r\n escapes, each line ending in one); its Via branch names it
msg() {
	printf '%s\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-h16-%s\r\nMax-Forwards: 70\r\n%bContent-Length: 0\r\n\r\n' \
		"$2" "$1" "$3" >"$TMPD/$1.sip"
}
F='From: <sip:a@192.0.2.1>;tag=f1\r\n'
T='To: <sip:b@127.0.0.1>\r\n'
C='Call-ID: h16-answers\r\n'
Q='CSeq: 1 OPTIONS\r\n'
msg ok "OPTIONS sip:b@127.0.0.1 SIP/2.0" "$F$T$C$Q"
msg version "OPTIONS sip:b@127.0.0.1 SIP/3.0" "$F$T$C$Q"
msg no-call-id "OPTIONS sip:b@127.0.0.1 SIP/2.0" "$F$T$Q"
msg no-cseq "OPTIONS sip:b@127.0.0.1 SIP/2.0" "$F$T$C"
msg no-from "OPTIONS sip:b@127.0.0.1 SIP/2.0" "$T$C$Q"
msg no-to "OPTIONS sip:b@127.0.0.1 SIP/2.0" "$F$C$Q"
msg cseq-too-large "OPTIONS sip:b@127.0.0.1 SIP/2.0" "$F$T${C}CSeq: 4294967296 OPTIONS\r\n"
msg cseq-method "INVITE sip:b@127.0.0.1 SIP/2.0" "$F$T$C$Q"
msg scheme "OPTIONS mailto:b@127.0.0.1 SIP/2.0" "$F$T$C$Q"
msg ack-version "ACK sip:b@127.0.0.1 SIP/3.0" "$F$T${C}CSeq: 1 ACK\r\n"
printf 'OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nMax-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: nv\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' \
	>"$TMPD/no-via.sip"

# answer NAME FILE STATUS [PATTERN...]: the status line, a Via copied, the
# To tagged, and each extended regexp PATTERN as a line of the answer
answer() {
	echo "$1 $2" >>"$TMPD/cases"
	JUDGE+=("judge_answer $(printf '%q ' "$1" "${@:3}")")
}
# shellcheck disable=SC2317 # called through JUDGE
judge_answer() {
	local name=$1 st=$2 out="$TMPD/$1.out" ok=1 p
	shift 2
	tr -d '\r' <"$out" >"$out.txt"
	head -1 "$out.txt" | grep -q "^SIP/2.0 $st " || ok=0
	grep -q '^Via: SIP/' "$out.txt" || ok=0
	if grep -q '^To:' "$out.txt"; then grep -q '^To:.*;tag=' "$out.txt" || ok=0; fi
	for p in "$@"; do grep -qE "$p" "$out.txt" || ok=0; done
	if [ "$ok" = 1 ]; then pass "it:sip-answers:$name->$st"; else
		fail "it:sip-answers:$name->$st: got '$(head -1 "$out.txt")'"
		sed 's/^/    /' "$out.txt"
	fi
}
# nothing NAME FILE: no answer at all
nothing() {
	echo "$1 $2" >>"$TMPD/cases"
	JUDGE+=("check $(printf '%q ' "it:sip-answers:$1->no-answer" test ! -s "$TMPD/$1.out")")
}

answer ok "$TMPD/ok.sip" 200 '^Allow: .*INVITE'
answer version "$TMPD/version.sip" 505 '^Call-ID: h16-answers$' '^CSeq: 1 OPTIONS$'
answer missing-call-id "$TMPD/no-call-id.sip" 400 '^CSeq: 1 OPTIONS$'
answer missing-cseq "$TMPD/no-cseq.sip" 400 '^Call-ID: h16-answers$'
answer missing-from "$TMPD/no-from.sip" 400 '^Call-ID: h16-answers$'
answer missing-to "$TMPD/no-to.sip" 400 '^From: <sip:a@192.0.2.1>;tag=f1$'
answer cseq-too-large "$TMPD/cseq-too-large.sip" 400 '^CSeq: 4294967296 OPTIONS$'
answer cseq-method-differs "$TMPD/cseq-method.sip" 400
answer uri-scheme "$TMPD/scheme.sip" 416
nothing no-via "$TMPD/no-via.sip"
nothing ack-other-version "$TMPD/ack-version.sip"

# RFC 4475 3.3 (application-layer semantics), the messages as the RFC gives them
answer rfc4475-3.3.1-insuf "$VEC/insuf.sip" 400
answer rfc4475-3.3.2-unkscm "$VEC/unkscm.sip" 416
answer rfc4475-3.3.3-novelsc "$VEC/novelsc.sip" 416
answer rfc4475-3.3.4-unksm2 "$VEC/unksm2.sip" 405 '^Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER$'
answer rfc4475-3.3.5-bext01 "$VEC/bext01.sip" 420 \
	'^Unsupported: nothingSupportsThis, nothingSupportsThisEither$'
answer rfc4475-3.3.6-invut "$VEC/invut.sip" 415 '^Accept: application/sdp, '
answer rfc4475-3.3.7-regaut01 "$VEC/regaut01.sip" 405 '^Allow: '
answer rfc4475-3.3.8-multi01 "$VEC/multi01.sip" 400
answer rfc4475-3.3.9-mcl01 "$VEC/mcl01.sip" 400
nothing rfc4475-3.3.10-bcast-response "$VEC/bcast.sip"
answer rfc4475-3.3.11-zeromf "$VEC/zeromf.sip" 200
answer rfc4475-3.3.15-sdp01 "$VEC/sdp01.sip" 406
answer rfc4475-3.1.2.16-badvers "$VEC/badvers.sip" 505

timeout 120 python3 "$TMPD/probe.py" "$PORT" "$TMPD/cases" "$TMPD"
for j in "${JUDGE[@]}"; do eval "$j"; done

# tandemd's side: each refusal logged (parser or UAS check)
n=$(grep -cE 'unparseable message|refused with' "$TMPD/tandemd.log")
echo "   tandemd logged $n refusals"
check "it:sip-answers:refusals-logged ($n >= 18)" test "$n" -ge 18
exit "${FAILED:-0}"
