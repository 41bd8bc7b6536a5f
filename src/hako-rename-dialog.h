/* HakoRenameDialog: asks for a new name for a virtual machine, refuses an empty name or one
 * another VM of the library has (the reason shown under the field), and saves it to vm.ini. */
#pragma once

#include <adwaita.h>

#include "hako-vm-library.h"
#include "hako-vm.h"

G_BEGIN_DECLS

#define HAKO_TYPE_RENAME_DIALOG (hako_rename_dialog_get_type())
G_DECLARE_FINAL_TYPE(HakoRenameDialog, hako_rename_dialog, HAKO, RENAME_DIALOG, AdwMessageDialog)

HakoRenameDialog *hako_rename_dialog_new(GtkWindow *parent, HakoVmLibrary *library, HakoVm *vm);

G_END_DECLS
