/* HakoVmView: one virtual machine on screen: header bar (state, run/pause, power menu, send key,
 * serial console, fullscreen), the guest display, the status pages (starting / no screen yet /
 * powered off / failed with the engine's last log lines) and the serial console.
 * Emits ::toast with a message for non-fatal errors and confirmations. */
#pragma once

#include <gtk/gtk.h>

#include "hako-display.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_VM_VIEW (hako_vm_view_get_type())
G_DECLARE_FINAL_TYPE(HakoVmView, hako_vm_view, HAKO, VM_VIEW, GtkWidget)

GtkWidget *hako_vm_view_new(void);
void hako_vm_view_set_vm(HakoVmView *self, HakoVm *vm);
HakoVm *hako_vm_view_get_vm(HakoVmView *self);
HakoDisplay *hako_vm_view_get_display(HakoVmView *self);
/* The box inside the "no screen yet" status page, for the diagnosis widget. */
GtkBox *hako_vm_view_get_status_box(HakoVmView *self);
/* The visible page: "display", "status", "stopped" or "failed". */
const char *hako_vm_view_get_page(HakoVmView *self);

G_END_DECLS
