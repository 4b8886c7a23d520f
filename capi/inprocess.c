/*
 * inprocess.c: the Go core in the caller's own process.
 *
 * Loading a Go c-shared library starts the Go runtime (threads, signal
 * handlers) in the host, so it happens on the first call that needs it,
 * never at load time, and only in a host that hostkind.c allows. The core
 * is found relative to this library, never through the environment.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coreload.h"
#include "coreproc/locate.h"
#include "coreproc/proto.h"
#include "inprocess.h"

static pthread_once_t coreOnce = PTHREAD_ONCE_INIT;
static lxcCoreOpenFunc coreOpen;
static char coreError[PATH_MAX + 256];

static void
coreLoad(void)
{
    char path[PATH_MAX + 64];

    if (lxcCoreFindFile(LXC_CORE_FILE, path, sizeof(path)) < 0) {
        if (!path[0])
            snprintf(coreError, sizeof(coreError),
                     "cannot find the directory of libvirt-lxc.so.0");
        else
            snprintf(coreError, sizeof(coreError),
                     "the Go core of libvirt-lxc.so.0 is missing: expected %s",
                     path);
        return;
    }
    coreOpen = lxcCoreDlopen(path, NULL, coreError, sizeof(coreError));
}

int
lxcInProcessOpen(const lxcCoreRequest *req, int **fds, lxcCoreError *err)
{
    lxcCoreRequest mine = *req;

    *fds = NULL;
    memset(err, 0, sizeof(*err));
    pthread_once(&coreOnce, coreLoad);
    if (!coreOpen) {
        lxcCoreSetInternal(err, "%s", coreError);
        return -1;
    }
    mine.caller = (int)getpid();
    return coreOpen(&mine, fds, err);
}
