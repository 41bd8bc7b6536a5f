/*
 * QEMU firmware descriptors (hako/fw-descriptor.h): a small JSON reader and the directory walk
 * in QEMU's priority order.
 */
#include "hako/fw-descriptor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako/bytes.h"

/* ---- a small JSON reader for firmware descriptors ---- */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

#define J_MAX_NODES 512
#define J_MAX_DEPTH 16
#define J_STRBUF    16384

struct jnode {
    uint8_t type;
    int key;   /* string offset of the member name (objects), -1 otherwise */
    int str;   /* string offset (strings) */
    int child; /* first element / member, -1 none */
    int next;  /* next sibling, -1 none */
};

struct jparser {
    const char *p, *end;
    struct jnode node[J_MAX_NODES];
    int n;
    char strbuf[J_STRBUF];
    size_t slen;
    int depth;
};

static void j_ws(struct jparser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int j_new(struct jparser *j, uint8_t type)
{
    if (j->n >= J_MAX_NODES)
        return -1;
    struct jnode *n = &j->node[j->n];
    n->type = type;
    n->key = n->str = n->child = n->next = -1;
    return j->n++;
}

static bool j_put(struct jparser *j, const char *s, size_t len)
{
    if (j->slen + len >= J_STRBUF)
        return false;
    memcpy(j->strbuf + j->slen, s, len);
    j->slen += len;
    return true;
}

/* Parses a string at j->p (which is '"'); returns its offset in strbuf or -1. */
static int j_string(struct jparser *j)
{
    if (j->p >= j->end || *j->p != '"')
        return -1;
    j->p++;
    int start = (int)j->slen;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            if (!j_put(j, (const char *)&c, 1))
                return -1;
            continue;
        }
        if (j->p >= j->end)
            return -1;
        char e = *j->p++, out;
        switch (e) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            if (j->end - j->p < 4)
                return -1;
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                int h = hk_hexval(j->p[i]);
                if (h < 0)
                    return -1;
                cp = cp << 4 | (unsigned)h;
            }
            j->p += 4;
            if (cp == 0)
                return -1; /* no NULs inside names */
            char u[3];
            size_t ul;
            if (cp < 0x80) {
                u[0] = (char)cp;
                ul = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3F));
                ul = 2;
            } else {
                /* surrogates are kept as they are: descriptor paths are ASCII in practice */
                u[0] = (char)(0xE0 | cp >> 12);
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                ul = 3;
            }
            if (!j_put(j, u, ul))
                return -1;
            continue;
        }
        default: return -1;
        }
        if (!j_put(j, &out, 1))
            return -1;
    }
    if (j->p >= j->end)
        return -1;
    j->p++;
    if (!j_put(j, "", 1))
        return -1;
    return start;
}

static int j_value(struct jparser *j);

static int j_container(struct jparser *j, bool object)
{
    int self = j_new(j, object ? J_OBJ : J_ARR);
    if (self < 0 || ++j->depth > J_MAX_DEPTH)
        return -1;
    j->p++;
    j_ws(j);
    int last = -1;
    char close = object ? '}' : ']';
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return self;
    }
    for (;;) {
        int key = -1;
        j_ws(j);
        if (object) {
            key = j_string(j);
            if (key < 0)
                return -1;
            j_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return -1;
            j->p++;
        }
        int v = j_value(j);
        if (v < 0)
            return -1;
        j->node[v].key = key;
        if (last < 0)
            j->node[self].child = v;
        else
            j->node[last].next = v;
        last = v;
        j_ws(j);
        if (j->p >= j->end)
            return -1;
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == close) {
            j->p++;
            j->depth--;
            return self;
        }
        return -1;
    }
}

static bool j_literal(struct jparser *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return false;
    j->p += n;
    return true;
}

static int j_value(struct jparser *j)
{
    j_ws(j);
    if (j->p >= j->end)
        return -1;
    char c = *j->p;
    if (c == '{')
        return j_container(j, true);
    if (c == '[')
        return j_container(j, false);
    if (c == '"') {
        int n = j_new(j, J_STR);
        if (n < 0)
            return -1;
        int s = j_string(j);
        if (s < 0)
            return -1;
        j->node[n].str = s;
        return n;
    }
    if (j_literal(j, "true") || j_literal(j, "false"))
        return j_new(j, J_BOOL);
    if (j_literal(j, "null"))
        return j_new(j, J_NULL);
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char *s = j->p;
        if (*j->p == '-')
            j->p++;
        while (j->p < j->end && (isdigit((unsigned char)*j->p) || *j->p == '.' || *j->p == 'e' ||
                                 *j->p == 'E' || *j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p == s || (j->p == s + 1 && *s == '-'))
            return -1;
        return j_new(j, J_NUM);
    }
    return -1;
}

static const char *j_str(const struct jparser *j, int n)
{
    return n >= 0 && j->node[n].type == J_STR ? j->strbuf + j->node[n].str : NULL;
}

static int j_member(const struct jparser *j, int obj, const char *name)
{
    if (obj < 0 || j->node[obj].type != J_OBJ)
        return -1;
    for (int c = j->node[obj].child; c >= 0; c = j->node[c].next)
        if (j->node[c].key >= 0 && strcmp(j->strbuf + j->node[c].key, name) == 0)
            return c;
    return -1;
}

static bool j_array_has(const struct jparser *j, int arr, const char *word)
{
    if (arr < 0 || j->node[arr].type != J_ARR)
        return false;
    for (int c = j->node[arr].child; c >= 0; c = j->node[c].next) {
        const char *s = j_str(j, c);
        if (s && strcmp(s, word) == 0)
            return true;
    }
    return false;
}

/* Copies a string member; false when it does not fit (a path cut short would name another file). */
static bool copy_member(char *dst, size_t len, const char *src)
{
    dst[0] = 0;
    if (!src)
        return true;
    size_t n = strlen(src);
    if (n >= len)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

int hk_fw_descriptor_parse(const char *json, size_t len, struct hk_fw_descriptor *out)
{
    memset(out, 0, sizeof(*out));
    struct jparser *j = calloc(1, sizeof(*j));
    if (!j)
        return -1;
    j->p = json;
    j->end = json + len;
    int root = j_value(j);
    j_ws(j);
    int ret = -1;
    if (root < 0 || j->p != j->end || j->node[root].type != J_OBJ)
        goto done;
    out->uefi = j_array_has(j, j_member(j, root, "interface-types"), "uefi");
    int mapping = j_member(j, root, "mapping");
    const char *dev = j_str(j, j_member(j, mapping, "device"));
    out->flash = dev && strcmp(dev, "flash") == 0;
    int exe = j_member(j, mapping, "executable");
    const char *format = j_str(j, j_member(j, exe, "format"));
    out->raw = !format || strcmp(format, "raw") == 0;
    if (!copy_member(out->executable, sizeof(out->executable),
                     j_str(j, j_member(j, exe, "filename"))) ||
        !copy_member(out->nvram_template, sizeof(out->nvram_template),
                     j_str(j, j_member(j, j_member(j, mapping, "nvram-template"), "filename"))))
        goto done;
    const char *desc = j_str(j, j_member(j, root, "description"));
    if (desc) {
        /* a description is only shown: a long one is cut before the character that does not fit */
        size_t n = strlen(desc);
        if (n >= sizeof(out->description)) {
            n = sizeof(out->description) - 1;
            while (n > 0 && ((unsigned char)desc[n] & 0xC0) == 0x80)
                n--;
        }
        memcpy(out->description, desc, n);
        out->description[n] = 0;
    }
    int targets = j_member(j, root, "targets");
    if (targets >= 0 && j->node[targets].type == J_ARR) {
        for (int t = j->node[targets].child; t >= 0; t = j->node[t].next) {
            const char *arch = j_str(j, j_member(j, t, "architecture"));
            if (!arch || strcmp(arch, "x86_64") != 0)
                continue;
            out->x86_64 = true;
            int machines = j_member(j, t, "machines");
            if (machines < 0 || j->node[machines].type != J_ARR)
                continue;
            for (int m = j->node[machines].child; m >= 0; m = j->node[m].next) {
                const char *pat = j_str(j, m);
                if (pat && fnmatch(pat, "pc-i440fx-7.2", 0) == 0)
                    out->i440fx = true;
            }
        }
    }
    int features = j_member(j, root, "features");
    out->requires_smm = j_array_has(j, features, "requires-smm");
    out->secure_boot = j_array_has(j, features, "secure-boot");
    out->enrolled_keys = j_array_has(j, features, "enrolled-keys");
    ret = 0;
done:
    free(j);
    return ret;
}

/* ---- the descriptor directories ---- */

#define MAX_DESCRIPTORS 64
#define MAX_DESCRIPTOR  (64 * 1024) /* bytes: real ones have about 800 */

struct entry {
    char *name, *path;
};

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Reads a small regular file without blocking on FIFOs or devices. NULL on failure. */
static char *read_small(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        st.st_size <= MAX_DESCRIPTOR && (buf = malloc((size_t)st.st_size)) != NULL) {
        size_t got = 0, want = (size_t)st.st_size;
        while (got < want) {
            ssize_t n = read(fd, buf + got, want - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got != want) {
            free(buf);
            buf = NULL;
        }
        *len = want;
    }
    close(fd);
    return buf;
}

/* root + path into out; false when it does not fit or path is not absolute. */
static bool rooted(char *out, size_t len, const char *root, const char *path)
{
    if (!path[0])
        return true; /* no file: stays empty */
    if (path[0] != '/')
        return false;
    bool real = !root || !root[0] || strcmp(root, "/") == 0;
    int n = snprintf(out, len, "%s%s", real ? "" : root, path);
    return n > 0 && (size_t)n < len;
}

void hk_fw_descriptor_foreach(const char *const *dirs, const char *root, hk_fw_descriptor_fn fn,
                              void *opaque)
{
    struct entry e[MAX_DESCRIPTORS];
    unsigned n = 0;
    for (const char *const *dir = dirs; dir && *dir; dir++) {
        DIR *d = opendir(*dir);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            size_t l = strlen(de->d_name);
            if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
                continue;
            size_t plen = strlen(*dir) + 1 + l + 1;
            char *path = malloc(plen);
            if (!path)
                continue;
            snprintf(path, plen, "%s/%s", *dir, de->d_name);
            unsigned k;
            for (k = 0; k < n; k++)
                if (strcmp(e[k].name, de->d_name) == 0)
                    break;
            if (k < n) { /* a later directory overrides the same name */
                free(e[k].path);
                e[k].path = path;
                continue;
            }
            char *name = n < MAX_DESCRIPTORS ? strdup(de->d_name) : NULL;
            if (!name) {
                free(path);
                continue;
            }
            e[n].name = name;
            e[n].path = path;
            n++;
        }
        closedir(d);
    }
    qsort(e, n, sizeof(e[0]), cmp_entries);
    struct hk_fw_descriptor *desc = malloc(sizeof(*desc));
    bool stop = !desc;
    for (unsigned i = 0; i < n; i++) {
        size_t len = 0;
        char *json = stop ? NULL : read_small(e[i].path, &len);
        if (json && hk_fw_descriptor_parse(json, len, desc) == 0 && desc->uefi && desc->flash &&
            desc->raw && desc->x86_64 && desc->executable[0]) {
            char exe[HK_FW_PATH_MAX], tmpl[HK_FW_PATH_MAX];
            exe[0] = tmpl[0] = 0;
            if (rooted(exe, sizeof(exe), root, desc->executable) &&
                rooted(tmpl, sizeof(tmpl), root, desc->nvram_template)) {
                memcpy(desc->executable, exe, sizeof(exe));
                memcpy(desc->nvram_template, tmpl, sizeof(tmpl));
                stop = fn(opaque, e[i].path, desc);
            }
        }
        free(json);
        free(e[i].name);
        free(e[i].path);
    }
    free(desc);
}
