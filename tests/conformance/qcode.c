/* QEMU's key names (QKeyCode, as its monitor's sendkey and the input_event_key_qcode trace event
 * print them) to Linux evdev key codes, which Hako's keyboard takes. */
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <string.h>

#include "known.h"

static const struct {
    const char *name;
    unsigned code;
} qcodes[] = {
    {"shift", KEY_LEFTSHIFT},
    {"shift_r", KEY_RIGHTSHIFT},
    {"alt", KEY_LEFTALT},
    {"alt_r", KEY_RIGHTALT},
    {"ctrl", KEY_LEFTCTRL},
    {"ctrl_r", KEY_RIGHTCTRL},
    {"menu", KEY_COMPOSE},
    {"esc", KEY_ESC},
    {"1", KEY_1},
    {"2", KEY_2},
    {"3", KEY_3},
    {"4", KEY_4},
    {"5", KEY_5},
    {"6", KEY_6},
    {"7", KEY_7},
    {"8", KEY_8},
    {"9", KEY_9},
    {"0", KEY_0},
    {"minus", KEY_MINUS},
    {"equal", KEY_EQUAL},
    {"backspace", KEY_BACKSPACE},
    {"tab", KEY_TAB},
    {"q", KEY_Q},
    {"w", KEY_W},
    {"e", KEY_E},
    {"r", KEY_R},
    {"t", KEY_T},
    {"y", KEY_Y},
    {"u", KEY_U},
    {"i", KEY_I},
    {"o", KEY_O},
    {"p", KEY_P},
    {"bracket_left", KEY_LEFTBRACE},
    {"bracket_right", KEY_RIGHTBRACE},
    {"ret", KEY_ENTER},
    {"a", KEY_A},
    {"s", KEY_S},
    {"d", KEY_D},
    {"f", KEY_F},
    {"g", KEY_G},
    {"h", KEY_H},
    {"j", KEY_J},
    {"k", KEY_K},
    {"l", KEY_L},
    {"semicolon", KEY_SEMICOLON},
    {"apostrophe", KEY_APOSTROPHE},
    {"grave_accent", KEY_GRAVE},
    {"backslash", KEY_BACKSLASH},
    {"z", KEY_Z},
    {"x", KEY_X},
    {"c", KEY_C},
    {"v", KEY_V},
    {"b", KEY_B},
    {"n", KEY_N},
    {"m", KEY_M},
    {"comma", KEY_COMMA},
    {"dot", KEY_DOT},
    {"slash", KEY_SLASH},
    {"asterisk", KEY_KPASTERISK},
    {"spc", KEY_SPACE},
    {"caps_lock", KEY_CAPSLOCK},
    {"f1", KEY_F1},
    {"f2", KEY_F2},
    {"f3", KEY_F3},
    {"f4", KEY_F4},
    {"f5", KEY_F5},
    {"f6", KEY_F6},
    {"f7", KEY_F7},
    {"f8", KEY_F8},
    {"f9", KEY_F9},
    {"f10", KEY_F10},
    {"f11", KEY_F11},
    {"f12", KEY_F12},
    {"num_lock", KEY_NUMLOCK},
    {"scroll_lock", KEY_SCROLLLOCK},
    {"kp_divide", KEY_KPSLASH},
    {"kp_multiply", KEY_KPASTERISK},
    {"kp_subtract", KEY_KPMINUS},
    {"kp_add", KEY_KPPLUS},
    {"kp_enter", KEY_KPENTER},
    {"kp_decimal", KEY_KPDOT},
    {"sysrq", KEY_SYSRQ},
    {"kp_0", KEY_KP0},
    {"kp_1", KEY_KP1},
    {"kp_2", KEY_KP2},
    {"kp_3", KEY_KP3},
    {"kp_4", KEY_KP4},
    {"kp_5", KEY_KP5},
    {"kp_6", KEY_KP6},
    {"kp_7", KEY_KP7},
    {"kp_8", KEY_KP8},
    {"kp_9", KEY_KP9},
    {"less", KEY_102ND},
    {"print", KEY_SYSRQ},
    {"home", KEY_HOME},
    {"pgup", KEY_PAGEUP},
    {"pgdn", KEY_PAGEDOWN},
    {"end", KEY_END},
    {"left", KEY_LEFT},
    {"up", KEY_UP},
    {"down", KEY_DOWN},
    {"right", KEY_RIGHT},
    {"insert", KEY_INSERT},
    {"delete", KEY_DELETE},
    {"meta_l", KEY_LEFTMETA},
    {"meta_r", KEY_RIGHTMETA},
    {"pause", KEY_PAUSE},
    {"ro", KEY_RO},
    {"hiragana", KEY_HIRAGANA},
    {"henkan", KEY_HENKAN},
    {"yen", KEY_YEN},
    {"muhenkan", KEY_MUHENKAN},
    {"katakanahiragana", KEY_KATAKANAHIRAGANA},
    {"kp_comma", KEY_KPCOMMA},
    {"kp_equals", KEY_KPEQUAL},
    {"power", KEY_POWER},
    {"sleep", KEY_SLEEP},
    {"wake", KEY_WAKEUP},
    {"lang1", KEY_HANGEUL},
    {"lang2", KEY_HANJA},
};

int hk_qcode_to_evdev(const char *name)
{
    for (size_t i = 0; i < sizeof(qcodes) / sizeof(qcodes[0]); i++)
        if (strcmp(qcodes[i].name, name) == 0)
            return (int)qcodes[i].code;
    return -1;
}

/* "input_event_key_qcode con -1, key qcode down, down 1" */
int hk_parse_key_event(const char *line, unsigned *code, bool *down)
{
    const char *p = strstr(line, "key qcode ");
    const char *d = strstr(line, ", down ");
    if (strncmp(line, "input_event_key_qcode ", 22) != 0 || !p || !d || d < p)
        return 0;
    char name[32];
    size_t n = (size_t)(d - (p + 10));
    if (n == 0 || n >= sizeof(name))
        return -1;
    memcpy(name, p + 10, n);
    name[n] = 0;
    int c = hk_qcode_to_evdev(name);
    if (c < 0)
        return -1;
    *code = (unsigned)c;
    *down = d[7] == '1';
    return 1;
}
