/*
 * The engine's refusals in the app's words (hako-refusal.c): every problem code of
 * vmm/include/hako/config.h is worded (a code the engine gains without the app wording it fails
 * here), every option has a name, and the sentence carries the value the engine quoted.
 */
#include <string.h>

#include "hako-refusal.h"

static struct hk_fact fact(guint32 problem, guint32 option, gint64 c, const char *text)
{
    struct hk_fact f = {.kind = HK_FACT_CONFIG_REFUSED, .a = problem, .b = option, .c = c};
    g_strlcpy(f.text, text, sizeof(f.text));
    g_strlcpy(f.path[0], text, sizeof(f.path[0]));
    return f;
}

static void test_every_code(void)
{
    guint known = 0;
    for (guint32 code = 1; code < 1000; code++) {
        if (g_str_equal(hk_config_problem_name(code), "unknown"))
            continue;
        known++;
        g_assert_true(hako_refusal_is_known(code));
        struct hk_fact f = fact(code, HK_OPTION_DISK, 2, "/some/file.img");
        g_autofree char *s = hako_refusal_describe(&f);
        g_test_message("%s: %s", hk_config_problem_name(code), s);
        g_assert_null(strstr(s, "problem")); /* not the sentence for codes the app lacks */
        g_assert_cmpuint(strlen(s), >, 10);
    }
    g_assert_cmpuint(known, >=, 26);
    /* a code newer than the app: still a sentence, with the number */
    struct hk_fact f = fact(777, HK_OPTION_CDROM, 0, "x.iso");
    g_autofree char *s = hako_refusal_describe(&f);
    g_assert_nonnull(strstr(s, "777"));
    g_assert_nonnull(strstr(s, "x.iso"));
}

static void test_every_option(void)
{
    for (guint32 o = 1; o < HK_OPTION__COUNT; o++) {
        const char *label = hako_refusal_option_label(o);
        g_assert_nonnull(label);
        g_assert_cmpstr(label, !=, "");
        g_assert_cmpstr(label, !=, "?");
    }
    g_assert_cmpstr(hako_refusal_option_label(HK_OPTION__COUNT + 5), ==, "?");
}

static void test_sentences(void)
{
    struct hk_fact f = fact(HK_CONFIG_NOT_FOUND, HK_OPTION_CDROM, 2, "/isos/debian.iso");
    g_autofree char *a = hako_refusal_describe(&f);
    g_assert_cmpstr(a, ==, "CD/DVD: “/isos/debian.iso” does not exist.");
    g_autofree char *fix = hako_refusal_fix(&f);
    g_assert_nonnull(strstr(fix, "settings"));

    f = fact(HK_CONFIG_SAME_FILE, HK_OPTION_SERIAL, HK_OPTION_DISK, "disk.img");
    g_autofree char *b = hako_refusal_describe(&f);
    g_assert_cmpstr(b, ==, "Serial port output file and Disk name the same file, “disk.img”.");

    f = fact(HK_CONFIG_NO_ACCESS, HK_OPTION_DISK, 13 /* EACCES */, "/root/disk.img");
    g_autofree char *c = hako_refusal_describe(&f);
    g_assert_nonnull(strstr(c, "/root/disk.img"));
    g_assert_nonnull(strstr(c, g_strerror(13)));

    f = fact(HK_CONFIG_BAD_SIZE, HK_OPTION_MEMORY, 0, "12Q");
    g_autofree char *d = hako_refusal_describe(&f);
    g_assert_cmpstr(d, ==, "Memory: “12Q” is not a size from 16 MiB to 1 TiB.");

    f = fact(HK_CONFIG_WARN_NO_VGABIOS, HK_OPTION_VGABIOS, 0, "");
    f.kind = HK_FACT_CONFIG_WARNING;
    g_autofree char *e = hako_refusal_describe(&f);
    g_assert_nonnull(strstr(e, "display ROM"));
}

/* A long path: the text is cut, path[0] holds it in full, and the sentence has all of it. */
static void test_long_value(void)
{
    GString *path = g_string_new("/home/someone");
    while (path->len < 200)
        g_string_append(path, "/a-rather-long-folder-name");
    g_string_append(path, "/disc.iso");
    struct hk_fact f = fact(HK_CONFIG_NOT_FOUND, HK_OPTION_CDROM, 2, path->str);
    g_assert_cmpuint(strlen(f.text), <, path->len);
    g_autofree char *s = hako_refusal_describe(&f);
    g_assert_nonnull(strstr(s, path->str));
    g_string_free(path, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/refusal/every-code", test_every_code);
    g_test_add_func("/refusal/every-option", test_every_option);
    g_test_add_func("/refusal/sentences", test_sentences);
    g_test_add_func("/refusal/long-value", test_long_value);
    return g_test_run();
}
