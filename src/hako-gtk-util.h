/* Small GTK helpers shared by several widgets (not a class). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Keeps the pages of a GtkStack that are not on screen out of the accessibility tree: GTK 4.8
 * leaves them there, so screen readers (and tests that read the tree) would meet them. */
void hako_stack_track_hidden_pages(GtkStack *stack);

/* A toast showing text as it is: AdwToast's title is Pango markup in libadwaita 1.2, so a VM name
 * or a path with "&" or "<" would lose the text (and GTK would warn); the text is escaped. */
AdwToast *hako_toast_new(const char *text);

/* With HAKO_BENCH_TIMING set (tests/bench/library.py): prints "hako-bench: WHAT <monotonic µs>
 * cpu=<this thread's CPU µs> [DETAIL]" on stderr. */
void hako_bench_mark(const char *what);
void hako_bench_mark_detail(const char *what, const char *detail);
gboolean hako_bench_enabled(void);

G_END_DECLS
