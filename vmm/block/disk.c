#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako/lock.h"

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m)    ? "a folder"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
                         : "not a regular file";
}

static int refuse(struct hk_disk_file *f, int fd, enum hk_config_problem p, int e, char *err,
                  size_t errlen, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int refuse(struct hk_disk_file *f, int fd, enum hk_config_problem p, int e, char *err,
                  size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (fd >= 0)
        close(fd);
    f->fd = -1;
    f->problem = p;
    f->error = e;
    return -1;
}

int hk_disk_open(struct hk_disk_file *f, const char *path, enum hk_disk_kind kind, bool readonly,
                 char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    const char *what = kind == HK_DISK_CDROM ? "CD-ROM image" : "disk image";
    if (kind == HK_DISK_CDROM)
        readonly = true;
    if (!path || !path[0])
        return refuse(f, -1, HK_CONFIG_EMPTY_PATH, 0, err, errlen, "no %s path given", what);
    /* O_NONBLOCK: a FIFO is refused below, never waited on; O_EXCL: a block device that is
     * mounted or held by another program is refused for writing (Linux ignores O_EXCL without
     * O_CREAT on anything but block devices) */
    int flags = (readonly ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    if (!readonly)
        flags |= O_EXCL;
    int fd = open(path, flags);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return refuse(f, -1, HK_CONFIG_NOT_FOUND, e, err, errlen, "cannot open the %s %s: %s",
                          what, path, strerror(e));
        if (e == EBUSY)
            return refuse(f, -1, HK_CONFIG_IN_USE, e, err, errlen,
                          "the %s %s is a block device in use (mounted, or held by another "
                          "program)",
                          what, path);
        if (e == EISDIR)
            return refuse(f, -1, HK_CONFIG_NOT_REGULAR, e, err, errlen,
                          "the %s %s is a folder, not a file", what, path);
        if (!readonly && (e == EACCES || e == EROFS || e == EPERM))
            return refuse(f, -1, HK_CONFIG_NO_ACCESS, e, err, errlen,
                          "cannot open the %s %s for writing: %s (add ,readonly to use it "
                          "read-only)",
                          what, path, strerror(e));
        return refuse(f, -1,
                      e == EACCES || e == EPERM || e == EROFS ? HK_CONFIG_NO_ACCESS
                                                              : HK_CONFIG_UNREADABLE,
                      e, err, errlen, "cannot open the %s %s: %s", what, path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return refuse(f, fd, HK_CONFIG_UNREADABLE, errno, err, errlen, "cannot read the %s %s: %s",
                      what, path, strerror(errno));
    if (kind == HK_DISK_CDROM && !S_ISREG(st.st_mode))
        return refuse(f, fd, HK_CONFIG_NOT_REGULAR, 0, err, errlen,
                      "the CD-ROM image %s is not a file (it is %s)", path, file_kind(st.st_mode));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return refuse(f, fd, HK_CONFIG_NOT_REGULAR, 0, err, errlen,
                      "the disk image %s is neither a file nor a block device (it is %s)", path,
                      file_kind(st.st_mode));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    /* advisory lock on the whole file: readers share, a writer excludes everyone (the app takes
     * the same lock before it grows an image) */
    int lr = hk_image_lock(fd, !readonly);
    if (lr == -EAGAIN)
        return refuse(f, fd, HK_CONFIG_IN_USE, EAGAIN, err, errlen,
                      "the %s %s is in use by another running VM (it holds a lock on it)", what,
                      path);
    if (lr < 0) {
        /* a file system without locks (some network ones, ENOLCK): usable, but another VM
         * using the image at the same time would not be noticed; the caller warns */
        f->lock_errno = -lr;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) < 0)
            return refuse(f, fd, HK_CONFIG_UNREADABLE, errno, err, errlen,
                          "cannot read the size of %s: %s", path, strerror(errno));
        f->blockdev = true;
    }
    if (kind == HK_DISK_CDROM && size < 2048)
        return refuse(f, fd, HK_CONFIG_BAD_CONTENTS, 0, err, errlen, "the CD-ROM image %s is empty",
                      path);
    f->path = strdup(path);
    if (!f->path)
        return refuse(f, fd, HK_CONFIG_UNREADABLE, ENOMEM, err, errlen, "out of memory");
    f->fd = fd;
    f->size = size;
    f->readonly = readonly;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return 0;
}

void hk_disk_close(struct hk_disk_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->path);
    f->path = NULL;
}
