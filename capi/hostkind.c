/*
 * hostkind.c: which processes may run the Go core themselves.
 *
 * Every caller is served by a core process of its own (capi/coreproc/),
 * except one kind, for speed alone: served by its core process, a
 * multi-threaded C host takes more time per warm call than with the core
 * in its own process (1.31 against 1.15 x libvirt's; docs/PERFORMANCE.md,
 * "Where the core runs").
 * Such a host loses nothing by running Go: it is multi-threaded already.
 * Every other host must not run it:
 *   - a single-threaded one could never again setns() into a user
 *     namespace (virt-login-shell's helper does that next);
 *   - a setuid one must not hand its caller's environment (GODEBUG, ...)
 *     to a Go runtime;
 *   - one that already runs Go (a Go program, or a child forked after our
 *     core was loaded in its parent, whose inherited runtime is dead): two
 *     runtimes in one process are not supported by Go;
 *   - a server (libvirt's daemons: libvirtd, virtlxcd, virtqemud and the
 *     other modular ones, which call OpenNamespace while serving a client),
 *     told by a listening socket among its fds, however it got it (its own
 *     listen(), socket activation, inherited across re-exec).
 * When a test cannot be made, the answer is the core process.
 */
#include <dirent.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostkind.h"
#include "internal.h"
#include "pidlock.h"

/* The note every Go binary and Go shared object carries (cmd/link). */
#define GO_NOTE_NAME "Go"
#define GO_NOTE_BUILDID 4

static pid_t decideLock;       /* lxcPidLock */
static pid_t decidedFor;       /* atomic: the process `decided` is for */
static lxcServedBy decided;

static int
hasGoNote(const char *p, size_t len)
{
    while (len >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
        size_t name = (n->n_namesz + 3) & ~(size_t)3;
        size_t desc = (n->n_descsz + 3) & ~(size_t)3;
        size_t step = sizeof(*n) + name + desc;

        /* cmd/link pads the name to 4 bytes and counts the padding. */
        if (n->n_type == GO_NOTE_BUILDID && n->n_namesz >= sizeof(GO_NOTE_NAME) &&
            n->n_namesz <= name &&
            memcmp(p + sizeof(*n), GO_NOTE_NAME, sizeof(GO_NOTE_NAME)) == 0)
            return 1;
        if (step > len)
            break;
        p += step;
        len -= step;
    }
    return 0;
}

static int
objectIsGo(struct dl_phdr_info *info, size_t size, void *data)
{
    int i;

    (void)size;
    (void)data;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE &&
            hasGoNote((const char *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz))
            return 1;
    }
    return 0;
}

/* A Go runtime in this process: the executable or any loaded object. */
static int
runsGo(void)
{
    return dl_iterate_phdr(objectIsGo, NULL) != 0;
}

/* 1 if this process holds a listening socket, 0 if not, -1 if unknown. */
static int
serves(void)
{
    DIR *d;
    struct dirent *de;
    int found = 0, dfd;

    if (!(d = opendir("/proc/self/fd")))
        return -1;
    dfd = dirfd(d);
    while (!found && (de = readdir(d))) {
        int fd, on = 0;
        socklen_t len = sizeof(on);
        char *end;

        fd = (int)strtol(de->d_name, &end, 10);
        if (*end || end == de->d_name || fd == dfd)
            continue;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
            found = 1;
    }
    closedir(d);
    return found;
}

static lxcServedBy
decide(void)
{
    if (getauxval(AT_SECURE))
        return LXC_SERVED_BY_CORE_PROCESS;
    if (lxcThreadCount() < 2)
        return LXC_SERVED_BY_CORE_PROCESS; /* one, or unknown */
    if (runsGo())
        return LXC_SERVED_BY_CORE_PROCESS;
    if (serves() != 0)
        return LXC_SERVED_BY_CORE_PROCESS;
    return LXC_SERVED_IN_PROCESS;
}

lxcServedBy
lxcHostServedBy(void)
{
    pid_t self = getpid();

    if (__atomic_load_n(&decidedFor, __ATOMIC_ACQUIRE) == self)
        return decided;
    lxcPidLock(&decideLock, self);
    if (__atomic_load_n(&decidedFor, __ATOMIC_ACQUIRE) != self) {
        decided = decide();
        __atomic_store_n(&decidedFor, self, __ATOMIC_RELEASE);
    }
    lxcPidUnlock(&decideLock);
    return decided;
}
