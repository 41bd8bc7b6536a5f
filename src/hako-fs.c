/* File-system helpers: see hako-fs.h. */
#include "hako-fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

static gboolean fail_errno(GError **error, int err, const char *path)
{
    g_autofree char *shown = g_filename_display_name(path);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s: %s", shown, g_strerror(err));
    return FALSE;
}

static gboolean empty_dir(int dfd, const char *path, dev_t dev, int depth,
                          GCancellable *cancellable, GError **error);

/* Removes the entry name of the folder d (path: for messages), emptying it first when it is a
 * folder itself. */
static gboolean remove_entry(DIR *d, const char *name, const char *path, dev_t dev, int depth,
                             GCancellable *cancellable, GError **error)
{
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return FALSE;
    g_autofree char *child = g_build_filename(path, name, NULL);
    struct stat st;
    if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? TRUE : fail_errno(error, errno, child);
    if (!S_ISDIR(st.st_mode)) {
        /* a file, or a symbolic link: the link goes, never what it points to */
        if (unlinkat(dirfd(d), name, 0) < 0 && errno != ENOENT)
            return fail_errno(error, errno, child);
        return TRUE;
    }
    if (st.st_dev != dev) {
        g_autofree char *shown = g_filename_display_name(child);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    _("%s is another drive mounted here: it is not deleted"), shown);
        return FALSE;
    }
    if (depth >= MAX_DEPTH)
        return fail_errno(error, ELOOP, child);
    /* O_NOFOLLOW: an entry swapped for a symbolic link since fstatat is refused */
    int cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (cfd < 0)
        return fail_errno(error, errno, child);
    if (!empty_dir(cfd, child, dev, depth + 1, cancellable, error))
        return FALSE;
    if (unlinkat(dirfd(d), name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return fail_errno(error, errno, child);
    return TRUE;
}

/* Empties the folder open as dfd (path: for messages) and closes dfd. */
static gboolean empty_dir(int dfd, const char *path, dev_t dev, int depth,
                          GCancellable *cancellable, GError **error)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int err = errno;
        close(dfd);
        return fail_errno(error, err, path);
    }
    gboolean ok = TRUE;
    /* entries are removed while reading: read again until a pass finds nothing */
    for (gboolean again = TRUE; ok && again;) {
        again = FALSE;
        rewinddir(d);
        struct dirent *e;
        while (ok) {
            errno = 0;
            e = readdir(d);
            if (!e) {
                if (errno)
                    ok = fail_errno(error, errno, path);
                break;
            }
            if (g_str_equal(e->d_name, ".") || g_str_equal(e->d_name, ".."))
                continue;
            again = TRUE;
            ok = remove_entry(d, e->d_name, path, dev, depth, cancellable, error);
        }
    }
    closedir(d);
    return ok;
}

gboolean hako_fs_delete_tree(const char *path, GCancellable *cancellable, GError **error)
{
    g_autofree char *parent = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    if (g_str_equal(base, ".") || g_str_equal(base, "..") || g_str_equal(base, G_DIR_SEPARATOR_S)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: not deleted", path);
        return FALSE;
    }
    int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return fail_errno(error, errno, parent);
    struct stat st;
    gboolean ok = TRUE;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        ok = fail_errno(error, errno, path);
    } else if (S_ISDIR(st.st_mode)) {
        int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (dfd < 0)
            ok = fail_errno(error, errno, path);
        else
            ok = empty_dir(dfd, path, st.st_dev, 0, cancellable, error);
        if (ok && unlinkat(pfd, base, AT_REMOVEDIR) < 0)
            ok = fail_errno(error, errno, path);
    } else if (unlinkat(pfd, base, 0) < 0) {
        /* a file, or a symbolic link (the link goes, not what it points to) */
        ok = fail_errno(error, errno, path);
    }
    close(pfd);
    return ok;
}

gboolean hako_fs_sync_dir(const char *dir, GError **error)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(error, errno, dir);
    gboolean ok = TRUE;
    /* some file systems cannot sync a folder (EINVAL): nothing more can be done there */
    if (fsync(fd) < 0 && errno != EINVAL)
        ok = fail_errno(error, errno, dir);
    close(fd);
    return ok;
}

gboolean hako_fs_write_atomic(const char *path, const char *data, gsize len, int mode,
                              GError **error)
{
    g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
    int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, mode);
    if (fd < 0)
        return fail_errno(error, errno, tmp);
    struct stat old;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode))
        (void)fchmod(fd, old.st_mode & 07777);
    gboolean ok = TRUE;
    for (gsize done = 0; ok && done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            ok = fail_errno(error, errno, tmp);
        else
            done += (gsize)n;
    }
    if (ok && fsync(fd) < 0)
        ok = fail_errno(error, errno, tmp);
    if (close(fd) < 0 && ok)
        ok = fail_errno(error, errno, tmp);
    if (ok && rename(tmp, path) < 0)
        ok = fail_errno(error, errno, path);
    if (!ok) {
        g_unlink(tmp);
        return FALSE;
    }
    g_autofree char *dir = g_path_get_dirname(path);
    return hako_fs_sync_dir(dir, error);
}

gboolean hako_fs_read_regular(const char *path, gsize max_len, char **contents, gsize *len,
                              GError **error)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(error, errno, path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        return fail_errno(error, err, path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        g_autofree char *shown = g_filename_display_name(path);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, _("%s is not a regular file"),
                    shown);
        return FALSE;
    }
    if ((guint64)st.st_size > max_len) {
        close(fd);
        g_autofree char *shown = g_filename_display_name(path);
        g_autofree char *size = g_format_size((guint64)st.st_size);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, _("%s is too large (%s)"),
                    shown, size);
        return FALSE;
    }
    gsize cap = (gsize)st.st_size + 1;
    char *buf = g_malloc(cap + 1);
    gsize got = 0;
    for (;;) {
        if (got == cap) { /* grew while reading */
            if (cap > max_len) {
                g_free(buf);
                close(fd);
                g_autofree char *shown = g_filename_display_name(path);
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, _("%s is too large"),
                            shown);
                return FALSE;
            }
            cap *= 2;
            buf = g_realloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            g_free(buf);
            close(fd);
            return fail_errno(error, err, path);
        }
        if (n == 0)
            break;
        got += (gsize)n;
    }
    close(fd);
    buf[got] = 0;
    *contents = buf;
    if (len)
        *len = got;
    return TRUE;
}

char *hako_fs_read_tail(const char *path, gsize max_len, gboolean *truncated, GError **error)
{
    if (truncated)
        *truncated = FALSE;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        fail_errno(error, errno, path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int err = errno;
        close(fd);
        if (S_ISREG(st.st_mode) || err)
            fail_errno(error, err ? err : EIO, path);
        else
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                        _("%s is not a regular file"), path);
        return NULL;
    }
    off_t start = st.st_size > (off_t)max_len ? st.st_size - (off_t)max_len : 0;
    gsize want = (gsize)(st.st_size - start);
    char *buf = g_malloc(want + 1);
    gsize got = 0;
    while (got < want) {
        ssize_t n = pread(fd, buf + got, want - got, start + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* shorter now than a moment ago */
        got += (gsize)n;
    }
    close(fd);
    buf[got] = 0;
    if (start > 0) {
        if (truncated)
            *truncated = TRUE;
        char *nl = memchr(buf, '\n', got);
        if (nl) {
            memmove(buf, nl + 1, got - (gsize)(nl + 1 - buf) + 1);
        }
    }
    return buf;
}

guint hako_fs_clean_temporaries(const char *dir, const char *name, guint min_age_s)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
    if (dfd < 0)
        return 0;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return 0;
    }
    gsize nlen = strlen(name);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    guint removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        /* name + "." + six letters and digits, as mkstemp makes them; all lower-case letters
         * is more likely a word someone chose ("vm.ini.backup") and stays */
        if (strlen(e->d_name) != nlen + 7 || strncmp(e->d_name, name, nlen) != 0 ||
            e->d_name[nlen] != '.')
            continue;
        const char *x = e->d_name + nlen + 1;
        gboolean alnum = TRUE, word = TRUE;
        for (int i = 0; i < 6; i++) {
            alnum &= g_ascii_isalnum(x[i]);
            word &= g_ascii_islower(x[i]);
        }
        if (!alnum || word)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if ((gint64)st.st_mtime > now - (gint64)min_age_s)
            continue; /* maybe being written right now */
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

gboolean hako_fs_copy_sparse(const char *src, const char *dst, HakoFsProgress progress,
                             gpointer user_data, GCancellable *cancellable, GError **error)
{
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (in < 0)
        return fail_errno(error, errno, src);
    struct stat st;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        int err = errno;
        close(in);
        if (err)
            return fail_errno(error, err, src);
        g_autofree char *shown = g_filename_display_name(src);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, _("%s is not a regular file"),
                    shown);
        return FALSE;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0666);
    if (out < 0) {
        int err = errno;
        close(in);
        return fail_errno(error, err, dst);
    }
    gboolean ok = TRUE;
    guint64 size = (guint64)st.st_size;
    /* how much data there is, for the progress */
    guint64 total = 0;
    for (off_t at = 0; at < (off_t)size;) {
        off_t data = lseek(in, at, SEEK_DATA);
        if (data < 0)
            break;
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            hole = (off_t)size;
        total += (guint64)(hole - data);
        at = hole;
    }
    if (total == 0 && st.st_blocks)
        total = size; /* no SEEK_DATA here: all of it */
    guint64 done = 0;
    gsize bufsize = 1 << 20;
    g_autofree char *buf = g_malloc(bufsize);
    off_t at = 0;
    while (ok && at < (off_t)size) {
        off_t data = lseek(in, at, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                break; /* only a hole is left */
            data = at; /* no SEEK_DATA: copy everything */
        }
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0 || hole <= data)
            hole = (off_t)size;
        for (off_t p = data; ok && p < hole;) {
            if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
                ok = FALSE;
                break;
            }
            gsize want = (gsize)MIN((off_t)bufsize, hole - p);
            ssize_t n = pread(in, buf, want, p);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                ok = n < 0 ? fail_errno(error, errno, src) : fail_errno(error, EIO, src);
                break;
            }
            /* blocks of zeros stay holes */
            gboolean zero = buf[0] == 0 && memcmp(buf, buf + 1, (gsize)n - 1) == 0;
            for (ssize_t w = 0; !zero && w < n;) {
                ssize_t m = pwrite(out, buf + w, (gsize)(n - w), p + w);
                if (m < 0 && errno == EINTR)
                    continue;
                if (m < 0) {
                    ok = fail_errno(error, errno, dst);
                    break;
                }
                w += m;
            }
            p += n;
            done += (guint64)n;
            if (progress)
                progress(MIN(done, total), total, user_data);
        }
        at = hole;
    }
    if (ok && ftruncate(out, (off_t)size) < 0)
        ok = fail_errno(error, errno, dst);
    if (ok && fsync(out) < 0)
        ok = fail_errno(error, errno, dst);
    close(in);
    if (close(out) < 0 && ok)
        ok = fail_errno(error, errno, dst);
    if (!ok)
        g_unlink(dst);
    return ok;
}

gboolean hako_fs_path_is_inside(const char *path, const char *dir)
{
    char *real_dir = realpath(dir, NULL);
    if (!real_dir)
        return FALSE;
    /* the path's folder must exist; its last component is taken as it is (not followed) */
    g_autofree char *parent = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    char *real_parent = realpath(parent, NULL);
    gboolean inside = FALSE;
    if (real_parent && !g_str_equal(base, "..") && !g_str_equal(base, ".")) {
        g_autofree char *full = g_build_filename(real_parent, base, NULL);
        gsize n = strlen(real_dir);
        inside = strncmp(full, real_dir, n) == 0 && full[n] == '/' && full[n + 1];
    }
    free(real_dir);
    free(real_parent);
    return inside;
}
