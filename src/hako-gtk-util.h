/* Small GTK helpers shared by several widgets (not a class). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Keeps the pages of a GtkStack that are not on screen out of the accessibility tree: GTK 4.8
 * leaves them there, so screen readers (and tests that read the tree) would meet them. */
void hako_stack_track_hidden_pages(GtkStack *stack);

G_END_DECLS
