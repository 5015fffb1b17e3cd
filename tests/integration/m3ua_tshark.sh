#!/bin/bash
# Cross-check: each M3UA message vector (RFC 4666 section 3 layouts) must decode with
# tandem-tool m3ua-decode and with tshark (wrapped in SCTP, PPID 3) without malformed/expert
# errors, and tshark's fields must be what tandem-tool decoded: message class and type (RFC
# 4666 3.1.2 numbers), every parameter tag (routing key and (de)registration results opened),
# routing context, network appearance, point codes (affected, concerned, DPC, OPC list, CIC
# range, and the protocol data's OPC/DPC/SI/NI/MP/SLS), and the other values listed in
# fields() below.
TOP=${TANDEM_TOP:-$PWD}
BUILD=${TANDEM_BUILD:-$TOP/build}
TOOL=$BUILD/tandem-tool
if ! command -v tshark >/dev/null || ! command -v text2pcap >/dev/null; then
	echo "SKIP m3ua_tshark: tshark/text2pcap not installed"
	exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# name hex (DATA carries an ISUP RLC, Q.763 table 35, CIC 1; the REG REQ's
# routing key holds a Circuit Range, RFC 4666 3.6.1)
VECTORS="
aspup 0100030100000008
aspup_ack 0100030400000008
beat 010003030000001000090008deadbeef
aspac 0100040100000018000b000800000002000600080000002a
data 0100010100000024000600080000002a021000140000123400000abc0502000701001000
aspia 0100040200000010000600080000002a
aspdn 0100030200000008
daud 0100020300000018000600080000002a0012000800000abc
scon 010002040000001800120008000000010205000800000002
dupu 010002050000001800120008000000010204000800020005
drst 0100020600000010001200080000000a
reg_req 010009010000004002070038020a00080000000b000b000800000001020b000800000002020c000505000000020e000800000001020f000c000000010001001f
reg_rsp 01000902000000240208001c020a00080000000b02120008000000000006000800000064
dereg_req 01000903000000100006000800000064
dereg_rsp 010009040000001c0209001400060008000000640213000800000000
data_na 010001010000002c0200000800000007000600080000002a021000140000123400000abc0502000701001000
ntfy 0100000100000010000d000800010002
err 0100000000000010000c000800000001
"
# fields JSON PDML: the M3UA fields (name=value, sorted) from tandem-tool's JSON,
# then a line with tshark's (the same field names only), for comparison
fields() {
	python3 -c '
import json, sys, xml.etree.ElementTree as ET
CLS = {"MGMT": 0, "TRANSFER": 1, "SSNM": 2, "ASPSM": 3, "ASPTM": 4, "RKM": 9}
TYP = {"ERR": 0, "NTFY": 1, "DATA": 1, "DUNA": 1, "DAVA": 2, "DAUD": 3, "SCON": 4,
       "DUPU": 5, "DRST": 6, "ASPUP": 1, "ASPDN": 2, "BEAT": 3, "ASPUP_ACK": 4,
       "ASPDN_ACK": 5, "BEAT_ACK": 6, "ASPAC": 1, "ASPIA": 2, "ASPAC_ACK": 3,
       "ASPIA_ACK": 4, "REG_REQ": 1, "REG_RSP": 2, "DEREG_REQ": 3, "DEREG_RSP": 4}
CONTAINERS = (0x0207, 0x0208, 0x0209)
def n(b):
    return str(int.from_bytes(b, "big"))
def per(b, k):
    return [b[i:i + k] for i in range(0, len(b) - k + 1, k)]
def tlv(tag, v, out):
    out.append(("parameter_tag", str(tag)))
    if tag in CONTAINERS:
        i = 0
        while i + 4 <= len(v):
            t, l = int.from_bytes(v[i:i + 2], "big"), int.from_bytes(v[i + 2:i + 4], "big")
            tlv(t, v[i + 4:i + l], out)
            i += (l + 3) & ~3
    elif tag == 0x0006:
        out += [("routing_context", n(x)) for x in per(v, 4)]
    elif tag == 0x0200:
        out.append(("network_appearance", n(v)))
    elif tag == 0x0009:
        out.append(("heartbeat_data", ":".join("%02x" % c for c in v)))
    elif tag == 0x000b:
        out.append(("traffic_mode_type", n(v)))
    elif tag == 0x000c:
        out.append(("error_code", n(v)))
    elif tag == 0x000d:
        out += [("status_type", n(v[:2])), ("status_info", n(v[2:4]))]
    elif tag == 0x0012:
        for x in per(v, 4):
            out += [("affected_point_code_mask", n(x[:1])), ("affected_point_code_pc", n(x[1:]))]
    elif tag == 0x0204:
        out += [("unavailability_cause", n(v[:2])), ("user_identity", n(v[2:4]))]
    elif tag == 0x0205:
        out.append(("congestion_level", n(v[3:4])))
    elif tag == 0x0206:
        out.append(("concerned_dpc", n(v[1:4])))
    elif tag == 0x020a:
        out.append(("local_rk_identifier", n(v)))
    elif tag == 0x020b:
        out += [("dpc_mask", n(v[:1])), ("dpc_pc", n(v[1:4]))]
    elif tag == 0x020c:
        out += [("si", str(c)) for c in v]
    elif tag == 0x020e:
        for x in per(v, 4):
            out += [("opc_list_mask", n(x[:1])), ("opc_list_pc", n(x[1:]))]
    elif tag == 0x020f:
        for x in per(v, 8):
            out += [("cic_range_mask", n(x[:1])), ("cic_range_pc", n(x[1:4])),
                    ("cic_range_lower", n(x[4:6])), ("cic_range_upper", n(x[6:8]))]
    elif tag == 0x0212:
        out.append(("registration_status", n(v)))
    elif tag == 0x0213:
        out.append(("deregistration_status", n(v)))
j = json.load(open(sys.argv[1]))
want = [("message_class", str(CLS[j["class"]])), ("message_type", str(TYP[j["type"]]))]
for p in j["parameters"]:
    if p["tag"] == 0x0210:
        want.append(("parameter_tag", "528"))
        want += [("protocol_data_" + k, str(p[k])) for k in ("opc", "dpc", "si", "ni", "mp", "sls")]
    else:
        tlv(p["tag"], bytes.fromhex(p.get("value", "")), want)
names = {k for k, _ in want}
got = []
for f in ET.parse(sys.argv[2]).getroot().iter("field"):
    k = (f.get("name") or "")[5:]
    if (f.get("name") or "").startswith("m3ua.") and k in names:
        got.append((k, f.get("show")))
print(" ".join("%s=%s" % x for x in sorted(want)))
print(" ".join("%s=%s" % x for x in sorted(got)))
' "$1" "$2"
}
fail=0
while read -r name hex; do
	[ -z "$name" ] && continue
	if ! "$TOOL" m3ua-decode "$hex" >"$TMP/$name.json"; then
		echo "FAIL m3ua_tshark:$name: tandem-tool rejected it: $(cat "$TMP/$name.json")"
		fail=1
		continue
	fi
	echo "$hex" | sed 's/../& /g; s/^/000000 /' >"$TMP/$name.txt"
	text2pcap -q -S 2905,2905,3 "$TMP/$name.txt" "$TMP/$name.pcap" 2>/dev/null
	out=$(timeout 20 tshark -r "$TMP/$name.pcap" -V -o sctp.checksum:none 2>&1)
	if ! grep -q "MTP 3 User Adaptation Layer" <<<"$out"; then
		echo "FAIL m3ua_tshark:$name: tshark did not see M3UA"
		fail=1
	elif grep -qiE "malformed|Expert Info \(Error|Expert Info \(Warn" <<<"$out"; then
		echo "FAIL m3ua_tshark:$name: tshark reports errors"
		fail=1
	elif ! timeout 20 tshark -r "$TMP/$name.pcap" -T pdml -o sctp.checksum:none \
		>"$TMP/$name.pdml" 2>/dev/null ||
		! cmp=$(fields "$TMP/$name.json" "$TMP/$name.pdml"); then
		echo "FAIL m3ua_tshark:$name: cannot compare fields"
		fail=1
	elif [ "$(sed -n 1p <<<"$cmp")" != "$(sed -n 2p <<<"$cmp")" ]; then
		echo "FAIL m3ua_tshark:$name: tandem-tool [$(sed -n 1p <<<"$cmp")] tshark [$(sed -n 2p <<<"$cmp")]"
		fail=1
	else
		echo "PASS m3ua_tshark:$name: $(sed -n 1p <<<"$cmp" | wc -w) fields match"
	fi
done <<<"$VECTORS"
exit $fail
