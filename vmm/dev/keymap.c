#include "keymap.h"

#include <ctype.h>
#include <linux/input-event-codes.h>
#include <string.h>

/*
 * One row per key: the evdev code, whether sets 1 and 2 prefix it with E0, its set-1 make code,
 * its set-2 make code, its set-3 code (0 = none) and its script names (the first is the main one).
 * Set-1 breaks are make | 0x80, set-2 and set-3 breaks are F0 + make (after the E0 prefix).
 */
struct key {
    uint16_t evdev;
    uint8_t e0;
    uint8_t set1, set2, set3;
    uint8_t flags;
    const char *names;
};

static const struct key keys[] = {
    /* main block, row by row (105-key ISO) */
    {KEY_ESC, 0, 0x01, 0x76, 0x08, 0, "esc escape"},
    {KEY_GRAVE, 0, 0x29, 0x0E, 0x0E, 0, "grave backquote"},
    {KEY_1, 0, 0x02, 0x16, 0x16, 0, "1"},
    {KEY_2, 0, 0x03, 0x1E, 0x1E, 0, "2"},
    {KEY_3, 0, 0x04, 0x26, 0x26, 0, "3"},
    {KEY_4, 0, 0x05, 0x25, 0x25, 0, "4"},
    {KEY_5, 0, 0x06, 0x2E, 0x2E, 0, "5"},
    {KEY_6, 0, 0x07, 0x36, 0x36, 0, "6"},
    {KEY_7, 0, 0x08, 0x3D, 0x3D, 0, "7"},
    {KEY_8, 0, 0x09, 0x3E, 0x3E, 0, "8"},
    {KEY_9, 0, 0x0A, 0x46, 0x46, 0, "9"},
    {KEY_0, 0, 0x0B, 0x45, 0x45, 0, "0"},
    {KEY_MINUS, 0, 0x0C, 0x4E, 0x4E, 0, "minus"},
    {KEY_EQUAL, 0, 0x0D, 0x55, 0x55, 0, "equal"},
    {KEY_BACKSPACE, 0, 0x0E, 0x66, 0x66, 0, "backspace"},
    {KEY_TAB, 0, 0x0F, 0x0D, 0x0D, 0, "tab"},
    {KEY_Q, 0, 0x10, 0x15, 0x15, 0, "q"},
    {KEY_W, 0, 0x11, 0x1D, 0x1D, 0, "w"},
    {KEY_E, 0, 0x12, 0x24, 0x24, 0, "e"},
    {KEY_R, 0, 0x13, 0x2D, 0x2D, 0, "r"},
    {KEY_T, 0, 0x14, 0x2C, 0x2C, 0, "t"},
    {KEY_Y, 0, 0x15, 0x35, 0x35, 0, "y"},
    {KEY_U, 0, 0x16, 0x3C, 0x3C, 0, "u"},
    {KEY_I, 0, 0x17, 0x43, 0x43, 0, "i"},
    {KEY_O, 0, 0x18, 0x44, 0x44, 0, "o"},
    {KEY_P, 0, 0x19, 0x4D, 0x4D, 0, "p"},
    {KEY_LEFTBRACE, 0, 0x1A, 0x54, 0x54, 0, "leftbrace bracketleft"},
    {KEY_RIGHTBRACE, 0, 0x1B, 0x5B, 0x5B, 0, "rightbrace bracketright"},
    {KEY_ENTER, 0, 0x1C, 0x5A, 0x5A, 0, "enter return"},
    {KEY_CAPSLOCK, 0, 0x3A, 0x58, 0x14, 0, "capslock caps"},
    {KEY_A, 0, 0x1E, 0x1C, 0x1C, 0, "a"},
    {KEY_S, 0, 0x1F, 0x1B, 0x1B, 0, "s"},
    {KEY_D, 0, 0x20, 0x23, 0x23, 0, "d"},
    {KEY_F, 0, 0x21, 0x2B, 0x2B, 0, "f"},
    {KEY_G, 0, 0x22, 0x34, 0x34, 0, "g"},
    {KEY_H, 0, 0x23, 0x33, 0x33, 0, "h"},
    {KEY_J, 0, 0x24, 0x3B, 0x3B, 0, "j"},
    {KEY_K, 0, 0x25, 0x42, 0x42, 0, "k"},
    {KEY_L, 0, 0x26, 0x4B, 0x4B, 0, "l"},
    {KEY_SEMICOLON, 0, 0x27, 0x4C, 0x4C, 0, "semicolon"},
    {KEY_APOSTROPHE, 0, 0x28, 0x52, 0x52, 0, "apostrophe quote"},
    /* US backslash, ISO "#~" and the Japanese "]む" key share one code */
    {KEY_BACKSLASH, 0, 0x2B, 0x5D, 0x5C, 0, "backslash numbersign"},
    {KEY_LEFTSHIFT, 0, 0x2A, 0x12, 0x12, 0, "leftshift shift lshift"},
    {KEY_102ND, 0, 0x56, 0x61, 0x13, 0, "102nd less iso"},
    {KEY_Z, 0, 0x2C, 0x1A, 0x1A, 0, "z"},
    {KEY_X, 0, 0x2D, 0x22, 0x22, 0, "x"},
    {KEY_C, 0, 0x2E, 0x21, 0x21, 0, "c"},
    {KEY_V, 0, 0x2F, 0x2A, 0x2A, 0, "v"},
    {KEY_B, 0, 0x30, 0x32, 0x32, 0, "b"},
    {KEY_N, 0, 0x31, 0x31, 0x31, 0, "n"},
    {KEY_M, 0, 0x32, 0x3A, 0x3A, 0, "m"},
    {KEY_COMMA, 0, 0x33, 0x41, 0x41, 0, "comma"},
    {KEY_DOT, 0, 0x34, 0x49, 0x49, 0, "dot period"},
    {KEY_SLASH, 0, 0x35, 0x4A, 0x4A, 0, "slash"},
    {KEY_RIGHTSHIFT, 0, 0x36, 0x59, 0x59, 0, "rightshift rshift"},
    {KEY_LEFTCTRL, 0, 0x1D, 0x14, 0x11, 0, "leftctrl ctrl lctrl control"},
    {KEY_LEFTMETA, 1, 0x5B, 0x1F, 0x8B, 0, "leftmeta meta super win lmeta"},
    {KEY_LEFTALT, 0, 0x38, 0x11, 0x19, 0, "leftalt alt lalt"},
    {KEY_SPACE, 0, 0x39, 0x29, 0x29, 0, "space"},
    {KEY_RIGHTALT, 1, 0x38, 0x11, 0x39, 0, "rightalt altgr ralt"},
    {KEY_RIGHTMETA, 1, 0x5C, 0x27, 0x8C, 0, "rightmeta rmeta"},
    {KEY_COMPOSE, 1, 0x5D, 0x2F, 0x8D, 0, "compose menu"},
    {KEY_RIGHTCTRL, 1, 0x1D, 0x14, 0x58, 0, "rightctrl rctrl"},

    /* function keys */
    {KEY_F1, 0, 0x3B, 0x05, 0x07, 0, "f1"},
    {KEY_F2, 0, 0x3C, 0x06, 0x0F, 0, "f2"},
    {KEY_F3, 0, 0x3D, 0x04, 0x17, 0, "f3"},
    {KEY_F4, 0, 0x3E, 0x0C, 0x1F, 0, "f4"},
    {KEY_F5, 0, 0x3F, 0x03, 0x27, 0, "f5"},
    {KEY_F6, 0, 0x40, 0x0B, 0x2F, 0, "f6"},
    {KEY_F7, 0, 0x41, 0x83, 0x37, 0, "f7"},
    {KEY_F8, 0, 0x42, 0x0A, 0x3F, 0, "f8"},
    {KEY_F9, 0, 0x43, 0x01, 0x47, 0, "f9"},
    {KEY_F10, 0, 0x44, 0x09, 0x4F, 0, "f10"},
    {KEY_F11, 0, 0x57, 0x78, 0x56, 0, "f11"},
    {KEY_F12, 0, 0x58, 0x07, 0x5E, 0, "f12"},
    {KEY_F13, 0, 0x64, 0x08, 0x7F, 0, "f13"},
    {KEY_F14, 0, 0x65, 0x10, 0x80, 0, "f14"},
    {KEY_F15, 0, 0x66, 0x18, 0x81, 0, "f15"},
    {KEY_F16, 0, 0x67, 0x20, 0x82, 0, "f16"},
    {KEY_F17, 0, 0x68, 0x28, 0x83, 0, "f17"},
    {KEY_F18, 0, 0x69, 0x30, 0, 0, "f18"},
    {KEY_F19, 0, 0x6A, 0x38, 0, 0, "f19"},
    {KEY_F20, 0, 0x6B, 0x40, 0, 0, "f20"},
    {KEY_F21, 0, 0x6C, 0x48, 0, 0, "f21"},
    {KEY_F22, 0, 0x6D, 0x50, 0, 0, "f22"},
    {KEY_F23, 0, 0x6E, 0x57, 0, 0, "f23"},
    {KEY_F24, 0, 0x76, 0x5F, 0, 0, "f24"},

    /* Print Screen and Pause: their sequences are built in hk_keymap_encode */
    {KEY_SYSRQ, 1, 0x37, 0x7C, 0x57, 0, "sysrq print printscreen prtsc"},
    {KEY_SCROLLLOCK, 0, 0x46, 0x7E, 0x5F, 0, "scrolllock"},
    {KEY_PAUSE, 0, 0x45, 0x77, 0x62, HK_KEYMAP_MAKE_ONLY, "pause break"},

    /* navigation cluster */
    {KEY_INSERT, 1, 0x52, 0x70, 0x67, 0, "insert ins"},
    {KEY_HOME, 1, 0x47, 0x6C, 0x6E, 0, "home"},
    {KEY_PAGEUP, 1, 0x49, 0x7D, 0x6F, 0, "pageup pgup"},
    {KEY_DELETE, 1, 0x53, 0x71, 0x64, 0, "delete del"},
    {KEY_END, 1, 0x4F, 0x69, 0x65, 0, "end"},
    {KEY_PAGEDOWN, 1, 0x51, 0x7A, 0x6D, 0, "pagedown pgdn"},
    {KEY_UP, 1, 0x48, 0x75, 0x63, 0, "up"},
    {KEY_LEFT, 1, 0x4B, 0x6B, 0x61, 0, "left"},
    {KEY_DOWN, 1, 0x50, 0x72, 0x60, 0, "down"},
    {KEY_RIGHT, 1, 0x4D, 0x74, 0x6A, 0, "right"},

    /* numeric keypad */
    {KEY_NUMLOCK, 0, 0x45, 0x77, 0x76, 0, "numlock"},
    {KEY_KPSLASH, 1, 0x35, 0x4A, 0x77, 0, "kpslash kpdivide"},
    {KEY_KPASTERISK, 0, 0x37, 0x7C, 0x7E, 0, "kpasterisk kpmultiply"},
    {KEY_KPMINUS, 0, 0x4A, 0x7B, 0x84, 0, "kpminus"},
    {KEY_KP7, 0, 0x47, 0x6C, 0x6C, 0, "kp7"},
    {KEY_KP8, 0, 0x48, 0x75, 0x75, 0, "kp8"},
    {KEY_KP9, 0, 0x49, 0x7D, 0x7D, 0, "kp9"},
    {KEY_KPPLUS, 0, 0x4E, 0x79, 0x7C, 0, "kpplus"},
    {KEY_KP4, 0, 0x4B, 0x6B, 0x6B, 0, "kp4"},
    {KEY_KP5, 0, 0x4C, 0x73, 0x73, 0, "kp5"},
    {KEY_KP6, 0, 0x4D, 0x74, 0x74, 0, "kp6"},
    {KEY_KP1, 0, 0x4F, 0x69, 0x69, 0, "kp1"},
    {KEY_KP2, 0, 0x50, 0x72, 0x72, 0, "kp2"},
    {KEY_KP3, 0, 0x51, 0x7A, 0x7A, 0, "kp3"},
    {KEY_KPENTER, 1, 0x1C, 0x5A, 0x79, 0, "kpenter"},
    {KEY_KP0, 0, 0x52, 0x70, 0x70, 0, "kp0"},
    {KEY_KPDOT, 0, 0x53, 0x71, 0x71, 0, "kpdot kpdecimal"},
    {KEY_KPEQUAL, 0, 0x59, 0x0F, 0, 0, "kpequal"},
    {KEY_KPCOMMA, 0, 0x7E, 0x6D, 0, 0, "kpcomma"},
    {KEY_KPJPCOMMA, 0, 0x5C, 0x27, 0, 0, "kpjpcomma"},

    /* Japanese 106/109-key keyboard: 半角/全角 is the key in the grave position */
    {KEY_ZENKAKUHANKAKU, 0, 0x29, 0x0E, 0x0E, 0, "zenkakuhankaku hankaku zenkaku"},
    {KEY_MUHENKAN, 0, 0x7B, 0x67, 0x85, 0, "muhenkan"},
    {KEY_HENKAN, 0, 0x79, 0x64, 0x86, 0, "henkan"},
    {KEY_KATAKANAHIRAGANA, 0, 0x70, 0x13, 0x87, 0, "katakanahiragana kana"},
    {KEY_YEN, 0, 0x7D, 0x6A, 0x5D, 0, "yen"},
    {KEY_RO, 0, 0x73, 0x51, 0x51, 0, "ro"},
    {KEY_KATAKANA, 0, 0x78, 0x63, 0, 0, "katakana"},
    {KEY_HIRAGANA, 0, 0x77, 0x62, 0, 0, "hiragana"},
    /* Korean keyboard: make-only keys */
    {KEY_HANGEUL, 0, 0xF2, 0xF2, 0, HK_KEYMAP_MAKE_ONLY, "hangeul hangul"},
    {KEY_HANJA, 0, 0xF1, 0xF1, 0, HK_KEYMAP_MAKE_ONLY, "hanja"},

    /* ACPI and multimedia keys (E0-prefixed in sets 1 and 2) */
    {KEY_POWER, 1, 0x5E, 0x37, 0, 0, "power"},
    {KEY_SLEEP, 1, 0x5F, 0x3F, 0, 0, "sleep"},
    {KEY_WAKEUP, 1, 0x63, 0x5E, 0, 0, "wakeup wake"},
    {KEY_MUTE, 1, 0x20, 0x23, 0, 0, "mute"},
    {KEY_VOLUMEDOWN, 1, 0x2E, 0x21, 0, 0, "volumedown"},
    {KEY_VOLUMEUP, 1, 0x30, 0x32, 0, 0, "volumeup"},
    {KEY_PLAYPAUSE, 1, 0x22, 0x34, 0, 0, "playpause"},
    {KEY_STOPCD, 1, 0x24, 0x3B, 0, 0, "stopcd"},
    {KEY_PREVIOUSSONG, 1, 0x10, 0x15, 0, 0, "previoussong"},
    {KEY_NEXTSONG, 1, 0x19, 0x4D, 0, 0, "nextsong"},
    {KEY_MEDIA, 1, 0x6D, 0x50, 0, 0, "media"},
    {KEY_MAIL, 1, 0x6C, 0x48, 0, 0, "mail"},
    {KEY_CALC, 1, 0x21, 0x2B, 0, 0, "calc"},
    {KEY_COMPUTER, 1, 0x6B, 0x40, 0, 0, "computer"},
    {KEY_SEARCH, 1, 0x65, 0x10, 0, 0, "search"},
    {KEY_HOMEPAGE, 1, 0x32, 0x3A, 0, 0, "homepage"},
    {KEY_BACK, 1, 0x6A, 0x38, 0, 0, "back"},
    {KEY_FORWARD, 1, 0x69, 0x30, 0, 0, "forward"},
    {KEY_STOP, 1, 0x68, 0x28, 0, 0, "stop"},
    {KEY_REFRESH, 1, 0x67, 0x20, 0, 0, "refresh"},
    {KEY_BOOKMARKS, 1, 0x66, 0x18, 0, 0, "bookmarks"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/*
 * The 8042's translation of what the keyboard sends (set 2) into what a PC/XT keyboard sent (set
 * 1), indexed by the received byte. Bytes 0x80 and above pass unchanged except 0x83 (set-2 F7) and
 * 0x84 (set-2 Alt+SysRq). An F0 prefix is swallowed and sets bit 7 of the next translated byte.
 */
static const uint8_t xlate_low[128] = {
    0xFF, 0x43, 0x41, 0x3F, 0x3D, 0x3B, 0x3C, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3E, 0x0F, 0x29, 0x59,
    0x65, 0x38, 0x2A, 0x70, 0x1D, 0x10, 0x02, 0x5A, 0x66, 0x71, 0x2C, 0x1F, 0x1E, 0x11, 0x03, 0x5B,
    0x67, 0x2E, 0x2D, 0x20, 0x12, 0x05, 0x04, 0x5C, 0x68, 0x39, 0x2F, 0x21, 0x14, 0x13, 0x06, 0x5D,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5E, 0x6A, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5F,
    0x6B, 0x33, 0x25, 0x17, 0x18, 0x0B, 0x0A, 0x60, 0x6C, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0C, 0x61,
    0x6D, 0x73, 0x28, 0x74, 0x1A, 0x0D, 0x62, 0x6E, 0x3A, 0x36, 0x1C, 0x1B, 0x75, 0x2B, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7A, 0x0E, 0x7B, 0x7C, 0x4F, 0x7D, 0x4B, 0x47, 0x7E, 0x7F, 0x6F,
    0x52, 0x53, 0x50, 0x4C, 0x4D, 0x48, 0x01, 0x45, 0x57, 0x4E, 0x51, 0x4A, 0x37, 0x49, 0x46, 0x54,
};

uint8_t hk_keymap_xlate(uint8_t code)
{
    if (code < 0x80)
        return xlate_low[code];
    if (code == 0x83)
        return 0x41;
    if (code == 0x84)
        return 0x54;
    return code;
}

static const struct key *find(unsigned evdev)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].evdev == evdev)
            return &keys[i];
    return NULL;
}

bool hk_keymap_known(unsigned evdev)
{
    return find(evdev) != NULL;
}

unsigned hk_keymap_modifier(unsigned evdev)
{
    switch (evdev) {
    case KEY_LEFTSHIFT:
    case KEY_RIGHTSHIFT: return HK_KEYMAP_MOD_SHIFT;
    case KEY_LEFTCTRL:
    case KEY_RIGHTCTRL: return HK_KEYMAP_MOD_CTRL;
    case KEY_LEFTALT:
    case KEY_RIGHTALT: return HK_KEYMAP_MOD_ALT;
    default: return 0;
    }
}

unsigned hk_keymap_flags(unsigned evdev)
{
    const struct key *k = find(evdev);
    return k ? k->flags : 0;
}

uint8_t hk_keymap_set3(unsigned evdev)
{
    const struct key *k = find(evdev);
    return k ? k->set3 : 0;
}

static size_t put(uint8_t *out, size_t n, const uint8_t *bytes, size_t len)
{
    memcpy(out + n, bytes, len);
    return n + len;
}

/* Print Screen: on its own it is sent as a "fake left shift" + the key; with Shift or Ctrl held
 * just the key; with Alt held it is SysRq, a plain key. */
static size_t print_screen(unsigned set, bool down, unsigned mods, uint8_t *out)
{
    if (mods & HK_KEYMAP_MOD_ALT) {
        if (set == 1)
            return put(out, 0, (const uint8_t[]){(uint8_t)(down ? 0x54 : 0xD4)}, 1);
        return down ? put(out, 0, (const uint8_t[]){0x84}, 1)
                    : put(out, 0, (const uint8_t[]){0xF0, 0x84}, 2);
    }
    bool alone = !(mods & (HK_KEYMAP_MOD_SHIFT | HK_KEYMAP_MOD_CTRL));
    if (set == 1) {
        if (down)
            return alone ? put(out, 0, (const uint8_t[]){0xE0, 0x2A, 0xE0, 0x37}, 4)
                         : put(out, 0, (const uint8_t[]){0xE0, 0x37}, 2);
        return alone ? put(out, 0, (const uint8_t[]){0xE0, 0xB7, 0xE0, 0xAA}, 4)
                     : put(out, 0, (const uint8_t[]){0xE0, 0xB7}, 2);
    }
    if (down)
        return alone ? put(out, 0, (const uint8_t[]){0xE0, 0x12, 0xE0, 0x7C}, 4)
                     : put(out, 0, (const uint8_t[]){0xE0, 0x7C}, 2);
    return alone ? put(out, 0, (const uint8_t[]){0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12}, 6)
                 : put(out, 0, (const uint8_t[]){0xE0, 0xF0, 0x7C}, 3);
}

/* Pause: an E1 sequence standing for Ctrl+NumLock pressed and released, sent on the press only;
 * with Ctrl held it is Break, an ordinary E0 key with a break code. */
static size_t pause_key(unsigned set, bool down, unsigned mods, uint8_t *out)
{
    if (mods & HK_KEYMAP_MOD_CTRL) {
        if (set == 1)
            return put(out, 0, (const uint8_t[]){0xE0, (uint8_t)(down ? 0x46 : 0xC6)}, 2);
        return down ? put(out, 0, (const uint8_t[]){0xE0, 0x7E}, 2)
                    : put(out, 0, (const uint8_t[]){0xE0, 0xF0, 0x7E}, 3);
    }
    if (!down)
        return 0;
    if (set == 1)
        return put(out, 0, (const uint8_t[]){0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5}, 6);
    return put(out, 0, (const uint8_t[]){0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77}, 8);
}

size_t hk_keymap_encode(unsigned evdev, unsigned set, bool down, unsigned mods,
                        uint8_t out[HK_KEYMAP_MAX_SEQ])
{
    const struct key *k = find(evdev);
    if (!k || set < 1 || set > 3)
        return 0;
    if (set == 3) {
        if (!k->set3)
            return 0;
        size_t n = 0;
        if (!down)
            out[n++] = 0xF0;
        out[n++] = k->set3;
        return n;
    }
    if (evdev == KEY_SYSRQ)
        return print_screen(set, down, mods, out);
    if (evdev == KEY_PAUSE)
        return pause_key(set, down, mods, out);
    if (!down && (k->flags & HK_KEYMAP_MAKE_ONLY))
        return 0;
    size_t n = 0;
    if (k->e0)
        out[n++] = 0xE0;
    if (set == 1) {
        out[n++] = down ? k->set1 : (uint8_t)(k->set1 | 0x80);
    } else {
        if (!down)
            out[n++] = 0xF0;
        out[n++] = k->set2;
    }
    return n;
}

/* Compares name[0..len) case-insensitively with the word at w (ended by a space or NUL). */
static bool word_eq(const char *w, const char *name, size_t len)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (!w[i] || w[i] == ' ' || tolower((unsigned char)name[i]) != w[i])
            return false;
    }
    return !w[i] || w[i] == ' ';
}

int hk_keymap_lookup(const char *name, size_t len)
{
    if (!name || !len)
        return -1;
    for (size_t i = 0; i < NKEYS; i++) {
        const char *w = keys[i].names;
        while (w) {
            if (word_eq(w, name, len))
                return keys[i].evdev;
            w = strchr(w, ' ');
            if (w)
                w++;
        }
    }
    return -1;
}

size_t hk_keymap_name(unsigned evdev, char *buf, size_t len)
{
    const struct key *k = find(evdev);
    if (!k || !len)
        return 0;
    size_t n = strcspn(k->names, " ");
    if (n >= len)
        n = len - 1;
    memcpy(buf, k->names, n);
    buf[n] = 0;
    return n;
}

int hk_keymap_key_at(unsigned i)
{
    return i < NKEYS ? keys[i].evdev : -1;
}
