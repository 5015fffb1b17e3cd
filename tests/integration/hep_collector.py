#!/usr/bin/env python3
"""A tiny HEP collector for the tests: receives HEP3 over UDP and writes
one JSON object per packet, decoded from the HEP/EEP version 3 layout
("HEP3", 16-bit total length, then chunks of 16-bit vendor id, 16-bit
type, 16-bit length counting the 6-octet chunk header, value; network
byte order), independently of tandem's encoder.

  hep_collector.py serve PORT OUT.jsonl [SECONDS]
  hep_collector.py check OUT.jsonl      (prints a summary per packet)

A packet that is not well-formed HEP3 is written as {"bad": reason}.
For M3UA payloads (protocol type 9) the M3UA DATA's Protocol Data
parameter (RFC 4666 3.3.1) is decoded: OPC, DPC, SI, and for ISUP
(SI 5) the CIC and message type (Q.763). RTCP reports (protocol type 5,
"RTCP JSON") are parsed as JSON into "rtcp" ({"rtcp_bad": ...} when the
payload is not a JSON object)."""
import ipaddress
import json
import socket
import struct
import sys
import time


def m3ua_isup(p):
    out = {}
    if len(p) < 8 or p[0] != 1:
        return {"m3ua_bad": "header"}
    out["m3ua_class"], out["m3ua_type"] = p[2], p[3]
    (mlen,) = struct.unpack("!I", p[4:8])
    off = 8
    while off + 4 <= min(mlen, len(p)):
        tag, plen = struct.unpack("!HH", p[off:off + 4])
        if plen < 4:
            return {"m3ua_bad": "param length"}
        val = p[off + 4:off + plen]
        if tag == 0x0210 and len(val) >= 12:
            opc, dpc = struct.unpack("!II", val[0:8])
            si, ni, mp, sls = val[8], val[9], val[10], val[11]
            out.update(opc=opc, dpc=dpc, si=si, sls=sls)
            isup = val[12:]
            if si == 5 and len(isup) >= 3:
                out["cic"] = isup[0] | ((isup[1] & 0x0F) << 8)
                out["isup_type"] = isup[2]
        off += (plen + 3) & ~3
    return out


def decode(d):
    if len(d) < 6 or d[:4] != b"HEP3":
        return {"bad": "no HEP3 id"}
    (total,) = struct.unpack("!H", d[4:6])
    if total != len(d):
        return {"bad": "total length %d, datagram %d" % (total, len(d))}
    r = {"chunks": []}
    off = 6
    while off < total:
        if off + 6 > total:
            return {"bad": "chunk header cut at %d" % off}
        vendor, ctype, clen = struct.unpack("!HHH", d[off:off + 6])
        if clen < 6 or off + clen > total:
            return {"bad": "chunk %#x length %d at %d" % (ctype, clen, off)}
        v = d[off + 6:off + clen]
        r["chunks"].append(ctype)
        if vendor != 0:
            r.setdefault("vendor_chunks", []).append([vendor, ctype])
        elif ctype == 1:
            r["family"] = v[0]
        elif ctype == 2:
            r["ip_proto"] = v[0]
        elif ctype in (3, 4):
            r["src" if ctype == 3 else "dst"] = str(ipaddress.IPv4Address(v))
        elif ctype in (5, 6):
            r["src" if ctype == 5 else "dst"] = str(ipaddress.IPv6Address(v))
        elif ctype == 7:
            (r["sport"],) = struct.unpack("!H", v)
        elif ctype == 8:
            (r["dport"],) = struct.unpack("!H", v)
        elif ctype == 9:
            (r["ts"],) = struct.unpack("!I", v)
        elif ctype == 10:
            (r["ts_us"],) = struct.unpack("!I", v)
        elif ctype == 11:
            r["proto_type"] = v[0]
        elif ctype == 12:
            (r["agent"],) = struct.unpack("!I", v)
        elif ctype == 14:
            r["auth_key"] = v.decode("latin-1")
        elif ctype == 17:
            r["corr"] = v.decode("latin-1")
        elif ctype == 15:
            r["payload_len"] = len(v)
            if r.get("proto_type") == 9:
                r.update(m3ua_isup(v))
                r["payload_hex"] = v.hex()
            elif r.get("proto_type") == 5:
                try:
                    r["rtcp"] = json.loads(v.decode("utf-8"))
                    if not isinstance(r["rtcp"], dict):
                        raise ValueError("not an object")
                except ValueError as e:
                    r["rtcp_bad"] = str(e)
            else:
                txt = v.decode("latin-1")
                r["first_line"] = txt.split("\r\n", 1)[0]
                for line in txt.split("\r\n"):
                    k = line.split(":", 1)[0].strip().lower()
                    if k in ("call-id", "i") and ":" in line:
                        r["sip_call_id"] = line.split(":", 1)[1].strip()
                        break
        off += clen
    return r


def serve(port, out, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.5)
    end = time.time() + seconds
    with open(out, "a") as f:
        while time.time() < end:
            try:
                d, _ = s.recvfrom(70000)
            except socket.timeout:
                continue
            f.write(json.dumps(decode(d)) + "\n")
            f.flush()


def check_call(out, cic, agent, key, m3ua_port, sip_port):
    """The ISUP messages on CIC and the SIP messages of the same call carry
    one correlation id, the INVITE's Call-ID. Prints why not; exit 1."""
    pk = [json.loads(line) for line in open(out)]
    bad = [p for p in pk if "bad" in p]
    if bad:
        print("   malformed HEP3:", bad[0])
        return 1
    isup = [p for p in pk if p.get("proto_type") == 9 and p.get("cic") == cic]
    iam = [p for p in isup if p.get("isup_type") == 0x01]
    if len(iam) != 1:
        print("   %d IAM(s) on CIC %d among %d packets" % (len(iam), cic, len(pk)))
        return 1
    iam = iam[0]
    corr = iam.get("corr")
    want = {1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 14, 15, 17}
    errs = []
    if not corr:
        errs.append("the IAM has no correlation id")
    if set(iam["chunks"]) != want:
        errs.append("IAM chunks %s" % sorted(iam["chunks"]))
    if (iam.get("family"), iam.get("ip_proto"), iam.get("agent"), iam.get("auth_key")) != \
            (2, 6, agent, key):
        errs.append("IAM family/proto/agent/key %s" % [iam.get(k) for k in
                    ("family", "ip_proto", "agent", "auth_key")])
    if iam.get("sport") != m3ua_port or iam.get("src") != "127.0.0.1" or iam.get("m3ua_type") != 1:
        errs.append("IAM from %s:%s (M3UA type %s)" % (iam.get("src"), iam.get("sport"),
                                                      iam.get("m3ua_type")))
    if not (0 < iam.get("ts", 0) and 0 <= iam.get("ts_us", -1) < 1000000) or \
            abs(iam["ts"] - time.time()) > 600:
        errs.append("IAM time %s.%s" % (iam.get("ts"), iam.get("ts_us")))
    inv = [p for p in pk if p.get("proto_type") == 1 and
           p.get("first_line", "").startswith("INVITE ") and p.get("sip_call_id") == corr]
    if len(inv) != 1:
        errs.append("%d INVITE(s) with Call-ID %s" % (len(inv), corr))
    else:
        inv = inv[0]
        if inv.get("corr") != corr or inv.get("ip_proto") != 17 or inv.get("dport") != sip_port:
            errs.append("INVITE corr %s proto %s to port %s" % (inv.get("corr"),
                        inv.get("ip_proto"), inv.get("dport")))
        if (inv["ts"], inv["ts_us"]) < (iam["ts"], iam["ts_us"]):
            errs.append("INVITE stamped before the IAM")
    sip = [p for p in pk if p.get("proto_type") == 1 and p.get("sip_call_id") == corr]
    types = sorted({p.get("isup_type") for p in isup if p.get("corr") == corr})
    # IAM, ANM, REL, RLC (Q.763 table 4: 0x01, 0x09, 0x0c, 0x10)
    for t in (0x01, 0x09, 0x0C, 0x10):
        if t not in types:
            errs.append("ISUP type %#x on CIC %d without the call's correlation id" % (t, cic))
    print("   CIC %d: correlation id %s: %d ISUP (types %s), %d SIP (%s)" % (
        cic, corr, len([p for p in isup if p.get("corr") == corr]), types, len(sip),
        ", ".join(p.get("first_line", "?").split(" ")[0 if not p["first_line"].startswith("SIP")
                                                     else 1] for p in sip)))
    for e in errs:
        print("   " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    if sys.argv[1] == "call":
        sys.exit(check_call(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
                            int(sys.argv[6]), int(sys.argv[7])))
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 300)
    else:
        for line in open(sys.argv[2]):
            r = json.loads(line)
            print(r.get("proto_type"), r.get("corr"), r.get("first_line") or
                  "isup type %s cic %s" % (r.get("isup_type"), r.get("cic")))
