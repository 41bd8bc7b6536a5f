/*
 * Sizes in the person's language (hako_format_size): GLib 2.74 writes sizes under 1 KiB as
 * "0 bytes" with words its own Japanese catalog lacks; Hako's catalog has them. Runs in Japanese
 * against the build's translations (HAKO_LOCALEDIR) and in English.
 */
#include <glib/gi18n.h>
#include <locale.h>

#include "hako-format.h"

static void test_japanese(void)
{
    const char *dir = g_getenv("HAKO_LOCALEDIR");
    if (!dir || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_test_skip("HAKO_LOCALEDIR is not set");
        return;
    }
    g_setenv("LANGUAGE", "ja", TRUE);
    setlocale(LC_ALL, "C.UTF-8");
    bindtextdomain("hako", dir);
    bind_textdomain_codeset("hako", "UTF-8");
    textdomain("hako");
    g_autofree char *zero = hako_format_size(0, G_FORMAT_SIZE_IEC_UNITS);
    g_assert_cmpstr(zero, ==, "0 バイト");
    g_autofree char *small = hako_format_size(102, G_FORMAT_SIZE_LONG_FORMAT);
    g_assert_cmpstr(small, ==, "102 バイト");
    g_autofree char *big = hako_format_size(5ull << 30, G_FORMAT_SIZE_IEC_UNITS);
    g_assert_cmpstr(big, ==, "5.0\u00a0GiB");
    g_unsetenv("LANGUAGE");
}

static void test_english(void)
{
    g_autofree char *one = hako_format_size(1, G_FORMAT_SIZE_IEC_UNITS);
    g_assert_cmpstr(one, ==, "1 byte");
    g_autofree char *kib = hako_format_size(1023, G_FORMAT_SIZE_IEC_UNITS);
    g_assert_cmpstr(kib, ==, "1023 bytes");
    g_autofree char *si = hako_format_size(1000, G_FORMAT_SIZE_DEFAULT);
    g_assert_cmpstr(si, ==, "1.0\u00a0kB"); /* GLib puts a no-break space */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/format/english", test_english);
    g_test_add_func("/format/japanese", test_japanese);
    return g_test_run();
}
