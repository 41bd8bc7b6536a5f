/*
 * Image files behind the storage devices: opening a disk image (raw file or block device) or a
 * CD-ROM image (a regular file), with a one-line reason when it cannot be used; an advisory lock
 * (open file description locks, fcntl(2) F_OFD_SETLK: shared for read-only use, exclusive for
 * read-write) so that a disk another running VM holds is refused instead of being corrupted by two
 * writers; and the size (st_size, or BLKGETSIZE64 for a block device).
 */
#ifndef HK_BLOCK_DISK_H
#define HK_BLOCK_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hako/config.h"

enum hk_disk_kind { HK_DISK_IMAGE, HK_DISK_CDROM };

struct hk_disk_file {
    int fd; /* -1 when closed */
    uint64_t size;
    bool readonly;
    bool blockdev;
    dev_t dev;
    ino_t ino;
    char *path;
    int lock_errno; /* the file system refused the lock (e.g. ENOLCK): open, but unlocked */
    /* why hk_disk_open refused it (with errno error, 0 when none) */
    enum hk_config_problem problem;
    int error;
};

/* Opens and locks path, without ever waiting (a FIFO is refused, not opened for reading); a block
 * device opened for writing is opened exclusively (O_EXCL: not while mounted). Returns 0, or -1
 * with a one-line reason in err and f->problem / f->error set. */
int hk_disk_open(struct hk_disk_file *f, const char *path, enum hk_disk_kind kind, bool readonly,
                 char *err, size_t errlen);
/* Closes (and so unlocks) the file; safe on a closed one. */
void hk_disk_close(struct hk_disk_file *f);

#endif
