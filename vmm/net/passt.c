#include "passt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/loop.h"
#include "hako/bytes.h"

#define QUICK_DEATH_NS 10000000000ull /* a passt that dies sooner counts towards giving up */
#define FAILED_NS      2000000000ull  /* dying this soon after the first start = failed to start */
#define MAX_DELAY_S    30

static void close_child(struct hk_passt *p);

int hk_passt_init(struct hk_passt *p, const struct hk_passt_config *cfg, struct hk_log *log,
                  struct hk_facts *facts)
{
    memset(p, 0, sizeof(*p));
    p->cfg = *cfg;
    if (p->cfg.nfwd > HK_NET_MAX_FORWARDS)
        p->cfg.nfwd = HK_NET_MAX_FORWARDS;
    p->log = log;
    p->facts = facts;
    p->child.pid = -1;
    p->child.sock = p->child.log_fd = p->child.err_fd = -1;
    p->rx = malloc(HK_PASST_RX_BUF);
    p->tx = malloc(HK_PASST_TX_BUF);
    if (!p->rx || !p->tx) {
        free(p->rx);
        free(p->tx);
        p->rx = p->tx = NULL;
        return -1;
    }
    return 0;
}

/* ---- passt's log ---- */

static void log_line(struct hk_passt *p, unsigned which, char *l)
{
    size_t n = strlen(l);
    while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
        l[--n] = 0;
    if (!n)
        return;
    if (which == 1) {
        /* standard error: early copies of log lines and syslog complaints; kept as the last
         * words only while the log itself said nothing (errors before the log file opened) */
        if (strstr(l, "to syslog"))
            return;
        hk_debug(p->log, "passt: %s", l);
        if (!strstr(l, "Don't run as root"))
            snprintf(p->early_words, sizeof(p->early_words), "%s", l);
        return;
    }
    /* log file lines: "SECONDS.FRACTION: LEVEL:  message" */
    char *m = l;
    if (m[0] >= '0' && m[0] <= '9') {
        char *c = strstr(m, ": ");
        if (c)
            m = c + 2;
    }
    bool bad = strncmp(m, "ERROR", 5) == 0 || strncmp(m, "warning", 7) == 0;
    /* "info:    text": the level is padded to nine columns, the message keeps its own indent */
    char *colon = strchr(m, ':');
    if (colon && colon - m <= 8 && strlen(m) > 9) {
        char *t = colon + 1;
        while (*t == ' ' && t < m + 9)
            t++;
        memmove(colon + 2, t, strlen(t) + 1);
    }
    hk_logf(p->log, bad ? HK_LOG_WARN : HK_LOG_INFO, "passt: %s", m);
    if (bad)
        snprintf(p->last_words, sizeof(p->last_words), "%s", m); /* why it may stop */
}

static void read_log(struct hk_passt *p, unsigned which)
{
    int fd = which == 0 ? p->child.log_fd : p->child.err_fd;
    if (fd < 0)
        return;
    char *buf = p->logbuf[which];
    size_t *len = &p->loglen[which];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(fd, buf + *len, sizeof(p->logbuf[0]) - 1 - *len);
        if (n <= 0)
            return;
        *len += (size_t)n;
        buf[*len] = 0;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', (size_t)(buf + *len - start)))) {
            *nl = 0;
            log_line(p, which, start);
            start = nl + 1;
        }
        size_t rest = (size_t)(buf + *len - start);
        if (rest == sizeof(p->logbuf[0]) - 1) {
            /* a line longer than the buffer: log it in pieces */
            log_line(p, which, buf);
            rest = 0;
        }
        memmove(buf, start, rest);
        *len = rest;
    }
}

/* ---- start, death, restart ---- */

static void schedule_restart(struct hk_passt *p, uint64_t now)
{
    if (p->cfg.fd >= 0) {
        p->gave_up = true; /* a socket handed to us cannot be made again */
        return;
    }
    if (p->quick_deaths >= HK_PASST_MAX_QUICK_DEATHS) {
        p->gave_up = true;
        p->restart_ns = 0;
        hk_fact(p->facts, HK_FACT_NET_BACKEND, HK_NET_BACKEND_GAVE_UP, p->quick_deaths, 0,
                "passt died %u times right after starting; the network stays down",
                p->quick_deaths);
        hk_warn(p->log, "net: passt keeps dying: giving up (the guest's network stays down)");
        return;
    }
    unsigned delay = 1u << (p->quick_deaths ? p->quick_deaths - 1 : 0);
    if (delay > MAX_DELAY_S)
        delay = MAX_DELAY_S;
    p->restart_ns = now + (uint64_t)delay * 1000000000ull;
}

int hk_passt_start(struct hk_passt *p)
{
    uint64_t now = hk_now_ns();
    p->restart_ns = 0;
    if (p->gave_up)
        return -1;
    if (p->cfg.fd >= 0) {
        p->child.pid = -1;
        p->child.sock = p->cfg.fd;
        p->child.log_fd = p->child.err_fd = -1;
        fcntl(p->cfg.fd, F_SETFL, O_NONBLOCK);
        p->starts++;
        p->started_ns = now;
        p->up = true;
        p->rx_head = p->rx_len = 0;
        p->tx_off = p->tx_len = 0;
        hk_fact(p->facts, HK_FACT_NET_BACKEND, HK_NET_BACKEND_RUNNING, 0, p->starts,
                "a connected socket (fd %d)", p->cfg.fd);
        return 0;
    }
    if (hk_passt_find(p->cfg.program, p->path, sizeof(p->path)) < 0) {
        p->gave_up = true;
        hk_fact(p->facts, HK_FACT_NET_BACKEND, HK_NET_BACKEND_MISSING, 0, 0,
                "%s is not installed: the network card has no cable",
                p->cfg.program ? p->cfg.program : "passt");
        hk_warn(p->log, "net: %s not found: the guest's network stays down (install passt)",
                p->cfg.program ? p->cfg.program : "passt");
        return -1;
    }
    struct hk_passt_args a = {p->path, p->cfg.mtu, p->cfg.fwd, p->cfg.nfwd};
    if (hk_passt_spawn(&a, &p->child) < 0) {
        int err = errno;
        p->quick_deaths++;
        hk_fact(p->facts, HK_FACT_NET_BACKEND, HK_NET_BACKEND_FAILED, err, 0, "cannot start %s: %s",
                p->path, strerror(err));
        hk_warn(p->log, "net: cannot start %s: %s", p->path, strerror(err));
        if (err == ENOENT || err == EACCES) {
            p->gave_up = true;
            return -1;
        }
        schedule_restart(p, now);
        return -1;
    }
    p->starts++;
    p->started_ns = now;
    p->up = true;
    p->frames_in = 0;
    p->rx_head = p->rx_len = 0;
    p->tx_off = p->tx_len = 0;
    p->loglen[0] = p->loglen[1] = 0;
    p->last_words[0] = p->early_words[0] = 0;
    hk_fact_typed(p->facts, HK_FACT_NET_BACKEND, HK_NET_BACKEND_RUNNING, p->child.pid, p->starts, 0,
                  p->path, NULL, "%s (pid %d)%s", p->path, (int)p->child.pid,
                  p->starts > 1 ? ", restarted" : "");
    hk_info(p->log, "net: started %s --fd (pid %d), MTU %u, %u port forward%s", p->path,
            (int)p->child.pid, p->cfg.mtu, p->cfg.nfwd, p->cfg.nfwd == 1 ? "" : "s");
    return 0;
}

static void close_child(struct hk_passt *p)
{
    read_log(p, 0);
    read_log(p, 1);
    hk_passt_stop(&p->child, 200);
}

/* passt is gone (or broke the framing): reap it, say so, plan the restart. */
static void went_down(struct hk_passt *p, enum hk_net_backend_state why, const char *what)
{
    if (!p->up)
        return;
    p->up = false;
    pid_t pid = p->child.pid;
    /* give it a moment to finish dying, so the status says how it ended */
    int status = -1;
    for (int i = 0; i < 50 && pid > 0; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            p->child.pid = -1;
            break;
        }
        if (r < 0) {
            status = -1;
            p->child.pid = -1;
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (p->child.pid > 0) {
        int s = hk_passt_stop(&p->child, 100);
        if (s != -1)
            status = s;
    }
    close_child(p);
    uint64_t now = hk_now_ns();
    bool quick = now - p->started_ns < QUICK_DEATH_NS;
    p->quick_deaths = quick ? p->quick_deaths + 1 : 1;
    char how[96];
    if (what)
        snprintf(how, sizeof(how), "%s", what);
    else if (status != -1 && WIFSIGNALED(status))
        snprintf(how, sizeof(how), "was killed by signal %d", WTERMSIG(status));
    else if (status != -1 && WIFEXITED(status))
        snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(how, sizeof(how), "closed its connection");
    /* gone right after the first start, before it ever sent a frame: it never worked */
    if (why == HK_NET_BACKEND_DIED && p->starts == 1 && now - p->started_ns < FAILED_NS &&
        p->frames_in == 0 && p->cfg.fd < 0)
        why = HK_NET_BACKEND_FAILED;
    int64_t code = status == -1          ? -1
                   : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                         : WEXITSTATUS(status);
    /* its last warning; for a passt that never worked, also what it printed first */
    const char *words = p->last_words[0]                                    ? p->last_words
                        : why == HK_NET_BACKEND_FAILED && p->early_words[0] ? p->early_words
                                                                            : "";
    hk_fact(p->facts, HK_FACT_NET_BACKEND, why, code, (int64_t)pid, "passt (pid %d) %s%s%s",
            (int)pid, how, words[0] ? ": " : "", words);
    hk_warn(p->log, "net: passt (pid %d) %s; the guest's link is down", (int)pid, how);
    schedule_restart(p, now);
}

void hk_passt_destroy(struct hk_passt *p)
{
    if (p->child.pid > 0 || p->child.sock >= 0)
        close_child(p);
    free(p->rx);
    free(p->tx);
    p->rx = p->tx = NULL;
    p->up = false;
}

/* ---- polling ---- */

unsigned hk_passt_poll_fds(struct hk_passt *p, struct pollfd *pfd, bool want_rx, int *timeout_ms)
{
    unsigned n = 0;
    if (p->up) {
        short ev = 0;
        if (want_rx && p->rx_head + p->rx_len < HK_PASST_RX_BUF)
            ev |= POLLIN;
        if (p->tx_len > p->tx_off)
            ev |= POLLOUT;
        /* always watched: POLLHUP/POLLERR come regardless of events */
        pfd[n++] = (struct pollfd){p->child.sock, ev, 0};
        pfd[n++] = (struct pollfd){p->child.log_fd, POLLIN, 0};
        pfd[n++] = (struct pollfd){p->child.err_fd, POLLIN, 0};
    } else if (p->restart_ns) {
        uint64_t now = hk_now_ns();
        int64_t ms = p->restart_ns > now ? (int64_t)((p->restart_ns - now) / 1000000) + 1 : 0;
        if (*timeout_ms < 0 || ms < *timeout_ms)
            *timeout_ms = (int)ms;
    }
    return n;
}

bool hk_passt_poll_events(struct hk_passt *p, const struct pollfd *pfd, unsigned n)
{
    bool was_up = p->up;
    if (p->up && n == HK_PASST_NPOLL) {
        if (pfd[1].revents)
            read_log(p, 0);
        if (pfd[2].revents)
            read_log(p, 1);
        if (pfd[0].revents & POLLOUT)
            hk_passt_tx_flush(p);
        /* a hang-up with data still queued: the receive path reads it first and then sees EOF */
        if ((pfd[0].revents & (POLLHUP | POLLERR)) && !(pfd[0].revents & POLLIN))
            went_down(p, HK_NET_BACKEND_DIED, NULL);
    }
    if (!p->up && p->restart_ns && hk_now_ns() >= p->restart_ns) {
        hk_info(p->log, "net: starting passt again");
        hk_passt_start(p);
    }
    return p->up != was_up;
}

/* ---- frames ---- */

static void fill(struct hk_passt *p)
{
    if (!p->up)
        return;
    if (p->rx_head && p->rx_head + p->rx_len > HK_PASST_RX_BUF / 2) {
        memmove(p->rx, p->rx + p->rx_head, p->rx_len);
        p->rx_head = 0;
    }
    size_t room = HK_PASST_RX_BUF - p->rx_head - p->rx_len;
    if (room == 0)
        return;
    ssize_t r = recv(p->child.sock, p->rx + p->rx_head + p->rx_len, room, MSG_DONTWAIT);
    if (r > 0) {
        p->rx_len += (size_t)r;
    } else if (r == 0) {
        went_down(p, HK_NET_BACKEND_DIED, NULL);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        went_down(p, HK_NET_BACKEND_DIED, NULL);
    }
}

void hk_passt_rx_fill(struct hk_passt *p)
{
    fill(p);
}

const uint8_t *hk_passt_rx_peek(struct hk_passt *p, size_t *len)
{
    for (int pass = 0; pass < 2; pass++) {
        if (p->rx_len >= 4) {
            const uint8_t *h = p->rx + p->rx_head;
            size_t flen = hk_be32(h);
            if (flen == 0 || flen > HK_PASST_MAX_FRAME) {
                char what[96];
                snprintf(what, sizeof(what), "sent a frame of %zu bytes (the stream is broken)",
                         flen);
                p->rx_len = 0;
                went_down(p, HK_NET_BACKEND_PROTOCOL, what);
                return NULL;
            }
            if (p->rx_len >= 4 + flen) {
                p->frames_in++;
                *len = flen;
                return h + 4;
            }
        }
        if (pass == 0)
            fill(p);
    }
    return NULL;
}

void hk_passt_rx_next(struct hk_passt *p)
{
    if (p->rx_len < 4)
        return;
    size_t flen = hk_be32(p->rx + p->rx_head);
    if (p->rx_len < 4 + flen)
        return;
    p->rx_head += 4 + flen;
    p->rx_len -= 4 + flen;
    if (p->rx_len == 0)
        p->rx_head = 0;
}

bool hk_passt_tx_room(struct hk_passt *p, size_t len)
{
    if (p->tx_off == p->tx_len) {
        p->tx_off = p->tx_len = 0;
    } else if (p->tx_off > HK_PASST_TX_BUF / 2) {
        memmove(p->tx, p->tx + p->tx_off, p->tx_len - p->tx_off);
        p->tx_len -= p->tx_off;
        p->tx_off = 0;
    }
    return p->tx_len + 4 + len <= HK_PASST_TX_BUF;
}

void hk_passt_tx_queue(struct hk_passt *p, const struct iovec *iov, unsigned niov, size_t len)
{
    if (!hk_passt_tx_room(p, len))
        return;
    uint8_t *d = p->tx + p->tx_len;
    hk_put_be32(d, (uint32_t)len);
    size_t o = 4;
    for (unsigned i = 0; i < niov && o < 4 + len; i++) {
        size_t k = iov[i].iov_len < 4 + len - o ? iov[i].iov_len : 4 + len - o;
        memcpy(d + o, iov[i].iov_base, k);
        o += k;
    }
    if (o < 4 + len)
        memset(d + o, 0, 4 + len - o);
    p->tx_len += 4 + len;
}

bool hk_passt_tx_flush(struct hk_passt *p)
{
    while (p->up && p->tx_off < p->tx_len) {
        ssize_t w = send(p->child.sock, p->tx + p->tx_off, p->tx_len - p->tx_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            p->tx_off += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (w < 0 && errno == EINTR)
            continue;
        went_down(p, HK_NET_BACKEND_DIED, NULL);
    }
    if (p->tx_off == p->tx_len)
        p->tx_off = p->tx_len = 0;
    return p->up;
}
