/* Finding, starting, stopping and probing passt (hako/passt.h). */
#include "hako/passt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hako/bytes.h"
#include "hako/netpkt.h"

extern char **environ;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int hk_passt_find(const char *name, char *out, size_t len)
{
    if (!name || !name[0])
        name = "passt";
    if (strchr(name, '/')) {
        if (!executable(name) || strlen(name) >= len)
            return -1;
        snprintf(out, len, "%s", name);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path || !path[0])
        path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char cand[HK_PASST_PATH_MAX];
        if (n > 0 && n + 1 + strlen(name) < sizeof(cand)) {
            memcpy(cand, p, n);
            cand[n] = '/';
            strcpy(cand + n + 1, name);
            if (executable(cand) && strlen(cand) < len) {
                snprintf(out, len, "%s", cand);
                return 0;
            }
        }
        p += n;
        if (*p == ':')
            p++;
    }
    return -1;
}

/* Blocks the descriptors the child must not inherit by default: everything is close-on-exec, and
 * the child's own ones are dup'ed above 10 first so that no dup2 below clobbers another source. */
static int high_dup(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* Runs argv with its standard output captured (first len-1 bytes, NUL-terminated), at most
 * timeout_ms. Returns the exit status (0-255) or -1. */
static int run_capture(char *const argv[], char *out, size_t len, int timeout_ms)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    int w = high_dup(p[1]);
    close(p[1]);
    if (w < 0) {
        close(p[0]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, w, 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int r = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(w);
    if (r != 0) {
        close(p[0]);
        return -1;
    }
    size_t got = 0;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd pf = {p[0], POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0)
            break;
        char tmp[256];
        ssize_t n = read(p[0], tmp, sizeof(tmp));
        if (n <= 0)
            break;
        size_t k = (size_t)n < len - 1 - got ? (size_t)n : len - 1 - got;
        memcpy(out + got, tmp, k);
        got += k;
    }
    out[got] = 0;
    close(p[0]);
    /* its output ended: it exits now (or is stopped at the deadline) */
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0)
            return -1;
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int hk_passt_version(const char *path, char *out, size_t len)
{
    char buf[512];
    char *argv[] = {(char *)path, "--version", NULL};
    if (run_capture(argv, buf, sizeof(buf), 3000) != 0)
        return -1;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
    const char *v = strncmp(buf, "passt ", 6) == 0 ? buf + 6 : buf;
    if (v[0] && strcmp(v, "unknown version") != 0) {
        snprintf(out, len, "%s", v);
        return 0;
    }
    /* Debian's package says 0.0~git20230309.7c7625d-1: upstream calls that 2023_03_09.7c7625d */
    char *dargv[] = {"dpkg-query", "-W", "-f", "${Version}", "passt", NULL};
    if (run_capture(dargv, buf, sizeof(buf), 3000) != 0 || !buf[0])
        return -1;
    unsigned y, m, d;
    char hash[16];
    if (sscanf(buf, "0.0~git%4u%2u%2u.%15[0-9a-f]", &y, &m, &d, hash) == 4)
        snprintf(out, len, "%04u_%02u_%02u.%s", y, m, d, hash);
    else
        snprintf(out, len, "%s", buf);
    return 0;
}

int hk_passt_spawn(const struct hk_passt_args *a, struct hk_passt_child *c)
{
    c->pid = -1;
    c->sock = c->log_fd = c->err_fd = -1;
    int sv[2] = {-1, -1}, lp[2] = {-1, -1}, ep[2] = {-1, -1};
    int child_sock = -1, child_log = -1, child_err = -1;
    int err = 0;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(lp, O_CLOEXEC) < 0 ||
        pipe2(ep, O_CLOEXEC) < 0) {
        err = errno;
        goto fail;
    }
    /* passt drops the frames its socket does not take at once (TCP resends them later, after a
     * timeout): give its end room for a burst (what the system allows, wmem_max) */
    int sndbuf = 4 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    child_sock = high_dup(sv[1]);
    child_log = high_dup(lp[1]);
    child_err = high_dup(ep[1]);
    if (child_sock < 0 || child_log < 0 || child_err < 0) {
        err = errno;
        goto fail;
    }

    /* argv: at most 8 fixed words and two per forward */
    char mtu[16], fwd[HK_NET_MAX_FORWARDS][16];
    char *argv[12 + 2 * HK_NET_MAX_FORWARDS];
    unsigned n = 0;
    argv[n++] = (char *)a->path;
    argv[n++] = "--fd";
    argv[n++] = "3";
    argv[n++] = "--foreground";
    argv[n++] = "--log-file";
    argv[n++] = "/proc/self/fd/4";
    if (a->mtu) {
        snprintf(mtu, sizeof(mtu), "%u", a->mtu);
        argv[n++] = "--mtu";
        argv[n++] = mtu;
    }
    for (unsigned i = 0; i < a->nfwd && i < HK_NET_MAX_FORWARDS; i++) {
        snprintf(fwd[i], sizeof(fwd[i]), "%u:%u", a->fwd[i].host_port, a->fwd[i].guest_port);
        argv[n++] = a->fwd[i].proto == HK_NET_UDP ? "-u" : "-t";
        argv[n++] = fwd[i];
    }
    argv[n] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, child_err, 2);
    posix_spawn_file_actions_adddup2(&fa, child_sock, 3);
    posix_spawn_file_actions_adddup2(&fa, child_log, 4);
    sigset_t none, def;
    sigemptyset(&none);
    sigfillset(&def);
    sigdelset(&def, SIGKILL);
    sigdelset(&def, SIGSTOP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    pid_t pid;
    int r = posix_spawn(&pid, a->path, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (r != 0) {
        err = r;
        goto fail;
    }
    close(sv[1]);
    close(lp[1]);
    close(ep[1]);
    close(child_sock);
    close(child_log);
    close(child_err);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(lp[0], F_SETFL, O_NONBLOCK);
    fcntl(ep[0], F_SETFL, O_NONBLOCK);
    c->pid = pid;
    c->sock = sv[0];
    c->log_fd = lp[0];
    c->err_fd = ep[0];
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (sv[i] >= 0)
            close(sv[i]);
        if (lp[i] >= 0)
            close(lp[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    if (child_sock >= 0)
        close(child_sock);
    if (child_log >= 0)
        close(child_log);
    if (child_err >= 0)
        close(child_err);
    errno = err;
    return -1;
}

int hk_passt_stop(struct hk_passt_child *c, int grace_ms)
{
    int status = -1;
    if (c->sock >= 0)
        close(c->sock); /* with --fd, passt quits when its connection closes */
    c->sock = -1;
    if (c->pid > 0) {
        kill(c->pid, SIGTERM);
        int64_t deadline = now_ms() + grace_ms;
        for (;;) {
            pid_t r = waitpid(c->pid, &status, WNOHANG);
            if (r == c->pid)
                break;
            if (r < 0) {
                status = -1; /* reaped elsewhere (SIGCHLD ignored) */
                break;
            }
            if (now_ms() >= deadline) {
                kill(c->pid, SIGKILL);
                if (waitpid(c->pid, &status, 0) != c->pid)
                    status = -1;
                break;
            }
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    c->pid = -1;
    if (c->log_fd >= 0)
        close(c->log_fd);
    if (c->err_fd >= 0)
        close(c->err_fd);
    c->log_fd = c->err_fd = -1;
    return status;
}

/* ---- the probe ---- */

/* Keeps the last meaningful line of passt's output for the error message. */
static void last_line(int fd, char *out, size_t len)
{
    char buf[2048];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return;
    buf[n] = 0;
    char *save = NULL;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strstr(l, "to syslog") || !l[0])
            continue;
        /* the log file's lines start with "SECONDS.FRACTION: " */
        char *colon = strstr(l, ": ");
        if (colon && l[0] >= '0' && l[0] <= '9')
            l = colon + 2;
        while (*l == ' ')
            l++;
        snprintf(out, len, "%s", l);
    }
}

void hk_passt_probe_run(const char *name, int timeout_ms, struct hk_passt_probe *r)
{
    memset(r, 0, sizeof(*r));
    if (hk_passt_find(name, r->path, sizeof(r->path)) < 0) {
        snprintf(r->error, sizeof(r->error), "passt is not installed");
        return;
    }
    r->found = true;
    if (hk_passt_version(r->path, r->version, sizeof(r->version)) < 0)
        snprintf(r->version, sizeof(r->version), "unknown");
    struct hk_passt_args a = {r->path, 0, NULL, 0};
    struct hk_passt_child c;
    if (hk_passt_spawn(&a, &c) < 0) {
        snprintf(r->error, sizeof(r->error), "cannot start %.160s: %s", r->path, strerror(errno));
        return;
    }
    r->started = true;
    static const uint8_t mac[6] = {0x02, 0x68, 0x61, 0x6b, 0x6f, 0x01};
    uint32_t xid = (uint32_t)getpid() ^ 0x48414B4Fu;
    uint8_t frame[512 + 4];
    size_t n = hk_pkt_dhcp_client(frame + 4, sizeof(frame) - 4, mac, xid, HK_DHCP_DISCOVER, 0, 0);
    hk_put_be32(frame, (uint32_t)n);
    size_t sent = 0;
    uint8_t *rx = malloc(1 << 17);
    size_t have = 0;
    int64_t deadline = now_ms() + timeout_ms;
    bool dead = false;
    while (!r->answered && !dead && rx) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd pf[3] = {{c.sock, (short)(POLLIN | (sent < n + 4 ? POLLOUT : 0)), 0},
                               {c.log_fd, POLLIN, 0},
                               {c.err_fd, POLLIN, 0}};
        if (poll(pf, 3, (int)left) <= 0)
            continue;
        if (pf[1].revents & POLLIN)
            last_line(c.log_fd, r->error, sizeof(r->error));
        if (pf[2].revents & POLLIN)
            last_line(c.err_fd, r->error, sizeof(r->error));
        if (pf[0].revents & POLLOUT) {
            ssize_t w = send(c.sock, frame + sent, n + 4 - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
        }
        if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = recv(c.sock, rx + have, (1 << 17) - have, 0);
            if (got <= 0) {
                if (got == 0 || (errno != EAGAIN && errno != EINTR))
                    dead = true;
                continue;
            }
            have += (size_t)got;
            while (have >= 4) {
                size_t flen = hk_be32(rx);
                if (flen > (1 << 17) - 4) {
                    dead = true;
                    snprintf(r->error, sizeof(r->error), "passt sent a frame of %zu bytes", flen);
                    break;
                }
                if (have < 4 + flen)
                    break;
                struct hk_pkt_info in;
                if (hk_pkt_inspect(rx + 4, flen, &in) == 0 && in.dhcp_type == HK_DHCP_OFFER &&
                    in.dhcp_xid == xid) {
                    r->answered = true;
                    r->address = in.dhcp_yiaddr;
                    r->gateway = in.dhcp_router;
                    r->dns = in.dhcp_dns;
                    r->mtu = in.dhcp_mtu;
                }
                memmove(rx, rx + 4 + flen, have - 4 - flen);
                have -= 4 + flen;
            }
        }
    }
    free(rx);
    if (!r->answered) {
        /* what passt said on its way out */
        struct pollfd pf[2] = {{c.log_fd, POLLIN, 0}, {c.err_fd, POLLIN, 0}};
        if (poll(pf, 2, 100) > 0) {
            if (pf[0].revents & POLLIN)
                last_line(c.log_fd, r->error, sizeof(r->error));
            if (pf[1].revents & POLLIN)
                last_line(c.err_fd, r->error, sizeof(r->error));
        }
        if (!r->error[0])
            snprintf(r->error, sizeof(r->error), "%s",
                     dead ? "passt quit right after it started"
                          : "passt did not answer a DHCP request");
    } else {
        r->error[0] = 0;
    }
    hk_passt_stop(&c, 500);
}
