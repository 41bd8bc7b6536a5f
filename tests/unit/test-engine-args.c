/*
 * What the app hands to hako-vmm from a vm.ini [Engine] group: only the keys it knows, by exact
 * name (getopt took abbreviations: "co=0" became --control-fd, "he=true" made the engine print its
 * help and exit 0, "se=stdio" slipped past the serial=stdio filter), and vm.ini memory= read by
 * the one size parser the engine uses (a bare number is MiB; anything the engine refuses is not
 * guessed at).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "hako-vm-config.h"
#include "hako-vm.h"

static GStrv args_for(const char *engine_group)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("hako-args-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *ini = g_build_filename(dir, "vm.ini", NULL);
    g_autofree char *text = g_strdup_printf("[VM]\nName=Args\n\n[Engine]\n%s", engine_group);
    g_assert_true(g_file_set_contents(ini, text, -1, NULL));
    g_autoptr(GFile) d = g_file_new_for_path(dir);
    g_autoptr(HakoVm) vm = hako_vm_load(d, &err);
    g_assert_no_error(err);
    GStrv args = hako_vm_build_engine_args(vm);
    g_unlink(ini);
    g_rmdir(dir);
    return args;
}

static void test_known_keys(void)
{
    g_auto(GStrv) args = args_for("firmware=uefi\n"
                                  "memory=2G\n"
                                  "cpus=2\n"
                                  "no-display=true\n"
                                  "boot-menu=5\n"
                                  "disk=a.img;b.img,readonly;\n"
                                  "cdrom=/isos/x.iso\n"
                                  "serial=com1.txt\n");
    g_autofree char *joined = g_strjoinv(" ", args);
    g_test_message("arguments: %s", joined);
    g_assert_cmpstr(joined, ==,
                    "--firmware=uefi --memory=2G --cpus=2 --no-display --boot-menu=5 "
                    "--disk=a.img --disk=b.img,readonly --cdrom=/isos/x.iso --serial=com1.txt");
    g_auto(GStrv) flags = args_for("no-display=false\nboot-menu=true\n");
    g_autofree char *j2 = g_strjoinv(" ", flags);
    g_assert_cmpstr(j2, ==, "--boot-menu");
}

/* Abbreviations, reserved and unknown keys never reach the engine. */
static void test_abbreviations_refused(void)
{
    g_auto(GStrv) args = args_for("co=0\n"
                                  "he=true\n"
                                  "se=stdio\n"
                                  "serial=stdio\n"
                                  "control-fd=0\n"
                                  "log=/etc/passwd\n"
                                  "help=true\n"
                                  "version=true\n"
                                  "Memory=4G\n"
                                  "memor=4G\n"
                                  "-memory=4G\n"
                                  "screenshot=/tmp/x.png\n"
                                  "no-such-option=1\n"
                                  "memory=512M\n");
    g_autofree char *joined = g_strjoinv(" ", args);
    g_test_message("arguments: %s", joined);
    g_assert_cmpstr(joined, ==, "--memory=512M");
}

static void test_memory_mib(void)
{
    static const struct {
        const char *value;
        guint64 mib;
    } cases[] = {
        {"512", 512},    {"512M", 512}, {"2G", 2048}, {"2GiB", 2048}, {"1048576K", 1024},
        {"1T", 1048576}, {"2Gx", 0},    {"2 G", 0},   {"2G ", 0},     {"1.5G", 0},
        {"-1", 0},       {"512K", 0},   {"", 0},      {"0x200", 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_key_file_set_value(kf, HAKO_VM_ENGINE_GROUP, "memory", cases[i].value);
        guint64 got = hako_vm_config_memory_mib(kf);
        if (got != cases[i].mib)
            g_test_message("memory=%s: %" G_GUINT64_FORMAT, cases[i].value, got);
        g_assert_cmpuint(got, ==, cases[i].mib);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/engine-args/known-keys", test_known_keys);
    g_test_add_func("/engine-args/abbreviations-refused", test_abbreviations_refused);
    g_test_add_func("/engine-args/memory-mib", test_memory_mib);
    return g_test_run();
}
