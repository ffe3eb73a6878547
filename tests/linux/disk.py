#!/usr/bin/env python3
"""disk.py ENGINE BUILD [--bench] - Debian 12 from a disk, the PC way: the
image from scripts/debian-disk.sh (built once into the cache) booted by the
BIOS (SeaBIOS -> SYSLINUX -> Linux -> sysvinit -> a root shell on the
serial console) with -snapshot, so the cached image never changes.

ENGINE: bt or kvm (bt86 -accel ENGINE -hda) or qemu (qemu-system-i386
-drive ...,if=ide, the reference).  Waits for the shell prompt, checks the
system (uname, /etc/debian_version, the root file system is /dev/sda2, a
file written and read back with sync), then `poweroff`, which must end the
run with status 0 (bt86) through ACPI S5.  Every wait is bounded.

With --bench it prints one line: "ENGINE SECONDS" from start to the shell
prompt, and nothing else is checked.
Exit: 0 pass, 1 fail (with the console's tail), 77 skip (no image: the
reason from debian-disk.sh; no qemu; the engine cannot run the guest)."""
import os
import select
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = b"root@bt86-debian:~# "
BOOT_SECS = 300


def skip(why):
    print("skip:", why)
    sys.exit(77)


def image():
    """The cached image, built if missing (one line why not, or the path)."""
    r = subprocess.run([os.path.join(HERE, "../../scripts/debian-disk.sh")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    if r.returncode != 0:
        lines = r.stderr.decode(errors="replace").strip().splitlines()
        skip("no Debian disk image: " + (lines[-1] if lines else "debian-disk.sh failed"))
    return r.stdout.decode().strip().splitlines()[-1]


class Console:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.buf = b""
        self.log = b""

    def expect(self, text, secs):
        end = time.time() + secs
        while time.time() < end:
            if text in self.buf:
                self.buf = self.buf[self.buf.index(text) + len(text):]
                return True
            ready, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if ready:
                data = os.read(self.p.stdout.fileno(), 65536)
                if not data:
                    return text in self.buf
                self.buf += data
                self.log += data
        return False

    def type(self, text):
        self.p.stdin.write(text)
        self.p.stdin.flush()

    def status(self, secs):
        end = time.time() + secs
        while time.time() < end:
            if self.p.poll() is not None:
                return self.p.returncode
            self.expect(b"\0never\0", 0.2)
        self.p.kill()
        return None


def main():
    engine, build = sys.argv[1], sys.argv[2]
    bench = "--bench" in sys.argv[3:]
    if engine == "qemu":
        if not shutil.which("qemu-system-i386"):
            skip("qemu-system-i386 is missing")
        img = image()
        argv = ["qemu-system-i386", "-display", "none", "-m", "512", "-no-reboot",
                "-serial", "stdio", "-snapshot", "-drive", "file=%s,format=raw,if=ide" % img]
    else:
        img = image()
        argv = [os.path.join(build, "bt86"), "-accel", engine, "-m", "512", "-snapshot",
                "-hda", img]
    start = time.time()
    c = Console(argv)

    def fail(why):
        print("FAIL:", why)
        for line in c.log.decode(errors="replace").splitlines()[-20:]:
            print("  |", line)
        c.p.kill()
        sys.exit(1)

    if not c.expect(PROMPT, BOOT_SECS):
        try:  # the output may end a moment before the process does
            st = c.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            st = None
        if engine == "kvm" and st == 6:
            skip("host KVM cannot run this guest: " +
                 c.log.decode(errors="replace").strip().splitlines()[-1])
        fail("no shell prompt within %d s (status %s)" % (BOOT_SECS, st))
    if bench:
        print("%s %.2f" % (engine, time.time() - start))
        c.p.kill()
        return
    checks = [
        (b"uname -sm\n", b"Linux i686"),
        (b"cat /etc/debian_version\n", b"\r12."),
        (b"awk '$2 == \"/\" {print \"root=\" $1}' /proc/mounts\n", b"root=/dev/sda2"),
        (b"seq 1 20000 > /root/f && sync && sha256sum /root/f | cut -c1-16\n",
         b"f6351f5ead9a700e"),
    ]
    for cmd, want in checks:
        c.type(cmd)
        if not c.expect(want, 60) or not c.expect(PROMPT, 60):
            fail("%r did not print %r" % (cmd, want))
    c.type(b"poweroff\n")
    st = c.status(120)
    if st != 0:
        fail("poweroff: status %s, want 0" % st)
    print("pass: %s boots Debian from the disk to a shell; uname, version, root on sda2, "
          "a file through the disk, poweroff with 0" % engine)


main()
