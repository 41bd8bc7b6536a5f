/*
 * Disc images for the app's unit tests (isoimage.h) written to temporary files and opened as
 * HakoMedia.
 */
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hako-media.h"
#include "isoimage.h"

/* Writes the image as name in a fresh temporary folder (parallel test runs do not collide). */
static inline char *write_temp(const Img *img, const char *name)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("hako-test-XXXXXX", &err);
    g_assert_no_error(err);
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, (const char *)img->data, (gssize)img->size, &err));
    return path;
}

static inline void remove_temp(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_unlink(path);
    g_rmdir(dir);
}

static inline HakoMedia *media_for(const Spec *s, const char *name)
{
    Img img = build_iso(s);
    g_autofree char *path = write_temp(&img, name);
    g_free(img.data);
    g_autoptr(GFile) f = g_file_new_for_path(path);
    g_autoptr(GError) err = NULL;
    HakoMedia *m = hako_media_new_for_file(f, NULL, &err);
    g_assert_no_error(err);
    remove_temp(path);
    return m;
}
