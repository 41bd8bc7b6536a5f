/*
 * HakoHostCheckWindow: HakoHostCheck shown as a list: one line per check with a pass, warning or
 * failure icon, the finding, and (expanded) why it matters and the exact fix, copyable. Opened
 * from the main menu, on the first start of Hako, from the library's banner while virtual
 * machines cannot run, and from a virtual machine that could not start. It checks
 * hako_paths_host_root() (the real system unless HAKO_HOST_ROOT names a fake tree).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HAKO_TYPE_HOST_CHECK_WINDOW (hako_host_check_window_get_type())
G_DECLARE_FINAL_TYPE(HakoHostCheckWindow, hako_host_check_window, HAKO, HOST_CHECK_WINDOW,
                     AdwWindow)

/* Opens (or raises) the window and runs the full check. */
HakoHostCheckWindow *hako_host_check_window_present(GtkWindow *parent);

/* On the first start of Hako (no virtual machine yet, and the GSettings key host-checked unset),
 * opens the window once. */
void hako_host_check_window_first_run(GtkWindow *parent, gboolean library_empty);

G_END_DECLS
