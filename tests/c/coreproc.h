/*
 * coreproc.h: what the scenario files of the coreproc program share (see
 * coreproc.c for the program and its table of scenarios): the domain they
 * call, the calls, and how they find and watch the caller's core process
 * (coreproc_util.c).
 */
#ifndef COREPROC_H
#define COREPROC_H

#include <dirent.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "rel_util.h"

#define CORE_PROGRAM "libvirt-lxc-open"
#define CALLER_FD_INFO "fdinfo/4"   /* LXC_PROC_CALLER_FD */
#define CALLS 20
#define GONE_WAIT_MS 3000

/* The domain every scenario calls (lxcgo-plain, or $LXCGO_DOMAIN), opened
 * by openDomain(). */
extern const char *domName;
extern virDomainPtr dom;

/* ---- coreproc_util.c ---- */
int readSmall(const char *path, char *buf, size_t size);
void openDomain(void);
void closeDomain(void);
int callOnce(void);
int coreProcsOf(pid_t caller, pid_t *out, int max);
pid_t theCoreProc(void);
void signalPid(pid_t pid, int sig);
int alive(pid_t pid);
long long goneAfter(pid_t pid, long long since, int maxMs);
long long allThreadsGoneAfter(pid_t pid, long long since, int maxMs);
void ownChildren(char *out, size_t size);
int listenSomewhere(void);

/* ---- the scenarios: each prints its one line, returns the exit code ---- */
/* coreproc_children.c */
int scenarioSigchld(const char *mode);
int scenarioReaper(const char *unused);
int scenarioSession(const char *unused);
int scenarioExit(const char *mode);
int scenarioSubreaper(const char *unused);
/* coreproc_fds.c */
int scenarioFds(const char *unused);
int scenarioGenerations(const char *unused);
/* coreproc_concurrency.c */
int scenarioConcurrent(const char *unused);
int scenarioForkRace(const char *mode);
int scenarioForkLog(const char *unused);
int scenarioVirFork(const char *unused);
/* coreproc_faults.c */
int scenarioMidcall(const char *unused);
int scenarioMidterm(const char *unused);
int scenarioHung(const char *unused);
int scenarioIdleKill(const char *unused);
int scenarioIdle(const char *seconds);

#endif /* COREPROC_H */
