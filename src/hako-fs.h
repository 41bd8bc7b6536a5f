/*
 * File-system helpers the library relies on for not losing data: deleting a folder without ever
 * following a symbolic link out of it, writing a file atomically and durably (the folder is
 * synced after the rename), reading a small settings file without hanging on a FIFO or a device,
 * and copying a disk image without filling its holes.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Deletes path and, when it is a folder, everything in it. Symbolic links are removed, never
 * followed (the walk uses openat/unlinkat with O_NOFOLLOW relative to the folder being emptied),
 * so nothing outside path is touched; folders on another file system (mount points) are refused.
 * A path that does not exist is an error (G_IO_ERROR_NOT_FOUND). */
gboolean hako_fs_delete_tree(const char *path, GCancellable *cancellable, GError **error);

/* Writes data to path through a temporary file in the same folder (path.XXXXXX), synced, renamed
 * over path, then the folder synced, so that after a crash path holds either the old or the new
 * contents, and the rename itself is on disk. mode: of a new file (an existing file's is kept). */
gboolean hako_fs_write_atomic(const char *path, const char *data, gsize len, int mode,
                              GError **error);

/* Syncs a folder (after a rename or a new entry in it). */
gboolean hako_fs_sync_dir(const char *dir, GError **error);

/* Reads a regular file of at most max_len bytes. Opens without blocking (a FIFO or a device is
 * refused with G_IO_ERROR_NOT_REGULAR_FILE instead of hanging), refuses larger files
 * (G_IO_ERROR_MESSAGE_TOO_LARGE). Messages start with the path. */
gboolean hako_fs_read_regular(const char *path, gsize max_len, char **contents, gsize *len,
                              GError **error);

/* The last max_len bytes of a regular file (all of it when smaller), starting after a line break
 * when cut (truncated: set to whether it was); NULL with error when it cannot be read. Opens
 * without blocking, like hako_fs_read_regular. */
char *hako_fs_read_tail(const char *path, gsize max_len, gboolean *truncated, GError **error);

/* Removes the temporary files an interrupted atomic write of name left in dir (name.XXXXXX: six
 * letters and digits as g_file_set_contents and hako_fs_write_atomic make them, not all of them
 * lower-case letters, which looks like a name someone chose) that were last changed more than
 * min_age_s seconds ago. Returns how many. */
guint hako_fs_clean_temporaries(const char *dir, const char *name, guint min_age_s);

/* Copies src to dst (which must not exist), keeping holes (SEEK_DATA/SEEK_HOLE), with progress
 * (bytes done, bytes of data in all) and cancellation; dst is removed on failure. */
typedef void (*HakoFsProgress)(guint64 done, guint64 total, gpointer user_data);
gboolean hako_fs_copy_sparse(const char *src, const char *dst, HakoFsProgress progress,
                             gpointer user_data, GCancellable *cancellable, GError **error);

/* Whether path (which need not exist) lies inside the folder dir, both made canonical with
 * symbolic links resolved as they are now; dir itself does not count. */
gboolean hako_fs_path_is_inside(const char *path, const char *dir);

G_END_DECLS
