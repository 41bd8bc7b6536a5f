#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int hk_disk_open(struct hk_disk_file *f, const char *path, enum hk_disk_kind kind, bool readonly,
                 char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    const char *what = kind == HK_DISK_CDROM ? "CD-ROM image" : "disk image";
    if (kind == HK_DISK_CDROM)
        readonly = true;
    if (!path || !path[0]) {
        snprintf(err, errlen, "no %s path given", what);
        return -1;
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "cannot open the %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (kind == HK_DISK_CDROM && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "the CD-ROM image %s is not a file", path);
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        snprintf(err, errlen, "the disk image %s is neither a file nor a block device", path);
        return -1;
    }
    int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (!readonly && (e == EACCES || e == EROFS || e == EPERM))
            snprintf(err, errlen,
                     "cannot open the %s %s for writing: %s (add ,readonly to use it "
                     "read-only)",
                     what, path, strerror(e));
        else
            snprintf(err, errlen, "cannot open the %s %s: %s", what, path, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot read the %s %s: %s", what, path, strerror(errno));
        close(fd);
        return -1;
    }
    /* advisory lock on the whole file: readers share, a writer excludes everyone */
    struct flock lk;
    memset(&lk, 0, sizeof(lk));
    lk.l_type = readonly ? F_RDLCK : F_WRLCK;
    lk.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &lk) < 0) {
        int e = errno;
        if (e == EAGAIN || e == EACCES) {
            snprintf(err, errlen,
                     "the %s %s is in use by another running VM (it holds a lock on "
                     "it)",
                     what, path);
            close(fd);
            return -1;
        }
        /* file systems without locks (some network ones): go on unlocked */
    }
    uint64_t size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
            snprintf(err, errlen, "cannot read the size of %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        f->blockdev = true;
    }
    if (kind == HK_DISK_CDROM && size < 2048) {
        snprintf(err, errlen, "the CD-ROM image %s is empty", path);
        close(fd);
        return -1;
    }
    f->path = strdup(path);
    if (!f->path) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return -1;
    }
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
