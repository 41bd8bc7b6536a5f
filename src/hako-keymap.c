/* Keyboard mapping; see hako-keymap.h. Key codes from <linux/input-event-codes.h>. */
#include "hako-keymap.h"

#include <gdk/gdkkeysyms.h>
#include <glib/gi18n.h>
#include <linux/input-event-codes.h>

guint hako_keymap_evdev_from_keycode(guint keycode)
{
    /* X11 keycodes are 8..255; evdev code 0 is KEY_RESERVED */
    if (keycode <= 8 || keycode > 8 + KEY_MAX)
        return 0;
    return keycode - 8;
}

typedef struct {
    guint keyval;
    guint16 code;
} KeyvalCode;

/* US layout; shifted symbols map to the key that produces them. */
/* clang-format off */
static const KeyvalCode keyval_table[] = {
    {GDK_KEY_Escape, KEY_ESC},
    {GDK_KEY_1, KEY_1}, {GDK_KEY_exclam, KEY_1},
    {GDK_KEY_2, KEY_2}, {GDK_KEY_at, KEY_2},
    {GDK_KEY_3, KEY_3}, {GDK_KEY_numbersign, KEY_3},
    {GDK_KEY_4, KEY_4}, {GDK_KEY_dollar, KEY_4},
    {GDK_KEY_5, KEY_5}, {GDK_KEY_percent, KEY_5},
    {GDK_KEY_6, KEY_6}, {GDK_KEY_asciicircum, KEY_6},
    {GDK_KEY_7, KEY_7}, {GDK_KEY_ampersand, KEY_7},
    {GDK_KEY_8, KEY_8}, {GDK_KEY_asterisk, KEY_8},
    {GDK_KEY_9, KEY_9}, {GDK_KEY_parenleft, KEY_9},
    {GDK_KEY_0, KEY_0}, {GDK_KEY_parenright, KEY_0},
    {GDK_KEY_minus, KEY_MINUS}, {GDK_KEY_underscore, KEY_MINUS},
    {GDK_KEY_equal, KEY_EQUAL}, {GDK_KEY_plus, KEY_EQUAL},
    {GDK_KEY_BackSpace, KEY_BACKSPACE},
    {GDK_KEY_Tab, KEY_TAB}, {GDK_KEY_ISO_Left_Tab, KEY_TAB},
    {GDK_KEY_bracketleft, KEY_LEFTBRACE}, {GDK_KEY_braceleft, KEY_LEFTBRACE},
    {GDK_KEY_bracketright, KEY_RIGHTBRACE}, {GDK_KEY_braceright, KEY_RIGHTBRACE},
    {GDK_KEY_Return, KEY_ENTER},
    {GDK_KEY_Control_L, KEY_LEFTCTRL},
    {GDK_KEY_semicolon, KEY_SEMICOLON}, {GDK_KEY_colon, KEY_SEMICOLON},
    {GDK_KEY_apostrophe, KEY_APOSTROPHE}, {GDK_KEY_quotedbl, KEY_APOSTROPHE},
    {GDK_KEY_grave, KEY_GRAVE}, {GDK_KEY_asciitilde, KEY_GRAVE},
    {GDK_KEY_Shift_L, KEY_LEFTSHIFT},
    {GDK_KEY_backslash, KEY_BACKSLASH}, {GDK_KEY_bar, KEY_BACKSLASH},
    {GDK_KEY_comma, KEY_COMMA}, {GDK_KEY_less, KEY_COMMA},
    {GDK_KEY_period, KEY_DOT}, {GDK_KEY_greater, KEY_DOT},
    {GDK_KEY_slash, KEY_SLASH}, {GDK_KEY_question, KEY_SLASH},
    {GDK_KEY_Shift_R, KEY_RIGHTSHIFT},
    {GDK_KEY_KP_Multiply, KEY_KPASTERISK},
    {GDK_KEY_Alt_L, KEY_LEFTALT}, {GDK_KEY_Meta_L, KEY_LEFTALT},
    {GDK_KEY_space, KEY_SPACE},
    {GDK_KEY_Caps_Lock, KEY_CAPSLOCK},
    {GDK_KEY_F1, KEY_F1}, {GDK_KEY_F2, KEY_F2}, {GDK_KEY_F3, KEY_F3}, {GDK_KEY_F4, KEY_F4},
    {GDK_KEY_F5, KEY_F5}, {GDK_KEY_F6, KEY_F6}, {GDK_KEY_F7, KEY_F7}, {GDK_KEY_F8, KEY_F8},
    {GDK_KEY_F9, KEY_F9}, {GDK_KEY_F10, KEY_F10}, {GDK_KEY_F11, KEY_F11},
    {GDK_KEY_F12, KEY_F12},
    {GDK_KEY_Num_Lock, KEY_NUMLOCK},
    {GDK_KEY_Scroll_Lock, KEY_SCROLLLOCK},
    {GDK_KEY_KP_7, KEY_KP7}, {GDK_KEY_KP_Home, KEY_KP7},
    {GDK_KEY_KP_8, KEY_KP8}, {GDK_KEY_KP_Up, KEY_KP8},
    {GDK_KEY_KP_9, KEY_KP9}, {GDK_KEY_KP_Page_Up, KEY_KP9},
    {GDK_KEY_KP_Subtract, KEY_KPMINUS},
    {GDK_KEY_KP_4, KEY_KP4}, {GDK_KEY_KP_Left, KEY_KP4},
    {GDK_KEY_KP_5, KEY_KP5}, {GDK_KEY_KP_Begin, KEY_KP5},
    {GDK_KEY_KP_6, KEY_KP6}, {GDK_KEY_KP_Right, KEY_KP6},
    {GDK_KEY_KP_Add, KEY_KPPLUS},
    {GDK_KEY_KP_1, KEY_KP1}, {GDK_KEY_KP_End, KEY_KP1},
    {GDK_KEY_KP_2, KEY_KP2}, {GDK_KEY_KP_Down, KEY_KP2},
    {GDK_KEY_KP_3, KEY_KP3}, {GDK_KEY_KP_Page_Down, KEY_KP3},
    {GDK_KEY_KP_0, KEY_KP0}, {GDK_KEY_KP_Insert, KEY_KP0},
    {GDK_KEY_KP_Decimal, KEY_KPDOT}, {GDK_KEY_KP_Delete, KEY_KPDOT},
    {GDK_KEY_KP_Enter, KEY_KPENTER},
    {GDK_KEY_Control_R, KEY_RIGHTCTRL},
    {GDK_KEY_KP_Divide, KEY_KPSLASH},
    {GDK_KEY_Print, KEY_SYSRQ}, {GDK_KEY_Sys_Req, KEY_SYSRQ},
    {GDK_KEY_Alt_R, KEY_RIGHTALT}, {GDK_KEY_ISO_Level3_Shift, KEY_RIGHTALT},
    {GDK_KEY_Home, KEY_HOME},
    {GDK_KEY_Up, KEY_UP},
    {GDK_KEY_Page_Up, KEY_PAGEUP},
    {GDK_KEY_Left, KEY_LEFT},
    {GDK_KEY_Right, KEY_RIGHT},
    {GDK_KEY_End, KEY_END},
    {GDK_KEY_Down, KEY_DOWN},
    {GDK_KEY_Page_Down, KEY_PAGEDOWN},
    {GDK_KEY_Insert, KEY_INSERT},
    {GDK_KEY_Delete, KEY_DELETE},
    {GDK_KEY_Pause, KEY_PAUSE}, {GDK_KEY_Break, KEY_PAUSE},
    {GDK_KEY_Super_L, KEY_LEFTMETA},
    {GDK_KEY_Super_R, KEY_RIGHTMETA},
    {GDK_KEY_Menu, KEY_COMPOSE},
    /* Japanese keyboards */
    {GDK_KEY_Zenkaku_Hankaku, KEY_GRAVE},
    {GDK_KEY_Henkan, KEY_HENKAN},
    {GDK_KEY_Muhenkan, KEY_MUHENKAN},
    {GDK_KEY_Hiragana_Katakana, KEY_KATAKANAHIRAGANA},
    {GDK_KEY_yen, KEY_YEN},
};
/* clang-format on */

guint hako_keymap_evdev_from_keyval(guint keyval)
{
    /* letters: both cases map to the same key */
    if (keyval >= GDK_KEY_a && keyval <= GDK_KEY_z)
        keyval = keyval - GDK_KEY_a + GDK_KEY_A;
    if (keyval >= GDK_KEY_A && keyval <= GDK_KEY_Z) {
        static const guint16 letters[26] = {
            KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I,
            KEY_J, KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R,
            KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
        };
        return letters[keyval - GDK_KEY_A];
    }
    for (gsize i = 0; i < G_N_ELEMENTS(keyval_table); i++) {
        if (keyval_table[i].keyval == keyval)
            return keyval_table[i].code;
    }
    return 0;
}

guint hako_keymap_evdev_for_event(guint keycode, guint keyval)
{
    guint code = hako_keymap_evdev_from_keycode(keycode);
    return code ? code : hako_keymap_evdev_from_keyval(keyval);
}

static const HakoKeyCombo combos[] = {
    {"ctrl-alt-del", N_("Ctrl+Alt+Del"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE}},
    {"ctrl-alt-backspace", N_("Ctrl+Alt+Backspace"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_BACKSPACE}},
    {"ctrl-alt-f1", N_("Ctrl+Alt+F1"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_F1}},
    {"ctrl-alt-f2", N_("Ctrl+Alt+F2"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_F2}},
    {"ctrl-alt-f3", N_("Ctrl+Alt+F3"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_F3}},
    {"ctrl-alt-f4", N_("Ctrl+Alt+F4"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_F4}},
    {"ctrl-alt-f5", N_("Ctrl+Alt+F5"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_F5}},
    {"ctrl-alt-f6", N_("Ctrl+Alt+F6"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_F6}},
    {"ctrl-alt-f7", N_("Ctrl+Alt+F7"), {KEY_LEFTCTRL, KEY_LEFTALT, KEY_F7}},
    {"print", N_("Print Screen"), {KEY_SYSRQ}},
};

const HakoKeyCombo *hako_keymap_get_combos(gsize *n)
{
    *n = G_N_ELEMENTS(combos);
    return combos;
}

const HakoKeyCombo *hako_keymap_find_combo(const char *id)
{
    for (gsize i = 0; id && i < G_N_ELEMENTS(combos); i++) {
        if (g_str_equal(combos[i].id, id))
            return &combos[i];
    }
    return NULL;
}

gsize hako_keymap_combo_length(const HakoKeyCombo *combo)
{
    gsize n = 0;
    while (n < G_N_ELEMENTS(combo->keys) && combo->keys[n])
        n++;
    return n;
}
