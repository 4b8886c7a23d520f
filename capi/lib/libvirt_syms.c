/*
 * libvirt_syms.c: libvirt.so.0's private functions, looked up by name.
 *
 * libvirt keeps its error setters, object checks and logger in the private
 * version node LIBVIRT_PRIVATE_<release>, renamed by every release. Linking
 * to them would tie this library to one libvirt build, so they are looked up
 * by bare name in whatever libvirt.so.0 the process loaded; every one has a
 * fallback where it is used.
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_syms.h"

static lxcVirSyms sym;

static pthread_once_t symOnce = PTHREAD_ONCE_INIT;

/* The version in the name of the file that defines @fn, libvirt.so.0's
 * "libvirt.so.0.9000.0" for 9.0.0 once symbolic links are resolved; 0 when
 * the name says none. */
static int
lxcVersionOfLibrary(void *fn)
{
    char real[PATH_MAX];
    const char *base;
    unsigned long minor, micro;
    Dl_info info;

    if (!dladdr(fn, &info) || !info.dli_fname || !realpath(info.dli_fname, real))
        return 0;
    base = strrchr(real, '/');
    base = base ? base + 1 : real;
    if (sscanf(base, "libvirt.so.0.%lu.%lu", &minor, &micro) != 2)
        return 0;
    return (int)((minor / 1000) * 1000000 + (minor % 1000) * 1000 + micro);
}

static void
lxcLookUpSymbols(void)
{
    sym.reportError = (lxcVirReportFunc)dlsym(RTLD_DEFAULT, "virReportErrorHelper");
    sym.reportSystem = (lxcVirReportFunc)dlsym(RTLD_DEFAULT, "virReportSystemErrorFull");
    sym.raise = (lxcVirRaiseFunc)dlsym(RTLD_DEFAULT, "virRaiseErrorFull");
    sym.setError = (lxcVirSetErrorFunc)dlsym(RTLD_DEFAULT, "virSetError");
    sym.dispatch = (lxcVirDispatchFunc)dlsym(RTLD_DEFAULT, "virDispatchError");
    sym.isClass = (lxcVirIsClassFunc)dlsym(RTLD_DEFAULT, "virObjectIsClass");
    sym.domainClass = dlsym(RTLD_DEFAULT, "virDomainClass");
    sym.connectClass = dlsym(RTLD_DEFAULT, "virConnectClass");
    sym.errorMsg = (lxcVirErrorMsgFunc)dlsym(RTLD_DEFAULT, "virErrorMsg");
    sym.logMessage = (lxcVirLogMessageFunc)dlsym(RTLD_DEFAULT, "virLogMessage");
    sym.version = lxcVersionOfLibrary((void *)virGetLastError);
}

/* Resolve at load time too: a first dlsym() in the child of a multi-threaded
 * parent could block on a loader lock another thread held at fork(). */
__attribute__((constructor)) static void
lxcResolveAtLoad(void)
{
    pthread_once(&symOnce, lxcLookUpSymbols);
}

static void
lxcResolveOnce(void)
{
    pthread_once(&symOnce, lxcLookUpSymbols);
}

lxcVirLogMessageFunc
lxcVirLogMessage(void)
{
    lxcResolveOnce();
    return sym.logMessage;
}

const lxcVirSyms *
lxcVirSymbols(void)
{
    lxcResolveOnce();
    return &sym;
}

int
lxcVirVersion(void)
{
    lxcResolveOnce();
    return sym.version;
}
