#!/bin/bash
# Wireshark as an independent ISUP decoder: every good ISUP vector is decoded
# and re-encoded by tandem-tool, wrapped in an M3UA DATA message (RFC 4666
# 3.3.1, Protocol Data with SI=5) in SCTP, and read by tshark (ANSI with
# -o mtp3.standard:ANSI). No malformed packet or expert error/warning, and
# the CIC, message type, called number and cause value tshark sees match what
# tandem-tool decoded, and every parameter (code and value octets, from
# tshark's PDML) matches what tandem-tool says it encoded (isup-encode
# --params). No network, no ports.
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

# pdml_params FILE: per packet, the ISUP parameters tshark dissected as
# "code:hexvalue" (value without type, pointer or length octets), sorted, ','
# separated
pdml_params() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
for pkt in ET.parse(sys.argv[1]).getroot().iter("packet"):
    out = []
    for proto in pkt.iter("proto"):
        if proto.get("name") != "isup":
            continue
        for f in proto.iter("field"):
            kids = list(f)
            pt = [k for k in kids if k.get("name") == "isup.parameter_type"]
            if f.get("name") != "" or not pt:
                continue
            val = f.get("value") or ""
            if pt[0].get("showname", "").startswith("Optional"):
                val = val[4:]
            elif any(k.get("name") == "isup.parameter_length" for k in kids):
                val = val[2:]
            out.append("%02x:%s" % (int(pt[0].get("show")), val))
    print(",".join(sorted(out)) or "-")
' "$1"
}

for var in itu ansi; do
	names=()
	hexes=()
	wparams=()
	: >"$TMPD/$var.txt"
	while read -r v name hex expect rest; do
		[ "$v" = "$var" ] && [ "$expect" = ok ] || continue
		json=$("$TOOL" isup-decode --variant "$var" "$hex") || {
			fail "isup_tshark:$var/$name: tandem-tool rejected it"
			continue
		}
		enc=$("$TOOL" isup-encode --variant "$var" --params "$json") || {
			fail "isup_tshark:$var/$name: tandem-tool cannot encode its JSON"
			continue
		}
		# first line the bytes, then "type T cic C", then "param CODE HEX"
		wparams+=("$(sed -n 's/^param \([0-9a-f]*\) \([0-9a-f]*\)$/\1:\2/p' <<<"$enc" |
			sort | paste -sd, -)")
		enc=$(head -n 1 <<<"$enc")
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
	timeout 60 tshark -r "$TMPD/$var.pcap" "${opts[@]}" -T pdml >"$TMPD/$var.pdml" 2>/dev/null
	mapfile -t tparams < <(pdml_params "$TMPD/$var.pdml")
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
		# the codes tshark names (the 0 ending the optional part aside)
		# and the parameters it dissected, each with its value
		codes=$(tr , '\n' <<<"$ptypes" | grep -vx 0 | sort -n | paste -sd, -)
		wcodes=$(tr , '\n' <<<"${wparams[$((i - 1))]}" | sed -n 's/:.*//p' |
			while read -r c; do echo $((16#$c)); done | sort -n | paste -sd, -)
		[ "$codes" = "$wcodes" ] || why="$why parameter codes $codes != $wcodes;"
		tp=${tparams[$((i - 1))]:-}
		[ "$tp" = "-" ] && tp=""
		[ "$tp" = "${wparams[$((i - 1))]}" ] ||
			why="$why parameters $tp != ${wparams[$((i - 1))]};"
		[ "$called" = "$wcalled" ] || why="$why called '$called' != '$wcalled';"
		[ -z "$wcause" ] || [ "$cause" = "$wcause" ] || why="$why cause $cause != $wcause;"
		if [ -n "$why" ]; then
			fail "$t:$why"
		else
			pass "$t: cic $cic type $mt, $(tr , "\n" <<<"$tp" | grep -c .) parameters${called:+, called $called}${cause:+, cause $cause}"
		fi
	done <"$TMPD/$var.fields"
	[ "$i" -eq ${#names[@]} ] || fail "isup_tshark:$var: tshark read $i of ${#names[@]} packets ($(head -c 300 "$TMPD/$var.err"))"
done
exit $FAILED
