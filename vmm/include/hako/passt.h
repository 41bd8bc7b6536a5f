/*
 * passt, the user-mode network behind every VM's card (https://passt.top): found, started and
 * probed the same way by hako-vmm and by the app's host check (one copy, plain C11 + POSIX).
 *
 * hako-vmm starts one passt per VM as
 *
 *     passt --fd 3 --foreground --log-file /proc/self/fd/4 [--mtu N] [-t H:G]... [-u H:G]...
 *
 * with descriptor 3 one end of a connected AF_UNIX stream socket pair (frames travel on it, each
 * preceded by its length as a 32-bit big-endian number), descriptor 4 a pipe that carries passt's
 * log into the VM's log, and its standard error a second pipe (passt prints its early messages
 * there, and complains when it finds no system logger). With --fd, passt serves that one
 * connection and quits when it closes. passt sandboxes itself (namespaces, seccomp) and needs no
 * privileges; run as root, it drops to nobody.
 */
#ifndef HAKO_PASST_H
#define HAKO_PASST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hako/net.h"

#define HK_PASST_PATH_MAX 512

/* The program: name as given when it contains a '/', else looked up in PATH (default "passt").
 * 0 with the full path in out, or -1 (not installed, or not executable). */
int hk_passt_find(const char *name, char *out, size_t len);

/* The version passt reports (--version), or the distribution package's version when passt only
 * says "unknown version" (Debian 12's passt), shown as upstream names releases
 * ("2023_03_09.7c7625d"). 0 or -1. */
int hk_passt_version(const char *path, char *out, size_t len);

struct hk_passt_args {
    const char *path; /* from hk_passt_find */
    unsigned mtu;     /* 0: passt's default (65520) */
    const struct hk_net_forward *fwd;
    unsigned nfwd;
};

struct hk_passt_child {
    pid_t pid;
    int sock;   /* our end of the frame socket: non-blocking, close-on-exec */
    int log_fd; /* read end of passt's log pipe: non-blocking, close-on-exec */
    int err_fd; /* read end of its standard error: non-blocking, close-on-exec */
};

/* Starts passt. The child gets only its three descriptors (and /dev/null on 0 and 1), default
 * signal dispositions, an empty signal mask and its own process group (a Ctrl+C in the terminal
 * stops hako-vmm, which then stops passt). 0, or -1 with errno (ENOENT: the program is gone). */
int hk_passt_spawn(const struct hk_passt_args *a, struct hk_passt_child *c);
/* Stops it: SIGTERM, then SIGKILL after grace_ms, and reaps it; closes the descriptors. Returns
 * the wait status, or -1 when it was reaped elsewhere. */
int hk_passt_stop(struct hk_passt_child *c, int grace_ms);

/* The host check: is passt installed, which version, does it start and answer a DHCP DISCOVER
 * within timeout_ms? */
struct hk_passt_probe {
    bool found, started, answered;
    char path[HK_PASST_PATH_MAX];
    char version[64];
    uint32_t address, gateway, dns; /* what the DHCP offer said (host byte order) */
    unsigned mtu;
    char error[256]; /* why it did not start or answer (English, for logs) */
};
void hk_passt_probe_run(const char *name, int timeout_ms, struct hk_passt_probe *r);

#endif
