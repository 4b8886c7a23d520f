/*
 * unit.h: the one way the unit test programs here report a case: each
 * named in the output, "ok" or "FAIL" with why, and a summary whose exit
 * status meson reads (non-zero when any case failed).
 */
#ifndef LXC_UNIT_H
#define LXC_UNIT_H

#include <stdarg.h>
#include <stdio.h>

static int unitFailed, unitPassed;

static void __attribute__((format(printf, 3, 4)))
check(const char *name, int ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        printf("ok   %s\n", name);
        unitPassed++;
        return;
    }
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    unitFailed++;
}

/* The summary line; main()'s exit status. */
static int
unitSummary(void)
{
    printf("%d passed, %d failed\n", unitPassed, unitFailed);
    return unitFailed ? 1 : 0;
}

#endif
