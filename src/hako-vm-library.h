/* HakoVmLibrary: the user's virtual machines, one folder each under $XDG_DATA_HOME/hako/vms/
 * (see ARCHITECTURE.md, "The app"). A GListModel of HakoVm sorted by name; follows folders that
 * appear, change or disappear (a VM set up by hand from a vm.ini shows up without a restart).
 * Folders are read off the main thread; a VM whose vm.ini cannot be read is listed with the
 * reason (hako_vm_get_problem); a folder reached through symbolic links is listed once;
 * temporary files an interrupted vm.ini write left are removed. */
#pragma once

#include <gio/gio.h>

#include "hako-proposal.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_VM_LIBRARY (hako_vm_library_get_type())
G_DECLARE_FINAL_TYPE(HakoVmLibrary, hako_vm_library, HAKO, VM_LIBRARY, GObject)

/* Starts reading the folder in a thread: the VMs arrive a moment later (notify::loaded). */
HakoVmLibrary *hako_vm_library_new(GFile *dir);
GFile *hako_vm_library_get_dir(HakoVmLibrary *self);
/* TRUE once the first reading of the folder is in. */
gboolean hako_vm_library_is_loaded(HakoVmLibrary *self);
/* Reads the folder again, in a thread (also done automatically when it changes). */
void hako_vm_library_rescan(HakoVmLibrary *self);
/* The same, waiting for it (tests, the command line). */
void hako_vm_library_rescan_sync(HakoVmLibrary *self);
/* By id (the folder's name), or NULL. */
HakoVm *hako_vm_library_find(HakoVmLibrary *self, const char *id);
gboolean hako_vm_library_contains(HakoVmLibrary *self, HakoVm *vm);
/* Adds the VM in dir (a folder of the library just made) without waiting for a rescan; returns
 * it (owned by the library), also when it was there already. */
HakoVm *hako_vm_library_add_folder(HakoVmLibrary *self, GFile *dir, GError **error);
/* Makes a new VM folder with a vm.ini holding the name, the creation time and every group and
 * key of settings (may be NULL). */
HakoVm *hako_vm_library_create(HakoVmLibrary *self, const char *name, GKeyFile *settings,
                               GError **error);
/* The folder name for a VM called name: lower-case ASCII letters, digits and '-' (a number is
 * appended when taken). */
char *hako_vm_library_make_id(const char *name);
/* Whether name can be given to a VM (except: the VM being renamed, or NULL): not empty, no
 * "/" or control characters, and no other VM of the library has it or is being created with it. */
HakoValueCheck hako_vm_library_check_name(HakoVmLibrary *self, const char *name, HakoVm *except,
                                          char **message);
/* Keeps name for a VM being created (until released): other wizards and renames in this app
 * are refused it. FALSE with the reason when it cannot be given. (HakoVmCreator checks the
 * folder itself, under a lock, as the VM appears.) */
gboolean hako_vm_library_reserve_name(HakoVmLibrary *self, const char *name, char **message);
void hako_vm_library_release_name(HakoVmLibrary *self, const char *name);
/* Renames the VM and saves its vm.ini; refuses a name hako_vm_library_check_name refuses. */
gboolean hako_vm_library_rename(HakoVmLibrary *self, HakoVm *vm, const char *name, GError **error);
/* Takes the VM out of the list (a deletion the user can still undo) until unhide or delete;
 * scans do not bring it back. */
void hako_vm_library_hide(HakoVmLibrary *self, HakoVm *vm);
void hako_vm_library_unhide(HakoVmLibrary *self, HakoVm *vm);
/* Moves the VM's folder to the Trash, under the VM's name (or, where there is no Trash, deletes
 * it without following symbolic links out of it), in a thread. trashed: whether it went to the
 * Trash. A VM that cannot be deleted stays (hidden, if it was). */
void hako_vm_library_delete_async(HakoVmLibrary *self, HakoVm *vm, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean hako_vm_library_delete_finish(HakoVmLibrary *self, GAsyncResult *result, gboolean *trashed,
                                       GError **error);
/* The same, waiting for it (tests). */
gboolean hako_vm_library_delete(HakoVmLibrary *self, HakoVm *vm, GError **error);
/* VMs whose engine is running. */
guint hako_vm_library_count_active(HakoVmLibrary *self);

G_END_DECLS
