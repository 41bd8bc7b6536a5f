/* Sizes for people (see hako-format.h). */
#include "hako-format.h"

#include <glib/gi18n.h>

char *hako_format_size(guint64 bytes, GFormatSizeFlags flags)
{
    guint64 unit = (flags & G_FORMAT_SIZE_IEC_UNITS) ? 1024 : 1000;
    if (bytes < unit && !(flags & G_FORMAT_SIZE_BITS))
        return g_strdup_printf(g_dngettext(NULL, "%u byte", "%u bytes", (gulong)bytes),
                               (guint)bytes);
    return g_format_size_full(bytes, flags);
}
