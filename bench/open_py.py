#!/usr/bin/python3
"""open_py.py: virDomainLxcOpenNamespace from a plain Python script.

    open_py.py URI DOMAIN WARMUP BATCHES PER_BATCH

What most Python users of libvirt_lxc run: a single-threaded interpreter
(ours then serves it by its core process). Times the first call of the
process, then, after WARMUP more calls, BATCHES batches of PER_BATCH calls
(each closing its fds), and prints "key value" lines like the C hosts,
"library" naming the libvirt-lxc.so.0 file this process really mapped.
"""
import os
import sys
import time

import libvirt
import libvirt_lxc


def mapped_lxc():
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if "/" in line else ""
            if os.path.basename(path).startswith("libvirt-lxc.so.0"):
                return os.path.realpath(path)
    return "unknown"


def main():
    uri, name = sys.argv[1], sys.argv[2]
    warmup, batches, per = (int(x) for x in sys.argv[3:6])
    conn = libvirt.open(uri)
    dom = conn.lookupByName(name)

    def once():
        for fd in libvirt_lxc.lxcOpenNamespace(dom, 0):
            os.close(fd)

    t0 = time.perf_counter_ns()
    once()
    first = time.perf_counter_ns() - t0
    for _ in range(warmup):
        once()
    print("library", mapped_lxc())
    print("first_ns", first)
    print("threads", len(os.listdir("/proc/self/task")))
    total = 0
    for _ in range(batches):
        t0 = time.perf_counter_ns()
        for _ in range(per):
            once()
        t1 = time.perf_counter_ns()
        total += t1 - t0
        print("batch_ns", (t1 - t0) / per)
    if batches:
        print("wall_ns", total / (batches * per))
    conn.close()


if __name__ == "__main__":
    main()
