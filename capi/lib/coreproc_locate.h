/* coreproc_locate.h: files installed beside libvirt-lxc.so.0 (see
 * coreproc_locate.c). */
#ifndef LXC_COREPROC_LOCATE_H
#define LXC_COREPROC_LOCATE_H

#include <limits.h>
#include <stddef.h>

/* Where libvirt-lxc.so.0's private files are looked for, in this order:
 * <dir of libvirt-lxc.so.0>/LXC_CORE_SUBDIR/<file> (installed), then
 * <dir>/<file> (build tree). A place is a directory with a short
 * subdirectory and file name added (snprintf cuts what is longer). */
#define LXC_CORE_PLACES 2
#define LXC_CORE_PLACE_MAX (PATH_MAX + 64)
typedef char lxcCorePlaces[LXC_CORE_PLACES][LXC_CORE_PLACE_MAX];

/* Fills @places for @file, touching no file: 0, or -1 (every place empty)
 * when the library's own directory is unknown. */
int lxcCoreFilePlaces(const char *file, lxcCorePlaces places);

/* The index of the first of @places that exists from where this process
 * stands, or -1. System calls only (coreproc_spawn.c's children use it). */
int lxcCoreFirstPlace(lxcCorePlaces places);

#endif
