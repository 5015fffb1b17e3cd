#!/bin/bash
# Wireshark as an independent ISUP decoder: every good ISUP vector is decoded
# and re-encoded by tandem-tool, wrapped in an M3UA DATA message (RFC 4666
# 3.3.1, Protocol Data with SI=5) in SCTP, and read by tshark (ANSI with
# -o mtp3.standard:ANSI). No malformed packet or expert error/warning, and
# the CIC, message type, parameter codes, called number and cause value
# tshark sees match what tandem-tool decoded. No network, no ports.
. "$(dirname "$0")/../lib.sh"
TOOL=$BUILD/tandem-tool
FAILED=0
if ! command -v tshark >/dev/null || ! command -v text2pcap >/dev/null; then
	skip "isup_tshark: tshark/text2pcap not installed"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	skip "isup_tshark: python3 needed to read the JSON"
	exit 0
fi

# m3ua_data HEX: an M3UA DATA message carrying the ISUP bytes, OPC 1, DPC 2,
# SI 5, NI 2, SLS 0, padded to 4 octets.
m3ua_data() {
	local isup=$1 n pd pad
	n=$((${#isup} / 2))
	pd=$((16 + n))
	pad=$(((4 - pd % 4) % 4))
	printf '01000101%08x' $((8 + pd + pad))
	printf '0210%04x' "$pd"
	printf '00000001000000020502%02x00' 0
	printf '%s' "$isup"
	printf '%*s' $((pad * 2)) '' | tr ' ' 0
}

# Fields tandem-tool's JSON says tshark must show: cic, type code,
# parameter codes, called digits, cause value (one line, '|' separated).
expect_from_json() {
	python3 -c '
import json, sys
j = json.loads(sys.argv[1])
p = j["params"]
cd = p.get("called_party_number", {})
# tshark writes ST (hex F) as a digit
called = cd.get("digits", "") + ("F" if cd.get("st") else "")
cause = p.get("cause_indicators", {}).get("value", "")
print("%d|%s|%s" % (j["cic"], called, cause))
' "$1"
}

for var in itu ansi; do
	names=()
	hexes=()
	: >"$TMPD/$var.txt"
	while read -r v name hex expect rest; do
		[ "$v" = "$var" ] && [ "$expect" = ok ] || continue
		json=$("$TOOL" isup-decode --variant "$var" "$hex") || {
			fail "isup_tshark:$var/$name: tandem-tool rejected it"
			continue
		}
		enc=$("$TOOL" isup-encode --variant "$var" "$json") || {
			fail "isup_tshark:$var/$name: tandem-tool cannot encode its JSON"
			continue
		}
		names+=("$name")
		hexes+=("$enc")
		m3ua_data "$enc" | sed 's/../& /g; s/^/000000 /' >>"$TMPD/$var.txt"
		echo >>"$TMPD/$var.txt"
	done < <(cat "$TOP"/tests/vectors/isup/itu.txt "$TOP"/tests/vectors/isup/ansi.txt \
		"$TOP"/tests/vectors/isup/libss7.txt)
	[ ${#names[@]} -gt 10 ] || fail "isup_tshark:$var: only ${#names[@]} vectors"
	text2pcap -q -S 2905,2905,3 "$TMPD/$var.txt" "$TMPD/$var.pcap" 2>/dev/null
	opts=(-o sctp.checksum:none)
	[ "$var" = ansi ] && opts+=(-o mtp3.standard:ANSI)
	timeout 60 tshark -r "$TMPD/$var.pcap" "${opts[@]}" -T fields -E separator='|' \
		-E aggregator=, -e frame.number -e isup.cic -e isup.message_type \
		-e isup.parameter_type -e isup.called -e isup.cause_indicator -e ansi_isup.cause_indicator \
		-e _ws.malformed -e _ws.expert.severity >"$TMPD/$var.fields" 2>"$TMPD/$var.err"
	i=0
	while IFS='|' read -r frame cic mt ptypes called cause acause malformed sev; do
		cause=${cause:-$acause}
		name=${names[$i]:-?}
		hex=${hexes[$i]:-}
		i=$((i + 1))
		t="isup_tshark:$var/$name"
		json=$("$TOOL" isup-decode --variant "$var" "$hex")
		IFS='|' read -r wcic wcalled wcause <<<"$(expect_from_json "$json")"
		wmt=$((16#${hex:4:2}))
		why=""
		[ -n "$malformed" ] && why="$why malformed;"
		# expert severities: 0x600000 warning, 0x800000 error (epan/proto.h).
		# tshark 4.0 does not know T1.113 EXM (0xed) and warns "Unknown
		# Message type": tolerated for EXM only.
		for s in ${sev//,/ }; do
			if [ "$s" -ge 8388608 ] || { [ "$s" -ge 6291456 ] && [ "$wmt" != 237 ]; }; then
				why="$why expert severity $s;"
			fi
		done
		[ "$cic" = "$wcic" ] || why="$why cic $cic != $wcic;"
		[ "$mt" = "$wmt" ] || why="$why type $mt != $wmt;"
		[ "$called" = "$wcalled" ] || why="$why called '$called' != '$wcalled';"
		[ -z "$wcause" ] || [ "$cause" = "$wcause" ] || why="$why cause $cause != $wcause;"
		if [ -n "$why" ]; then
			fail "$t:$why"
		else
			pass "$t: cic $cic type $mt${called:+ called $called}${cause:+ cause $cause}"
		fi
	done <"$TMPD/$var.fields"
	[ "$i" -eq ${#names[@]} ] || fail "isup_tshark:$var: tshark read $i of ${#names[@]} packets ($(head -c 300 "$TMPD/$var.err"))"
done
exit $FAILED
