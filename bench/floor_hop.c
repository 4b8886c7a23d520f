/*
 * floor_hop.c: the floor of one hop to another process: a bare request and
 * a reply carrying 6 already-open fds, over a SEQPACKET socketpair, to a
 * child that sleeps in read() between requests (as an idle core process
 * does). No libvirt.
 *
 *   floor_hop CALLS
 *
 * The fds are this process's own namespace files, opened once; each reply
 * passes them (SCM_RIGHTS), and the caller closes what it received, as a
 * caller of OpenNamespace does. Prints the median and p90 round trip.
 */
#include "common.h"

#define HOP_FDS 6

static const char *const nsNames[HOP_FDS] = { "ipc", "mnt", "net", "pid", "uts", "user" };

/* The child: one reply with the fds for each request, until EOF. */
static void
serve(int sock, const int *fds)
{
    char cbuf[CMSG_SPACE(sizeof(int) * HOP_FDS)] = { 0 };
    char b;
    struct iovec io = { &b, 1 };
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1,
                        .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);

    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int) * HOP_FDS);
    memcpy(CMSG_DATA(h), fds, sizeof(int) * HOP_FDS);
    while (read(sock, &b, 1) == 1)
        if (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
            _exit(1);
    _exit(0);
}

/* One round trip: the request, the reply, the received fds closed. */
static int
hop(int sock)
{
    char cbuf[CMSG_SPACE(sizeof(int) * HOP_FDS)];
    char b = 1;
    struct iovec io = { &b, 1 };
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1,
                        .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *h;
    int i, n;

    if (write(sock, &b, 1) != 1 || recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 ||
        !(h = CMSG_FIRSTHDR(&m)))
        return -1;
    n = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (i = 0; i < n; i++)
        close(((int *)CMSG_DATA(h))[i]);
    return n;
}

int
main(int argc, char **argv)
{
    int fds[HOP_FDS], sv[2], i;
    char path[64];
    uint64_t *t;
    long calls;
    pid_t pid;

    if (argc != 2 || (calls = atol(argv[1])) < 1) {
        fprintf(stderr, "usage: %s CALLS\n", argv[0]);
        return 1;
    }
    for (i = 0; i < HOP_FDS; i++) {
        snprintf(path, sizeof(path), "/proc/self/ns/%s", nsNames[i]);
        if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            perror(path);
            return 1;
        }
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
        !(t = calloc(calls, sizeof(*t))))
        return 1;
    if ((pid = fork()) < 0)
        return 1;
    if (pid == 0) {
        close(sv[0]);
        serve(sv[1], fds);
    }
    close(sv[1]);
    for (i = 0; i < 100; i++)
        if (hop(sv[0]) != HOP_FDS)
            return 3;
    for (i = 0; i < calls; i++) {
        uint64_t t0 = tcNowNs();
        if (hop(sv[0]) != HOP_FDS)
            return 3;
        t[i] = tcNowNs() - t0;
    }
    close(sv[0]);
    waitpid(pid, NULL, 0);
    qsort(t, calls, sizeof(*t), bench_cmp_u64);
    printf("hop_ns %llu\n", (unsigned long long)t[calls / 2]);
    printf("hop_p90_ns %llu\n", (unsigned long long)t[calls * 9 / 10]);
    return 0;
}
