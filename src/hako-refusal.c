/* The engine's refusals in words (see hako-refusal.h). */
#include "hako-refusal.h"

#include <glib/gi18n.h>

const char *hako_refusal_option_label(guint32 option)
{
    switch (option) {
    case HK_OPTION_NONE: return "";
    case HK_OPTION_FIRMWARE: return _("Firmware");
    case HK_OPTION_MEMORY: return _("Memory");
    case HK_OPTION_CPUS: return _("Processors");
    case HK_OPTION_RESOLUTION: return _("Screen resolution");
    case HK_OPTION_VGABIOS: return _("Display ROM");
    case HK_OPTION_NO_DISPLAY: return _("No display");
    case HK_OPTION_BOOT_MENU: return _("Boot menu");
    case HK_OPTION_SERIAL: return _("Serial port output file");
    case HK_OPTION_DEBUGCON: return _("Firmware debug output file");
    case HK_OPTION_SCREENSHOT: return _("Screenshot file");
    case HK_OPTION_LOG: return _("Engine log");
    case HK_OPTION_DIAGNOSE: return _("Diagnosis");
    case HK_OPTION_EXIT_AFTER: return _("Time limit");
    case HK_OPTION_DEBUG_EXIT_PORT: return _("Debug exit port");
    case HK_OPTION_HELP: return "help";
    case HK_OPTION_VERSION: return "version";
    case HK_OPTION_DISK: return _("Disk");
    case HK_OPTION_CDROM: return _("CD/DVD");
    case HK_OPTION_BOOT: return _("Boot order");
    case HK_OPTION_CONTROL_FD: return _("Connection to the engine");
    case HK_OPTION_KEYS: return _("Key script");
    case HK_OPTION_OVMF_CODE: return _("UEFI firmware");
    case HK_OPTION_OVMF_VARS: return _("UEFI variable store");
    case HK_OPTION_OVMF_VARS_TEMPLATE: return _("UEFI variable store template");
    case HK_OPTION_UUID: return _("Machine UUID");
    case HK_OPTION_LOST_TICKS: return _("Lost timer ticks");
    case HK_OPTION_NET: return _("Network");
    case HK_OPTION_MAC: return _("MAC address");
    case HK_OPTION_NET_FORWARD: return _("Port forward");
    case HK_OPTION_NET_MTU: return _("Network MTU");
    default: {
        const char *name = hk_config_option_name(option);
        return name ? name : "?";
    }
    }
}

gboolean hako_refusal_is_known(guint32 problem)
{
    switch (problem) {
    case HK_CONFIG_UNKNOWN_OPTION:
    case HK_CONFIG_MISSING_VALUE:
    case HK_CONFIG_UNEXPECTED_VALUE:
    case HK_CONFIG_UNEXPECTED_ARGUMENT:
    case HK_CONFIG_BAD_NUMBER:
    case HK_CONFIG_BAD_SIZE:
    case HK_CONFIG_BAD_CHOICE:
    case HK_CONFIG_BAD_RESOLUTION:
    case HK_CONFIG_BAD_UUID:
    case HK_CONFIG_TOO_MANY_DISKS:
    case HK_CONFIG_EMPTY_PATH:
    case HK_CONFIG_BAD_KEYS:
    case HK_CONFIG_BAD_CONTROL_FD:
    case HK_CONFIG_BAD_MAC:
    case HK_CONFIG_BAD_FORWARD:
    case HK_CONFIG_FORWARD_TWICE:
    case HK_CONFIG_NET_OFF:
    case HK_CONFIG_NOT_FOUND:
    case HK_CONFIG_NO_ACCESS:
    case HK_CONFIG_NOT_REGULAR:
    case HK_CONFIG_UNREADABLE:
    case HK_CONFIG_BAD_CONTENTS:
    case HK_CONFIG_IN_USE:
    case HK_CONFIG_SAME_FILE:
    case HK_CONFIG_OUTPUT_IS_INPUT:
    case HK_CONFIG_FIRMWARE:
    case HK_CONFIG_OUTPUT_DIR:
    case HK_CONFIG_FIFO_NO_READER:
    case HK_CONFIG_PORT_IN_USE:
    case HK_CONFIG_WARN_UNLOCKED:
    case HK_CONFIG_WARN_NO_VGABIOS:
    case HK_CONFIG_WARN_NO_PASST: return TRUE;
    default: return FALSE;
    }
}

/* The value as given: path[0] holds it in full, the text cut (older engines: the text only). */
static char *value_of(const struct hk_fact *f)
{
    if (f->path[0][0])
        return g_strndup(f->path[0], sizeof(f->path[0]));
    return g_strndup(f->text, sizeof(f->text));
}

/* c as an errno ("Permission denied", translated by the C library), or "" */
static const char *errno_text(const struct hk_fact *f)
{
    return f->c > 0 && f->c < 4096 ? g_strerror((int)f->c) : "";
}

char *hako_refusal_describe(const struct hk_fact *f)
{
    g_autofree char *value = value_of(f);
    const char *opt = hako_refusal_option_label((guint32)f->b);
    guint32 problem = (guint32)f->a;
    switch (problem) {
    case HK_CONFIG_UNKNOWN_OPTION:
        return g_strdup_printf(_("“%s” is not a setting the engine knows (vm.ini, [Engine])."),
                               value);
    case HK_CONFIG_MISSING_VALUE: return g_strdup_printf(_("%s: the setting has no value."), opt);
    case HK_CONFIG_UNEXPECTED_VALUE:
        return g_strdup_printf(_("%s: the setting takes no value, but has “%s”."), opt, value);
    case HK_CONFIG_UNEXPECTED_ARGUMENT: return g_strdup_printf(_("“%s” is not a setting."), value);
    case HK_CONFIG_BAD_NUMBER:
        return g_strdup_printf(_("%s: “%s” is not a number the setting allows."), opt, value);
    case HK_CONFIG_BAD_SIZE:
        return g_strdup_printf(_("%s: “%s” is not a size from 16 MiB to 1 TiB."), opt, value);
    case HK_CONFIG_BAD_CHOICE:
        return g_strdup_printf(_("%s: “%s” is not one of the choices."), opt, value);
    case HK_CONFIG_BAD_RESOLUTION:
        return g_strdup_printf(_("%s: “%s” is not a screen size (width × height, each from 64 "
                                 "to 4095)."),
                               opt, value);
    case HK_CONFIG_BAD_UUID: return g_strdup_printf(_("%s: “%s” is not a UUID."), opt, value);
    case HK_CONFIG_TOO_MANY_DISKS:
        return g_strdup(_("A virtual machine can have at most 8 disks."));
    case HK_CONFIG_EMPTY_PATH: return g_strdup_printf(_("%s: no file is named."), opt);
    case HK_CONFIG_BAD_KEYS:
        return g_strdup_printf(_("%s: “%s” is not a key script the engine understands."), opt,
                               value);
    case HK_CONFIG_BAD_CONTROL_FD: return g_strdup(_("Hako could not connect to its engine."));
    case HK_CONFIG_BAD_MAC:
        return g_strdup_printf(_("%s: “%s” is not a MAC address of one network card (six pairs "
                                 "of hexadecimal digits, like 52:54:00:12:34:56)."),
                               opt, value);
    case HK_CONFIG_BAD_FORWARD:
        return g_strdup_printf(_("%s: “%s” is not a port forward (tcp or udp, the host’s port "
                                 "and the guest’s, like tcp:2222:22), or there are too many."),
                               opt, value);
    case HK_CONFIG_FORWARD_TWICE:
        return g_strdup_printf(_("%s: the host port of “%s” is forwarded twice."), opt, value);
    case HK_CONFIG_NET_OFF:
        return g_strdup_printf(_("%s: “%s” forwards a port, but the network card is off."), opt,
                               value);
    case HK_CONFIG_NOT_FOUND: return g_strdup_printf(_("%s: “%s” does not exist."), opt, value);
    case HK_CONFIG_NO_ACCESS:
        return g_strdup_printf(_("%s: you may not use “%s” (%s)."), opt, value, errno_text(f));
    case HK_CONFIG_NOT_REGULAR:
        return g_strdup_printf(_("%s: “%s” is not a file (a folder, a device or a pipe)."), opt,
                               value);
    case HK_CONFIG_UNREADABLE:
        return g_strdup_printf(_("%s: “%s” cannot be read (%s)."), opt, value, errno_text(f));
    case HK_CONFIG_BAD_CONTENTS:
        return g_strdup_printf(_("%s: “%s” is empty, too large or not the kind of file this "
                                 "setting takes."),
                               opt, value);
    case HK_CONFIG_IN_USE:
        return g_strdup_printf(_("%s: “%s” is in use by another running virtual machine."), opt,
                               value);
    case HK_CONFIG_SAME_FILE:
        return g_strdup_printf(_("%s and %s name the same file, “%s”."), opt,
                               hako_refusal_option_label((guint32)f->c), value);
    case HK_CONFIG_OUTPUT_IS_INPUT:
        return g_strdup_printf(_("%s: writing to “%s” would overwrite the virtual machine’s own "
                                 "file (%s)."),
                               opt, value, hako_refusal_option_label((guint32)f->c));
    case HK_CONFIG_FIRMWARE:
        return g_strdup_printf(_("%s: “%s” cannot be used as firmware."), opt, value);
    case HK_CONFIG_OUTPUT_DIR:
        return g_strdup_printf(_("%s: “%s” cannot be created in its folder (%s)."), opt, value,
                               errno_text(f));
    case HK_CONFIG_FIFO_NO_READER:
        return g_strdup_printf(_("%s: “%s” is a pipe nothing reads from; the engine would wait "
                                 "for ever."),
                               opt, value);
    case HK_CONFIG_PORT_IN_USE:
        return g_strdup_printf(_("%s: the host port of “%s” cannot be used (%s). Another "
                                 "program may be using it, and ports below 1024 need "
                                 "administrator rights."),
                               opt, value, errno_text(f));
    case HK_CONFIG_WARN_UNLOCKED:
        return g_strdup_printf(_("%s: the file system of “%s” refused a lock, so Hako cannot "
                                 "notice another virtual machine using it at the same time."),
                               opt, value);
    case HK_CONFIG_WARN_NO_VGABIOS:
        return g_strdup(_("No display ROM is installed: virtual machines with BIOS firmware "
                          "show no picture."));
    case HK_CONFIG_WARN_NO_PASST:
        return g_strdup_printf(_("%s: “%s” is not installed, so the virtual machine has no "
                                 "network."),
                               opt, value);
    default:
        /* a code newer than this app */
        return g_strdup_printf(_("The engine refused a setting (%s, problem %u, “%s”)."),
                               *opt ? opt : "-", problem, value);
    }
}

char *hako_refusal_fix(const struct hk_fact *f)
{
    switch ((guint32)f->a) {
    case HK_CONFIG_NOT_FOUND:
    case HK_CONFIG_NOT_REGULAR:
    case HK_CONFIG_BAD_CONTENTS:
    case HK_CONFIG_SAME_FILE:
    case HK_CONFIG_EMPTY_PATH:
        return g_strdup(_("Choose another file in the virtual machine’s settings, or put the "
                          "file back where it was."));
    case HK_CONFIG_NO_ACCESS:
    case HK_CONFIG_UNREADABLE:
        return g_strdup(_("Give yourself access to the file (its owner, permissions or the "
                          "disk it is on), or choose another one in the virtual machine’s "
                          "settings."));
    case HK_CONFIG_IN_USE:
        return g_strdup(_("Turn off the other virtual machine first, or give this one its own "
                          "copy."));
    case HK_CONFIG_WARN_NO_VGABIOS: return g_strdup("sudo apt install seabios");
    case HK_CONFIG_WARN_NO_PASST: return g_strdup("sudo apt install passt");
    case HK_CONFIG_PORT_IN_USE:
        return g_strdup(_("Choose another host port on the Network page of the virtual "
                          "machine’s settings, or quit the program that uses it."));
    case HK_CONFIG_BAD_MAC:
    case HK_CONFIG_BAD_FORWARD:
    case HK_CONFIG_FORWARD_TWICE:
    case HK_CONFIG_NET_OFF:
    case HK_CONFIG_UNKNOWN_OPTION:
    case HK_CONFIG_MISSING_VALUE:
    case HK_CONFIG_UNEXPECTED_VALUE:
    case HK_CONFIG_UNEXPECTED_ARGUMENT:
    case HK_CONFIG_BAD_NUMBER:
    case HK_CONFIG_BAD_SIZE:
    case HK_CONFIG_BAD_CHOICE:
    case HK_CONFIG_BAD_RESOLUTION:
    case HK_CONFIG_BAD_UUID:
    case HK_CONFIG_TOO_MANY_DISKS:
        return g_strdup(_("Correct the setting in the virtual machine’s settings (or in its "
                          "vm.ini, if it was written by hand)."));
    default: return NULL;
    }
}
