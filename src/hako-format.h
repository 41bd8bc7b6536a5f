/*
 * Sizes for people, translated: g_format_size_full(), except below 1 KiB, where GLib 2.74 writes
 * "0 bytes" with words its own catalog (glib20) does not translate, so Japanese showed English.
 * Plain functions, not a class.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* flags as g_format_size_full(); "512 bytes" and "0 bytes" come from Hako's catalog. */
char *hako_format_size(guint64 bytes, GFormatSizeFlags flags);

G_END_DECLS
