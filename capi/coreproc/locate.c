/*
 * loader.c: loads the private Go core on the first OpenNamespace call.
 *
 * Loading a Go c-shared library starts the Go runtime (threads, signal
 * handlers) in the host. Most hosts of libvirt-lxc.so.0 (virsh, libvirtd,
 * Go programs using libvirt) never call OpenNamespace, so the core is loaded
 * only when the first call needs it, and never at library load time.
 *
 * The core is found relative to this library, never through the
 * environment, so a setuid host cannot be made to load another one.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "coreabi.h"
#include "coreload.h"
#include "internal.h"
#include "loader.h"

#define CORE_FILE "libvirt-lxc-core.so"

static pthread_once_t coreOnce = PTHREAD_ONCE_INIT;
static lxcCoreOpenFunc coreOpen;
static pid_t corePid;          /* written once, inside coreOnce */
static char coreError[PATH_MAX + 256];

/* Directory holding this library. dladdr() gives the name the loader used,
 * which is relative when LD_LIBRARY_PATH was; the kernel's view in
 * /proc/self/maps is always absolute. */
static int
libraryDir(char *dir, size_t len)
{
    Dl_info info;
    uintptr_t self = (uintptr_t)&libraryDir;
    FILE *maps;
    char line[PATH_MAX + 128];
    char *slash;

    if (dladdr((void *)&libraryDir, &info) && info.dli_fname &&
        info.dli_fname[0] == '/') {
        if (snprintf(dir, len, "%s", info.dli_fname) >= (int)len)
            return -1;
    } else {
        dir[0] = '\0';
        if (!(maps = fopen("/proc/self/maps", "re")))
            return -1;
        while (fgets(line, sizeof(line), maps)) {
            unsigned long lo, hi;
            char *path = strchr(line, '/');
            if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || !path)
                continue;
            if (self >= lo && self < hi) {
                path[strcspn(path, "\n")] = '\0';
                snprintf(dir, len, "%s", path);
                break;
            }
        }
        fclose(maps);
        if (!dir[0])
            return -1;
    }
    if (!(slash = strrchr(dir, '/')))
        return -1;
    *slash = '\0';
    return 0;
}

/* Installed: <libdir>/libvirt-lxc-go/@file; build tree: beside the library.
 * Shared by the core and the OpenNamespace helper (outofprocess.c). */
int
lxcCoreFindFile(const char *file, char *path, size_t len)
{
    char dir[PATH_MAX];
    const char *subdirs[] = { LXC_CORE_SUBDIR "/", "" };
    size_t i;

    path[0] = '\0';
    if (libraryDir(dir, sizeof(dir)) < 0)
        return -1;
    for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        if (snprintf(path, len, "%s/%s%s", dir, subdirs[i], file) >= (int)len) {
            path[0] = '\0';
            return -1;
        }
        if (access(path, F_OK) == 0)
            return 0;
    }
    /* Name the installed location in the caller's error. */
    snprintf(path, len, "%s/%s%s", dir, subdirs[0], file);
    return -1;
}

static void
coreLoad(void)
{
    char path[PATH_MAX + 64];

    if (lxcCoreFindFile(CORE_FILE, path, sizeof(path)) < 0) {
        if (!path[0])
            snprintf(coreError, sizeof(coreError),
                     "cannot find the directory of libvirt-lxc.so.0");
        else
            snprintf(coreError, sizeof(coreError),
                     "the Go core of libvirt-lxc.so.0 is missing: expected %s",
                     path);
        return;
    }
    if (!(coreOpen = lxcCoreDlopen(path, coreError, sizeof(coreError))))
        return;
    corePid = getpid();
}

int
lxcCoreLoadedHere(void)
{
    return __atomic_load_n(&corePid, __ATOMIC_ACQUIRE) == getpid();
}

/* A child forked after the core was loaded inherits a Go runtime whose
 * threads did not survive the fork; calling into it can hang. */
int
lxcCoreForkedAfterLoad(void)
{
    pid_t pid = __atomic_load_n(&corePid, __ATOMIC_ACQUIRE);
    return pid != 0 && pid != getpid();
}

lxcCoreOpenFunc
lxcCoreGet(const char *funcname)
{
    char detail[512];

    if (lxcCoreForkedAfterLoad()) {
        snprintf(detail, sizeof(detail),
                 "%s cannot be used in a process forked after its first call "
                 "(pid %d); call it before fork() or after exec()",
                 funcname, (int)__atomic_load_n(&corePid, __ATOMIC_ACQUIRE));
        lxcReportError(VIR_FROM_NONE, VIR_ERR_OPERATION_INVALID, "%s", detail);
        return NULL;
    }
    pthread_once(&coreOnce, coreLoad);
    if (!coreOpen) {
        lxcReportError(VIR_FROM_NONE, VIR_ERR_INTERNAL_ERROR, "%s", coreError);
        return NULL;
    }
    return coreOpen;
}
