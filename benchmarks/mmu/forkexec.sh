#!/bin/busybox sh
# /init of the fork+exec benchmark: 200 fork+exec of /bin/true, timed by the
# guest's clock; then power off (bt86 and QEMU end on the triple fault or
# the reboot that follows, -no-reboot).
/bin/busybox --install -s /bin
mount -t proc proc /proc
t0=$(cut -d' ' -f1 /proc/uptime)
i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done
t1=$(cut -d' ' -f1 /proc/uptime)
echo "FORKEXEC $t0 $t1"
echo "BOOTED $t0"
reboot -f
