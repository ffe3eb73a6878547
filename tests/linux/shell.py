#!/usr/bin/env python3
"""shell.py BUILD - `make run` as a user meets it: scripts/linux-shell.sh
on a pseudo-terminal.  Waits for the busybox prompt, types `uname -a`,
edits a line with backspace, stops `sleep 30` with Ctrl-C, then types
`poweroff`, which must end bt86 with status 0.  Every wait is bounded.
Exit: 0 pass, 1 fail (with the terminal's tail), 77 skip (no kernel, or no
pseudo-terminal to drive it through)."""
import os
import pty
import select
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = b"bt86:~# "


class Term:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        self.buf = b""

    def expect(self, text, secs):
        """True once text has appeared since the last expect."""
        end = time.time() + secs
        while time.time() < end:
            if text in self.buf:
                self.buf = self.buf[self.buf.index(text) + len(text):]
                return True
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    return text in self.buf
                self.buf += data
                self.log += data
        return False

    def type(self, keys):
        for k in keys:
            os.write(self.fd, bytes([k]))
            time.sleep(0.01)

    def status(self, secs):
        end = time.time() + secs
        while time.time() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(st)
            self.expect(b"\0never\0", 0.2)
        os.kill(self.pid, 9)
        return None


def main():
    build = sys.argv[1]
    try:
        t = Term([os.path.join(HERE, "../../scripts/linux-shell.sh"), build])
    except OSError as e:
        print("skip: no pseudo-terminal on this host (%s)" % e)
        sys.exit(77)
    t.log = b""

    def fail(why):
        print("FAIL:", why)
        for line in t.log.decode(errors="replace").splitlines()[-15:]:
            print("  |", line)
        try:
            os.kill(t.pid, 9)
        except ProcessLookupError:
            pass
        sys.exit(1)

    if not t.expect(PROMPT, 180):
        if b"cannot fetch the Linux guest" in t.log:
            print("skip: no Linux kernel:", t.log.decode(errors="replace").strip().splitlines()[-1])
            sys.exit(77)
        fail("no shell prompt within 180 s")
    t.type(b"uname -a\r")
    if not t.expect(b"i686 GNU/Linux", 10) or not t.expect(PROMPT, 10):
        fail("uname -a did not print the kernel")
    t.type(b"echo abcd\x7f\x7fXY\r")
    if not t.expect(b"\nabXY", 10) or not t.expect(PROMPT, 10):
        fail("line editing: backspace did not erase")
    t.type(b"sleep 30\r")
    time.sleep(1)
    t.type(b"\x03")
    if not t.expect(PROMPT, 5):
        fail("Ctrl-C did not stop the guest's sleep")
    t.type(b"echo still-here\r")
    if not t.expect(b"\nstill-here", 10):
        fail("the shell did not survive Ctrl-C")
    t.type(b"poweroff\r")
    st = t.status(60)
    if st != 0:
        fail("poweroff: bt86 status %s, want 0" % st)
    print("pass: prompt, uname -a, line editing, Ctrl-C, poweroff with status 0")


main()
