/*
 * HakoDeleteFlow: deleting a virtual machine, from the question to the Trash. Asks (with "keep
 * the disk images"), then moves the VM's folder to the Trash (or deletes it where there is no
 * Trash) and reports in a toast. Started from the library's card menu and from the VM's
 * settings; it keeps itself alive until it is done.
 */
#pragma once

#include <adwaita.h>

#include "hako-vm-library.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_DELETE_FLOW (hako_delete_flow_get_type())
G_DECLARE_FINAL_TYPE(HakoDeleteFlow, hako_delete_flow, HAKO, DELETE_FLOW, GObject)

/* parent: the window the question is asked over; toasts: where the outcome is told (the main
 * window's). ::confirmed is emitted once the user said yes, before the VM leaves the library. */
HakoDeleteFlow *hako_delete_flow_new(GtkWindow *parent, AdwToastOverlay *toasts,
                                     HakoVmLibrary *library, HakoVm *vm);
void hako_delete_flow_start(HakoDeleteFlow *self);

G_END_DECLS
