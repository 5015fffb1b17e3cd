#!/bin/bash
# The SIP edge's trust boundary (issue 14 items 1, 6, 7), with the libss7
# switch behind tandem counting IAMs:
#   - sipp from an allowed trunk source (127.0.0.2, an allow entry) and from
#     an unknown one (127.0.0.3), UDP and TCP: only the trunk's calls become
#     IAMs; the stranger gets 403 (then, with unknown-sources drop, nothing);
#     OPTIONS from the stranger the same; its ACK leaves no state
#   - show sip security counts each refusal by reason
#   - TCP from one source with slow, unfinished headers: capped per source,
#     closed by the message deadline, RSS bounded, a trunk call still works;
#     a connection buffering past the message size is closed
#   - UDP: a 4 KB INVITE is parsed whole (the call is made); the largest
#     datagram IPv4 can carry (65,507 bytes) is received whole by default
#   - TCP idle timer: a silent connection closed, a busy one kept
#   - a scan (thousands of random INVITE/OPTIONS/REGISTER from many unknown
#     addresses): no IAM, RSS flat, the VTY answers fast, a trunk call made
#     during it succeeds
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:sip-edge: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:sip-edge: sipp is not installed"; exit 0; }
command -v python3 >/dev/null || { skip "it:sip-edge: python3 is not installed"; exit 0; }
cd "$TMPD" || exit 1
VTY=26600 M3UA=26601 SIP=26602 UAS=26603 SPAN_L=26604 SPAN_R=26605 UAC=26606 UAC6=26607

{
	gw_cfg_head notice
	cat <<CFG
sip
 listen udp 127.0.0.1 $SIP
 listen tcp 127.0.0.1 $SIP
 listen udp ::1 $SIP
 stream-limits connections 64 per-source 8 message-size 65535
 stream-timeouts message 2 idle 6
 flood-limit rate 50 burst 100 sources 1024
 reply-limit 200
 trunk carrier
  remote 127.0.0.1 $UAS
  allow 127.0.0.2/32
  allow ::1/128 port $UAC6 transport udp
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-isup default via sw1
media
 rtp-port-range 26610 26629
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG
} >"$TMPD/t.cfg"
switch_start --auto-answer
# (the plain build whatever TANDEM_TANDEMD says: the RSS figures below)
tandemd_start sip-edge "$BUILD/tandemd"
switch_link_up sip-edge

iams() { grep -c "^EV IAM " "$out"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$td/status"; }
sec() { vty $VTY "show sip security"; }
refused() { # REASON-TEXT: the counter of that refusal
	sec | awk -v r="$1" 'index($0, "refused: " r) == 1 { print $NF }'
}
# call NAME SRC-IP TRANSPORT(u1|t1) NUMBER [extra sipp args]: one sipp uac call
call() {
	local name=$1 ip=$2 tr=$3 num=$4
	shift 4
	timeout 20 sipp -sn uac "127.0.0.1:$SIP" -t "$tr" -i "$ip" -p $UAC -s "$num" -m 1 \
		-nostdin -timeout 8 -timeout_error -trace_msg -message_file "$TMPD/$name.msg" "$@" \
		>"$TMPD/$name.out" 2>&1
}

# --- admission: the trunk's allowed source and a stranger, UDP and TCP
for tr in u1 t1; do
	n0=$(iams)
	call "trunk-$tr" 127.0.0.2 $tr +498911100$((${#tr}))
	rc_trunk=$?
	wait_ev "$out" "^EV IAM " 30 $((n0 + 1))
	n1=$(iams)
	call "stranger-$tr" 127.0.0.3 $tr +498922200$((${#tr}))
	sleep 0.3
	n2=$(iams)
	check "it:sip-edge:$tr:trunk-call-answered (sipp rc=$rc_trunk)" test "$rc_trunk" = 0
	check "it:sip-edge:$tr:trunk-call-one-iam ($n0 -> $n1)" test $((n1 - n0)) = 1
	check "it:sip-edge:$tr:stranger-no-iam ($n1 -> $n2)" test "$n2" = "$n1"
	check "it:sip-edge:$tr:stranger-403" grep -q "^SIP/2.0 403" "$TMPD/stranger-$tr.msg"
	check "it:sip-edge:$tr:stranger-no-100-trying (no transaction)" \
		test -z "$(grep '^SIP/2.0 100' "$TMPD/stranger-$tr.msg")"
done
# IPv6: an allow entry with a port. From [::1]:$UAC6 the INVITE is admitted
# and reaches the call layer on the trunk (which answers 488: the media
# plane takes IPv4 SDP only), from another port of ::1 it is refused 403
timeout 20 sipp -sn uac "[::1]:$SIP" -i ::1 -p $UAC6 -s +4989777001 -m 1 -nostdin -timeout 8 \
	-timeout_error -trace_msg -message_file "$TMPD/v6.msg" >"$TMPD/v6.out" 2>&1
check "it:sip-edge:ipv6-allowed-port-admitted (the call layer answered, trunk carrier)" \
	wait_ev "$TMPD/td.log" "CDR .*called=\+4989777001 .*trunk=carrier call_id=[^ ]*@::1" 100
check "it:sip-edge:ipv6-allowed-port-not-403" test -z "$(grep '^SIP/2.0 403' "$TMPD/v6.msg")"
# the refused INVITE's CDR says what the SIP side got (it said sip=0)
check "it:sip-edge:refused-invite-cdr-has-status ($(grep -o 'called=+4989777001 .*' "$TMPD/td.log" | grep -o 'cause=[0-9]* sip=[0-9]*' | head -1))" \
	grep -qE "CDR .*called=\+4989777001 .* cause=65 sip=488 " "$TMPD/td.log"
python3 - "$SIP" >"$TMPD/v6opt.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 0))
s.settimeout(2)
port = s.getsockname()[1]
msg = ("OPTIONS sip:probe@[::1] SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP [::1]:{port};branch=z9hG4bK-v6\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:scan@[::1]>;tag=a\r\nTo: <sip:probe@[::1]>\r\n"
       "Call-ID: v6-1@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
s.sendto(msg.encode(), ("::1", int(sys.argv[1])))
try:
    print(s.recv(65535).decode(errors="replace").split("\r\n")[0])
except socket.timeout:
    print("no answer")
PY
check "it:sip-edge:ipv6-other-port-403 ($(cat "$TMPD/v6opt.out"))" grep -q "^SIP/2.0 403" "$TMPD/v6opt.out"
# the Server header: the product, not its version (user-agent in the sip node)
check "it:sip-edge:server-header-without-version" grep -qx "Server: tandem" \
	<(tr -d '\r' <"$TMPD/trunk-u1.msg")
# OPTIONS from the stranger: the same rule
python3 - "$SIP" >"$TMPD/options.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 0))
s.settimeout(2)
port = s.getsockname()[1]
msg = ("OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP 127.0.0.3:{port};branch=z9hG4bK-opt1\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:scan@127.0.0.3>;tag=a\r\nTo: <sip:probe@127.0.0.1>\r\n"
       "Call-ID: opt-1@127.0.0.3\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
s.sendto(msg.encode(), ("127.0.0.1", int(sys.argv[1])))
try:
    print(s.recv(65535).decode(errors="replace").split("\r\n")[0])
except socket.timeout:
    print("no answer")
PY
check "it:sip-edge:stranger-options-403" grep -q "^SIP/2.0 403" "$TMPD/options.out"
s=$(sec)
echo "$s" | sed 's/^/   /'
n403=$(refused "unknown source, 403")
nack=$(refused "ACK from unknown source")
check "it:sip-edge:show-sip-security-counts-403 ($n403)" test "${n403:-0}" -ge 3
check "it:sip-edge:ack-to-403-dropped-statelessly ($nack)" test "${nack:-0}" -ge 1
check "it:sip-edge:refusal-logged" grep -q "127.0.0.3 port .*from a source that is no trunk" \
	"$TMPD/td.log"
nlog=$(grep -c "127.0.0.3 port .*from a source that is no trunk" "$TMPD/td.log")
check "it:sip-edge:refusal-log-rate-limited (one line for 127.0.0.3: $nlog)" test "$nlog" = 1
calls=$(vty $VTY "show calls")
check "it:sip-edge:no-call-state-left" test -z "$(grep -i 'active\|setup' <<<"$calls")"

# flood-limit trunks (off by default), set at run time: a trunk source past
# 5 requests/s burst 5 gets 503 with Retry-After for out-of-dialog requests
vty $VTY enable "configure terminal" sip "flood-limit trunks rate 5 burst 5" end >/dev/null
python3 - "$SIP" >"$TMPD/trunkflood.out" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 0))
s.settimeout(1)
port = s.getsockname()[1]
for i in range(20):
    s.sendto(("OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
              f"Via: SIP/2.0/UDP 127.0.0.2:{port};branch=z9hG4bK-tf{i}\r\n"
              "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.2>;tag=f\r\nTo: <sip:probe@127.0.0.1>\r\n"
              f"Call-ID: tf-{i}@127.0.0.2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(),
             ("127.0.0.1", int(sys.argv[1])))
got = {}
try:
    while True:
        d = s.recv(65535).decode(errors="replace")
        st = d.split(" ")[1]
        got[st] = got.get(st, 0) + 1
        if st == "503" and "\r\nRetry-After: 1\r\n" in d:
            got["retry"] = got.get("retry", 0) + 1
except socket.timeout:
    pass
print("ok=%d busy=%d retry_after=%d" % (got.get("200", 0), got.get("503", 0), got.get("retry", 0)))
PY
vty $VTY enable "configure terminal" sip "no flood-limit trunks" end >/dev/null
echo "   20 OPTIONS at once from the trunk, limit 5/s burst 5: $(cat "$TMPD/trunkflood.out")"
check "it:sip-edge:trunk-flood-limit-503 ($(cat "$TMPD/trunkflood.out"))" \
	grep -qE "ok=(5|6) busy=(14|15) retry_after=(14|15)" "$TMPD/trunkflood.out"
ntf=$(refused "trunk source over its rate")
check "it:sip-edge:trunk-flood-limit-counted ($ntf)" test "${ntf:-0}" -ge 14

# unknown-sources drop, changed at run time: no answer at all
vty $VTY enable "configure terminal" sip "unknown-sources drop" end >/dev/null
for tr in u1 t1; do
	n1=$(iams)
	call "dropped-$tr" 127.0.0.3 $tr +498933300 -recv_timeout 2000
	check "it:sip-edge:$tr:drop-mode-no-answer" \
		test -z "$(grep '^SIP/2.0 ' "$TMPD/dropped-$tr.msg" 2>/dev/null)"
	check "it:sip-edge:$tr:drop-mode-no-iam" test "$(iams)" = "$n1"
done
ndrop=$(refused "unknown source, dropped")
check "it:sip-edge:drop-mode-counted ($ndrop)" test "${ndrop:-0}" -ge 2
vty $VTY enable "configure terminal" sip "unknown-sources reject" end >/dev/null

# --- UDP: a 4 KB INVITE is parsed whole; the largest IPv4 datagram arrives whole
pad=$(head -c 3300 /dev/zero | tr '\0' 'x')
cat >"$TMPD/big.xml" <<XML
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="big INVITE">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
X-Padding: $pad
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <pause milliseconds="200"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
XML
n0=$(iams)
timeout 20 sipp -sf "$TMPD/big.xml" "127.0.0.1:$SIP" -i 127.0.0.2 -p $UAC -s +4989444001 -m 1 \
	-nostdin -timeout 8 -timeout_error -trace_msg -message_file "$TMPD/big.msg" \
	>"$TMPD/big.out" 2>&1
rc=$?
size=$(awk '/^INVITE /{on=1} on{n+=length($0)+2} /^a=rtpmap/{if(on){print n; exit}}' "$TMPD/big.msg")
check "it:sip-edge:udp-4k-invite-parsed-whole (${size} bytes, sipp rc=$rc)" \
	test "$rc" = 0 -a "${size:-0}" -gt 3500
check "it:sip-edge:udp-4k-invite-one-iam" test "$(iams)" = $((n0 + 1))
python3 - "$SIP" >"$TMPD/huge.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 0))
s.settimeout(2)
port = s.getsockname()[1]
head = ("OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.2:{port};branch=z9hG4bK-huge\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.2>;tag=h\r\nTo: <sip:probe@127.0.0.1>\r\n"
        "Call-ID: huge@127.0.0.2\r\nCSeq: 1 OPTIONS\r\nContent-Type: text/plain\r\n")
total = 65507                      # the largest UDP payload over IPv4
body_len = total - len(head) - len("Content-Length: 00000\r\n\r\n")
msg = head + "Content-Length: %05d\r\n\r\n" % body_len + "b" * body_len
assert len(msg) == total
s.sendto(msg.encode(), ("127.0.0.1", int(sys.argv[1])))
try:
    print(s.recv(65535).decode(errors="replace").split("\r\n")[0])
except socket.timeout:
    print("no answer")
try:
    s.sendto(b"x" * 70000, ("127.0.0.1", int(sys.argv[1])))
    print("70000 sent")
except OSError as e:
    print("70000: %s" % e.strerror)
PY
cat "$TMPD/huge.out" | sed 's/^/   65,507-byte OPTIONS: /'
# cut at a buffer size it would be a 400 (Content-Length past the end); whole, the
# body's type is what the answer is about (OPTIONS takes SDP only: 415)
check "it:sip-edge:udp-65507-byte-datagram-whole ($(head -1 "$TMPD/huge.out"))" \
	grep -qE "^SIP/2.0 (200|415)" "$TMPD/huge.out"
trunc=$(vty $VTY "show loop" | sed -n 's/.*truncated \([0-9]*\).*/\1/p')
check "it:sip-edge:udp-nothing-truncated ($trunc)" test "$trunc" = 0
# every datagram on the SIP socket had its wait in the socket measured (the
# kernel's receive time): "late: SIP datagrams waited longest ... of N"
loop_out=$(vty $VTY "show loop" | tr -d '\r')
rx=$(echo "$loop_out" | sed -n 's/^udp: rx \([0-9]*\) .*/\1/p')
waited=$(echo "$loop_out" | grep "^late: SIP datagrams waited")
measured=$(echo "$waited" | sed -n 's/.* of \([0-9]*\)$/\1/p')
check "it:sip-edge:udp-wait-measured ($waited; udp rx $rx)" \
	test "${measured:-0}" -ge 3 -a "${measured:-0}" -le "${rx:-0}"

# --- TCP: 2,000 connections from one source, each with 60 KB of headers
# that never end, trickling a byte every 0.5 s afterwards
rss0=$(rss)
python3 - "$SIP" >"$TMPD/slow.out" <<'PY' &
import resource, select, socket, sys, time
port = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
head = (b"INVITE sip:slow@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.3;branch=z9hG4bKs\r\n"
        + b"".join(b"X-Pad-%d: %s\r\n" % (k, b"p" * 500) for k in range(118)) + b"X-Last: ")
conns, t0 = [], time.time()
for i in range(2000):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.3", 0))
    s.settimeout(2)
    born = time.time()
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(head)
    except OSError:
        pass                      # refused under way: tandem closed it at once
    s.setblocking(False)
    conns.append([s, born, None])
# one that buffers past the message size (65,535 bytes) without ending its headers
big = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
big.bind(("127.0.0.4", 0))
big.connect(("127.0.0.1", port))
try:
    big.sendall(b"INVITE sip:big@127.0.0.1 SIP/2.0\r\n" + b"X-Long: " + b"y" * 70000)
except OSError:
    pass
big.setblocking(False)
big_closed = None
def gone(s):
    try:
        return not s.recv(65536)
    except BlockingIOError:
        return False
    except OSError:
        return True
while time.time() - t0 < 12 and (any(c[2] is None for c in conns) or big_closed is None):
    live = [c for c in conns if c[2] is None]
    for c in live:
        try:
            c[0].send(b"X")       # one byte every 0.5 s: never a whole message
        except OSError:
            pass
    p = select.poll()           # select() stops at fd 1023
    for c in live:
        p.register(c[0], select.POLLIN)
    if big_closed is None:
        p.register(big, select.POLLIN)
    r = {fd for fd, _ in p.poll(500)}
    r = [c[0] for c in live if c[0].fileno() in r] + ([big] if big_closed is None and big.fileno() in r else [])
    now = time.time()
    for c in live:
        if c[0] in r and gone(c[0]):
            c[2] = now
            c[0].close()
    if big_closed is None and big in r and gone(big):
        big_closed = now - t0
life = [c[2] - c[1] for c in conns if c[2] is not None]
print("connects=%d closed=%d open_at_end=%d longest_s=%.1f took_s=%.1f big_closed=%s"
      % (len(conns), len(life), len(conns) - len(life), max(life), time.time() - t0,
         "yes" if big_closed is not None else "no"))
PY
slow=$!
# while it runs: how many stream connections tandem holds (8 per source)
maxopen=0
for _ in $(seq 1 6); do
	sleep 0.5
	o=$(sec | sed -n 's/^streams: \([0-9]*\) open.*/\1/p')
	[ "${o:-0}" -gt $maxopen ] && maxopen=$o
done
# a trunk call while the slow connections are held
n0=$(iams)
call "during-slow" 127.0.0.2 u1 +4989555001
rc=$?
rss1=$(rss)
wait $slow
cat "$TMPD/slow.out" | sed 's/^/   slow senders: /'
s=$(cat "$TMPD/slow.out")
v() { sed -n "s/.*$1=\([0-9.a-z-]*\).*/\1/p" <<<"$s"; }
st=$(sec | grep '^streams:')
echo "   $st"
check "it:sip-edge:tcp-2000-slow-connections-all-closed ($(v closed) of $(v connects), longest $(v longest_s) s)" \
	test "$(v connects)" = 2000 -a "$(v open_at_end)" = 0
check "it:sip-edge:tcp-slow-closed-within-deadline (message deadline 2 s, checked each second)" \
	awk -v l="$(v longest_s)" 'BEGIN { exit !(l != "" && l <= 4.5) }'
ref_src=$(sed -n 's/.* \([0-9]*\) (per-source cap).*/\1/p' <<<"$st")
dl=$(sed -n 's/.* \([0-9]*\) (message deadline).*/\1/p' <<<"$st")
# each of the 2,000 either refused at once or kept (8 at a time) until the deadline
check "it:sip-edge:tcp-per-source-cap ($ref_src refused at once, $dl closed by the deadline, at most $maxopen open: tandem's counters)" \
	test $((ref_src + dl)) = 2000 -a "$dl" -ge 8 -a "$maxopen" -le 9 -a "$maxopen" -ge 8
check "it:sip-edge:tcp-oversized-message-closed" test "$(v big_closed)" = yes
check "it:sip-edge:trunk-call-during-slow-senders (sipp rc=$rc)" test "$rc" = 0 -a "$(iams)" = $((n0 + 1))
echo "   RSS before ${rss0} kB, with the slow connections ${rss1} kB, after $(rss) kB"
check "it:sip-edge:tcp-rss-bounded (+$((rss1 - rss0)) kB)" test $((rss1 - rss0)) -lt 8192

# the cap in all: 8 connections from each of 10 addresses, 64 allowed in all
python3 - "$SIP" >"$TMPD/total.out" <<'PY'
import socket, sys, time, select
port, socks, t0 = int(sys.argv[1]), [], time.time()
for src in range(20, 30):
    for i in range(8):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.%d" % src, 0))
        s.connect(("127.0.0.1", port))
        s.send(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n")
        socks.append(s)
def gone(s):  # closed by tandem: EOF or a reset
    try:
        return not s.recv(4096)
    except OSError:
        return True
time.sleep(0.5)
r, _, _ = select.select(socks, [], [], 0)
refused = [s for s in r if gone(s)]
print("opened=%d refused_at_once=%d" % (len(socks), len(refused)), flush=True)
time.sleep(3.5)  # past the message deadline: tandem closes the rest
rest = [s for s in socks if s not in refused]
r, _, _ = select.select(rest, [], [], 0)
print("closed_by_deadline=%d" % sum(1 for s in r if gone(s)))
PY
cat "$TMPD/total.out" | sed 's/^/   total cap: /'
check "it:sip-edge:tcp-total-cap (64 of 80 kept)" grep -q "opened=80 refused_at_once=16" "$TMPD/total.out"
check "it:sip-edge:tcp-total-deadline (the 64 closed)" grep -q "closed_by_deadline=64" "$TMPD/total.out"
st=$(sec | grep '^streams:')
echo "   $st"
dl2=$(sed -n 's/.* \([0-9]*\) (message deadline).*/\1/p' <<<"$st")
check "it:sip-edge:tcp-counters (16 more refused by the total cap, 64 more deadline closes)" \
	test -n "$(grep "refused 16 (total cap) $ref_src (per-source cap)" <<<"$st")" -a $((dl2 - dl)) = 64

# --- the idle timer (6 s here), while the scan below runs: a trunk's TCP
# connection that carried one OPTIONS and then says nothing is closed after
# 6 s; one that sends an OPTIONS every 2 s stays open
cat >"$TMPD/idle.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def opts(s, i):
    s.sendall(("OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
               "Via: SIP/2.0/TCP 127.0.0.2:%d;branch=z9hG4bK-idle%d\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.2>;tag=i\r\nTo: <sip:probe@127.0.0.1>\r\n"
               "Call-ID: idle%d@127.0.0.2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
               % (s.getsockname()[1], i, i)).encode())
    return s.recv(65535).decode(errors="replace").split(" ")[1]
a, b = (socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(2))
for s in (a, b):
    s.bind(("127.0.0.2", 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
print("first answers %s %s" % (opts(a, 1), opts(b, 2)), flush=True)
t0, a_closed, i = time.time(), None, 3
a.settimeout(0.2)
while time.time() - t0 < 11:
    if a_closed is None:
        try:
            if not a.recv(4096):
                a_closed = time.time() - t0
        except socket.timeout:
            pass
        except OSError:
            a_closed = time.time() - t0
    if int(time.time() - t0) // 2 >= i - 2:  # every 2 s on b
        try:
            opts(b, i)
        except OSError:
            break
        i += 1
    time.sleep(0.05)
try:
    busy = opts(b, 99)
except OSError as e:
    busy = "closed"
print("idle_closed_after_s=%s busy_after_11s=%s" % ("%.1f" % a_closed if a_closed else "never", busy))
PY
start_bg "$TMPD/idle.out" python3 "$TMPD/idle.py" "$SIP"
idlep=$BG_PID
idle0=$(sec | sed -n 's/.* \([0-9]*\) (idle).*/\1/p')

# --- a scan: random INVITE/OPTIONS/REGISTER from many unknown addresses for 15 s
n0=$(iams)
rss_pre=$(rss)
cat >"$TMPD/scan.py" <<'PY'
import random, socket, sys, time
port = int(sys.argv[1])
socks = []
for i in range(3, 251):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.%d" % i, 0))
    s.setblocking(False)
    socks.append(s)
sent, t0 = 0, time.time()
def one(s):
    ip, lport = s.getsockname()
    user = "%d" % random.randint(100, 99999999)
    meth = random.choice(["INVITE", "OPTIONS", "REGISTER"])
    m = (f"{meth} sip:{user}@127.0.0.1 SIP/2.0\r\n"
         f"Via: SIP/2.0/UDP {ip}:{lport};branch=z9hG4bK{random.getrandbits(48):x}\r\n"
         f"Max-Forwards: 70\r\nFrom: \"sipvicious\"<sip:{user}@1.1.1.1>;tag={random.getrandbits(32):x}\r\n"
         f"To: <sip:{user}@127.0.0.1>\r\nCall-ID: {random.getrandbits(64):x}\r\n"
         f"CSeq: 1 {meth}\r\nContact: <sip:{user}@{ip}:{lport}>\r\nContent-Length: 0\r\n\r\n")
    try:
        s.sendto(m.encode(), ("127.0.0.1", port))
        return 1
    except BlockingIOError:
        return 0
# first a burst that turns the whole receive ring over once (its pages are
# touched then), so that what follows shows whether memory grows
for k in range(2500):
    sent += one(socks[k % len(socks)])
    if k % 50 == 49:
        time.sleep(0.01)
print("warm", flush=True)
time.sleep(1)
t0 = time.time()
while time.time() - t0 < 15:
    for _ in range(30):
        sent += one(random.choice(socks))
    # and one loud source, over the per-source rate (50/s): dropped unparsed
    for _ in range(20):
        socks[0].sendto(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\r\n", ("127.0.0.1", port))
        sent += 1
    # drain our receive queues now and then
    for r in socks:
        try:
            while r.recv(65535):
                pass
        except BlockingIOError:
            pass
    time.sleep(0.1)
print("sent=%d" % sent)
PY
start_bg "$TMPD/scan.out" python3 "$TMPD/scan.py" "$SIP"
scan=$BG_PID
# the VTY's answer time, measured on one telnet connection through the scan
cat >"$TMPD/vtyprobe.py" <<'PY'
import socket, sys, time
port, n, gap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(5)
def until_prompt():
    buf = b""
    while not (buf.rstrip().endswith(b">") or buf.rstrip().endswith(b"#")):
        d = s.recv(65536)
        if not d:
            raise SystemExit("closed")
        buf += d
until_prompt()
t = []
for i in range(n):
    t0 = time.monotonic()
    s.sendall(b"show sip security\r\n")
    until_prompt()
    t.append((time.monotonic() - t0) * 1000)
    time.sleep(gap)
t.sort()
print("p95_ms=%d worst_ms=%d mean_ms=%.1f samples=%d" % (t[int(n * 0.95) - 1], t[-1], sum(t) / n, n))
PY
start_bg "$TMPD/vtyprobe.out" python3 "$TMPD/vtyprobe.py" $VTY 56 0.25
probe=$BG_PID
wait_ev "$TMPD/scan.out" "^warm" 100
sleep 0.5
# the receive ring (1,024 buffers of 64 KB) was turned over by the burst:
# its pages are touched now. From here RSS must stay flat through the scan
# and a call in the middle of it
rss0=$(rss)
for _ in 1 2 3 4; do sleep 1; echo "$(rss)" >>"$TMPD/rss.log"; done
call "during-scan" 127.0.0.2 u1 +4989666001
rc_scan=$?
echo "(call)" >>"$TMPD/rss.log"
for _ in 1 2 3 4 5 6 7 8; do sleep 1; echo "$(rss)" >>"$TMPD/rss.log"; done
wait $probe
echo "   RSS each second through the scan (kB): $(tr '\n' ' ' <"$TMPD/rss.log")"
wait $scan
rss1=$(rss)
sent=$(sed -n 's/sent=//p' "$TMPD/scan.out")
s=$(sec)
echo "$s" | sed 's/^/   /'
flood=$(refused "over the per-source rate")
p95=$(sed -n 's/.*p95_ms=\([0-9]*\).*/\1/p' "$TMPD/vtyprobe.out")
echo "   scan: $sent messages from 248 addresses; IAMs $n0 -> $(iams); RSS $rss_pre (before) $rss0 (after the warm-up burst) -> $rss1 kB (end); VTY $(cat "$TMPD/vtyprobe.out")"
check "it:sip-edge:scan-sent-thousands ($sent)" test "${sent:-0}" -ge 2000
check "it:sip-edge:scan-no-iam (only the trunk's call)" test "$(iams)" = $((n0 + 1))
check "it:sip-edge:scan-trunk-call-succeeds (sipp rc=$rc_scan)" test "$rc_scan" = 0
# 95 % of the answers (on 2 shared cores, a slow one is the machine's, not tandem's:
# the worst is printed above)
check "it:sip-edge:scan-vty-under-100ms (95th percentile ${p95} ms)" test "${p95:-999}" -lt 100
check "it:sip-edge:scan-rss-flat ($rss0 -> $rss1 kB)" \
	awk -v a="$rss0" -v b="$rss1" 'BEGIN { exit !(b <= a * 1.05 + 512) }'
check "it:sip-edge:scan-rate-limited-counted ($flood)" test "${flood:-0}" -gt 0
# the log: one line per source a minute, and at most 10 a second in all
nlog=$(grep -c "from a source that is no trunk\|from one source: dropping" "$TMPD/td.log")
check "it:sip-edge:scan-log-bounded ($nlog lines for $sent messages)" test "$nlog" -le 260
calls=$(vty $VTY "show calls")
check "it:sip-edge:scan-no-call-state" test -z "$(grep -i 'active\|setup' <<<"$calls")"
wait $idlep
idle1=$(sec | sed -n 's/.* \([0-9]*\) (idle).*/\1/p')
sed 's/^/   idle timer 6 s: /' "$TMPD/idle.out"
ia=$(sed -n 's/.*idle_closed_after_s=\([0-9.a-z]*\).*/\1/p' "$TMPD/idle.out")
check "it:sip-edge:tcp-idle-connection-closed (after ${ia:-?} s, idle 6 s)" \
	awk -v a="$ia" 'BEGIN { exit !(a != "" && a != "never" && a >= 5.5 && a <= 9) }'
check "it:sip-edge:tcp-busy-connection-kept (an OPTIONS every 2 s)" grep -q "busy_after_11s=200" "$TMPD/idle.out"
check "it:sip-edge:tcp-idle-counted ($idle0 -> $idle1)" test "$((idle1 - idle0))" = 1
exit ${FAILED:-0}
