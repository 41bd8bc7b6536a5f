/*
 * The vm.ini settings model (see hako-vm.h for the format): typed reads and writes of the keys
 * the app itself interprets, on the VM's GKeyFile. Window code (settings, wizard, library,
 * delete) goes through these instead of parsing vm.ini values itself.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* [Engine] memory ("1024M", "2G", "512": MiB) in MiB; 0 when unset or unreadable. */
guint64 hako_vm_config_memory_mib(GKeyFile *config);

/* A path as written in vm.ini, made absolute: relative paths are inside the VM folder. NULL for
 * NULL or "". */
char *hako_vm_config_resolve_path(GFile *vm_dir, const char *path);

/* The [Engine] disk values as written (relative or absolute, without ",readonly"); never NULL. */
char **hako_vm_config_disk_values(GKeyFile *config);
/* The disk images in [Engine] disk, as absolute paths (NULL-terminated; free with g_strfreev). */
char **hako_vm_config_disks(GKeyFile *config, GFile *vm_dir);
/* Replaces [Engine] disk (NULL or empty: no disk). */
void hako_vm_config_set_disks(GKeyFile *config, const char *const *values);

G_END_DECLS
