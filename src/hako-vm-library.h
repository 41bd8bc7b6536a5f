/* HakoVmLibrary: the user's virtual machines, one folder each under $XDG_DATA_HOME/hako/vms/
 * (see ARCHITECTURE.md, "The app"). A GListModel of HakoVm sorted by name; follows folders that
 * appear or disappear (a VM set up by hand from a vm.ini shows up without a restart). */
#pragma once

#include <gio/gio.h>

#include "hako-proposal.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_VM_LIBRARY (hako_vm_library_get_type())
G_DECLARE_FINAL_TYPE(HakoVmLibrary, hako_vm_library, HAKO, VM_LIBRARY, GObject)

HakoVmLibrary *hako_vm_library_new(GFile *dir);
GFile *hako_vm_library_get_dir(HakoVmLibrary *self);
/* Reads the folder again (also done automatically when it changes). */
void hako_vm_library_rescan(HakoVmLibrary *self);
HakoVm *hako_vm_library_find(HakoVmLibrary *self, const char *id);
gboolean hako_vm_library_contains(HakoVmLibrary *self, HakoVm *vm);
/* Makes a new VM folder with a vm.ini holding the name, the creation time and every group and
 * key of settings (may be NULL). */
HakoVm *hako_vm_library_create(HakoVmLibrary *self, const char *name, GKeyFile *settings,
                               GError **error);
/* The folder name for a VM called name: lower-case ASCII letters, digits and '-' (a number is
 * appended when taken). */
char *hako_vm_library_make_id(const char *name);
/* Whether name can be given to a VM (except: the VM being renamed, or NULL): not empty, no
 * "/" or control characters, and no other VM of the library has it. */
HakoValueCheck hako_vm_library_check_name(HakoVmLibrary *self, const char *name, HakoVm *except,
                                          char **message);
/* Renames the VM and saves its vm.ini; refuses a name hako_vm_library_check_name refuses. */
gboolean hako_vm_library_rename(HakoVmLibrary *self, HakoVm *vm, const char *name, GError **error);
/* Moves the VM's folder to the trash (or deletes it where there is no trash). */
gboolean hako_vm_library_delete(HakoVmLibrary *self, HakoVm *vm, GError **error);
/* VMs whose engine is running. */
guint hako_vm_library_count_active(HakoVmLibrary *self);

G_END_DECLS
