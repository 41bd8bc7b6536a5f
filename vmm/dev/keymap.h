/*
 * Key codes: Linux evdev key codes (linux/input-event-codes.h, what GTK 4 reports as the hardware
 * keycode - 8) turned into the bytes a PS/2 MF2 keyboard sends in scan code sets 1, 2 and 3, the
 * i8042's set 2 -> set 1 translation table, and the key names of hako-vmm's --keys scripts.
 *
 * Written from the IBM Personal System/2 keyboard technical reference (scan code sets 1-3, the 8042
 * translation) and Microsoft's "Keyboard Scan Code Specification" (extended keys, Pause and
 * Print Screen with their modifier variants, the Japanese 106/109-key and multimedia/ACPI keys).
 * Covers every key of a 105-key ISO and a 109-key Japanese keyboard (半角/全角, 無変換, 変換,
 * カタカナ/ひらがな, ¥, ろ), the Korean Hangul/Hanja keys, F13-F24 and the common media keys.
 */
#ifndef HK_DEV_KEYMAP_H
#define HK_DEV_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest byte sequence one key event produces (Print Screen break in set 2). */
#define HK_KEYMAP_MAX_SEQ 10

/* Modifier state the keyboard itself tracks: Print Screen and Pause send other codes with them. */
#define HK_KEYMAP_MOD_SHIFT 0x01
#define HK_KEYMAP_MOD_CTRL  0x02
#define HK_KEYMAP_MOD_ALT   0x04

/* Key properties */
#define HK_KEYMAP_MAKE_ONLY 0x01 /* no break code in sets 1 and 2 (Pause, Hangul, Hanja) */

/* True if the keyboard knows this evdev code. */
bool hk_keymap_known(unsigned evdev);
/* The modifier bit (HK_KEYMAP_MOD_*) a key is, or 0. */
unsigned hk_keymap_modifier(unsigned evdev);
/* HK_KEYMAP_* properties of a key (0 for unknown keys). */
unsigned hk_keymap_flags(unsigned evdev);
/* The set-3 code of a key (0: the key has none). */
uint8_t hk_keymap_set3(unsigned evdev);
/*
 * The bytes the keyboard sends for a press (down) or release of `evdev` in scan code set `set`
 * (1, 2 or 3) while the modifiers `mods` are held. Set 3 gives the make code and F0 + code; its
 * per-key make-only/typematic attributes are the keyboard's business. Returns the number of bytes
 * written to out (0 for unknown keys and releases of make-only keys).
 */
size_t hk_keymap_encode(unsigned evdev, unsigned set, bool down, unsigned mods,
                        uint8_t out[HK_KEYMAP_MAX_SEQ]);
/* The i8042 translation of one byte the keyboard sent (without the F0 prefix handling). */
uint8_t hk_keymap_xlate(uint8_t code);

/* Script names: "esc", "a", "f12", "leftctrl"/"ctrl", "kp5", "henkan", ... Case-insensitive. */
int hk_keymap_lookup(const char *name, size_t len); /* evdev code, or -1 */
/* Writes the main name of a key to buf; returns its length (0 for unknown keys). */
size_t hk_keymap_name(unsigned evdev, char *buf, size_t len);
/* The keys the table knows, for enumerating (i from 0 until it returns -1). */
int hk_keymap_key_at(unsigned i);

#endif
