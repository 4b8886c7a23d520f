/*
 * pidlock.h: a lock that survives fork().
 *
 * Hazard: a pthread mutex held by another thread when the process forks
 * stays locked for good in the child. This lock word holds the pid of the
 * process whose thread holds it: a child finds its parent's pid there (the
 * holder did not come along) and takes the lock over. Waiters sleep in
 * short steps; it guards only rare, short work (deciding how this process
 * is served, starting its core process).
 */
#ifndef LXC_PIDLOCK_H
#define LXC_PIDLOCK_H

#include <sys/types.h>
#include <time.h>

#define LXC_PIDLOCK_PAUSE_NS 100000

static inline void
lxcPidLock(pid_t *word, pid_t self)
{
    struct timespec pause = { 0, LXC_PIDLOCK_PAUSE_NS };
    pid_t seen;

    for (;;) {
        seen = 0;
        if (__atomic_compare_exchange_n(word, &seen, self, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
        if (seen != self &&
            __atomic_compare_exchange_n(word, &seen, self, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
        nanosleep(&pause, NULL);
    }
}

static inline void
lxcPidUnlock(pid_t *word)
{
    __atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

#endif
