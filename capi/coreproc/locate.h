/* locate.h: files installed beside libvirt-lxc.so.0 (see locate.c). */
#ifndef LXC_COREPROC_LOCATE_H
#define LXC_COREPROC_LOCATE_H

#include <stddef.h>

/* Finds @file where libvirt-lxc.so.0's private files are looked for:
 * <dir of libvirt-lxc.so.0>/LXC_CORE_SUBDIR/@file (installed), else
 * <dir>/@file (build tree). 0 with @path set; -1 with @path naming the
 * installed location, or empty when the library's own directory is
 * unknown. */
int lxcCoreFindFile(const char *file, char *path, size_t len);

#endif
