/*
 * cgroup_text.c: the decisions of virDomainLxcEnterCGroup made from text
 * (cgroup_text.h); the same as libvirt's cgroup code makes from the same
 * files. No I/O here: enter_cgroup.c reads and writes.
 */
#include <stdio.h>
#include <string.h>

#include "cgroup_text.h"

const char *const lxcCgV1Names[CG_LAST] = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
    "blkio", "net_cls", "perf_event", "name=systemd",
};
/* cgroup v2 names the block I/O controller "io". */
const char *const lxcCgV2Names[CG_LAST] = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
    "io", "net_cls", "perf_event", "name=systemd",
};

/* Copies cut at CG_PATH_MAX, as libvirt's 1 KiB lines are. */
static void
lxcCgCopy(char *dst, const char *src, size_t len)
{
    snprintf(dst, CG_PATH_MAX, "%.*s", (int)len, src);
}

/* lxcCgHasWord on the first @listLen bytes of @list, which need no NUL:
 * a line's controller list is not cut out of the line. */
static int
lxcCgHasWordN(const char *list, size_t listLen, const char *name)
{
    size_t len = strlen(name);
    const char *p = list, *end = list + listLen;

    for (;;) {
        const char *next = memchr(p, ',', (size_t)(end - p));
        size_t n = next ? (size_t)(next - p) : (size_t)(end - p);

        if (n == len && memcmp(p, name, len) == 0)
            return 1;
        if (!next)
            return 0;
        p = next + 1;
    }
}

int
lxcCgHasWord(const char *list, const char *name)
{
    return lxcCgHasWordN(list, strlen(list), name);
}

void
lxcCgroupNoteMount(lxcCgroup *cg, const char *type, const char *dir,
                   const char *opts)
{
    size_t i;

    if (cg->v2 && strcmp(type, "cgroup2") == 0)
        lxcCgCopy(cg->v2Mount, dir, strlen(dir));
    if (!cg->v1 || strcmp(type, "cgroup") != 0)
        return;
    for (i = 0; i < CG_LAST; i++) {
        if (lxcCgHasWord(opts, lxcCgV1Names[i])) {
            lxcCgCopy(cg->v1Mount[i], dir, strlen(dir));
            cg->v1HasMount[i] = 1;
        }
    }
}

void
lxcCgroupProcFile(char buf[CG_PROC_FILE_MAX], long long pid)
{
    if (pid == -1)
        snprintf(buf, CG_PROC_FILE_MAX, "/proc/self/cgroup");
    else
        snprintf(buf, CG_PROC_FILE_MAX, "/proc/%lld/cgroup", pid);
}

/* Cut @s at the last occurrence of @what. */
static void
lxcCgCutLast(char *s, const char *what)
{
    char *p = NULL, *q = s;

    while ((q = strstr(q, what))) {
        p = q;
        q++;
    }
    if (p)
        *p = '\0';
}

void
lxcCgroupNotePlacement(lxcCgroup *cg, const char *line)
{
    const char *ctrl = strchr(line, ':');
    const char *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
    size_t ctrlLen, pathLen, i;

    if (!ctrl || !path)
        return;
    ctrl++;
    ctrlLen = (size_t)(path - ctrl);
    path++;
    pathLen = strcspn(path, "\n");

    /* The v2 line has an empty controller list. A running VM's main
     * thread sits in "emulator", and nested "/libvirt..." groups belong
     * to the domain's own group: both are cut off. */
    if (cg->v2 && !cg->v2HasPlace && ctrlLen == 0) {
        lxcCgCopy(cg->v2Place, path, pathLen);
        lxcCgCutLast(cg->v2Place, "/emulator");
        lxcCgCutLast(cg->v2Place, "/libvirt");
        cg->v2HasPlace = 1;
    }
    for (i = 0; cg->v1 && i < CG_LAST; i++) {
        if (!cg->v1HasMount[i] || cg->v1HasPlace[i] ||
            !lxcCgHasWordN(ctrl, ctrlLen, lxcCgV1Names[i]))
            continue;
        lxcCgCopy(cg->v1Place[i], path, pathLen);
        lxcCgCutLast(cg->v1Place[i], "/libvirt");
        cg->v1HasPlace[i] = 1;
    }
}

lxcCgPlaceCheck
lxcCgroupCheckPlacement(const lxcCgroup *cg, const char **v1name)
{
    size_t i;

    *v1name = NULL;
    if (cg->v2 && !cg->v2HasPlace)
        return LXC_CG_NO_V2_PLACE;
    for (i = 0; cg->v1 && i < CG_LAST; i++) {
        if (cg->v1HasMount[i] && !cg->v1HasPlace[i]) {
            *v1name = lxcCgV1Names[i];
            return LXC_CG_NO_V1_PLACE;
        }
    }
    return LXC_CG_PLACED;
}

unsigned int
lxcCgroupParseV2Controllers(const char *text)
{
    static const char blanks[] = " \t\n";
    unsigned int found = 0;
    const char *p = text + strspn(text, blanks);
    size_t i;

    while (*p) {
        size_t n = strcspn(p, blanks);

        for (i = 0; i < CG_LAST; i++) {
            if (strlen(lxcCgV2Names[i]) == n && memcmp(p, lxcCgV2Names[i], n) == 0)
                found |= 1u << i;
        }
        p += n;
        p += strspn(p, blanks);
    }
    return found;
}

unsigned int
lxcCgroupClaim(lxcCgroup *cg, unsigned int v2found, int v2devices)
{
    unsigned int avail = 0;
    size_t i;

    if (cg->v2) {
        cg->v2Ctrl |= v2found | 1u << CG_CPUACCT;
        if (v2devices)
            cg->v2Ctrl |= 1u << CG_DEVICES;
        avail |= cg->v2Ctrl;
    }
    for (i = 0; cg->v1 && i < CG_LAST; i++) {
        if (cg->v2Ctrl & (1u << i))
            cg->v1HasMount[i] = cg->v1HasPlace[i] = 0;
        if (cg->v1HasMount[i])
            avail |= 1u << i;
    }
    return avail;
}

void
lxcCgroupV2File(char buf[CG_FILE_MAX], const lxcCgroup *cg, const char *file)
{
    snprintf(buf, CG_FILE_MAX, "%s%s/%s", cg->v2Mount, cg->v2Place, file);
}

int
lxcCgroupNextTarget(const lxcCgroup *cg, unsigned int *next, char buf[CG_FILE_MAX])
{
    if (*next == 0) {
        *next = 1;
        if (cg->v2) {
            lxcCgroupV2File(buf, cg, "cgroup.procs");
            return 1;
        }
    }
    /* *next - 1 is the next v1 controller to look at. */
    for (; cg->v1 && *next <= CG_LAST; (*next)++) {
        unsigned int i = *next - 1;

        if (!cg->v1HasMount[i] || i == CG_SYSTEMD)
            continue;
        snprintf(buf, CG_FILE_MAX, "%s%s/tasks", cg->v1Mount[i], cg->v1Place[i]);
        (*next)++;
        return 1;
    }
    return 0;
}
