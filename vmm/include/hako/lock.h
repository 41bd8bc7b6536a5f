/*
 * The lock a running VM holds on each of its disk images: an open file description lock
 * (fcntl F_OFD_SETLK) on the whole file, shared for read-only use, exclusive for writing. The
 * engine takes it when it opens an image (vmm/block/disk.c), and the app takes the same lock
 * before it changes an image (growing a disk), so neither writes under the other's feet. The lock
 * lasts as long as the open file description. Plain C11, no GLib.
 */
#ifndef HAKO_LOCK_H
#define HAKO_LOCK_H

#include <stdbool.h>

/* Locks the whole file open on fd: exclusive (for writing) or shared. Returns 0 when taken;
 * -EAGAIN when someone holds a conflicting lock (another running VM); another negative errno
 * when the file system cannot lock (-ENOLCK on some network file systems, ...). */
int hk_image_lock(int fd, bool exclusive);

#endif
