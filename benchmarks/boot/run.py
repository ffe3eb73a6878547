#!/usr/bin/env python3
"""run.py BUILD [RUNS] - `make bench-boot`: the Debian disk image
(scripts/debian-disk.sh, built once) booted the PC way, RUNS times
(default 3) on bt86 -accel bt, qemu-system-i386 (TCG) and bt86 -accel kvm
where usable, side by side in one run, each with -snapshot.  Host wall
clock from the start of the process to three points on the serial console:
  bios    the kernel's first line: SeaBIOS and SYSLINUX in real mode,
          loading the kernel and initramfs through INT 13h and the IDE disk
  init    the system's init starts (the kernel and its initramfs are done)
  shell   the root shell's prompt (sysvinit's boot scripts are done)
Prints the medians and qemu/bt (above 1: bt is faster).  An engine that
cannot run here is shown as skipped, with why."""
import os
import select
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POINTS = [("bios", b"Linux version"), ("init", b"INIT: version"),
          ("shell", b"root@bt86-debian:~# ")]


def boot_once(argv):
    """{point: seconds} for one boot, or a string saying why it failed."""
    start = time.time()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf, got = b"", {}
    try:
        while len(got) < len(POINTS) and time.time() - start < 400:
            ready, _, _ = select.select([p.stdout], [], [], 0.2)
            if not ready:
                if p.poll() is not None:
                    break
                continue
            data = os.read(p.stdout.fileno(), 65536)
            if not data:
                break
            buf += data
            for name, mark in POINTS:
                if name not in got and mark in buf:
                    got[name] = time.time() - start
    finally:
        p.kill()
        p.wait()
    if len(got) < len(POINTS):
        lines = buf.decode(errors="replace").strip().splitlines()
        return "no %s (%s)" % ([n for n, _ in POINTS if n not in got][0],
                               lines[-1][:100] if lines else "no output")
    return got


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    r = subprocess.run([os.path.join(HERE, "../../scripts/debian-disk.sh")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        why = r.stderr.decode(errors="replace").strip().splitlines()
        print("bench-boot: skipped: %s" % (why[-1] if why else "no disk image"))
        return
    img = r.stdout.decode().strip().splitlines()[-1]
    bt86 = os.path.join(build, "bt86")
    engines = {
        "bt": [bt86, "-accel", "bt", "-m", "512", "-snapshot", "-hda", img],
        "qemu": ["qemu-system-i386", "-display", "none", "-m", "512", "-no-reboot",
                 "-serial", "stdio", "-monitor", "none", "-snapshot",
                 "-drive", "file=%s,format=raw,if=ide" % img],
        "kvm": [bt86, "-accel", "kvm", "-m", "512", "-snapshot", "-hda", img],
    }
    skip = {}
    if not shutil.which("qemu-system-i386"):
        skip["qemu"] = "qemu-system-i386 is not installed"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        skip["kvm"] = "no usable /dev/kvm"
    res = {e: [] for e in engines}
    for i in range(runs):  # engines alternate, so host noise hits them alike
        for e, argv in engines.items():
            if e in skip:
                continue
            got = boot_once(argv)
            if isinstance(got, str):
                skip[e] = got
            else:
                res[e].append(got)
                print("run %d %-4s %s" % (i + 1, e, "  ".join(
                    "%s %.2f s" % (n, got[n]) for n, _ in POINTS)), flush=True)
    print("\nDebian 12 from disk (SeaBIOS, SYSLINUX, Linux 6.1, sysvinit), median of %d, "
          "seconds from start:" % runs)
    print("%-6s %9s %9s %9s %9s" % ("point", "bt", "qemu-tcg", "kvm", "qemu/bt"))
    for name, _ in POINTS:
        med = {e: statistics.median(r[name] for r in res[e]) for e in engines if res[e]}
        ratio = "%.2fx" % (med["qemu"] / med["bt"]) if "qemu" in med and "bt" in med else "-"
        print("%-6s %9s %9s %9s %9s" % (name, *("%.2f" % med[e] if e in med else "skipped"
                                                for e in ("bt", "qemu", "kvm")), ratio))
    for e, why in skip.items():
        print("%s: skipped: %s" % (e, why))


main()
