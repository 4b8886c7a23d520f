/*
 * forksafe.c: fork() waits for this library's calls into libvirt.so.0
 * (forksafe.h says why).
 *
 * The calls are readers of one rwlock that an atfork handler takes for
 * writing: fork() waits until none is under way and holds new ones off
 * until it returns. Writers are preferred, so that a busy caller cannot
 * starve its own fork(); a thread's nested brackets therefore take the
 * lock once (a second read lock behind a waiting writer would deadlock).
 *
 * The handler must not wait when the forking thread could itself be what a
 * bracketed call waits for:
 *   - inside a bracket (an error handler of the caller's that forks): it
 *     holds a read lock;
 *   - inside libvirt's virFork, which holds the logger's mutex across
 *     fork() (a bracketed call may be waiting for it). virFork blocks every
 *     signal before it takes that mutex, so a fork() with every signal
 *     blocked is left alone; its child is safe, as virFork's thread holds
 *     the mutex.
 * A bracketed call that blocks (a logger output that does not drain) makes
 * fork() wait as long, as it makes libvirt's virFork wait.
 */
#include <pthread.h>
#include <signal.h>

#include "forksafe.h"

static pthread_rwlock_t lxcForkLock;
static pthread_once_t lxcForkOnce = PTHREAD_ONCE_INIT;
static __thread int lxcVirDepth;     /* this thread's open brackets */
static __thread int lxcForkWaited;   /* this thread's fork() took the lock */

static void
lxcForkLockInit(void)
{
    pthread_rwlockattr_t attr;

    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lxcForkLock, &attr);
    pthread_rwlockattr_destroy(&attr);
}

/* Whether every standard signal that can be blocked is: libvirt's virFork.
 * (glibc never lets the two signals after SIGSYS be blocked, so real-time
 * ones and those are not looked at.) */
static int
lxcAllSignalsBlocked(void)
{
    sigset_t mask;
    int sig;

    if (pthread_sigmask(SIG_BLOCK, NULL, &mask) != 0)
        return 0;
    for (sig = 1; sig <= SIGSYS; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP && !sigismember(&mask, sig))
            return 0;
    }
    return 1;
}

static void
lxcForkPrepare(void)
{
    lxcForkWaited = lxcVirDepth == 0 && !lxcAllSignalsBlocked();
    if (lxcForkWaited)
        pthread_rwlock_wrlock(&lxcForkLock);
}

static void
lxcForkParent(void)
{
    if (lxcForkWaited)
        pthread_rwlock_unlock(&lxcForkLock);
}

/* The child's only thread is the one that forked, and no other reader is
 * in it: a fresh lock, read-locked again if that thread is in a bracket. */
static void
lxcForkChild(void)
{
    lxcForkLockInit();
    if (lxcVirDepth > 0)
        pthread_rwlock_rdlock(&lxcForkLock);
}

static void
lxcForkWatch(void)
{
    lxcForkLockInit();
    pthread_atfork(lxcForkPrepare, lxcForkParent, lxcForkChild);
}

void
lxcVirEnter(void)
{
    if (lxcVirDepth++ > 0)
        return;
    pthread_once(&lxcForkOnce, lxcForkWatch);
    pthread_rwlock_rdlock(&lxcForkLock);
}

void
lxcVirLeave(void)
{
    if (--lxcVirDepth == 0)
        pthread_rwlock_unlock(&lxcForkLock);
}

virConnectPtr
lxcVirDomainGetConnect(virDomainPtr dom)
{
    virConnectPtr conn;

    lxcVirEnter();
    conn = virDomainGetConnect(dom);
    lxcVirLeave();
    return conn;
}

const char *
lxcVirDomainGetName(virDomainPtr dom)
{
    const char *name;

    lxcVirEnter();
    name = virDomainGetName(dom);
    lxcVirLeave();
    return name;
}

int
lxcVirDomainGetUUID(virDomainPtr dom, unsigned char *uuid)
{
    int ret;

    lxcVirEnter();
    ret = virDomainGetUUID(dom, uuid);
    lxcVirLeave();
    return ret;
}

unsigned int
lxcVirDomainGetID(virDomainPtr dom)
{
    unsigned int id;

    lxcVirEnter();
    id = virDomainGetID(dom);
    lxcVirLeave();
    return id;
}

char *
lxcVirConnectGetURI(virConnectPtr conn)
{
    char *uri;

    lxcVirEnter();
    uri = virConnectGetURI(conn);
    lxcVirLeave();
    return uri;
}

const char *
lxcVirConnectGetType(virConnectPtr conn)
{
    const char *type;

    lxcVirEnter();
    type = virConnectGetType(conn);
    lxcVirLeave();
    return type;
}

int
lxcVirInitialize(void)
{
    int ret;

    lxcVirEnter();
    ret = virInitialize();
    lxcVirLeave();
    return ret;
}
