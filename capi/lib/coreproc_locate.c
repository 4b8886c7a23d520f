/*
 * coreproc_locate.c: where libvirt-lxc.so.0 finds its core process's program.
 *
 * Relative to this library only, never through the environment, so that a
 * setuid caller cannot be made to run another program.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coreproc_locate.h"

/* A line of /proc/self/maps: about 75 bytes of fields, then the path. */
#define MAPS_LINE_MAX (PATH_MAX + 128)

static int
libraryDir(char *dir, size_t len)
{
    Dl_info info;
    uintptr_t self = (uintptr_t)&libraryDir;
    FILE *maps;
    char line[MAPS_LINE_MAX];
    char *slash;

    memset(&info, 0, sizeof(info));
    if (dladdr((void *)&libraryDir, &info) && info.dli_fname &&
        info.dli_fname[0] == '/') {
        if (snprintf(dir, len, "%s", info.dli_fname) >= (int)len)
            return -1;
    } else if (info.dli_fname && len >= PATH_MAX && realpath(info.dli_fname, dir)) {
        /* Loaded by a relative name (LD_LIBRARY_PATH=build): resolved
         * without an fd, which a caller at its descriptor limit lacks. */
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

/* Installed: <libdir>/LXC_CORE_SUBDIR/@file; build tree: beside the
 * library. Paths only: where they lead depends on where the process stands
 * (coreproc_spawn.c). */
int
lxcCoreFilePlaces(const char *file, lxcCorePlaces places)
{
    char dir[PATH_MAX];
    const char *subdirs[LXC_CORE_PLACES] = { LXC_CORE_SUBDIR "/", "" };
    size_t i;

    for (i = 0; i < LXC_CORE_PLACES; i++)
        places[i][0] = '\0';
    if (libraryDir(dir, sizeof(dir)) < 0)
        return -1;
    for (i = 0; i < LXC_CORE_PLACES; i++) {
        if (snprintf(places[i], sizeof(places[i]), "%s/%s%s", dir, subdirs[i],
                     file) >= (int)sizeof(places[i]))
            return -1;
    }
    return 0;
}

int
lxcCoreFirstPlace(lxcCorePlaces places)
{
    int i;

    for (i = 0; i < LXC_CORE_PLACES; i++)
        if (places[i][0] && access(places[i], F_OK) == 0)
            return i;
    return -1;
}
