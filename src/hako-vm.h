/* HakoVm: one virtual machine of the library: its folder ($XDG_DATA_HOME/hako/vms/<id>/), its
 * settings in vm.ini (written atomically) and, while it runs, its HakoEngine.
 *
 * The library format. A VM is a folder under $XDG_DATA_HOME/hako/vms/; its name is the VM's id
 * (`hako --vm ID` opens it). The folder holds:
 *   vm.ini         GKeyFile, rewritten atomically (temporary file vm.ini.XXXXXX, synced,
 *                  renamed, the folder synced; leftovers of a crash are removed by the library):
 *                    [VM]      Name=, OS= (libosinfo short id), OSName=, Created= (ISO 8601)
 *                    [Engine]  hako-vmm's own options, one key per long option, spelled out in
 *                              full: key=value is passed as --key=value, key=true as --key,
 *                              key=false not at all, disk= (a list) as one --disk=item per
 *                              item. So a VM can be written by hand from `hako-vmm --help`,
 *                              e.g. firmware=bios, memory=2G (a bare number is MiB), cpus=2,
 *                              cdrom=/path/x.iso. Only the machine, storage and output options
 *                              the app knows are passed (the list is in hako-vm.c); other keys
 *                              are ignored. uuid= is the machine's UUID, written once.
 *                  Other groups belong to the app (settings pages add their own).
 *   engine.log     the last run's engine log (what the failure page shows)
 *   thumbnail.png  the last screen, for the library
 *   disk images and the UEFI variable store, named in [Engine].
 * The engine runs with the folder as its working directory, so relative paths in [Engine] are
 * relative to it. The app adds --control-fd and --log itself. */
#pragma once

#include <gtk/gtk.h>

#include "hako-engine.h"

G_BEGIN_DECLS

typedef enum {
    HAKO_VM_STATE_STOPPED,
    HAKO_VM_STATE_STARTING, /* engine spawned, guest not running yet */
    HAKO_VM_STATE_RUNNING,
    HAKO_VM_STATE_PAUSED,
    HAKO_VM_STATE_STOPPING, /* power-off requested */
    HAKO_VM_STATE_FAILED,   /* the engine ended with an error */
} HakoVmState;

/* vm.ini groups and keys */
#define HAKO_VM_GROUP        "VM"
#define HAKO_VM_KEY_NAME     "Name"
#define HAKO_VM_KEY_OS       "OS"
#define HAKO_VM_KEY_OS_NAME  "OSName"
#define HAKO_VM_KEY_CREATED  "Created"
#define HAKO_VM_ENGINE_GROUP "Engine"
#define HAKO_VM_ENGINE_UUID  "uuid" /* set at creation (or first start), never changed */

#define HAKO_TYPE_VM (hako_vm_get_type())
G_DECLARE_FINAL_TYPE(HakoVm, hako_vm, HAKO, VM, GObject)

/* vm.ini larger than this is refused (it is a few hundred bytes) */
#define HAKO_VM_INI_MAX (1 << 20)

/* Reads and parses dir/vm.ini without blocking on anything but a regular file (a FIFO or a
 * device is refused); any thread. */
GKeyFile *hako_vm_config_read(GFile *dir, GError **error);
/* What to tell the user about an error of hako_vm_config_read (without the folder's path). */
char *hako_vm_config_problem(const GError *error);
/* Reads dir/vm.ini. */
HakoVm *hako_vm_load(GFile *dir, GError **error);
/* A VM from a vm.ini already read (id: the folder's name in the library; NULL: dir's name). */
HakoVm *hako_vm_new_from_config(GFile *dir, const char *id, GKeyFile *config);
/* A VM known by what the library shows (its vm.ini is read when the settings are first
 * needed); problem: why vm.ini cannot be read (NULL: it can). sort_key: of name, or NULL. Any
 * thread. */
HakoVm *hako_vm_new_summary(GFile *dir, const char *id, const char *name, const char *os_name,
                            const char *sort_key, const char *problem);
/* A VM whose vm.ini cannot be read: shown with the reason, never started or saved. */
HakoVm *hako_vm_new_unreadable(GFile *dir, const char *id, const char *problem);
/* The name and OS name the library shows for a vm.ini (the folder's id when it has no name). */
void hako_vm_config_names(GKeyFile *config, const char *id, char **name, char **os_name);
/* Why its vm.ini cannot be read, or NULL. */
const char *hako_vm_get_problem(HakoVm *self);
/* vm.ini changed on disk (the library saw it): the new names, or why it cannot be read; the
 * settings are read again when next needed (a running VM keeps what it started with). */
void hako_vm_update_summary(HakoVm *self, const char *name, const char *os_name,
                            const char *sort_key, const char *problem);

const char *hako_vm_get_id(HakoVm *self);
GFile *hako_vm_get_dir(HakoVm *self);
const char *hako_vm_get_name(HakoVm *self);
/* The name's collation key (g_utf8_collate_key): the library's order. */
const char *hako_vm_get_sort_key(HakoVm *self);
void hako_vm_set_name(HakoVm *self, const char *name);
/* The operating system's display name ("" when unknown). */
const char *hako_vm_get_os_name(HakoVm *self);
/* The settings (vm.ini is read the first time they are needed; when it cannot be, they are
 * empty and hako_vm_get_problem says why); change them and call hako_vm_save(). */
GKeyFile *hako_vm_get_config(HakoVm *self);
gboolean hako_vm_save(HakoVm *self, GError **error);
/* Re-reads vm.ini (when it changed on disk and the VM is not running). */
gboolean hako_vm_reload(HakoVm *self, GError **error);

/* The [Engine] group as hako-vmm options: only the keys the app knows (one list, in hako-vm.c),
 * by exact name: key=value -> --key=value, a flag key=true -> --key, key=false -> nothing, disk
 * (a list) -> one option per element. Any other key is left out. */
GStrv hako_vm_build_engine_args(HakoVm *self);

HakoVmState hako_vm_get_state(HakoVm *self);
const char *hako_vm_state_to_string(HakoVmState state);
/* The current or last engine (NULL before the first start). */
HakoEngine *hako_vm_get_engine(HakoVm *self);
/* The last screen (NULL until loaded, or when there is none). The file is read, off the main
 * thread, while something holds it (a card on screen); notify::thumbnail tells when it is there. */
GdkTexture *hako_vm_get_thumbnail(HakoVm *self);
void hako_vm_hold_thumbnail(HakoVm *self);
void hako_vm_release_thumbnail(HakoVm *self);

gboolean hako_vm_start(HakoVm *self, GError **error);
void hako_vm_pause(HakoVm *self);
void hako_vm_resume(HakoVm *self);
void hako_vm_reset(HakoVm *self);
/* ACPI power button: the guest shuts down if it listens. */
void hako_vm_shut_down(HakoVm *self);
/* Pulls the plug. */
void hako_vm_force_off(HakoVm *self);
gboolean hako_vm_is_active(HakoVm *self);
/* Saves the current screen as the library thumbnail. */
void hako_vm_update_thumbnail(HakoVm *self);

G_END_DECLS
