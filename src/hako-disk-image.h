/*
 * HakoDiskImage: an existing disk image a VM can be made around (the wizard's other kind of
 * file, next to install discs): what hk_disk_image_sniff (vmm/common) says about it, read off
 * the main thread. A raw image with a partition table can be used; a QCOW2, VMDK, VDI, VHD or
 * VHDX image cannot yet (the engine runs raw images only), and hako_disk_image_convert_command
 * gives the qemu-img command that makes a raw copy.
 */
#pragma once

#include <gio/gio.h>

#include "hako/diskimage.h"

G_BEGIN_DECLS

#define HAKO_TYPE_DISK_IMAGE (hako_disk_image_get_type())
G_DECLARE_FINAL_TYPE(HakoDiskImage, hako_disk_image, HAKO, DISK_IMAGE, GObject)

/* Reads the image's first sectors (blocking: use the async variant from the UI). Regular local
 * files only; a FIFO is refused, never waited on. */
HakoDiskImage *hako_disk_image_new_for_file(GFile *file, GCancellable *cancellable, GError **error);
void hako_disk_image_new_for_file_async(GFile *file, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
HakoDiskImage *hako_disk_image_new_for_file_finish(GAsyncResult *result, GError **error);

GFile *hako_disk_image_get_file(HakoDiskImage *self);
const struct hk_disk_image_info *hako_disk_image_get_info(HakoDiskImage *self);
/* A raw image with a partition table: a VM can be made around it. */
gboolean hako_disk_image_is_usable(HakoDiskImage *self);
/* A format Hako cannot run yet (QCOW2 ...). */
gboolean hako_disk_image_needs_conversion(HakoDiskImage *self);
/* "qemu-img convert -f qcow2 -O raw 'IN' 'OUT.img'" (OUT next to IN, not over anything). */
char *hako_disk_image_convert_command(HakoDiskImage *self);
/* "QCOW2", "VMDK", ... for messages. */
const char *hako_disk_image_format_label(HakoDiskImage *self);
/* A VM name from the file name ("debian.img" -> "debian"). */
char *hako_disk_image_dup_suggested_name(HakoDiskImage *self);

G_END_DECLS
