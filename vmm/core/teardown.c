#include "teardown.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)
#define MAX_KEEP   24

struct teardown_args {
    int pipe_rd;
    int keep[MAX_KEEP]; /* sorted, includes pipe_rd */
    int nkeep;
};

/* Runs in the helper task: raw system calls only (it shares the parent's memory and must not take
 * any lock or touch the parent's heap). */
__attribute__((no_sanitize("address", "undefined"))) static int helper(void *opaque)
{
    struct teardown_args *a = opaque;
    unsigned lo = 0;
    for (int i = 0; i < a->nkeep; i++) {
        if ((unsigned)a->keep[i] > lo)
            syscall(SYS_close_range, lo, (unsigned)a->keep[i] - 1, 0);
        lo = (unsigned)a->keep[i] + 1;
    }
    syscall(SYS_close_range, lo, ~0u, 0);
    /* returns when every write end is gone: the engine has exited */
    char c;
    while (syscall(SYS_read, a->pipe_rd, &c, 1) > 0) {
    }
    syscall(SYS_exit, 0); /* the kernel tears the VM down here */
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int hk_async_teardown(const int *fds, int nfds)
{
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer instruments every function, helper's entry included, with per-thread state
     * the CLONE_VM task would share with the thread that made it: tear down in place instead */
    (void)fds;
    (void)nfds;
    (void)cmp_int;
    return -1;
#endif
    if (nfds <= 0 || nfds >= MAX_KEEP)
        return -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    uint8_t *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    /* the arguments live at the bottom of the helper's own stack, never freed by us */
    struct teardown_args *a = (struct teardown_args *)stack;
    memset(a, 0, sizeof(*a));
    a->pipe_rd = p[0];
    for (int i = 0; i < nfds; i++)
        a->keep[a->nkeep++] = fds[i];
    a->keep[a->nkeep++] = p[0];
    qsort(a->keep, (size_t)a->nkeep, sizeof(int), cmp_int);
    /* CLONE_VM: no page-table copy; no exit signal: nobody needs to reap it but init */
    pid_t pid = clone(helper, stack + STACK_SIZE, CLONE_VM | CLONE_UNTRACED, a);
    close(p[0]);
    if (pid < 0) {
        close(p[1]);
        munmap(stack, STACK_SIZE);
        return -1;
    }
    /* p[1] stays open (close-on-exec) until this process exits */
    return 0;
}
