/* hako-img: makes disk images for hako-vmm. "hako-img create PATH SIZE" creates a sparse raw image
 * (the equivalent of "qemu-img create -f raw PATH SIZE"): the file occupies no space until the
 * guest writes to it. It never overwrites an existing file, rounds the size up to whole 512-byte
 * sectors, and explains a full disk, a size the file system cannot hold or a bad size in one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hako/size.h"

#ifndef HAKO_VERSION
#define HAKO_VERSION "0"
#endif

static void usage(FILE *out)
{
    fprintf(out, "Usage: hako-img create PATH SIZE\n"
                 "Create a disk image for hako-vmm --disk: a sparse raw file of SIZE bytes that\n"
                 "uses no space until the virtual machine writes to it.\n"
                 "\n"
                 "SIZE is a number with an optional unit: K, M, G or T (powers of 1024), e.g.\n"
                 "20G or 512M; it is rounded up to a whole number of 512-byte sectors.\n"
                 "An existing file is never overwritten.\n"
                 "\n"
                 "  --help       this text\n"
                 "  --version    the version\n");
}

static void human(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    double d = (double)v;
    while (d >= 1024 && u < 6) {
        d /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu bytes", (unsigned long long)v);
    else
        snprintf(buf, len, "%.4g %s", d, units[u]);
}

static const char *space_error(int e)
{
    switch (e) {
    case ENOSPC: return "the disk is full";
    case EDQUOT: return "the disk quota is exhausted";
    case EFBIG: return "the file system cannot hold a file that large";
    default: return NULL;
    }
}

static int create(const char *path, const char *size_arg)
{
    uint64_t size;
    if (hk_parse_size(size_arg, &size) < 0) {
        fprintf(stderr, "hako-img: '%s' is not a size (try 20G or 512M)\n", size_arg);
        return 1;
    }
    if (size == 0) {
        fprintf(stderr, "hako-img: the size must be larger than 0\n");
        return 1;
    }
    if (size > (uint64_t)INT64_MAX - 511) {
        fprintf(stderr, "hako-img: %s is too large for a disk image\n", size_arg);
        return 1;
    }
    size = (size + 511) & ~511ull;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        const char *why = space_error(e);
        if (e == EEXIST)
            fprintf(stderr, "hako-img: %s already exists (hako-img does not overwrite files)\n",
                    path);
        else if (why)
            fprintf(stderr, "hako-img: cannot create %s: %s\n", path, why);
        else
            fprintf(stderr, "hako-img: cannot create %s: %s\n", path, strerror(e));
        return 1;
    }
    if (ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0) {
        int e = errno;
        const char *why = space_error(e);
        char h[32];
        human(size, h, sizeof(h));
        fprintf(stderr, "hako-img: cannot make %s %s large: %s\n", path, h,
                why ? why : strerror(e));
        close(fd);
        unlink(path);
        return 1;
    }
    if (close(fd) < 0) {
        int e = errno;
        const char *why = space_error(e);
        fprintf(stderr, "hako-img: cannot write %s: %s\n", path, why ? why : strerror(e));
        unlink(path);
        return 1;
    }
    char h[32];
    human(size, h, sizeof(h));
    printf("Created %s: raw disk image, %s (%llu bytes), sparse\n", path, h,
           (unsigned long long)size);
    /* a sparse file can outgrow the disk later: say so when it could */
    struct statvfs vfs;
    if (statvfs(path, &vfs) == 0) {
        uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        if (avail < size) {
            char a[32];
            human(avail, a, sizeof(a));
            printf("Note: only %s are free on its file system; the guest can fill it up.\n", a);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* a file size limit (ulimit -f) must be an error message, not a signal */
    signal(SIGXFSZ, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("hako-img %s\n", HAKO_VERSION);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "create") == 0)
        return create(argv[2], argv[3]);
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        fprintf(stderr, "hako-img: create needs a PATH and a SIZE, e.g. hako-img create disk.img "
                        "20G\n");
    else if (argc >= 2)
        fprintf(stderr, "hako-img: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
