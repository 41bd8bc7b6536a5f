/* The vm.ini settings model: see hako-vm-config.h. */
#include "hako-vm-config.h"

#include <string.h>

#include "hako-vm.h"

#define E HAKO_VM_ENGINE_GROUP

guint64 hako_vm_config_memory_mib(GKeyFile *config)
{
    g_autofree char *v = g_key_file_get_string(config, E, "memory", NULL);
    if (!v)
        return 0;
    char *end = NULL;
    guint64 n = g_ascii_strtoull(g_strstrip(v), &end, 10);
    if (end == v)
        return 0;
    switch (g_ascii_toupper(*end)) {
    case 0:
    case 'M': return n;
    case 'G': return n * 1024;
    case 'T': return n * 1024 * 1024;
    case 'K': return n / 1024;
    default: return 0;
    }
}

char *hako_vm_config_resolve_path(GFile *vm_dir, const char *path)
{
    if (!path || !*path)
        return NULL;
    if (g_path_is_absolute(path))
        return g_strdup(path);
    g_autoptr(GFile) f = g_file_resolve_relative_path(vm_dir, path);
    return g_file_get_path(f);
}

char **hako_vm_config_disk_values(GKeyFile *config)
{
    g_auto(GStrv) list = g_key_file_get_string_list(config, E, "disk", NULL, NULL);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (gsize i = 0; list && list[i]; i++) {
        if (!*list[i])
            continue;
        g_autofree char *v = g_strdup(list[i]);
        char *comma = strrchr(v, ',');
        if (comma && g_str_equal(comma, ",readonly"))
            *comma = 0;
        g_strv_builder_add(b, v);
    }
    return g_strv_builder_end(b);
}

char **hako_vm_config_disks(GKeyFile *config, GFile *vm_dir)
{
    g_auto(GStrv) values = hako_vm_config_disk_values(config);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (gsize i = 0; values[i]; i++) {
        g_autofree char *path = hako_vm_config_resolve_path(vm_dir, values[i]);
        g_strv_builder_add(b, path);
    }
    return g_strv_builder_end(b);
}

void hako_vm_config_set_disks(GKeyFile *config, const char *const *values)
{
    guint n = values ? g_strv_length((char **)values) : 0;
    if (n == 0)
        g_key_file_remove_key(config, E, "disk", NULL);
    else if (n == 1)
        g_key_file_set_string(config, E, "disk", values[0]);
    else
        g_key_file_set_string_list(config, E, "disk", values, n);
}
