/*
 * cgroup_text.h: what virDomainLxcEnterCGroup decides from text, without
 * I/O: which cgroup mounts hold which controllers, where the lines of
 * /proc/<pid>/cgroup place the domain's controller process, which
 * controllers cgroup v2 claims from v1, and which files the caller's pid
 * is written to.
 *
 * enter_cgroup.c does the reading and writing (getmntent, fgets, the BPF
 * query, the writes) and hands each mount entry, line and file here, so
 * that these decisions can be tested on strings alone
 * (tests/unit/cgroup_unit.c).
 */
#ifndef LXC_CGROUP_TEXT_H
#define LXC_CGROUP_TEXT_H

#include <stddef.h>

/* libvirt's controller list, in its order (which is also the write order). */
enum {
    CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_DEVICES, CG_FREEZER,
    CG_BLKIO, CG_NET_CLS, CG_PERF_EVENT, CG_SYSTEMD, CG_LAST
};
extern const char *const lxcCgV1Names[CG_LAST];
extern const char *const lxcCgV2Names[CG_LAST];

/* One mount point or placement: libvirt reads /proc/<pid>/cgroup in 1 KiB
 * lines, so neither can be longer; longer ones are cut here too. */
#define CG_PATH_MAX 1024
/* Room for the longest file name joined to a cgroup directory,
 * "/cgroup.controllers", and its NUL. */
#define CG_LEAF_MAX 32
/* A file directly under a mount point. */
#define CG_MOUNT_FILE_MAX (CG_PATH_MAX + CG_LEAF_MAX)
/* A file of a placement: mount point, placement, file name. */
#define CG_FILE_MAX (2 * CG_PATH_MAX + CG_LEAF_MAX)

typedef struct {
    int v2;                          /* v2 backend in use */
    int v1;                          /* v1 backend in use */
    char v2Mount[CG_PATH_MAX];
    char v2Place[CG_PATH_MAX];
    int v2HasPlace;
    unsigned int v2Ctrl;             /* bit per CG_* claimed by v2 */
    char v1Mount[CG_LAST][CG_PATH_MAX];
    char v1Place[CG_LAST][CG_PATH_MAX];
    int v1HasMount[CG_LAST];
    int v1HasPlace[CG_LAST];
} lxcCgroup;

/* Whether @name is one of the comma-separated words of @list. */
int lxcCgHasWord(const char *list, const char *name);

/* One entry of /proc/mounts, its fields as getmntent decodes them. Later
 * mounts win, as bind mounts of the same hierarchy follow. Only the
 * backends in use (cg->v2, cg->v1) are looked for. */
void lxcCgroupNoteMount(lxcCgroup *cg, const char *type, const char *dir,
                        const char *opts);

/* "/proc/self/cgroup" for @pid -1 (a domain that is not running), else
 * "/proc/<pid>/cgroup", into @buf of CG_PROC_FILE_MAX bytes. */
#define CG_PROC_FILE_MAX 64
void lxcCgroupProcFile(char buf[CG_PROC_FILE_MAX], long long pid);

/* One line of /proc/<pid>/cgroup, "<id>:<controllers>:<path>", with or
 * without its newline; lines without two colons are skipped. The first
 * line for a controller wins. */
void lxcCgroupNotePlacement(lxcCgroup *cg, const char *line);

/* After the last line: whether every mounted controller found a place. */
typedef enum {
    LXC_CG_PLACED = 0,
    LXC_CG_NO_V2_PLACE,              /* no "0::<path>" line */
    LXC_CG_NO_V1_PLACE,              /* *@v1name has a mount, no line */
} lxcCgPlaceCheck;
lxcCgPlaceCheck lxcCgroupCheckPlacement(const lxcCgroup *cg, const char **v1name);

/* The CG_* bits of the controllers named in v2's cgroup.controllers
 * @text (words separated by blanks and newlines). */
unsigned int lxcCgroupParseV2Controllers(const char *text);

/* Settles which version holds each controller: with v2, the controllers
 * of @v2found, cpuacct (v2 has none: cpu.stat always has the usage) and,
 * if @v2devices (the kernel attaches device BPF programs), devices; v1
 * keeps the mounted ones v2 did not claim. Returns the CG_* bits of all
 * available controllers; 0 is an error for the caller. */
unsigned int lxcCgroupClaim(lxcCgroup *cg, unsigned int v2found, int v2devices);

/* "<mount><placement>/<file>" of v2, into @buf of CG_FILE_MAX bytes. */
void lxcCgroupV2File(char buf[CG_FILE_MAX], const lxcCgroup *cg, const char *file);

/* The files the caller's pid is written to, in libvirt's order, one per
 * call: the whole process into v2's cgroup.procs, the calling thread into
 * each v1 hierarchy's tasks, never name=systemd's. Start with *@next 0;
 * returns 1 with @buf (CG_FILE_MAX bytes) filled, 0 when there are no
 * more. */
int lxcCgroupNextTarget(const lxcCgroup *cg, unsigned int *next,
                        char buf[CG_FILE_MAX]);

#endif /* LXC_CGROUP_TEXT_H */
