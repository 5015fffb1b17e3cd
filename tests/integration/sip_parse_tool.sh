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
# one Python process for every vector (a Python start per output to read
# the JSON, four per vector, made this script take a minute, and several
# on a loaded machine); the verdicts as before: UDP (file) and TCP (stdin,
# stream framing by Content-Length)
python3 - "$tool" "$dir" <<'PY'
import json, subprocess, sys
tool, d = sys.argv[1], sys.argv[2]
fails = 0
def run(args, stdin=None):
    try:
        p = subprocess.run(["timeout", "10", tool, "sip-parse"] + args, stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError as e:
        return "", 127
    return p.stdout.decode("utf-8", "surrogateescape"), p.returncode
for line in open(d + "/index.txt", encoding="utf-8", errors="surrogateescape"):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    parts = line.split("\t")
    f = dict(x.split("=", 1) for x in parts[1:] if "=" in x)
    name = "sip_parse_tool:" + (parts[0][:-4] if parts[0].endswith(".sip") else parts[0])
    out, rc = run([d + "/" + parts[0]])
    try:
        j = json.loads(out)
        got = "%s %s" % (j["verdict"], j.get("reply", "-"))
    except Exception as e:
        got = "%s: %s" % (type(e).__name__, e)
    want_rc = 0 if f.get("verdict") == "valid" else 1
    if got != "%s %s" % (f.get("verdict"), f.get("reply")) or rc != want_rc:
        print("FAIL %s: udp got '%s' exit %d, want '%s %s' exit %d" %
              (name, got, rc, f.get("verdict"), f.get("reply"), want_rc), flush=True)
        fails += 1
        continue
    with open(d + "/" + parts[0], "rb") as fh:
        out, rc = run(["--transport", "tcp", "-"], stdin=fh)
    try:
        j = json.loads(out)
        got = "incomplete" if "more bytes" in j.get("error", "") else j["verdict"]
    except Exception as e:
        got = "%s: %s" % (type(e).__name__, e)
    want_rc = 0 if f.get("tcp") == "valid" else 1
    if got != f.get("tcp") or rc != want_rc:
        print("FAIL %s: tcp got '%s' exit %d, want '%s' exit %d" %
              (name, got, rc, f.get("tcp"), want_rc), flush=True)
        fails += 1
        continue
    print("PASS " + name, flush=True)
sys.exit(1 if fails else 0)
PY
fails=$?
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
