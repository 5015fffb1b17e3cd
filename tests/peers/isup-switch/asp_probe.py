#!/usr/bin/env python3
"""A tiny M3UA ASP (RFC 4666) that drives isup-switch and checks it.

It starts the switch itself (stdin = script, stdout = event lines), joins
its SG (ASPUP, ASPAC), then checks, for one variant (ITU or ANSI):
  - a hand-built IAM in DATA is reported as "EV IAM cic=.. called=.."
  - a REL is reported and RLC comes back in DATA
  - the `call` command produces an IAM in DATA with the right CIC and
    called-number digits; `release` sends REL, our RLC gives "EV RLC"
  - GRS from us is reported and answered with GRA (same range);
    the `grs` command sends GRS, our GRA gives "EV GRA"
  - BEAT is answered with BEAT_ACK carrying the same data
Prints PASS/FAIL lines; exit status 0 only if everything passed.
stdlib only.
"""
import argparse
import queue
import socket
import struct
import subprocess
import sys
import threading
import time

RC = 7


def m3ua(cls, typ, params=b""):
    return struct.pack("!BBBBI", 1, 0, cls, typ, 8 + len(params)) + params


def param(tag, val):
    pad = (4 - len(val) % 4) % 4
    return struct.pack("!HH", tag, 4 + len(val)) + val + b"\0" * pad


def params_of(body):
    out, off = {}, 0
    while off + 4 <= len(body):
        tag, ln = struct.unpack("!HH", body[off:off + 4])
        if ln < 4:
            break
        out[tag] = body[off + 4:off + ln]
        off += ln + (4 - ln % 4) % 4
    return out


def bcd(digits):
    """Q.763 3.9 address signals, two per octet, first in the low nibble."""
    nib = [int(d, 16) if d != "#" else 0xF for d in digits]
    odd = len(nib) % 2
    if odd:
        nib.append(0)
    return odd, bytes(nib[i] | nib[i + 1] << 4 for i in range(0, len(nib), 2))


def unbcd(data, odd):
    s = ""
    for b in data:
        s += "%X%X" % (b & 0xF, b >> 4)
    if odd:
        s = s[:-1]
    return s


class Probe:
    def __init__(self, a):
        self.a = a
        self.ansi = a.variant == "ansi"
        self.failed = 0
        self.lines = queue.Queue()
        self.seen = []
        cmd = [a.switch, "--listen", "127.0.0.1:%d" % a.port, "--variant", a.variant,
               "--opc", str(a.spc), "--dpc", str(a.tpc), "--rc", str(RC),
               "--cics", "1-31", "--timeout", "40", "--script", "-"]
        if a.debug:
            cmd.append("--debug")
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=None if a.debug else subprocess.DEVNULL, text=True, bufsize=1)
        threading.Thread(target=self._reader, daemon=True).start()
        self.sock = None
        self.rbuf = b""
        self.ssnm = []

    def _reader(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def check(self, name, ok, detail=""):
        print("%s %s %s%s" % ("PASS" if ok else "FAIL", self.a.variant, name,
                              (": " + detail) if detail and not ok else ""))
        if not ok:
            self.failed = 1
        return ok

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def wait_line(self, prefix, secs=5.0):
        """Next stdout line starting with prefix (lines seen before count)."""
        for i, l in enumerate(self.seen):
            if l.startswith(prefix):
                del self.seen[i]
                return l
        end = time.time() + secs
        while time.time() < end:
            try:
                l = self.lines.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                break
            if l is None:
                break
            if l.startswith(prefix):
                return l
            self.seen.append(l)
        return None

    # --- M3UA ---
    def connect(self):
        end = time.time() + 5
        while time.time() < end:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.a.port), timeout=1)
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def send(self, msg):
        self.sock.sendall(msg)

    def recv_msg(self, secs=3.0):
        """Next message; SSNM (DUNA/DAVA about the switch) is kept aside in
        self.ssnm, as (type, affected point code parameter)."""
        end = time.time() + secs
        while True:
            if len(self.rbuf) >= 8:
                ln = struct.unpack("!I", self.rbuf[4:8])[0]
                if len(self.rbuf) >= ln:
                    m, self.rbuf = self.rbuf[:ln], self.rbuf[ln:]
                    if m[2] == 2:
                        self.ssnm.append((m[3], params_of(m[8:]).get(0x0012)))
                        continue
                    return m[2], m[3], params_of(m[8:])
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(4096)
            except socket.timeout:
                return None
            if not d:
                return None
            self.rbuf += d

    def recv_isup(self, mtype, secs=3.0):
        """Next DATA whose ISUP message type is mtype: (pd fields, isup bytes)."""
        end = time.time() + secs
        while time.time() < end:
            m = self.recv_msg(end - time.time())
            if m is None:
                return None
            cls, typ, ps = m
            if (cls, typ) != (1, 1) or 0x0210 not in ps:
                continue
            pd = ps[0x0210]
            opc, dpc, si, ni, mp, sls = struct.unpack("!IIBBBB", pd[:12])
            isup = pd[12:]
            if si == 5 and len(isup) >= 3 and isup[2] == mtype:
                return (opc, dpc, si, ni, ps.get(0x0006)), isup
        return None

    def data(self, isup, sls=3):
        pd = struct.pack("!IIBBBB", self.a.tpc, self.a.spc, 5, 2, 0, sls) + isup
        self.send(m3ua(1, 1, param(0x0006, struct.pack("!I", RC)) + param(0x0210, pd)))

    def cic_bytes(self, cic):
        return struct.pack("<H", cic & (0x3FFF if self.ansi else 0x0FFF))

    def cic_of(self, isup):
        return struct.unpack("<H", isup[:2])[0] & (0x3FFF if self.ansi else 0x0FFF)

    # --- ISUP messages built by hand (Q.763 / T1.113) ---
    def iam(self, cic, called, calling):
        odd, dig = bcd(called + ("#" if not self.ansi else ""))
        cd = bytes([odd << 7 | 0x03, 0x10]) + dig          # national, ISDN plan
        codd, cdig = bcd(calling)
        cg = bytes([codd << 7 | 0x03, 0x13]) + cdig        # allowed, network provided
        opt = bytes([0x0A, len(cg)]) + cg + b"\0"
        fixed = bytes([0x00, 0x60, 0x01, 0x0A])             # NCI, FCI, CPC ordinary
        if not self.ansi:
            fixed += b"\x00"                                 # TMR speech
            var = [cd]
        else:
            var = [bytes([0x80, 0x90, 0xA2]), cd]           # USI speech, then called
        # pointers: one per mandatory variable part, then the optional part
        ptrs, body, n = [], b"", len(var) + 1
        for i, v in enumerate(var):
            ptrs.append(n - i + len(body))
            body += bytes([len(v)]) + v
        ptrs.append(n - len(var) + len(body))
        return self.cic_bytes(cic) + b"\x01" + fixed + bytes(ptrs) + body + opt

    def rel(self, cic, cause):
        c = bytes([0x80, 0x80 | cause])
        return self.cic_bytes(cic) + b"\x0c" + bytes([2, 0, len(c)]) + c

    def rlc(self, cic):
        return self.cic_bytes(cic) + b"\x10" + (b"" if self.ansi else b"\x00")

    def ptrs1(self):
        # ANSI (T1.113) GRS/GRA keep an optional-part pointer, ITU does not
        return bytes([2, 0]) if self.ansi else bytes([1])

    def grs(self, cic, rng):
        return self.cic_bytes(cic) + b"\x17" + self.ptrs1() + bytes([1, rng])

    def gra(self, cic, rng):
        st = bytes((rng + 8) // 8)
        return self.cic_bytes(cic) + b"\x29" + self.ptrs1() + bytes([1 + len(st), rng]) + st

    @staticmethod
    def range_of(isup):
        """Range of the first mandatory variable parameter (range and status)."""
        p = 3 + isup[3]
        return isup[p + 1]

    def called_of_iam(self, isup):
        """Called party digits of an IAM (no ST)."""
        fixed = 5 if self.ansi else 5   # NCI FCI(2) CPC [TMR]
        if not self.ansi:
            p = 3 + fixed
            cd = p + isup[p]
        else:
            p = 3 + 4 + 1                # second pointer: called party
            cd = p + isup[p]
        ln = isup[cd]
        v = isup[cd + 1:cd + 1 + ln]
        return unbcd(v[2:], v[0] >> 7).rstrip("F")

    def run(self):
        a = self.a
        if not self.check("connect", self.connect()):
            return
        self.send(m3ua(3, 1))
        m = self.recv_msg()
        self.check("ASPUP_ACK", m is not None and m[:2] == (3, 4))
        self.send(m3ua(4, 1, param(0x000B, struct.pack("!I", 2)) +
                       param(0x0006, struct.pack("!I", RC))))
        ack = ntfy = None
        for _ in range(4):
            m = self.recv_msg()
            if m is None:
                break
            if m[:2] == (4, 3):
                ack = m
            if m[:2] == (0, 1) and m[2].get(0x000D) == struct.pack("!HH", 1, 3):
                ntfy = m
            if ack and ntfy:
                break
        self.check("ASPAC_ACK echoes RC and traffic mode", ack is not None and
                   ack[2].get(0x0006) == struct.pack("!I", RC) and
                   ack[2].get(0x000B) == struct.pack("!I", 2))
        self.check("NTFY AS-ACTIVE", ntfy is not None)
        self.cmd("wait-link 10")
        self.check("LINK_UP", self.wait_line("EV LINK_UP", 10) is not None)

        self.send(m3ua(3, 3, param(0x0009, b"probe-beat")))
        m = self.recv_msg()
        self.check("BEAT_ACK", m is not None and m[:2] == (3, 6) and
                   m[2].get(0x0009) == b"probe-beat")
        self.check("DUNA-then-DAVA (RFC 4666 3.4: the switch unreachable until its MTP link is up)",
                   [t for t, _ in self.ssnm][:1] == [1] and 2 in [t for t, _ in self.ssnm])

        # incoming call
        called, calling = ("4930123", "4989555") if not self.ansi else ("2125551234", "9725550000")
        self.data(self.iam(3, called, calling))
        l = self.wait_line("EV IAM ")
        self.check("IAM reported", l is not None and
                   l.startswith("EV IAM cic=3 called=%s calling=%s cpc=10" % (called, calling)),
                   str(l))
        self.data(self.rel(3, 16))
        l = self.wait_line("EV REL ")
        self.check("REL reported", l is not None and l.startswith("EV REL cic=3 cause=16"), str(l))
        r = self.recv_isup(0x10)
        self.check("RLC in DATA", r is not None and self.cic_of(r[1]) == 3 and
                   r[0][:3] == (a.spc, a.tpc, 5) and r[0][4] == struct.pack("!I", RC),
                   str(r))

        # outgoing call
        called2 = "4930999" if not self.ansi else "3125550199"
        self.cmd("call 5 %s 4989111" % called2)
        r = self.recv_isup(0x01)
        ok = r is not None and self.cic_of(r[1]) == 5
        got = None
        if ok:
            try:
                got = self.called_of_iam(r[1])
            except IndexError:
                got = None
        self.check("call -> IAM in DATA (CIC, called)", ok and got == called2,
                   "%r %r" % (r, got))
        self.cmd("release 5 16")
        r = self.recv_isup(0x0C)
        self.check("release -> REL in DATA", r is not None and self.cic_of(r[1]) == 5, str(r))
        self.data(self.rlc(5))
        l = self.wait_line("EV RLC")
        self.check("RLC reported", l is not None and l.startswith("EV RLC cic=5"), str(l))

        # group reset both ways
        self.data(self.grs(1, 7))
        l = self.wait_line("EV GRS")
        self.check("GRS reported", l is not None and l.startswith("EV GRS cic=1 range=7"), str(l))
        r = self.recv_isup(0x29)
        self.check("GRA in DATA", r is not None and self.cic_of(r[1]) == 1 and self.range_of(r[1]) == 7,
                   str(r))
        self.cmd("grs 10 3")
        r = self.recv_isup(0x17)
        self.check("grs -> GRS in DATA", r is not None and self.cic_of(r[1]) == 10 and
                   self.range_of(r[1]) == 3, str(r))
        self.data(self.gra(10, 3))
        l = self.wait_line("EV GRA")
        self.check("GRA reported", l is not None and l.startswith("EV GRA cic=10 range=3"), str(l))

        self.cmd("expect GRA 10 2")
        self.cmd("quit")
        self.p.stdin.close()
        try:
            rc = self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = None
        self.check("exit status 0", rc == 0, str(rc))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--switch", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--variant", choices=["itu", "ansi"], required=True)
    ap.add_argument("--spc", type=int, default=101, help="the switch's point code")
    ap.add_argument("--tpc", type=int, default=202, help="our (tandem's) point code")
    ap.add_argument("--debug", action="store_true", help="show the switch's libss7 log")
    a = ap.parse_args()
    pr = Probe(a)
    try:
        pr.run()
    finally:
        if pr.p.poll() is None:
            pr.p.terminate()
            try:
                pr.p.wait(5)
            except subprocess.TimeoutExpired:
                pr.p.kill()
    sys.exit(pr.failed)


if __name__ == "__main__":
    main()
