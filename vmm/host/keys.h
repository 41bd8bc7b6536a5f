/*
 * hako-vmm --keys: scripted keyboard input typed into the guest at given times, for tests and
 * automation. The script is parsed into a list of timed key events (Linux evdev codes), which a
 * player on the event loop sends to the board's keyboard as their times come.
 *
 * Grammar (whitespace separates items; '#' starts a comment that runs to the end of the line):
 *
 *   ITEM   = TIME ':' ACTION { ',' ACTION }
 *   TIME   = SECONDS             seconds since the VM started (3, 5.5)
 *          | '+' SECONDS         seconds after the previous item finished
 *          | '@"' TEXT '"' [ '+' SECONDS ]
 *                                once the guest printed a line containing TEXT (after the
 *                                previous item sent its last key): a COM1 line or a firmware
 *                                message the engine records (those --diagnose lists), then
 *                                SECONDS more
 *   ACTION = KEY { '+' KEY } [ '*' COUNT ]   a key or a chord (pressed in order, released in
 *                                            reverse), COUNT times
 *          | '"' TEXT '"'                    text typed on a US layout (\" \\ \n \t escapes)
 *          | 'press(' KEY ')' | 'release(' KEY ')'    hold or let go of a key
 *          | 'wait(' SECONDS ')'             a pause inside the item
 *   KEY    = a key name: a-z, 0-9, esc, enter, space, tab, backspace, up, down, left, right,
 *            f1-f24, shift, ctrl, alt, altgr, meta, delete, home, ... (see keymap.c)
 *
 * Each key event takes HK_KEYS_STEP_MS; an item starts at its TIME or when the previous one has
 * finished, whichever is later. Example: '@"Press ESC":esc 5.5:down,enter +1:ctrl+alt+delete'.
 */
#ifndef HK_HOST_KEYS_H
#define HK_HOST_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hk_loop;

#define HK_KEYS_STEP_MS    20
#define HK_KEYS_MAX_EVENTS 100000

struct hk_key_event {
    uint64_t t_ns; /* from the start of its item */
    uint16_t code; /* evdev */
    bool down;
};

enum hk_keys_when { HK_KEYS_AT, HK_KEYS_AFTER, HK_KEYS_ON_TEXT };

#define HK_KEYS_TEXT_MAX 100

struct hk_keys_item {
    enum hk_keys_when when;
    uint64_t at_ns;              /* AT: since the start; AFTER/ON_TEXT: the delay */
    char text[HK_KEYS_TEXT_MAX]; /* ON_TEXT */
    size_t first, count;         /* its events */
    uint64_t length_ns;          /* how long it takes */
};

struct hk_keys_script {
    struct hk_key_event *ev;
    size_t n, cap;
    struct hk_keys_item *items;
    size_t nitems, items_cap;
};

/* Parses a script. Returns 0, or -1 with a message in err. */
int hk_keys_parse(const char *text, struct hk_keys_script *out, char *err, size_t errlen);
void hk_keys_script_free(struct hk_keys_script *s);

typedef void (*hk_keys_sink)(void *opaque, unsigned code, bool down);
struct hk_keys_player;
struct hk_facts;

/* Plays the script on the loop from now on (takes it over); text triggers look at the lines in
 * facts (may be NULL without them). NULL when out of memory. */
struct hk_keys_player *hk_keys_play(struct hk_loop *loop, struct hk_keys_script *script,
                                    struct hk_facts *facts, hk_keys_sink sink, void *opaque);
/* True once every event was sent (any thread). */
bool hk_keys_done(struct hk_keys_player *p);
/* After the loop has stopped. */
void hk_keys_player_free(struct hk_keys_player *p);

#endif
