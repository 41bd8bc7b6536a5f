/* HakoConsole: the guest's first serial port in a terminal (VTE): shows what the guest writes to
 * COM1 and sends what the user types. */
#pragma once

#include <gtk/gtk.h>

#include "hako-engine.h"

G_BEGIN_DECLS

#define HAKO_TYPE_CONSOLE (hako_console_get_type())
G_DECLARE_FINAL_TYPE(HakoConsole, hako_console, HAKO, CONSOLE, GtkWidget)

GtkWidget *hako_console_new(void);
/* Shows the engine's serial output so far and follows it. */
void hako_console_set_engine(HakoConsole *self, HakoEngine *engine);
void hako_console_clear(HakoConsole *self);

G_END_DECLS
