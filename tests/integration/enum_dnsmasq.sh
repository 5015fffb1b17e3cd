#!/bin/bash
# tandem-tool enum against a real DNS server (dnsmasq) on 127.0.0.1: the
# NAPTR record set of RFC 6116 is sorted by order then preference, non-SIP
# enumservices are skipped, RFC 4694 npdi/rn come out of a tel: URI,
# NXDOMAIN is "not found", and servers that refuse or never answer end in
# bounded time. Ports 25900-25999.
. "$(dirname "$0")/../lib.sh"
set -u
DNS_PORT=25953
SILENT_PORT=25954
CLOSED_PORT=25955
tool=$BUILD/tandem-tool
[ -x "$tool" ] || { fail "enum: $tool not built"; exit 1; }
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { skip "enum: dnsmasq (package dnsmasq-base) is not installed"; exit 0; }
command -v python3 >/dev/null || { skip "enum: python3 needed to read the JSON"; exit 0; }

# +4930123 -> 3.2.1.0.3.9.4.e164.arpa (RFC 6116 2.4). The records are listed
# out of order on purpose: the 10/50 one must win over 10/100 and 20/10.
# +4930124: the lowest order is an email enumservice, which tandem skips.
# +4930125: a pstn:tel record with number portability data (RFC 4769, RFC 4694).
cat >"$TMPD/dnsmasq.conf" <<CONF
port=$DNS_PORT
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/e164.arpa/
local=/e164.example/
local-ttl=120
naptr-record=3.2.1.0.3.9.4.e164.arpa,20,10,u,E2U+sip,!^.*\$!sip:order20@example.net!
naptr-record=3.2.1.0.3.9.4.e164.arpa,10,100,u,E2U+sip,!^.*\$!sip:pref100@example.net!
naptr-record=3.2.1.0.3.9.4.e164.arpa,10,50,u,E2U+sip,!^\\+49(.*)\$!sip:\\1@winner.example.net!
naptr-record=3.2.1.0.3.9.4.e164.example,10,10,u,E2U+sip,!^.*\$!sip:other-tree@example.net!
naptr-record=4.2.1.0.3.9.4.e164.arpa,1,1,u,E2U+email:mailto,!^.*\$!mailto:info@example.net!
naptr-record=4.2.1.0.3.9.4.e164.arpa,5,1,u,E2U+sip:foo,!^.*\$!sips:secure@example.net!
naptr-record=5.2.1.0.3.9.4.e164.arpa,10,10,u,E2U+pstn:tel,!^(.*)\$!tel:\\1;npdi;rn=+49-301-999!
CONF
start_bg "$TMPD/dnsmasq.log" "$DNSMASQ" -k -C "$TMPD/dnsmasq.conf" --pid-file= --user=nobody \
	--log-facility=- --log-queries
dns_pid=$BG_PID
# (a wait that fell through after 50 tries left the queries to a port
# perhaps not bound yet: refused at once under load)
wait_udp $DNS_PORT || { fail "enum:dnsmasq-up"; cat "$TMPD/dnsmasq.log"; exit 1; }

enum_q() { # NAME WANT_RC PY_CHECK ARGS...: run tandem-tool enum, check rc and the JSON
	local name=$1 want=$2 py=$3
	shift 3
	local out rc
	out=$(timeout 20 "$tool" enum "$@" 2>"$TMPD/$name.err")
	rc=$?
	if [ $rc -ne "$want" ]; then
		fail "enum:$name: exit $rc, want $want: $out $(cat "$TMPD/$name.err")"
		return
	fi
	if printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($py) else 1)"; then
		pass "enum:$name: $out"
	else
		fail "enum:$name: $out"
	fi
}
S=(--server "127.0.0.1:$DNS_PORT" --timeout 500 --tries 2)

enum_q order_pref 0 'd["uri"]=="sip:30123@winner.example.net" and d["order"]==10 and d["pref"]==50 and d["usable"]==3 and d["ttl"]==120 and d["domain"]=="3.2.1.0.3.9.4.e164.arpa"' "${S[@]}" +4930123
enum_q service_filter 0 'd["uri"]=="sips:secure@example.net" and d["service"]=="E2U+sip:foo" and d["usable"]==1' "${S[@]}" +4930124
enum_q npdi_rn 0 'd["uri"]=="tel:+4930125;npdi;rn=+49-301-999" and d["npdi"] is True and d["rn"]=="+49301999"' "${S[@]}" --service E2U+pstn:tel +4930125
enum_q nxdomain 1 'd["error"]=="not found"' "${S[@]}" +4930126
enum_q suffix 0 'd["uri"]=="sip:other-tree@example.net" and d["domain"]=="3.2.1.0.3.9.4.e164.example"' "${S[@]}" --suffix e164.example +4930123
enum_q bad_number 1 '"error" in d' "${S[@]}" 4930123

# dnsmasq really answered the queries (not a canned result)
check "enum:dnsmasq_saw_queries" grep -q "query\[NAPTR\] 3.2.1.0.3.9.4.e164.arpa" "$TMPD/dnsmasq.log"

# A server that never answers: one try of 300 ms, then a second one
start_bg "$TMPD/silent.log" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', $SILENT_PORT))
time.sleep(60)"
# a port not yet bound refuses the query at once: no timeout to measure
wait_udp $SILENT_PORT || fail "enum:silent-server-start"
# c-ares doubles the timeout on the second try: 300 + 600 ms, the lookup's
# own time (the tool's lookup_ms: process start-up and the JSON check
# outside it made 3.8 s of wall time on a loaded machine)
enum_q timeout 1 'd["error"]=="timeout" and 800 <= d["lookup_ms"] < 3000' \
	--server "127.0.0.1:$SILENT_PORT" --timeout 300 --tries 2 +4930123

# A closed port: ICMP port unreachable, so refused well before the timeout
# (the bound on the lookup's own time, as above)
enum_q closed_port 1 'd["error"] in ("servers refused, failed or unreachable", "timeout") and d["lookup_ms"] < 3000' \
	--server "127.0.0.1:$CLOSED_PORT" --timeout 1000 --tries 2 +4930123

# enum-rewrite: the pure substitution, no DNS
out=$("$tool" enum-rewrite --regexp '!^\+49(.*)$!sip:0\1@gw.example.net!' --aus +4930123)
check "enum:rewrite_backref ($out)" test "$out" = '{"aus":"+4930123","uri":"sip:030123@gw.example.net"}'
out=$("$tool" enum-rewrite --regexp '!^(.*)$!sip:\2@x!' --aus +4930123)
rc=$?
check "enum:rewrite_bad_backref (exit $rc: $out)" test $rc = 1 -a "$out" = '{"aus":"+4930123","error":"malformed substitution expression"}'

kill -TERM "$dns_pid" 2>/dev/null
exit ${FAILED:-0}
