#!/bin/bash
# tandem-tool sip-parse over every RFC 4475 / RFC 5118 torture vector:
# verdict, reply and exit code as tests/vectors/sip/index.txt says, on UDP
# and on TCP framing. No network, no ports.
set -u
top=${TANDEM_TOP:-$(pwd)}
build=${TANDEM_BUILD:-$top/build}
tool=$build/tandem-tool
dir=$top/tests/vectors/sip
if [ ! -x "$tool" ]; then
	echo "FAIL sip_parse_tool: $tool not built"
	exit 1
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP sip_parse_tool: python3 needed to read the JSON"
	exit 0
fi
fails=0
field() { # line key
	printf '%s\n' "$1" | tr '\t' '\n' | sed -n "s/^$2=//p"
}
while IFS= read -r line; do
	case "$line" in '#'*|'') continue ;; esac
	file=${line%%$'\t'*}
	want_verdict=$(field "$line" verdict)
	want_reply=$(field "$line" reply)
	want_tcp=$(field "$line" tcp)
	name=sip_parse_tool:${file%.sip}
	out=$(timeout 10 "$tool" sip-parse "$dir/$file")
	rc=$?
	got=$(printf '%s' "$out" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d["verdict"], d.get("reply","-"))' 2>&1)
	want_rc=0
	[ "$want_verdict" = valid ] || want_rc=1
	if [ "$got" != "$want_verdict $want_reply" ] || [ $rc -ne $want_rc ]; then
		echo "FAIL $name: udp got '$got' exit $rc, want '$want_verdict $want_reply' exit $want_rc"
		fails=$((fails + 1))
		continue
	fi
	# stdin and --transport tcp: stream framing by Content-Length
	out=$(timeout 10 "$tool" sip-parse --transport tcp - <"$dir/$file")
	rc=$?
	got=$(printf '%s' "$out" | python3 -c 'import json,sys
d=json.load(sys.stdin); e=d.get("error","")
print("incomplete" if "more bytes" in e else d["verdict"])' 2>&1)
	want_rc=0
	[ "$want_tcp" = valid ] || want_rc=1
	if [ "$got" != "$want_tcp" ] || [ $rc -ne $want_rc ]; then
		echo "FAIL $name: tcp got '$got' exit $rc, want '$want_tcp' exit $want_rc"
		fails=$((fails + 1))
		continue
	fi
	echo "PASS $name"
done <"$dir/index.txt"
# usage errors exit 2
"$tool" sip-parse --transport sctp "$dir/wsinv.sip" >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then echo "PASS sip_parse_tool:usage"; else
	echo "FAIL sip_parse_tool:usage: exit $rc, want 2"; fails=$((fails + 1)); fi
# JSON escaping of control characters (the NUL and BEL of RFC 4475 3.1.1.2)
if "$tool" sip-parse "$dir/intmeth.sip" | python3 -c 'import json,sys; json.load(sys.stdin)'; then
	echo "PASS sip_parse_tool:json"
else
	echo "FAIL sip_parse_tool:json: output is not JSON"; fails=$((fails + 1))
fi
# octets that are not UTF-8 (a reason phrase from the wire) still give JSON
if printf 'SIP/2.0 200 \xff\xfe\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n' |
	"$tool" sip-parse - | python3 -c 'import json,sys; json.load(sys.stdin)'; then
	echo "PASS sip_parse_tool:json-binary"
else
	echo "FAIL sip_parse_tool:json-binary: output is not JSON"; fails=$((fails + 1))
fi
[ $fails -eq 0 ]
