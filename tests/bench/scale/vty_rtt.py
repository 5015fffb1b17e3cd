#!/usr/bin/env python3
"""How long tandemd's VTY takes to answer, over one open connection (no
client start-up in the figure): every INTERVAL s for DURATION s, send CMD and
time until the answer ends in the prompt. Prints one line per question,
"SECONDS_SINCE_START MS", with MS -1 when no answer came within 5 s (the
connection is then opened again).

    vty_rtt.py PORT INTERVAL DURATION CMD
"""
import re
import socket
import sys
import time

IAC = re.compile(rb"\xff..", re.S)  # telnet option negotiation
PROMPT_LINE = re.compile(rb"[A-Za-z0-9_().-]+[>#] ")


def ends_in_prompt(buf, need_newline):
    if need_newline and b"\n" not in buf:
        return False
    return PROMPT_LINE.fullmatch(buf.rsplit(b"\n", 1)[-1]) is not None


def read_to_prompt(s, limit_s, need_newline):
    """The text up to a prompt, or None (silence past the limit, closed)."""
    buf = b""
    end = time.monotonic() + limit_s
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except (socket.timeout, OSError):
            return None
        if not chunk:
            return None
        buf += IAC.sub(b"", chunk).replace(b"\r", b"")
        if ends_in_prompt(buf, need_newline):
            return buf


def main():
    port, interval, duration = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    cmd = sys.argv[4].encode() + b"\n"
    t0 = time.monotonic()
    s = None
    while time.monotonic() - t0 < duration:
        if s is None:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                if read_to_prompt(s, 5.0, False) is None:
                    raise OSError("no prompt")
            except OSError:
                if s:
                    s.close()
                s = None
                time.sleep(interval)
                continue
        q = time.monotonic()
        try:
            s.sendall(cmd)
            ans = read_to_prompt(s, 5.0, True)
        except OSError:
            ans = None
        ms = -1 if ans is None else int((time.monotonic() - q) * 1000)
        print("%.1f %d" % (q - t0, ms), flush=True)
        if ans is None:
            s.close()
            s = None
        time.sleep(max(0.0, interval - (time.monotonic() - q)))


if __name__ == "__main__":
    main()
