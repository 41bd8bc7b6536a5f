/*
 * The app's keyboard mapping (src/hako-keymap.c): GDK hardware keycodes to evdev codes, the
 * keyval fallback, the "Send Key" combinations; and, against a real US xkb keymap, that the
 * keyval table names the key that really produces each keysym.
 *
 * (Recreated by the input helper after its engine test of the same name overwrote the app
 * helper's original by accident; the engine's scan code test is now test-scancodes.c.)
 */
#include <gdk/gdkkeysyms.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <string.h>
#include <xkbcommon/xkbcommon.h>

#include "hako-keymap.h"

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

static void test_keycodes(void)
{
    CHECK(hako_keymap_evdev_from_keycode(9) == KEY_ESC);
    CHECK(hako_keymap_evdev_from_keycode(8 + KEY_A) == KEY_A);
    CHECK(hako_keymap_evdev_from_keycode(8 + KEY_HENKAN) == KEY_HENKAN);
    CHECK(hako_keymap_evdev_from_keycode(8) == 0);
    CHECK(hako_keymap_evdev_from_keycode(0) == 0);
    CHECK(hako_keymap_evdev_from_keycode(8 + KEY_MAX) == KEY_MAX);
    CHECK(hako_keymap_evdev_from_keycode(8 + KEY_MAX + 1) == 0);
}

static void test_keyvals(void)
{
    CHECK(hako_keymap_evdev_from_keyval(GDK_KEY_a) == KEY_A);
    CHECK(hako_keymap_evdev_from_keyval(GDK_KEY_Z) == KEY_Z);
    CHECK(hako_keymap_evdev_from_keyval(GDK_KEY_exclam) == KEY_1);
    CHECK(hako_keymap_evdev_from_keyval(GDK_KEY_Return) == KEY_ENTER);
    CHECK(hako_keymap_evdev_from_keyval(GDK_KEY_Zenkaku_Hankaku) == KEY_GRAVE);
    CHECK(hako_keymap_evdev_from_keyval(GDK_KEY_Henkan) == KEY_HENKAN);
    CHECK(hako_keymap_evdev_from_keyval(GDK_KEY_VoidSymbol) == 0);
    /* the hardware keycode wins; without one the keyval decides */
    CHECK(hako_keymap_evdev_for_event(8 + KEY_Q, GDK_KEY_a) == KEY_Q);
    CHECK(hako_keymap_evdev_for_event(0, GDK_KEY_a) == KEY_A);
    CHECK(hako_keymap_evdev_for_event(0, GDK_KEY_VoidSymbol) == 0);
}

static void test_combos(void)
{
    gsize n = 0;
    const HakoKeyCombo *all = hako_keymap_get_combos(&n);
    CHECK(n > 0);
    for (gsize i = 0; i < n; i++) {
        CHECK(hako_keymap_combo_length(&all[i]) >= 1);
        CHECK(hako_keymap_find_combo(all[i].id) == &all[i]);
        for (gsize j = i + 1; j < n; j++)
            CHECK(strcmp(all[i].id, all[j].id) != 0);
    }
    const HakoKeyCombo *cad = hako_keymap_find_combo("ctrl-alt-del");
    CHECK(cad != NULL);
    if (cad) {
        CHECK(hako_keymap_combo_length(cad) == 3);
        CHECK(cad->keys[0] == KEY_LEFTCTRL && cad->keys[1] == KEY_LEFTALT &&
              cad->keys[2] == KEY_DELETE);
    }
    CHECK(hako_keymap_find_combo("no-such-combo") == NULL);
    CHECK(hako_keymap_find_combo(NULL) == NULL);
}

/* Every printable keysym of a US xkb keymap maps (through the keyval table) to the evdev key
 * that produces it: keycode - 8. */
static void test_against_xkb(void)
{
    struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_ENVIRONMENT_NAMES);
    struct xkb_rule_names names = {"evdev", "pc104", "us", NULL, NULL};
    struct xkb_keymap *km = ctx ? xkb_keymap_new_from_names(ctx, &names, 0) : NULL;
    if (!km) {
        printf("SKIP xkb comparison: no xkb data\n");
        if (ctx)
            xkb_context_unref(ctx);
        return;
    }
    unsigned checked = 0;
    for (xkb_keycode_t kc = 9; kc < 8 + 128; kc++) {
        const xkb_keysym_t *syms;
        int ns = xkb_keymap_key_get_syms_by_level(km, kc, 0, 0, &syms);
        /* the ISO key next to left Shift repeats '<' of the comma key */
        if (ns != 1 || syms[0] < 0x20 || syms[0] > 0x7E || kc - 8 == KEY_102ND)
            continue;
        guint code = hako_keymap_evdev_from_keyval(syms[0]);
        if (code != kc - 8) {
            fprintf(stderr, "keysym 0x%x: keyval table says %u, xkb keycode %u - 8\n", syms[0],
                    code, kc);
            failures++;
        }
        checked++;
    }
    CHECK(checked >= 47);
    xkb_keymap_unref(km);
    xkb_context_unref(ctx);
}

int main(void)
{
    test_keycodes();
    test_keyvals();
    test_combos();
    test_against_xkb();
    printf("%s\n", failures ? "FAIL" : "ok");
    return failures ? 1 : 0;
}
