#!/usr/bin/env python3
"""Create relays on rtpengine through its ng control protocol (UDP: a cookie,
a space, then one bencoded dictionary; the reply carries the same cookie).

For each call: "offer" with the caller's SDP (c=IP, m=audio PORT), then
"answer" with the callee's SDP. rtpengine rewrites both: the answer's reply
says where the caller must send, and rtpengine forwards that to the callee's
address from the offer side's port.

  ng_setup.py NG_PORT CALLS CALLER_IP:PORT CALLEE_IP:PORT OUT NIF  (setup)
  ng_setup.py NG_PORT CALLS - - -                             (delete all)
  ng_setup.py NG_PORT ping                                    (is it up?)

OUT gets one line per call: the IP and port the caller sends to."""
import os
import random
import socket
import sys


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c == b"l" or c == b"d":
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            x, i = bdec(b, i)
            out.append(x)
        if c == b"l":
            return out, i + 1
        return {out[k].decode(): out[k + 1] for k in range(0, len(out), 2)}, i + 1
    colon = b.index(b":", i)
    n = int(b[i:colon])
    return b[colon + 1:colon + 1 + n], colon + 1 + n


class Ng:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(2.0)
        self.dst = ("127.0.0.1", port)
        self.n = 0
        # rtpengine caches replies by cookie alone (to answer retransmissions),
        # whoever sends: a cookie must not repeat across runs
        self.prefix = b"%x%x" % (os.getpid(), random.getrandbits(32))

    def cmd(self, d):
        self.n += 1
        cookie = b"%s_%d" % (self.prefix, self.n)
        for _ in range(3):  # UDP: retry a lost request, bounded
            self.s.sendto(cookie + b" " + benc(d), self.dst)
            try:
                while True:
                    r, _a = self.s.recvfrom(65536)
                    ck, _, body = r.partition(b" ")
                    if ck == cookie:
                        reply, _ = bdec(body)
                        want = b"pong" if d["command"] == "ping" else b"ok"
                        if reply.get("result") != want:
                            raise RuntimeError("ng %s: %r" % (d["command"], reply))
                        return reply
            except socket.timeout:
                continue
        raise RuntimeError("ng: no reply to %s" % d["command"])


def sdp(ip, port, sess):
    return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=sendrecv\r\n"
            % (sess, ip, ip, port))


def media_addr(sdp_bytes):
    ip, port = None, None
    for line in sdp_bytes.decode().split("\r\n"):
        if line.startswith("c=IN IP4 "):
            ip = line.split()[2]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    return ip, port


def main():
    ng = Ng(int(sys.argv[1]))
    if sys.argv[2] == "ping":
        ng.cmd({"command": "ping"})
        return 0
    # logical interfaces i1..iN (127.0.0.1..N), one per block of calls: a
    # call takes 4 ports, more than one address holds in a small range
    nif = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    calls = int(sys.argv[2])
    if sys.argv[3] == "-":
        for i in range(calls):
            try:
                ng.cmd({"command": "delete", "call-id": "bench-%d" % i, "from-tag": "a%d" % i})
            except RuntimeError:
                pass
        return 0
    a_ip, a_port = sys.argv[3].rsplit(":", 1)
    b_ip, b_port = sys.argv[4].rsplit(":", 1)
    out = []
    for i in range(calls):
        cid = "bench-%d" % i
        ng.cmd({"command": "offer", "call-id": cid, "from-tag": "a%d" % i,
                "sdp": sdp(a_ip, int(a_port), i), "replace": ["origin"],
                "direction": ["i%d" % (i % nif + 1)] * 2})
        r = ng.cmd({"command": "answer", "call-id": cid, "from-tag": "a%d" % i,
                    "to-tag": "b%d" % i, "sdp": sdp(b_ip, int(b_port), i)})
        ip, port = media_addr(r["sdp"])
        if not ip or not port:
            raise RuntimeError("no media address in the answer for call %d" % i)
        out.append("%s %d\n" % (ip, port))
    with open(sys.argv[5], "w") as f:
        f.writelines(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
