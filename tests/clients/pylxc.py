#!/usr/bin/python3
"""Drives Python's libvirt_lxc binding (python3-libvirt) on the live test bed.

Run once with the system libvirt-lxc.so.0 and once with ours
(LD_LIBRARY_PATH); tests/live/clients_test.go compares the two JSON reports.
What the binding wraps (lxcOpenNamespace, lxcEnterCGroup) is called through
it; the functions it does not wrap (virDomainLxcEnterNamespace,
virDomainLxcEnterSecurityLabel) are called through ctypes on the
libvirt-lxc.so.0 that the binding already loaded.

Each scenario becomes one JSON member. Nothing here depends on the library:
file descriptor numbers and pids are left out, namespaces are given by
identity ("net:[4026532...]").
"""
import ctypes
import ctypes.util
import fcntl
import json
import os
import sys

import libvirt
import libvirt_lxc

URI = "lxc:///system"
NS = ("user", "ipc", "uts", "net", "pid", "mnt")


def quiet(_ctx, _err):
    """Error handler that keeps libvirt's default printing off stderr."""


def err_fields(e):
    """The virError of a libvirtError, as the binding exposes it."""
    return {"ret": -1, "code": e.get_error_code(), "domain": e.get_error_domain(),
            "level": e.get_error_level(), "msg": e.get_error_message(),
            "str1": e.get_str1(), "str2": e.get_str2(), "int1": e.get_int1()}


def last_error(ret):
    """virGetLastError() after a ctypes call (shared libvirt.so.0)."""
    e = libvirt.virGetLastError()
    r = {"ret": ret}
    if e:
        r.update(code=e[0], domain=e[1], msg=e[2], level=e[3], str1=e[4],
                 str2=e[5], int1=e[7])
    return r


def describe(fds):
    """Namespace identity and FD_CLOEXEC of each fd, in order."""
    return {"ns": [os.readlink("/proc/self/fd/%d" % fd) for fd in fds],
            "cloexec": [bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)
                        for fd in fds]}


def loaded_lib():
    """Realpath of the libvirt-lxc.so.0 the kernel has mapped here."""
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if os.path.basename(p).startswith("libvirt-lxc.so"):
                paths.add(os.path.realpath(p))
    return sorted(paths)


class DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def lxc_lib():
    """ctypes handle on the soname; dlopen() of a loaded soname must give
    the library already mapped, which dladdr() confirms."""
    lib = ctypes.CDLL("libvirt-lxc.so.0")
    libc = ctypes.CDLL(None)
    info = DlInfo()
    addr = ctypes.cast(lib.virDomainLxcEnterNamespace, ctypes.c_void_p)
    if not libc.dladdr(addr, ctypes.byref(info)):
        raise RuntimeError("dladdr failed")
    lib.virDomainLxcEnterNamespace.argtypes = [
        ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.POINTER(ctypes.c_int)),
        ctypes.c_uint]
    lib.virDomainLxcEnterSecurityLabel.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
    return lib, os.path.realpath(info.dli_fname.decode())


def dom_ptr(dom):
    """The virDomainPtr inside a libvirt.virDomain (a PyCapsule)."""
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return get(dom._o, b"virDomainPtr")


def in_child(fn):
    """Runs fn() in a forked child (namespace and cgroup changes must not
    leak) and returns what it sent back as JSON."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        try:
            out = fn()
        except Exception as e:  # reported, not raised: the child must exit
            out = {"exception": repr(e)}
        os.write(wr, json.dumps(out).encode())
        os._exit(0)
    os.close(wr)
    data = b""
    while True:
        chunk = os.read(rd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rd)
    _, status = os.waitpid(pid, 0)
    if not data:
        return {"child_status": status}
    return json.loads(data)


def inside():
    """What a process sees after the enter: run in a grandchild, since the
    pid namespace applies to children only."""
    def look():
        with open("/proc/self/cgroup") as f:
            cg = f.read()
        return {"hostname": os.uname().nodename,
                "ns": [os.readlink("/proc/self/ns/" + n) for n in NS],
                "cgroup": cg, "uid": os.getuid()}
    return in_child(look)


def main():
    libvirt.registerErrorHandler(quiet, None)
    conn = libvirt.open(URI)
    ro = libvirt.openReadOnly(URI)
    doms = {n: conn.lookupByName("lxcgo-" + n) for n in ("plain", "userns", "off")}
    lib, ctypes_path = lxc_lib()
    out = {"lib": loaded_lib(), "ctypes_lib": ctypes_path,
           "own_ns_ino": [os.stat("/proc/self/ns/" + n).st_ino for n in NS],
           "binding": sorted(n for n in dir(libvirt_lxc) if n.startswith("lxc"))}

    # lxcOpenNamespace through the binding.
    fdsets = {}
    for name in ("plain", "userns"):
        fds = libvirt_lxc.lxcOpenNamespace(doms[name], 0)
        fdsets[name] = fds
        out["open_" + name] = dict(ret=len(fds), **describe(fds))
    for label, dom, flags in (("open_off", doms["off"], 0),
                              ("open_readonly", ro.lookupByName("lxcgo-plain"), 0),
                              ("open_flags", doms["plain"], 1)):
        try:
            fds = libvirt_lxc.lxcOpenNamespace(dom, flags)
            out[label] = {"ret": len(fds)}
        except libvirt.libvirtError as e:
            out[label] = err_fields(e)

    # lxcEnterCGroup through the binding, in a child each.
    def cgroup(dom, flags):
        def run():
            # The binding returns -1 here instead of raising: the error
            # is in virGetLastError().
            try:
                r = last_error(libvirt_lxc.lxcEnterCGroup(dom, flags))
            except libvirt.libvirtError as e:
                r = err_fields(e)
            with open("/proc/self/cgroup") as f:
                r["cgroup"] = f.read()
            return r
        return in_child(run)
    with open("/proc/self/cgroup") as f:
        out["cgroup_before"] = f.read()
    out["cgroup_plain"] = cgroup(doms["plain"], 0)
    out["cgroup_off"] = cgroup(doms["off"], 0)
    out["cgroup_readonly"] = cgroup(ro.lookupByName("lxcgo-plain"), 0)
    out["cgroup_flags"] = cgroup(doms["plain"], 1)

    # virDomainLxcEnterNamespace through ctypes, as virsh does: fds opened
    # in the parent, EnterCGroup then EnterNamespace in a forked child, the
    # command in a grandchild.
    def enter(name, fds, want_old):
        def run():
            libvirt_lxc.lxcEnterCGroup(doms[name], 0)
            arr = (ctypes.c_int * len(fds))(*fds)
            nold = ctypes.c_uint(77)
            old = ctypes.POINTER(ctypes.c_int)()
            ret = lib.virDomainLxcEnterNamespace(
                dom_ptr(doms[name]), len(fds), arr,
                ctypes.byref(nold) if want_old else None,
                ctypes.byref(old) if want_old else None, 0)
            r = last_error(ret)
            if want_old:
                olds = [old[i] for i in range(nold.value)] if old else []
                r["nold"] = nold.value
                # /proc/self is gone once in the container's mount
                # namespace (this process is not in its pid namespace), so
                # the old fds are identified by inode.
                r["old_ino"] = [os.fstat(fd).st_ino for fd in olds]
                r["old_cloexec"] = [
                    bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)
                    for fd in olds]
            r["inside"] = inside()
            return r
        return in_child(run)
    for name in ("plain", "userns"):
        out["enterns_" + name] = enter(name, fdsets[name], True)
        out["enterns_" + name + "_noold"] = enter(name, fdsets[name], False)
    # A closed fd: EBADF, reported with the domain's connection.
    out["enterns_ebadf"] = enter("plain", [999], True)

    # Deliberate differences (include/libvirt/libvirt-lxc.h, "Differs:"),
    # left out of the comparison by their diff_ prefix: an fd that is not a
    # namespace (libvirt ignores the EINVAL), and a NULL domain on an error
    # path (libvirt's dereferences it).
    def enter_raw(dom, fds):
        def run():
            arr = (ctypes.c_int * len(fds))(*fds)
            return last_error(lib.virDomainLxcEnterNamespace(dom, len(fds), arr,
                                                             None, None, 0))
        return in_child(run)
    devnull = os.open("/dev/null", os.O_RDONLY)
    out["diff_enterns_devnull"] = enter_raw(dom_ptr(doms["plain"]), [devnull])
    os.close(devnull)
    out["diff_enterns_null_domain"] = enter_raw(None, [999])

    # virDomainLxcEnterSecurityLabel through ctypes.
    class Model(ctypes.Structure):
        _fields_ = [("model", ctypes.c_char * 257), ("doi", ctypes.c_char * 257)]

    class Label(ctypes.Structure):
        _fields_ = [("label", ctypes.c_char * 4097), ("enforcing", ctypes.c_int)]

    def seclabel(model, label, want_old, flags=0):
        def run():
            m, lab, old = Model(model.encode(), b"0"), Label(label.encode(), 0), Label(b"x", 5)
            ret = lib.virDomainLxcEnterSecurityLabel(
                ctypes.byref(m), ctypes.byref(lab),
                ctypes.byref(old) if want_old else None, flags)
            r = last_error(ret)
            if want_old:
                r["old"] = [old.label.decode(), old.enforcing]
            # Messages may name this child's pid.
            return json.loads(json.dumps(r).replace(str(os.getpid()), "<pid>"))
        return in_child(run)
    out["seclabel_none"] = seclabel("none", "", True)
    out["seclabel_bogus"] = seclabel("bogus", "x", False)
    out["seclabel_flags"] = seclabel("none", "", False, 1)
    out["seclabel_selinux"] = seclabel("selinux", "system_u:system_r:svirt_lxc_net_t:s0", False)
    out["seclabel_selinux_old"] = seclabel("selinux", "system_u:system_r:svirt_lxc_net_t:s0", True)
    out["seclabel_apparmor"] = seclabel("apparmor", "lxcgo-no-such-profile", False)

    for fds in fdsets.values():
        for fd in fds:
            os.close(fd)
    out["lib_after"] = loaded_lib()
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
