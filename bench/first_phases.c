/*
 * first_phases.c: where the first OpenNamespace of a process goes with our
 * library, phase by phase, by driving the Go core directly.
 *
 *   first_phases CORE URI DOMAIN cold|settled
 *
 * The host looks like virsh: libvirt.so.0 linked and connected, an idle
 * thread, the call made from the main thread.
 *   cold:    dlopen_ns      loading the core (mapping, relocation; its
 *                           constructor starts the Go runtime on a thread
 *                           of its own);
 *            enter_main_ns  a trivial exported Go function called from the
 *                           main thread: waits for the runtime to finish
 *                           starting, then binds the thread to the runtime;
 *            open_new_ns    the first OpenNamespace: a new daemon
 *                           connection (connect, AUTH_LIST, CONNECT_OPEN)
 *                           and the call;
 *            open_warm_ns   the second one, on that connection.
 *   settled: the same load, then 100 ms for the runtime to finish starting;
 *            bind_thread_ns the trivial call from a new thread (binding a
 *                           thread that is not the main one);
 *            bind_main_ns   then from the main thread (for the main thread,
 *                           glibc reads /proc/self/maps to find its stack).
 */
#include "common.h"

#include "../capi/channel/coreabi.h"

static lxcCoreVersionFunc coreVersion;
static uint64_t threadNs;

static void *
callFromThread(void *opaque)
{
    uint64_t t0 = tcNowNs();
    (void)opaque;
    coreVersion();
    threadNs = tcNowNs() - t0;
    return NULL;
}

static void
openOnce(lxcCoreOpenFunc coreOpen, const lxcCoreRequest *req)
{
    lxcCoreError err;
    int *fds = NULL;
    int i, n;

    memset(&err, 0, sizeof(err));
    if ((n = coreOpen(req, &fds, &err)) < 0) {
        fprintf(stderr, "first_phases: %s\n", err.message ? err.message : "failed");
        exit(3);
    }
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
}

int
main(int argc, char **argv)
{
    bench_idle_thread idle;
    virConnectPtr conn;
    virDomainPtr dom;
    lxcCoreRequest req;
    lxcCoreOpenFunc coreOpen;
    uint64_t t0, t1, t2, t3, t4;
    void *h;
    int cold;

    if (argc != 5 || (strcmp(argv[4], "cold") && strcmp(argv[4], "settled"))) {
        fprintf(stderr, "usage: %s CORE URI DOMAIN cold|settled\n", argv[0]);
        return 1;
    }
    cold = strcmp(argv[4], "cold") == 0;
    if (bench_idle_start(&idle) < 0)
        return 1;
    dom = bench_domain(argv[2], argv[3], &conn);
    memset(&req, 0, sizeof(req));
    if (!(req.uri = virConnectGetURI(conn)) || virDomainGetUUID(dom, req.uuid) < 0)
        return 2;
    req.name = virDomainGetName(dom);
    req.id = (int)virDomainGetID(dom);

    t0 = tcNowNs();
    if (!(h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    t1 = tcNowNs();
    coreVersion = (lxcCoreVersionFunc)dlsym(h, LXC_CORE_VERSION_SYMBOL);
    coreOpen = (lxcCoreOpenFunc)dlsym(h, LXC_CORE_OPEN_SYMBOL);
    if (!coreVersion || !coreOpen)
        return 1;
    if (cold) {
        coreVersion();
        t2 = tcNowNs();
        openOnce(coreOpen, &req);
        t3 = tcNowNs();
        openOnce(coreOpen, &req);
        t4 = tcNowNs();
        printf("dlopen_ns %llu\n", (unsigned long long)(t1 - t0));
        printf("enter_main_ns %llu\n", (unsigned long long)(t2 - t1));
        printf("open_new_ns %llu\n", (unsigned long long)(t3 - t2));
        printf("open_warm_ns %llu\n", (unsigned long long)(t4 - t3));
    } else {
        pthread_t tid;
        struct timespec settle = { 0, 100 * 1000000L };
        nanosleep(&settle, NULL);
        if (pthread_create(&tid, NULL, callFromThread, NULL) != 0)
            return 1;
        pthread_join(tid, NULL);
        t2 = tcNowNs();
        coreVersion();
        t3 = tcNowNs();
        printf("bind_thread_ns %llu\n", (unsigned long long)threadNs);
        printf("bind_main_ns %llu\n", (unsigned long long)(t3 - t2));
    }
    free((char *)req.uri);
    virDomainFree(dom);
    virConnectClose(conn);
    bench_idle_stop(&idle);
    return 0;
}
