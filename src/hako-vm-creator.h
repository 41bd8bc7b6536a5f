/*
 * HakoVmCreator: makes a new VM's folder off the main thread: a sparse raw disk image (grown in
 * steps so that a file system without sparse files shows progress and can be cancelled), the VM's
 * own UEFI variable store copied from the OVMF VARS template, and vm.ini (written atomically).
 *
 * Everything is built in a hidden staging folder (<library>/.new-XXXXXX, which the library
 * ignores) and renamed into place only when complete, so a cancelled or failed creation leaves
 * nothing behind and a half-made VM never appears in the library.
 *
 * vm.ini's [Engine] group holds hako-vmm options (see hako-vm.h): memory, cpus, firmware,
 * ovmf-code, ovmf-vars, ovmf-vars-template, disk, cdrom, boot. Files inside the VM folder are
 * named relative to it (the engine runs there).
 */
#pragma once

#include <gio/gio.h>

#include "hako-firmware.h"

G_BEGIN_DECLS

#define HAKO_VM_DISK_FILE "disk.img"
#define HAKO_VM_VARS_FILE "OVMF_VARS.fd"

#define HAKO_TYPE_VM_CREATOR (hako_vm_creator_get_type())
G_DECLARE_FINAL_TYPE(HakoVmCreator, hako_vm_creator, HAKO, VM_CREATOR, GObject)

/* library_dir: the folder holding the VM folders. */
HakoVmCreator *hako_vm_creator_new(GFile *library_dir);

void hako_vm_creator_set_name(HakoVmCreator *self, const char *name);
void hako_vm_creator_set_os(HakoVmCreator *self, const char *os_id, const char *os_name);
void hako_vm_creator_set_memory_mib(HakoVmCreator *self, guint64 mib);
void hako_vm_creator_set_cpus(HakoVmCreator *self, guint cpus);
void hako_vm_creator_set_disk_gib(HakoVmCreator *self, guint64 gib);
/* ovmf: the build for UEFI (ignored for BIOS). */
void hako_vm_creator_set_firmware(HakoVmCreator *self, HakoFirmwareKind kind, HakoFirmware *ovmf);
typedef enum {
    HAKO_DISK_IMPORT_COPY, /* copied into the VM's folder (the original stays) */
    HAKO_DISK_IMPORT_MOVE, /* moved into the VM's folder */
    HAKO_DISK_IMPORT_USE,  /* used where it is (vm.ini names it) */
} HakoDiskImport;

/* An existing raw disk image (absolute path) as the VM's disk instead of a new one (the disk
 * size is then ignored); the VM boots from it unless a disc is set. NULL: none. */
void hako_vm_creator_set_disk_image(HakoVmCreator *self, const char *path, HakoDiskImport how);
/* The disc to boot from (absolute path); NULL for none. */
void hako_vm_creator_set_cdrom(HakoVmCreator *self, const char *path);
/* The network card (on by default): net=user with a random MAC, or net=none. */
void hako_vm_creator_set_network(HakoVmCreator *self, gboolean on);

/* Runs the creation in a thread. ::progress (double fraction, const char *what) is emitted on
 * the calling thread's main context. The result is the finished folder (in library_dir). */
void hako_vm_creator_run_async(HakoVmCreator *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
GFile *hako_vm_creator_run_finish(HakoVmCreator *self, GAsyncResult *result, GError **error);
/* The same, blocking (tests). */
GFile *hako_vm_creator_run(HakoVmCreator *self, GCancellable *cancellable, GError **error);

/* Removes staging folders left by a crash (older than an hour); _async: in a thread. */
void hako_vm_creator_clean_stale(GFile *library_dir);
void hako_vm_creator_clean_stale_async(GFile *library_dir);

/* Creates a sparse raw image of size bytes at path (must not exist), growing it in steps with
 * progress (0..1) and cancellation; removes the file on failure. Used by settings too. */
typedef void (*HakoProgressFunc)(double fraction, gpointer user_data);
gboolean hako_disk_image_create(const char *path, guint64 size, HakoProgressFunc progress,
                                gpointer user_data, GCancellable *cancellable, GError **error);
/* Grows an existing raw image to size bytes (never shrinks). */
gboolean hako_disk_image_grow(const char *path, guint64 size, HakoProgressFunc progress,
                              gpointer user_data, GCancellable *cancellable, GError **error);

/* Deletes a folder and everything in it, never following a symbolic link (hako_fs_delete_tree). */
gboolean hako_delete_recursive(GFile *file, GCancellable *cancellable, GError **error);

G_END_DECLS
