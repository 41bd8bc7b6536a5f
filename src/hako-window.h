/* HakoWindow: the main window: the library of virtual machines (a grid of cards) and the view
 * of one virtual machine; toasts for non-fatal errors; its size is remembered. */
#pragma once

#include <adwaita.h>

#include "hako-vm-library.h"
#include "hako-vm-view.h"

G_BEGIN_DECLS

#define HAKO_TYPE_WINDOW (hako_window_get_type())
G_DECLARE_FINAL_TYPE(HakoWindow, hako_window, HAKO, WINDOW, AdwApplicationWindow)

HakoWindow *hako_window_new(GtkApplication *app, HakoVmLibrary *library);
HakoVmLibrary *hako_window_get_library(HakoWindow *self);
HakoVmView *hako_window_get_vm_view(HakoWindow *self);
/* Shows the VM and starts it when it is off. */
void hako_window_open_vm(HakoWindow *self, HakoVm *vm);
void hako_window_show_library(HakoWindow *self);
void hako_window_add_toast(HakoWindow *self, const char *message);
/* Files given on the command line or opened from the file manager (disc images). */
void hako_window_open_files(HakoWindow *self, GFile **files, int n_files);

G_END_DECLS
