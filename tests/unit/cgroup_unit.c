/*
 * Unit tests of what virDomainLxcEnterCGroup decides from text
 * (capi/lib/cgroup_text.c): mount entries, /proc/<pid>/cgroup lines,
 * cgroup.controllers, the claim of controllers between v1 and v2, and the
 * files written, on strings alone (no cgroupfs, no daemon, no root). Each
 * case is named in the output; the program exits 1 if any fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_text.h"
#include "unit.h"

/* About 22 KiB, as in enter_cgroup.c: not on the stack. */
static lxcCgroup cg;
/* Longer than any path cgroup_text.c keeps. */
static char longPath[3 * CG_PATH_MAX];

static void
checkStr(const char *name, const char *got, const char *want)
{
    check(name, strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got, want);
}

static void
checkBits(const char *name, unsigned int got, unsigned int want)
{
    check(name, got == want, "got 0x%x, want 0x%x", got, want);
}

#define BIT(c) (1u << (c))

/* A fresh state with the backends @v2 and @v1 in use. */
static void
reset(int v2, int v1)
{
    memset(&cg, 0, sizeof(cg));
    cg.v2 = v2;
    cg.v1 = v1;
}

/* The CG_* bits of the v1 controllers with a mount (@placed 0) or a
 * placement (@placed 1). */
static unsigned int
v1Bits(int placed)
{
    unsigned int bits = 0;
    size_t i;

    for (i = 0; i < CG_LAST; i++) {
        if (placed ? cg.v1HasPlace[i] : cg.v1HasMount[i])
            bits |= BIT(i);
    }
    return bits;
}

static void
testHasWord(void)
{
    check("word/first", lxcCgHasWord("cpu,cpuacct", "cpu"), "not found");
    check("word/last", lxcCgHasWord("rw,cpu,cpuacct", "cpuacct"), "not found");
    check("word/middle", lxcCgHasWord("rw,memory,relatime", "memory"), "not found");
    check("word/only", lxcCgHasWord("memory", "memory"), "not found");
    check("word/prefix of a word is no word", !lxcCgHasWord("rw,cpuacct", "cpu"), "found");
    check("word/word's prefix is no word", !lxcCgHasWord("rw,cpu", "cpuacct"), "found");
    check("word/named hierarchy",
          lxcCgHasWord("rw,nosuid,xattr,name=systemd", "name=systemd"), "not found");
    check("word/name= alone is no hierarchy", !lxcCgHasWord("rw,name=systemd", "systemd"),
          "found");
    check("word/empty list", !lxcCgHasWord("", "cpu"), "found");
    check("word/empty word between commas", lxcCgHasWord("a,,b", ""), "not found");
    check("word/no empty word", !lxcCgHasWord("a,b", ""), "found");
}

static void
testMounts(void)
{
    reset(0, 1);
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/cpu,cpuacct", "rw,nosuid,cpu,cpuacct");
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/systemd", "rw,xattr,name=systemd");
    checkBits("mounts/v1 controllers from the options", v1Bits(0),
              BIT(CG_CPU) | BIT(CG_CPUACCT) | BIT(CG_SYSTEMD));
    checkStr("mounts/v1 mount point", cg.v1Mount[CG_CPUACCT], "/sys/fs/cgroup/cpu,cpuacct");
    checkStr("mounts/v1 named hierarchy", cg.v1Mount[CG_SYSTEMD], "/sys/fs/cgroup/systemd");

    lxcCgroupNoteMount(&cg, "cgroup", "/mnt/cpu again", "rw,cpu");
    checkStr("mounts/later mount wins, space kept", cg.v1Mount[CG_CPU], "/mnt/cpu again");
    checkStr("mounts/later mount leaves the others", cg.v1Mount[CG_CPUACCT],
             "/sys/fs/cgroup/cpu,cpuacct");

    lxcCgroupNoteMount(&cg, "tmpfs", "/tmp/memory", "rw,memory");
    lxcCgroupNoteMount(&cg, "cgroup2", "/sys/fs/cgroup/unified", "rw,memory");
    check("mounts/other types are no v1 mounts", !cg.v1HasMount[CG_MEMORY], "memory mounted");
    checkStr("mounts/cgroup2 ignored without v2", cg.v2Mount, "");

    reset(1, 0);
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/memory", "rw,memory");
    lxcCgroupNoteMount(&cg, "cgroup2", "/sys/fs/cgroup", "rw,nsdelegate");
    checkBits("mounts/v1 ignored without v1", v1Bits(0), 0);
    checkStr("mounts/v2 mount point", cg.v2Mount, "/sys/fs/cgroup");
    lxcCgroupNoteMount(&cg, "cgroup2", "/sys/fs/cgroup/unified", "rw");
    checkStr("mounts/later v2 mount wins", cg.v2Mount, "/sys/fs/cgroup/unified");

    lxcCgroupNoteMount(&cg, "cgroup2", longPath, "rw");
    check("mounts/over-long mount point cut", strlen(cg.v2Mount) == CG_PATH_MAX - 1 &&
          strncmp(cg.v2Mount, longPath, CG_PATH_MAX - 1) == 0,
          "length %zu", strlen(cg.v2Mount));
}

static void
testProcFile(void)
{
    char buf[CG_PROC_FILE_MAX];

    lxcCgroupProcFile(buf, -1);
    checkStr("procfile/domain not running", buf, "/proc/self/cgroup");
    lxcCgroupProcFile(buf, 4242);
    checkStr("procfile/controller's pid", buf, "/proc/4242/cgroup");
    lxcCgroupProcFile(buf, 2147483647);
    checkStr("procfile/largest pid", buf, "/proc/2147483647/cgroup");
}

static void
testPlacementV2(void)
{
    char line[4 * CG_PATH_MAX];

    reset(1, 0);
    lxcCgroupNotePlacement(&cg, "");
    lxcCgroupNotePlacement(&cg, "\n");
    lxcCgroupNotePlacement(&cg, "0:/no/second/colon\n");
    check("v2 place/empty and one-colon lines skipped", !cg.v2HasPlace, "placed");
    lxcCgroupNotePlacement(&cg, "1:name=systemd:/v1/line\n");
    check("v2 place/a line with controllers is not v2's", !cg.v2HasPlace, "placed");
    lxcCgroupNotePlacement(&cg,
        "0::/machine.slice/machine-lxc\\x2d4242\\x2dlxcgo.scope\n");
    checkStr("v2 place/escapes kept, newline dropped", cg.v2Place,
             "/machine.slice/machine-lxc\\x2d4242\\x2dlxcgo.scope");
    lxcCgroupNotePlacement(&cg, "0::/second\n");
    checkStr("v2 place/first line wins", cg.v2Place,
             "/machine.slice/machine-lxc\\x2d4242\\x2dlxcgo.scope");

    reset(1, 0);
    lxcCgroupNotePlacement(&cg, "0::/machine.slice/vm.scope/libvirt/emulator\n");
    checkStr("v2 place/emulator and libvirt cut", cg.v2Place, "/machine.slice/vm.scope");
    reset(1, 0);
    lxcCgroupNotePlacement(&cg, "0::/libvirt/a/libvirt/b");
    checkStr("v2 place/cut at the last /libvirt, no newline", cg.v2Place, "/libvirt/a");
    reset(1, 0);
    lxcCgroupNotePlacement(&cg, "0::/a b/c:d e\n");
    checkStr("v2 place/spaces and colons in the path", cg.v2Place, "/a b/c:d e");
    reset(1, 0);
    lxcCgroupNotePlacement(&cg, "0::\n");
    check("v2 place/root", cg.v2HasPlace && cg.v2Place[0] == '\0', "\"%s\"", cg.v2Place);
    reset(0, 1);
    lxcCgroupNotePlacement(&cg, "0::/x\n");
    check("v2 place/ignored without v2", !cg.v2HasPlace, "placed");

    reset(1, 0);
    snprintf(line, sizeof(line), "0::%s\n", longPath);
    lxcCgroupNotePlacement(&cg, line);
    check("v2 place/over-long path cut", strlen(cg.v2Place) == CG_PATH_MAX - 1,
          "length %zu", strlen(cg.v2Place));
}

static void
testPlacementV1(void)
{
    reset(0, 1);
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/cpu,cpuacct", "rw,cpu,cpuacct");
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/systemd", "rw,name=systemd");
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/memory", "rw,memory");
    lxcCgroupNotePlacement(&cg, "5:cpuset:/not/mounted\n");
    lxcCgroupNotePlacement(&cg, "4:cpu,cpuacct:/machine/lxcgo.libvirt-lxc/emulator/libvirt/x\n");
    lxcCgroupNotePlacement(&cg, "1:name=systemd:/machine.slice/x.scope\n");
    lxcCgroupNotePlacement(&cg, "0::/v2/line\n");
    checkBits("v1 place/mounted controllers placed", v1Bits(1),
              BIT(CG_CPU) | BIT(CG_CPUACCT) | BIT(CG_SYSTEMD));
    checkStr("v1 place/emulator kept, /libvirt cut, .libvirt-lxc kept", cg.v1Place[CG_CPU],
             "/machine/lxcgo.libvirt-lxc/emulator");
    checkStr("v1 place/named hierarchy", cg.v1Place[CG_SYSTEMD], "/machine.slice/x.scope");
    check("v1 place/v2 line ignored without v2", !cg.v2HasPlace, "placed");
    lxcCgroupNotePlacement(&cg, "3:memory:/first\n");
    lxcCgroupNotePlacement(&cg, "9:memory:/second\n");
    checkStr("v1 place/first line wins", cg.v1Place[CG_MEMORY], "/first");
}

static void
testCheckPlacement(void)
{
    const char *name = "unset";

    reset(1, 1);
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/memory", "rw,memory");
    check("check/v2 missing", lxcCgroupCheckPlacement(&cg, &name) == LXC_CG_NO_V2_PLACE &&
          name == NULL, "name %s", name ? name : "NULL");
    lxcCgroupNotePlacement(&cg, "0::/x\n");
    lxcCgroupNotePlacement(&cg, "3:cpu:/y\n");
    check("check/v1 controller missing from the file",
          lxcCgroupCheckPlacement(&cg, &name) == LXC_CG_NO_V1_PLACE && name &&
          strcmp(name, "memory") == 0, "name %s", name ? name : "NULL");
    lxcCgroupNotePlacement(&cg, "2:memory:/y\n");
    check("check/all placed", lxcCgroupCheckPlacement(&cg, &name) == LXC_CG_PLACED &&
          name == NULL, "name %s", name ? name : "NULL");
    reset(0, 1);
    check("check/nothing mounted", lxcCgroupCheckPlacement(&cg, &name) == LXC_CG_PLACED,
          "not placed");
}

static void
testControllers(void)
{
    checkBits("controllers/typical file",
              lxcCgroupParseV2Controllers("cpuset cpu io memory hugetlb pids rdma misc\n"),
              BIT(CG_CPUSET) | BIT(CG_CPU) | BIT(CG_BLKIO) | BIT(CG_MEMORY));
    checkBits("controllers/empty", lxcCgroupParseV2Controllers(""), 0);
    checkBits("controllers/empty line", lxcCgroupParseV2Controllers("\n"), 0);
    checkBits("controllers/blkio is v1's name", lxcCgroupParseV2Controllers("blkio"), 0);
    checkBits("controllers/prefix is no name", lxcCgroupParseV2Controllers("cpuset"),
              BIT(CG_CPUSET));
    checkBits("controllers/tabs and runs of blanks",
              lxcCgroupParseV2Controllers("\t memory\t\tcpu  \n\n"),
              BIT(CG_MEMORY) | BIT(CG_CPU));
}

static void
testClaim(void)
{
    reset(1, 0);
    checkBits("claim/v2 adds cpuacct", lxcCgroupClaim(&cg, BIT(CG_CPU) | BIT(CG_MEMORY), 0),
              BIT(CG_CPU) | BIT(CG_MEMORY) | BIT(CG_CPUACCT));
    reset(1, 0);
    checkBits("claim/v2 devices through BPF", lxcCgroupClaim(&cg, 0, 1),
              BIT(CG_CPUACCT) | BIT(CG_DEVICES));
    reset(0, 1);
    checkBits("claim/no controller at all", lxcCgroupClaim(&cg, 0, 0), 0);

    reset(1, 1);
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/memory", "rw,memory");
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/freezer", "rw,freezer");
    lxcCgroupNotePlacement(&cg, "3:memory:/m\n");
    lxcCgroupNotePlacement(&cg, "2:freezer:/f\n");
    checkBits("claim/hybrid available", lxcCgroupClaim(&cg, BIT(CG_MEMORY), 0),
              BIT(CG_MEMORY) | BIT(CG_CPUACCT) | BIT(CG_FREEZER));
    checkBits("claim/v2 takes memory from v1", v1Bits(0) | v1Bits(1), BIT(CG_FREEZER));
}

static void
testTargets(void)
{
    char path[CG_FILE_MAX];
    unsigned int next = 0;

    reset(1, 0);
    lxcCgroupNoteMount(&cg, "cgroup2", "/sys/fs/cgroup", "rw");
    lxcCgroupNotePlacement(&cg, "0::/machine.slice/x.scope\n");
    check("targets/v2 procs", lxcCgroupNextTarget(&cg, &next, path) &&
          strcmp(path, "/sys/fs/cgroup/machine.slice/x.scope/cgroup.procs") == 0, "%s", path);
    check("targets/v2 only one", !lxcCgroupNextTarget(&cg, &next, path), "%s", path);

    reset(1, 1);
    lxcCgroupNoteMount(&cg, "cgroup2", "/sys/fs/cgroup/unified", "rw");
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/systemd", "rw,name=systemd");
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/net_cls", "rw,net_cls");
    lxcCgroupNoteMount(&cg, "cgroup", "/sys/fs/cgroup/cpu", "rw,cpu");
    lxcCgroupNotePlacement(&cg, "0::/u\n");
    lxcCgroupNotePlacement(&cg, "1:name=systemd:/s\n");
    lxcCgroupNotePlacement(&cg, "2:net_cls:/n\n");
    lxcCgroupNotePlacement(&cg, "3:cpu:/c d\n");
    next = 0;
    check("targets/hybrid: v2 first", lxcCgroupNextTarget(&cg, &next, path) &&
          strcmp(path, "/sys/fs/cgroup/unified/u/cgroup.procs") == 0, "%s", path);
    check("targets/hybrid: then v1 in libvirt's order", lxcCgroupNextTarget(&cg, &next, path) &&
          strcmp(path, "/sys/fs/cgroup/cpu/c d/tasks") == 0, "%s", path);
    check("targets/hybrid: net_cls", lxcCgroupNextTarget(&cg, &next, path) &&
          strcmp(path, "/sys/fs/cgroup/net_cls/n/tasks") == 0, "%s", path);
    check("targets/never name=systemd", !lxcCgroupNextTarget(&cg, &next, path), "%s", path);
    check("targets/end stays the end", !lxcCgroupNextTarget(&cg, &next, path), "%s", path);

    reset(0, 1);
    next = 0;
    check("targets/none", !lxcCgroupNextTarget(&cg, &next, path), "%s", path);

    reset(1, 0);
    memset(cg.v2Mount, 'm', CG_PATH_MAX - 1);
    memset(cg.v2Place, 'p', CG_PATH_MAX - 1);
    lxcCgroupV2File(path, &cg, "cgroup.controllers");
    check("targets/longest mount and place fit", strlen(path) ==
          2 * (CG_PATH_MAX - 1) + strlen("/cgroup.controllers"), "length %zu", strlen(path));
}

int
main(void)
{
    memset(longPath, 'x', sizeof(longPath) - 1);
    longPath[0] = '/';
    testHasWord();
    testMounts();
    testProcFile();
    testPlacementV2();
    testPlacementV1();
    testCheckPlacement();
    testControllers();
    testClaim();
    testTargets();
    return unitSummary();
}
