/*
 * The key table: every key of a 105-key ISO and a 109-key Japanese keyboard is there; set-1 and
 * set-2 codes agree through the 8042 translation for every key and modifier state; the sequences
 * the scan code specification spells out (extended keys, Pause, Print Screen, the Japanese keys)
 * come out byte for byte; script names resolve.
 */
#include <linux/input-event-codes.h>

#include "check.h"

#include "dev/keymap.h"

static size_t enc(unsigned key, unsigned set, bool down, unsigned mods, uint8_t *out)
{
    return hk_keymap_encode(key, set, down, mods, out);
}

static bool seq_is(unsigned key, unsigned set, bool down, unsigned mods, const uint8_t *want,
                   size_t n)
{
    uint8_t got[HK_KEYMAP_MAX_SEQ];
    size_t m = enc(key, set, down, mods, got);
    if (m != n || memcmp(got, want, n) != 0) {
        fprintf(stderr, "key %u set %u %s mods %u:", key, set, down ? "make" : "break", mods);
        for (size_t i = 0; i < m; i++)
            fprintf(stderr, " %02x", got[i]);
        fprintf(stderr, "\n");
        return false;
    }
    return true;
}

#define SEQ(key, set, down, mods, ...)                                                             \
    do {                                                                                           \
        static const uint8_t w_[] = {__VA_ARGS__};                                                 \
        CHECK(seq_is((key), (set), (down), (mods), w_, sizeof(w_)));                               \
    } while (0)

/* What the 8042 turns a set-2 byte stream into. */
static size_t translate(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t m = 0;
    bool release = false;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == 0xF0) {
            release = true;
            continue;
        }
        out[m++] = (uint8_t)(hk_keymap_xlate(in[i]) | (release ? 0x80 : 0));
        release = false;
    }
    return m;
}

static const unsigned iso105[] = {
    KEY_ESC,       KEY_F1,         KEY_F2,         KEY_F3,         KEY_F4,        KEY_F5,
    KEY_F6,        KEY_F7,         KEY_F8,         KEY_F9,         KEY_F10,       KEY_F11,
    KEY_F12,       KEY_SYSRQ,      KEY_SCROLLLOCK, KEY_PAUSE,      KEY_GRAVE,     KEY_1,
    KEY_2,         KEY_3,          KEY_4,          KEY_5,          KEY_6,         KEY_7,
    KEY_8,         KEY_9,          KEY_0,          KEY_MINUS,      KEY_EQUAL,     KEY_BACKSPACE,
    KEY_INSERT,    KEY_HOME,       KEY_PAGEUP,     KEY_NUMLOCK,    KEY_KPSLASH,   KEY_KPASTERISK,
    KEY_KPMINUS,   KEY_TAB,        KEY_Q,          KEY_W,          KEY_E,         KEY_R,
    KEY_T,         KEY_Y,          KEY_U,          KEY_I,          KEY_O,         KEY_P,
    KEY_LEFTBRACE, KEY_RIGHTBRACE, KEY_ENTER,      KEY_DELETE,     KEY_END,       KEY_PAGEDOWN,
    KEY_KP7,       KEY_KP8,        KEY_KP9,        KEY_KPPLUS,     KEY_CAPSLOCK,  KEY_A,
    KEY_S,         KEY_D,          KEY_F,          KEY_G,          KEY_H,         KEY_J,
    KEY_K,         KEY_L,          KEY_SEMICOLON,  KEY_APOSTROPHE, KEY_BACKSLASH, KEY_KP4,
    KEY_KP5,       KEY_KP6,        KEY_LEFTSHIFT,  KEY_102ND,      KEY_Z,         KEY_X,
    KEY_C,         KEY_V,          KEY_B,          KEY_N,          KEY_M,         KEY_COMMA,
    KEY_DOT,       KEY_SLASH,      KEY_RIGHTSHIFT, KEY_UP,         KEY_KP1,       KEY_KP2,
    KEY_KP3,       KEY_KPENTER,    KEY_LEFTCTRL,   KEY_LEFTMETA,   KEY_LEFTALT,   KEY_SPACE,
    KEY_RIGHTALT,  KEY_RIGHTMETA,  KEY_COMPOSE,    KEY_RIGHTCTRL,  KEY_LEFT,      KEY_DOWN,
    KEY_RIGHT,     KEY_KP0,        KEY_KPDOT,
};

static void test_layouts_complete(void)
{
    CHECK_EQ(sizeof(iso105) / sizeof(iso105[0]), 105);
    for (size_t i = 0; i < sizeof(iso105) / sizeof(iso105[0]); i++) {
        uint8_t b[HK_KEYMAP_MAX_SEQ];
        CHECK(hk_keymap_known(iso105[i]));
        CHECK(enc(iso105[i], 1, true, 0, b) > 0);
        CHECK(enc(iso105[i], 2, true, 0, b) > 0);
        CHECK(enc(iso105[i], 3, true, 0, b) > 0);
        CHECK(hk_keymap_set3(iso105[i]) != 0);
    }
    /* the Japanese 109-key keyboard: the 105 minus the ISO key plus six, with the codes of the
     * specification (set 1 / set 2) */
    SEQ(KEY_ZENKAKUHANKAKU, 1, true, 0, 0x29);
    SEQ(KEY_ZENKAKUHANKAKU, 2, true, 0, 0x0E);
    SEQ(KEY_MUHENKAN, 1, true, 0, 0x7B);
    SEQ(KEY_MUHENKAN, 2, true, 0, 0x67);
    SEQ(KEY_HENKAN, 1, true, 0, 0x79);
    SEQ(KEY_HENKAN, 2, true, 0, 0x64);
    SEQ(KEY_KATAKANAHIRAGANA, 1, true, 0, 0x70);
    SEQ(KEY_KATAKANAHIRAGANA, 2, true, 0, 0x13);
    SEQ(KEY_KATAKANAHIRAGANA, 2, false, 0, 0xF0, 0x13);
    SEQ(KEY_YEN, 1, true, 0, 0x7D);
    SEQ(KEY_YEN, 2, true, 0, 0x6A);
    SEQ(KEY_YEN, 1, false, 0, 0xFD);
    SEQ(KEY_RO, 1, true, 0, 0x73);
    SEQ(KEY_RO, 2, true, 0, 0x51);
    SEQ(KEY_RO, 2, false, 0, 0xF0, 0x51);
    /* Korean keys send no break code */
    SEQ(KEY_HANGEUL, 2, true, 0, 0xF2);
    uint8_t b[HK_KEYMAP_MAX_SEQ];
    CHECK_EQ(enc(KEY_HANGEUL, 2, false, 0, b), 0);
}

static void test_sequences(void)
{
    /* plain and extended keys */
    SEQ(KEY_A, 1, true, 0, 0x1E);
    SEQ(KEY_A, 1, false, 0, 0x9E);
    SEQ(KEY_A, 2, true, 0, 0x1C);
    SEQ(KEY_A, 2, false, 0, 0xF0, 0x1C);
    SEQ(KEY_A, 3, false, 0, 0xF0, 0x1C);
    SEQ(KEY_RIGHTCTRL, 1, true, 0, 0xE0, 0x1D);
    SEQ(KEY_RIGHTCTRL, 1, false, 0, 0xE0, 0x9D);
    SEQ(KEY_RIGHTCTRL, 2, false, 0, 0xE0, 0xF0, 0x14);
    SEQ(KEY_RIGHTCTRL, 3, true, 0, 0x58);
    SEQ(KEY_KPENTER, 2, true, 0, 0xE0, 0x5A);
    SEQ(KEY_KPSLASH, 1, true, 0, 0xE0, 0x35);
    SEQ(KEY_DELETE, 2, false, 0, 0xE0, 0xF0, 0x71);
    SEQ(KEY_LEFTMETA, 1, true, 0, 0xE0, 0x5B);
    SEQ(KEY_F7, 2, true, 0, 0x83);
    SEQ(KEY_F12, 3, true, 0, 0x5E);
    /* Print Screen: alone, with Shift or Ctrl, with Alt (SysRq) */
    SEQ(KEY_SYSRQ, 1, true, 0, 0xE0, 0x2A, 0xE0, 0x37);
    SEQ(KEY_SYSRQ, 1, false, 0, 0xE0, 0xB7, 0xE0, 0xAA);
    SEQ(KEY_SYSRQ, 2, true, 0, 0xE0, 0x12, 0xE0, 0x7C);
    SEQ(KEY_SYSRQ, 2, false, 0, 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12);
    SEQ(KEY_SYSRQ, 1, true, HK_KEYMAP_MOD_SHIFT, 0xE0, 0x37);
    SEQ(KEY_SYSRQ, 2, false, HK_KEYMAP_MOD_CTRL, 0xE0, 0xF0, 0x7C);
    SEQ(KEY_SYSRQ, 1, true, HK_KEYMAP_MOD_ALT, 0x54);
    SEQ(KEY_SYSRQ, 2, false, HK_KEYMAP_MOD_ALT, 0xF0, 0x84);
    SEQ(KEY_SYSRQ, 3, true, HK_KEYMAP_MOD_ALT, 0x57);
    /* Pause: make only; with Ctrl it is Break */
    SEQ(KEY_PAUSE, 1, true, 0, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
    SEQ(KEY_PAUSE, 2, true, 0, 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
    uint8_t b[HK_KEYMAP_MAX_SEQ];
    CHECK_EQ(enc(KEY_PAUSE, 1, false, 0, b), 0);
    SEQ(KEY_PAUSE, 1, true, HK_KEYMAP_MOD_CTRL, 0xE0, 0x46);
    SEQ(KEY_PAUSE, 1, false, HK_KEYMAP_MOD_CTRL, 0xE0, 0xC6);
    SEQ(KEY_PAUSE, 2, true, HK_KEYMAP_MOD_CTRL, 0xE0, 0x7E);
    SEQ(KEY_PAUSE, 2, false, HK_KEYMAP_MOD_CTRL, 0xE0, 0xF0, 0x7E);
    SEQ(KEY_PAUSE, 3, false, 0, 0xF0, 0x62);
    /* multimedia */
    SEQ(KEY_MUTE, 1, true, 0, 0xE0, 0x20);
    SEQ(KEY_MUTE, 2, true, 0, 0xE0, 0x23);
    SEQ(KEY_POWER, 2, false, 0, 0xE0, 0xF0, 0x37);
    /* unknown keys and sets */
    CHECK_EQ(enc(KEY_BRIGHTNESSUP + 400, 2, true, 0, b), 0);
    CHECK_EQ(enc(KEY_A, 4, true, 0, b), 0);
    CHECK_EQ(enc(KEY_A, 0, true, 0, b), 0);
    CHECK(!hk_keymap_known(KEY_RESERVED));
}

/* For every key and modifier state, translating the set-2 bytes gives the set-1 bytes. */
static void test_translation_consistent(void)
{
    static const unsigned mods[] = {0, HK_KEYMAP_MOD_SHIFT, HK_KEYMAP_MOD_CTRL, HK_KEYMAP_MOD_ALT};
    int code;
    unsigned n = 0;
    for (unsigned i = 0; (code = hk_keymap_key_at(i)) >= 0; i++, n++) {
        for (unsigned m = 0; m < 4; m++) {
            for (int down = 0; down < 2; down++) {
                uint8_t s1[HK_KEYMAP_MAX_SEQ], s2[HK_KEYMAP_MAX_SEQ], t[HK_KEYMAP_MAX_SEQ];
                size_t n1 = enc((unsigned)code, 1, down, mods[m], s1);
                size_t n2 = enc((unsigned)code, 2, down, mods[m], s2);
                size_t nt = translate(s2, n2, t);
                if (nt != n1 || memcmp(t, s1, n1) != 0) {
                    fprintf(stderr, "key %d mods %u %s: set 2 translates to something else\n", code,
                            mods[m], down ? "make" : "break");
                    CHECK(0);
                }
            }
        }
        uint8_t s3[HK_KEYMAP_MAX_SEQ];
        uint8_t c3 = hk_keymap_set3((unsigned)code);
        CHECK_EQ(enc((unsigned)code, 3, true, 0, s3), c3 ? 1 : 0);
    }
    CHECK(n >= 150);
    /* the translation of replies and of codes above 0x7F */
    CHECK_EQ(hk_keymap_xlate(0x00), 0xFF); /* overrun */
    CHECK_EQ(hk_keymap_xlate(0xFA), 0xFA);
    CHECK_EQ(hk_keymap_xlate(0xAA), 0xAA);
    CHECK_EQ(hk_keymap_xlate(0xAB), 0xAB);
    CHECK_EQ(hk_keymap_xlate(0x83), 0x41);
    CHECK_EQ(hk_keymap_xlate(0x84), 0x54);
    CHECK_EQ(hk_keymap_xlate(0x02), 0x41); /* the set number reply 2 */
    /* the table is one to one over 0x00-0x7F */
    uint8_t seen[256] = {0};
    for (unsigned c = 0; c < 0x80; c++)
        seen[hk_keymap_xlate((uint8_t)c)]++;
    unsigned dup = 0;
    for (unsigned c = 0; c < 256; c++)
        dup += seen[c] > 1;
    CHECK_EQ(dup, 0);
}

static void test_names(void)
{
    CHECK_EQ(hk_keymap_lookup("esc", 3), KEY_ESC);
    CHECK_EQ(hk_keymap_lookup("Escape", 6), KEY_ESC);
    CHECK_EQ(hk_keymap_lookup("ctrl", 4), KEY_LEFTCTRL);
    CHECK_EQ(hk_keymap_lookup("F12", 3), KEY_F12);
    CHECK_EQ(hk_keymap_lookup("down,enter", 4), KEY_DOWN);
    CHECK_EQ(hk_keymap_lookup("henkan", 6), KEY_HENKAN);
    CHECK_EQ(hk_keymap_lookup("kana", 4), KEY_KATAKANAHIRAGANA);
    CHECK_EQ(hk_keymap_lookup("altgr", 5), KEY_RIGHTALT);
    CHECK_EQ(hk_keymap_lookup("f12", 1), KEY_F); /* the length decides */
    CHECK_EQ(hk_keymap_lookup("nosuchkey", 9), -1);
    CHECK_EQ(hk_keymap_lookup("", 0), -1);
    CHECK_EQ(hk_keymap_lookup("es", 2), -1);
    /* every main name resolves to its key: names are unique */
    int code;
    for (unsigned i = 0; (code = hk_keymap_key_at(i)) >= 0; i++) {
        char name[32];
        size_t n = hk_keymap_name((unsigned)code, name, sizeof(name));
        CHECK(n > 0);
        if (hk_keymap_lookup(name, n) != code) {
            fprintf(stderr, "name %s of key %d resolves to %d\n", name, code,
                    hk_keymap_lookup(name, n));
            CHECK(0);
        }
    }
    char small[3];
    CHECK_EQ(hk_keymap_name(KEY_BACKSPACE, small, sizeof(small)), 2);
    CHECK_STR(small, "ba");
}

TEST_MAIN(TEST(test_layouts_complete), TEST(test_sequences), TEST(test_translation_consistent),
          TEST(test_names))
