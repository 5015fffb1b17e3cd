#!/bin/bash
# tandem-tool enum --service against dnsmasq: one number carrying NAPTRs of
# several enumservices (RFC 6116 3.4.3, RFC 3764, RFC 4769), each --service
# choosing its own record; the default is E2U+sip; a service none of the
# records has is "not found"; a malformed --service is a usage error.
# Ports 25450-25459.
. "$(dirname "$0")/../lib.sh"
set -u
DNS_PORT=25453
tool=$BUILD/tandem-tool
[ -x "$tool" ] || { fail "enum-svc: $tool not built"; exit 1; }
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { skip "enum-svc: dnsmasq (package dnsmasq-base) is not installed"; exit 0; }
command -v python3 >/dev/null || { skip "enum-svc: python3 needed to read the JSON"; exit 0; }

# +4930777 -> 7.7.7.0.3.9.4.e164.arpa. Lowest order first: pstn:tel (10),
# pstn:sip (20), sip (30), tel (40), voice:tel (50), h323 (60); a pstn:tel
# record whose regexp gives a sip: URI (order 5) must be skipped by every
# service (RFC 4769 4: pstn:tel gives a tel: URI).
# +4930778: only a pstn:sip record.
Z=7.7.7.0.3.9.4.e164.arpa
cat >"$TMPD/dnsmasq.conf" <<CONF
port=$DNS_PORT
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/e164.arpa/
naptr-record=$Z,60,10,u,E2U+h323,!^.*\$!h323:gk@example.net!
naptr-record=$Z,50,10,u,E2U+voice:tel,!^(.*)\$!tel:\\1;ext=50!
naptr-record=$Z,40,10,u,E2U+tel,!^(.*)\$!tel:\\1!
naptr-record=$Z,30,10,u,E2U+sip,!^\\+49(.*)\$!sip:\\1@sip.example.net!
naptr-record=$Z,20,10,u,E2U+pstn:sip,!^(.*)\$!sip:\\1;npdi;rn=+4930111@pstn.example.net;user=phone!
naptr-record=$Z,10,10,u,E2U+pstn:tel,!^(.*)\$!tel:\\1;npdi;rn=+4930222!
naptr-record=$Z,5,10,u,E2U+pstn:tel,!^.*\$!sip:wrong-scheme@example.net!
naptr-record=8.7.7.0.3.9.4.e164.arpa,10,10,u,E2U+pstn:sip,!^(.*)\$!sip:\\1@pstn-only.example.net!
CONF
start_bg "$TMPD/dnsmasq.log" "$DNSMASQ" -k -C "$TMPD/dnsmasq.conf" --pid-file= --user=nobody \
	--log-facility=- --log-queries
S=(--server "127.0.0.1:$DNS_PORT" --timeout 500 --tries 2)
up=0
for _ in $(seq 1 50); do
	if timeout 2 "$tool" enum "${S[@]}" +4930777 >/dev/null 2>&1; then up=1; break; fi
	sleep 0.1
done
[ $up = 1 ] || { fail "enum-svc:dnsmasq-up"; cat "$TMPD/dnsmasq.log"; exit 1; }

svc_q() { # NAME WANT_RC PY_CHECK ARGS...
	local name=$1 want=$2 py=$3 out rc
	shift 3
	out=$(timeout 20 "$tool" enum "${S[@]}" "$@" 2>"$TMPD/$name.err")
	rc=$?
	if [ $rc -ne "$want" ]; then
		fail "enum-svc:$name: exit $rc, want $want: $out $(cat "$TMPD/$name.err")"
		return
	fi
	if [ "$want" = 2 ] || printf '%s' "$out" |
		python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($py) else 1)"; then
		pass "enum-svc:$name: $out"
	else
		fail "enum-svc:$name: $out"
	fi
}

svc_q default-is-sip 0 'd["uri"]=="sip:30777@sip.example.net" and d["service"]=="E2U+sip" and d["order"]==30 and d["usable"]==1' +4930777
svc_q sip 0 'd["uri"]=="sip:30777@sip.example.net" and d["order"]==30' --service E2U+sip +4930777
svc_q pstn-tel 0 'd["uri"]=="tel:+4930777;npdi;rn=+4930222" and d["service"]=="E2U+pstn:tel" and d["order"]==10 and d["npdi"] is True and d["rn"]=="+4930222" and d["usable"]==1' --service E2U+pstn:tel +4930777
svc_q pstn-sip 0 'd["uri"]=="sip:+4930777;npdi;rn=+4930111@pstn.example.net;user=phone" and d["service"]=="E2U+pstn:sip" and d["rn"]=="+4930111"' --service E2U+pstn:sip +4930777
svc_q pstn-any 0 'd["uri"]=="tel:+4930777;npdi;rn=+4930222" and d["usable"]==2' --service E2U+pstn +4930777
svc_q tel 0 'd["uri"]=="tel:+4930777" and d["service"]=="E2U+tel" and d["order"]==40' --service E2U+tel +4930777
svc_q voice-tel 0 'd["uri"]=="tel:+4930777;ext=50" and d["service"]=="E2U+voice:tel"' --service E2U+voice:tel +4930777
svc_q case-insensitive 0 'd["service"]=="E2U+pstn:sip"' --service e2u+PSTN:SIP +4930777
svc_q list-order-by-record 0 'd["uri"]=="tel:+4930777;npdi;rn=+4930222" and d["usable"]==2' --service E2U+sip,E2U+pstn:tel +4930777
svc_q h323-not-routable 1 'd["error"]=="not found"' --service E2U+h323 +4930777
svc_q no-such-service 1 'd["error"]=="not found"' --service E2U+email:mailto +4930777
svc_q default-skips-pstn-only 1 'd["error"]=="not found"' +4930778
svc_q pstn-only 0 'd["uri"]=="sip:+4930778@pstn-only.example.net"' --service E2U+pstn:sip +4930778
svc_q bad-service 2 '' --service sip +4930777
svc_q bad-service-colon 2 '' --service E2U+pstn: +4930777
check "enum-svc:dnsmasq_saw_queries" grep -q "query\[NAPTR\] $Z" "$TMPD/dnsmasq.log"
exit ${FAILED:-0}
