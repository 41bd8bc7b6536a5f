#include "ovmf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/bytes.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* GUIDs as they are laid out in memory (first three fields little-endian). */
static const uint8_t guid_nv_data_fv[16] = {0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c,
                                            0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50};
static const uint8_t guid_auth_var[16] = {0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
                                          0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92};
static const uint8_t guid_var[16] = {0x16, 0x36, 0xcf, 0xdd, 0x75, 0x32, 0x64, 0x41,
                                     0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d};

static const char *const default_descriptor_dirs[] = {
    "/usr/share/qemu/firmware",
    "/etc/qemu/firmware",
    NULL,
};

/* CODE, VARS template ("" = a unified image that carries its own store) */
static const char *const default_pairs[] = {
    /* Debian, Ubuntu */
    "/usr/share/OVMF/OVMF_CODE_4M.fd",
    "/usr/share/OVMF/OVMF_VARS_4M.fd",
    "/usr/share/OVMF/OVMF_CODE.fd",
    "/usr/share/OVMF/OVMF_VARS.fd",
    "/usr/share/ovmf/OVMF.fd",
    "",
    /* Arch */
    "/usr/share/edk2/x64/OVMF_CODE.4m.fd",
    "/usr/share/edk2/x64/OVMF_VARS.4m.fd",
    "/usr/share/edk2/x64/OVMF_CODE.fd",
    "/usr/share/edk2/x64/OVMF_VARS.fd",
    "/usr/share/edk2-ovmf/x64/OVMF_CODE.fd",
    "/usr/share/edk2-ovmf/x64/OVMF_VARS.fd",
    /* Fedora */
    "/usr/share/edk2/ovmf/OVMF_CODE.fd",
    "/usr/share/edk2/ovmf/OVMF_VARS.fd",
    "/usr/share/edk2/ovmf-4m/OVMF_CODE.fd",
    "/usr/share/edk2/ovmf-4m/OVMF_VARS.fd",
    /* openSUSE */
    "/usr/share/qemu/ovmf-x86_64-4m-code.bin",
    "/usr/share/qemu/ovmf-x86_64-4m-vars.bin",
    "/usr/share/qemu/ovmf-x86_64-code.bin",
    "/usr/share/qemu/ovmf-x86_64-vars.bin",
    NULL,
};

static const char *const *descriptor_dirs(const struct hk_ovmf_search *s)
{
    return s && s->descriptor_dirs ? s->descriptor_dirs : default_descriptor_dirs;
}

static const char *const *pair_list(const struct hk_ovmf_search *s)
{
    return s && s->pairs ? s->pairs : default_pairs;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    if (len)
        snprintf(dst, len, "%s", src ? src : "");
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* "528 KiB", "2 MiB" */
static void size_text(char *buf, size_t len, size_t size)
{
    if (size >= MIB && size % MIB == 0)
        snprintf(buf, len, "%zu MiB", size / MIB);
    else if (size % KIB == 0)
        snprintf(buf, len, "%zu KiB", size / KIB);
    else
        snprintf(buf, len, "%zu bytes", size);
}

/* ---- files ---- */

uint8_t *hk_ovmf_read_file(const char *path, size_t max, size_t *size)
{
    /* O_NONBLOCK: a FIFO is refused below (not a regular file), never waited on */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > max) {
        close(fd);
        errno = st.st_size <= 0 ? EINVAL : EFBIG;
        return NULL;
    }
    size_t sz = (size_t)st.st_size, mapsz = (sz + 4095) & ~(size_t)4095;
    uint8_t *buf = mmap(NULL, mapsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    size_t got = 0;
    while (got < sz) {
        ssize_t n = read(fd, buf + got, sz - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            munmap(buf, mapsz);
            close(fd);
            errno = EIO;
            return NULL;
        }
        got += (size_t)n;
    }
    close(fd);
    *size = sz;
    return buf;
}

void hk_ovmf_free_file(uint8_t *buf, size_t size)
{
    if (buf)
        munmap(buf, (size + 4095) & ~(size_t)4095);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return path && path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static off_t file_size(const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    return st.st_size;
}

static bool same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (!a || !b || !realpath(a, ra) || !realpath(b, rb))
        return false;
    return strcmp(ra, rb) == 0;
}

/* True when the file at path has exactly these contents. */
static bool same_contents(const char *path, const uint8_t *img, size_t size)
{
    if (file_size(path) != (off_t)size)
        return false;
    size_t n;
    uint8_t *other = hk_ovmf_read_file(path, size, &n);
    if (!other)
        return false;
    bool same = n == size && memcmp(other, img, size) == 0;
    hk_ovmf_free_file(other, n);
    return same;
}

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
    copy_str(out->executable, sizeof(out->executable),
             j_str(j, j_member(j, j_member(j, mapping, "executable"), "filename")));
    copy_str(out->nvram_template, sizeof(out->nvram_template),
             j_str(j, j_member(j, j_member(j, mapping, "nvram-template"), "filename")));
    copy_str(out->description, sizeof(out->description),
             j_str(j, j_member(j, root, "description")));
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

/* Calls fn for every parsed x86-64 UEFI flash descriptor, in priority order (file names sorted;
 * a name in a later directory replaces the same name in an earlier one, as QEMU specifies).
 * Stops when fn returns true. */
typedef bool (*desc_fn)(void *opaque, const struct hk_fw_descriptor *d);

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MAX_DESCRIPTORS 64

static void foreach_descriptor(const struct hk_ovmf_search *s, desc_fn fn, void *opaque)
{
    char *names[MAX_DESCRIPTORS], *paths[MAX_DESCRIPTORS];
    unsigned n = 0;
    for (const char *const *dir = descriptor_dirs(s); *dir; dir++) {
        DIR *d = opendir(*dir);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            size_t l = strlen(de->d_name);
            if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
                continue;
            char path[HK_OVMF_PATH_MAX];
            if (snprintf(path, sizeof(path), "%s/%s", *dir, de->d_name) >= (int)sizeof(path))
                continue;
            unsigned k;
            for (k = 0; k < n; k++)
                if (strcmp(names[k], de->d_name) == 0)
                    break;
            if (k < n) { /* a later directory overrides the same name */
                free(paths[k]);
                paths[k] = strdup(path);
                continue;
            }
            if (n == MAX_DESCRIPTORS)
                continue;
            names[n] = strdup(de->d_name);
            paths[n] = strdup(path);
            if (!names[n] || !paths[n]) {
                free(names[n]);
                free(paths[n]);
                continue;
            }
            n++;
        }
        closedir(d);
    }
    /* sort by name, keeping the paths alongside */
    char *pairs[MAX_DESCRIPTORS][2];
    for (unsigned i = 0; i < n; i++)
        pairs[i][0] = names[i], pairs[i][1] = paths[i];
    qsort(pairs, n, sizeof(pairs[0]), cmp_names);
    bool stop = false;
    for (unsigned i = 0; i < n; i++) {
        if (!stop && pairs[i][1]) {
            size_t len;
            uint8_t *buf = hk_ovmf_read_file(pairs[i][1], 64 * KIB, &len);
            struct hk_fw_descriptor desc;
            if (buf && hk_fw_descriptor_parse((const char *)buf, len, &desc) == 0 && desc.uefi &&
                desc.flash && desc.x86_64 && desc.executable[0])
                stop = fn(opaque, &desc);
            hk_ovmf_free_file(buf, len);
        }
        free(pairs[i][0]);
        free(pairs[i][1]);
    }
}

/* ---- images ---- */

size_t hk_ovmf_vars_size_for_code(size_t code_size)
{
    switch (code_size) {
    case 0xE0000: /* FD_SIZE_1MB */
    case 0x1E0000: /* FD_SIZE_2MB */ return 0x20000;
    case 0x37C000: /* FD_SIZE_4MB */ return 0x84000;
    default: return 0;
    }
}

/*
 * Follows the instructions at 4 GiB - 16 the way the CPU executes them after reset (real mode,
 * CR0.PE = 0) until a jump. OVMF's 4 MiB build starts with NOP NOP JMP rel16; its 2 MiB build with
 * "mov eax, cr0; test al, 1; jz +5" (protected-mode entry for confidential guests) whose jz is
 * taken at reset; SeaBIOS and guest test images with a far JMP.
 */
static bool walk_reset_vector(const uint8_t *img, size_t size)
{
    if (size < 16)
        return false;
    size_t p = size - 16;
    bool zf_known_set = false, eax_is_cr0 = false;
    for (int steps = 0; steps < 12 && p < size; steps++) {
        uint8_t op = img[p];
        size_t left = size - p;
        if (op == 0x90) {
            p++;
        } else if (op == 0x0F && left >= 3 && img[p + 1] == 0x20 && img[p + 2] == 0xC0) {
            eax_is_cr0 = true; /* mov eax, cr0: PE (bit 0) is clear at reset */
            p += 3;
        } else if (op == 0xA8 && left >= 2) {
            zf_known_set = eax_is_cr0 && img[p + 1] == 0x01; /* test al, 1 */
            p += 2;
        } else if (op == 0x74 && left >= 2) {
            int8_t rel = (int8_t)img[p + 1];
            if (zf_known_set) {
                int64_t t = (int64_t)p + 2 + rel;
                if (t < (int64_t)size - 16 || t >= (int64_t)size)
                    return false;
                p = (size_t)t;
            } else {
                p += 2;
            }
        } else if (op == 0xE9 && left >= 3) {
            /* jmp rel16 inside the 64 KiB segment at the top of 4 GiB */
            uint16_t ip = (uint16_t)(0xFFF0 + (p - (size - 16)));
            uint16_t target = (uint16_t)(ip + 3 + hk_le16(img + p + 1));
            uint64_t off = (uint64_t)size - 0x10000 + target;
            return size >= 0x10000 && off < size && img[off] != 0xFF;
        } else if (op == 0xEB && left >= 2) {
            return true;
        } else if (op == 0xEA && left >= 5) {
            return true; /* jmp far ptr16:16 */
        } else {
            return false;
        }
    }
    return false;
}

static bool has_fv_header(const uint8_t *img, size_t size)
{
    return size >= 0x48 && memcmp(img + 0x28, "_FVH", 4) == 0;
}

static bool is_nv_fv(const uint8_t *img, size_t size)
{
    return has_fv_header(img, size) && memcmp(img + 0x10, guid_nv_data_fv, 16) == 0;
}

bool hk_ovmf_vars_valid(const uint8_t *v, size_t size, char *why, size_t why_len, unsigned *nvars,
                        bool *walk_ok)
{
    if (nvars)
        *nvars = 0;
    if (walk_ok)
        *walk_ok = false;
    if (size < 0x48 + 28) {
        copy_str(why, why_len, "too small for a firmware volume");
        return false;
    }
    for (int i = 0; i < 16; i++) {
        if (v[i]) {
            copy_str(why, why_len, "the firmware-volume header does not start with zeros");
            return false;
        }
    }
    if (memcmp(v + 0x28, "_FVH", 4) != 0) {
        copy_str(why, why_len, "no firmware-volume signature \"_FVH\"");
        return false;
    }
    if (memcmp(v + 0x10, guid_nv_data_fv, 16) != 0) {
        copy_str(why, why_len, "the firmware volume is not a variable store (wrong GUID)");
        return false;
    }
    uint64_t fvlen = hk_le64(v + 0x20);
    uint32_t attrs = hk_le32(v + 0x2C);
    uint16_t hlen = hk_le16(v + 0x30);
    uint8_t rev = v[0x37];
    if (fvlen != size) {
        if (why)
            snprintf(why, why_len, "the header says %llu bytes but the file has %zu",
                     (unsigned long long)fvlen, size);
        return false;
    }
    if (attrs != 0x4FEFF || rev != 2) {
        copy_str(why, why_len, "unexpected firmware-volume attributes or revision");
        return false;
    }
    if (hlen < 0x48 || (hlen & 1) || hlen > size - 28) {
        copy_str(why, why_len, "bad firmware-volume header length");
        return false;
    }
    uint16_t sum = 0;
    for (unsigned i = 0; i < hlen; i += 2)
        sum = (uint16_t)(sum + hk_le16(v + i));
    if (sum != 0) {
        copy_str(why, why_len, "the firmware-volume header checksum is wrong");
        return false;
    }
    const uint8_t *st = v + hlen;
    bool auth = memcmp(st, guid_auth_var, 16) == 0;
    if (!auth && memcmp(st, guid_var, 16) != 0) {
        copy_str(why, why_len, "no variable store header");
        return false;
    }
    uint32_t ssize = hk_le32(st + 16);
    if (st[20] != 0x5A || st[21] != 0xFE) {
        copy_str(why, why_len, "the variable store is not formatted or not healthy");
        return false;
    }
    if (ssize < 28 || ssize > fvlen - hlen) {
        copy_str(why, why_len, "the variable store size does not fit the volume");
        return false;
    }
    copy_str(why, why_len, "");
    /* walk the variables: header, name, data, each padded to 4 bytes */
    size_t hdr = auth ? 60 : 32, name_off = auth ? 36 : 8;
    size_t pos = (size_t)hlen + 28, end = (size_t)hlen + ssize;
    unsigned n = 0;
    bool ok = true;
    while (pos + hdr <= end && hk_le16(v + pos) == 0x55AA) {
        uint32_t nsz = hk_le32(v + pos + name_off), dsz = hk_le32(v + pos + name_off + 4);
        uint64_t next =
            (uint64_t)pos + hdr + (((uint64_t)nsz + 3) & ~3ull) + (((uint64_t)dsz + 3) & ~3ull);
        if (next > end) {
            ok = false;
            break;
        }
        n++;
        pos = (size_t)next;
    }
    if (ok) {
        for (size_t i = pos; i < end; i++) {
            if (v[i] != 0xFF) {
                ok = false;
                break;
            }
        }
    }
    if (nvars)
        *nvars = n;
    if (walk_ok)
        *walk_ok = ok;
    return true;
}

void hk_ovmf_inspect(const uint8_t *img, size_t size, struct hk_ovmf_info *out)
{
    memset(out, 0, sizeof(*out));
    out->size = size;
    if (size >= 16) {
        out->reset_vector = walk_reset_vector(img, size);
        memcpy(out->rv_bytes, img + size - 16, sizeof(out->rv_bytes));
    }
    if (is_nv_fv(img, size)) {
        out->vars_fv_len = hk_le64(img + 0x20);
        if (out->vars_fv_len < size && out->reset_vector) {
            out->kind = HK_OVMF_UNIFIED;
            return;
        }
        out->kind = HK_OVMF_VARS;
        hk_ovmf_vars_valid(img, size, out->vars_problem, sizeof(out->vars_problem), &out->nvars,
                           &out->vars_walk_ok);
        return;
    }
    if (out->reset_vector)
        out->kind = HK_OVMF_CODE;
}

/* ---- Secure Boot (SMM) builds ---- */

struct smm_scan {
    bool exact; /* compare the path as written (first pass) or the file it resolves to */
    const char *path;
    const uint8_t *img;
    size_t size;
    int verdict; /* -1 unknown, 0 no SMM, 1 SMM */
    char which[200];
};

static bool smm_by_path(void *opaque, const struct hk_fw_descriptor *d)
{
    struct smm_scan *sc = opaque;
    if (sc->exact ? strcmp(sc->path, d->executable) != 0 : !same_file(sc->path, d->executable))
        return false;
    sc->verdict = d->requires_smm ? 1 : 0;
    snprintf(sc->which, sizeof(sc->which), "%s", d->description[0] ? d->description : "");
    return true;
}

static bool smm_by_contents(void *opaque, const struct hk_fw_descriptor *d)
{
    struct smm_scan *sc = opaque;
    if (!sc->img || !same_contents(d->executable, sc->img, sc->size))
        return false;
    sc->verdict = d->requires_smm ? 1 : 0;
    snprintf(sc->which, sizeof(sc->which), "same contents as %s", d->executable);
    return true;
}

static bool secure_boot_name(const char *path)
{
    char lower[256];
    const char *b = base_name(path);
    size_t i;
    for (i = 0; b[i] && i + 1 < sizeof(lower); i++)
        lower[i] = (char)tolower((unsigned char)b[i]);
    lower[i] = 0;
    return strstr(lower, "secboot") || strstr(lower, ".ms.") || strstr(lower, "snakeoil") ||
           strstr(lower, "-smm") || strstr(lower, ".smm") || strstr(lower, "secure");
}

bool hk_ovmf_requires_smm(const char *code_path, const uint8_t *code, size_t code_size,
                          const struct hk_ovmf_search *s, char *which, size_t which_len)
{
    struct smm_scan sc = {true, code_path, code, code_size, -1, ""};
    foreach_descriptor(s, smm_by_path, &sc);
    sc.exact = false;
    if (sc.verdict < 0)
        foreach_descriptor(s, smm_by_path, &sc);
    if (sc.verdict < 0)
        foreach_descriptor(s, smm_by_contents, &sc);
    if (sc.verdict < 0 && secure_boot_name(code_path)) {
        sc.verdict = 1;
        snprintf(sc.which, sizeof(sc.which), "Secure Boot file name");
    }
    copy_str(which, which_len, sc.which);
    return sc.verdict == 1;
}

/* ---- finding files ---- */

struct find_plain {
    char *code, *vars;
    size_t len;
    bool found;
};

static bool plain_descriptor(void *opaque, const struct hk_fw_descriptor *d)
{
    struct find_plain *fp = opaque;
    if (d->requires_smm || !d->i440fx || !file_exists(d->executable))
        return false;
    if (d->nvram_template[0] && !file_exists(d->nvram_template))
        return false;
    off_t cs = file_size(d->executable), vs = file_size(d->nvram_template);
    if (d->nvram_template[0] && hk_ovmf_vars_size_for_code((size_t)cs) != (size_t)vs)
        return false;
    copy_str(fp->code, fp->len, d->executable);
    copy_str(fp->vars, fp->len, d->nvram_template);
    fp->found = true;
    return true;
}

static int validate(const char *code_path, const char *vars_path, const char *template_path,
                    const struct hk_ovmf_search *s, struct hk_ovmf_check *c, bool advise);

static bool usable_pair(const char *code, const char *vars, const struct hk_ovmf_search *s)
{
    struct hk_ovmf_check c;
    return validate(code, NULL, vars && vars[0] ? vars : NULL, s, &c, false) == 0;
}

int hk_ovmf_find(const struct hk_ovmf_search *s, char *code, char *template_path, size_t len)
{
    struct find_plain fp = {code, template_path, len, false};
    foreach_descriptor(s, plain_descriptor, &fp);
    if (fp.found && usable_pair(code, template_path, s))
        return 0;
    const char *const *p = pair_list(s);
    for (unsigned i = 0; p[i] && p[i + 1]; i += 2) {
        if (!file_exists(p[i]) || (p[i + 1][0] && !file_exists(p[i + 1])))
            continue;
        if (!usable_pair(p[i], p[i + 1], s))
            continue;
        copy_str(code, len, p[i]);
        copy_str(template_path, len, p[i + 1]);
        return 0;
    }
    return -1;
}

struct find_template {
    const char *code;
    char *out;
    size_t len;
    bool found;
};

static bool template_descriptor(void *opaque, const struct hk_fw_descriptor *d)
{
    struct find_template *ft = opaque;
    if (!d->nvram_template[0] || !same_file(ft->code, d->executable) ||
        !file_exists(d->nvram_template))
        return false;
    copy_str(ft->out, ft->len, d->nvram_template);
    ft->found = true;
    return true;
}

/* Replaces the first occurrence of from (case-sensitive) in the base name. */
static bool name_swap(const char *path, const char *from, const char *to, char *out, size_t len)
{
    const char *b = base_name(path);
    const char *hit = strstr(b, from);
    if (!hit)
        return false;
    int n = snprintf(out, len, "%.*s%s%s", (int)(hit - path), path, to, hit + strlen(from));
    return n > 0 && (size_t)n < len;
}

int hk_ovmf_template_for(const char *code_path, size_t code_size, const struct hk_ovmf_search *s,
                         char *out, size_t len)
{
    size_t want = hk_ovmf_vars_size_for_code(code_size);
    struct find_template ft = {code_path, out, len, false};
    foreach_descriptor(s, template_descriptor, &ft);
    if (ft.found && (off_t)want == file_size(out))
        return 0;
    /* the distribution pairs, then the usual name next to it */
    const char *const *p = pair_list(s);
    for (unsigned i = 0; p[i] && p[i + 1]; i += 2) {
        if (p[i + 1][0] && same_file(code_path, p[i]) && (off_t)want == file_size(p[i + 1])) {
            copy_str(out, len, p[i + 1]);
            return 0;
        }
    }
    static const char *const swaps[][2] = {
        {"OVMF_CODE", "OVMF_VARS"}, {"CODE", "VARS"}, {"code", "vars"}, {"Code", "Vars"}};
    for (size_t i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
        char cand[HK_OVMF_PATH_MAX];
        if (name_swap(code_path, swaps[i][0], swaps[i][1], cand, sizeof(cand)) &&
            (off_t)want == file_size(cand)) {
            /* a Secure Boot CODE name maps to a store with keys enrolled: prefer the plain one */
            copy_str(out, len, cand);
            return 0;
        }
    }
    return -1;
}

/* The plain (non-SMM) build the user should pick instead of a Secure Boot one. */
static void plain_alternative(const char *code_path, size_t code_size,
                              const struct hk_ovmf_search *s, struct hk_ovmf_check *c)
{
    char code[HK_OVMF_PATH_MAX], vars[HK_OVMF_PATH_MAX];
    /* the same directory first: OVMF_CODE_4M.secboot.fd -> OVMF_CODE_4M.fd */
    static const char *const strip[][2] = {
        {".secboot.", "."}, {".ms.", "."}, {".snakeoil.", "."}, {"-secboot", ""}};
    for (size_t i = 0; i < sizeof(strip) / sizeof(strip[0]); i++) {
        if (!name_swap(code_path, strip[i][0], strip[i][1], code, sizeof(code)) ||
            file_size(code) != (off_t)code_size)
            continue;
        char which[8];
        size_t n;
        uint8_t *img = hk_ovmf_read_file(code, 16 * MIB, &n);
        bool smm = !img || hk_ovmf_requires_smm(code, img, n, s, which, sizeof(which));
        hk_ovmf_free_file(img, n);
        if (smm)
            continue;
        copy_str(c->use_code, sizeof(c->use_code), code);
        if (hk_ovmf_template_for(code, code_size, s, vars, sizeof(vars)) == 0)
            copy_str(c->use_vars, sizeof(c->use_vars), vars);
        return;
    }
    if (hk_ovmf_find(s, code, vars, sizeof(code)) == 0) {
        copy_str(c->use_code, sizeof(c->use_code), code);
        copy_str(c->use_vars, sizeof(c->use_vars), vars);
    }
}

/* ---- validation ---- */

static int refuse(struct hk_ovmf_check *c, enum hk_fw_problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct hk_ovmf_check *c, enum hk_fw_problem p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof(c->message), fmt, ap);
    va_end(ap);
    c->problem = p;
    return -1;
}

static const char *build_name(size_t code_size)
{
    switch (code_size) {
    case 0xE0000: return "1 MiB";
    case 0x1E0000: return "2 MiB";
    case 0x37C000: return "4 MiB";
    default: return "unknown";
    }
}

/* Appends " Use X with Y." when the right files are known. */
static void add_advice(struct hk_ovmf_check *c)
{
    size_t l = strlen(c->message);
    if (c->use_code[0] && c->use_vars[0])
        snprintf(c->message + l, sizeof(c->message) - l, " Use %s with %s.", c->use_code,
                 c->use_vars);
    else if (c->use_code[0])
        snprintf(c->message + l, sizeof(c->message) - l, " Use %s.", c->use_code);
    else if (c->use_vars[0])
        snprintf(c->message + l, sizeof(c->message) - l, " Use %s.", c->use_vars);
}

#define MAX_IMAGE (16 * MIB)

int hk_ovmf_validate(const char *code_path, const char *vars_path, const char *template_path,
                     const struct hk_ovmf_search *s, struct hk_ovmf_check *c)
{
    return validate(code_path, vars_path, template_path, s, c, true);
}

/* advise: look for the right files to suggest (off while searching, which would recurse) */
static int validate(const char *code_path, const char *vars_path, const char *template_path,
                    const struct hk_ovmf_search *s, struct hk_ovmf_check *c, bool advise)
{
    memset(c, 0, sizeof(*c));
    int ret = -1;
    uint8_t *code = NULL, *vars = NULL;
    size_t code_len = 0, vars_len = 0;
    char sz1[32], sz2[32];
    if (!code_path || !code_path[0])
        return refuse(c, HK_FW_PROBLEM_NOT_FOUND, "No OVMF firmware was given.");
    code = hk_ovmf_read_file(code_path, MAX_IMAGE, &code_len);
    if (!code) {
        if (errno == ENOENT)
            return refuse(c, HK_FW_PROBLEM_NOT_FOUND, "The UEFI firmware file %s does not exist.",
                          code_path);
        if (errno == EFBIG || errno == EINVAL)
            return refuse(c, HK_FW_PROBLEM_BAD_SIZE,
                          "%s is not a firmware image (empty, not a regular file, or larger than "
                          "16 MiB).",
                          code_path);
        return refuse(c, HK_FW_PROBLEM_UNREADABLE, "Cannot read the UEFI firmware %s: %s.",
                      code_path, strerror(errno));
    }
    struct hk_ovmf_info ci, vi;
    hk_ovmf_inspect(code, code_len, &ci);

    /* the store the VM will run with: its own copy if it exists, else the template */
    const char *store = file_exists(vars_path) ? vars_path : template_path;
    if (store && store[0]) {
        vars = hk_ovmf_read_file(store, MAX_IMAGE, &vars_len);
        if (!vars) {
            if (errno == ENOENT)
                refuse(c, HK_FW_PROBLEM_NOT_FOUND, "The UEFI variable store %s does not exist.",
                       store);
            else if (errno == EFBIG || errno == EINVAL)
                refuse(c, HK_FW_PROBLEM_BAD_SIZE,
                       "%s is not a UEFI variable store (empty, not a regular file, or larger "
                       "than 16 MiB).",
                       store);
            else
                refuse(c, HK_FW_PROBLEM_UNREADABLE, "Cannot read the UEFI variable store %s: %s.",
                       store, strerror(errno));
            goto out;
        }
        hk_ovmf_inspect(vars, vars_len, &vi);
    } else {
        memset(&vi, 0, sizeof(vi));
    }

    /* given the other way round: a variable store as CODE and firmware code as VARS */
    if (ci.kind == HK_OVMF_VARS && vars && (vi.kind == HK_OVMF_CODE || vi.reset_vector)) {
        copy_str(c->use_code, sizeof(c->use_code), store);
        copy_str(c->use_vars, sizeof(c->use_vars), code_path);
        refuse(c, HK_FW_PROBLEM_SWAPPED,
               "The UEFI firmware files are swapped: %s is a variable store (VARS) and %s is the "
               "firmware code (CODE).",
               base_name(code_path), base_name(store));
        add_advice(c);
        goto out;
    }
    if (ci.kind == HK_OVMF_VARS) {
        char alt[HK_OVMF_PATH_MAX];
        if (name_swap(code_path, "VARS", "CODE", alt, sizeof(alt)) && file_exists(alt))
            copy_str(c->use_code, sizeof(c->use_code), alt);
        refuse(c, HK_FW_PROBLEM_NOT_CODE,
               "%s is a UEFI variable store (VARS), not the firmware code (CODE) that the "
               "computer starts from.",
               base_name(code_path));
        add_advice(c);
        goto out;
    }
    if (!ci.reset_vector) {
        refuse(c, HK_FW_PROBLEM_NOT_CODE,
               "%s is not firmware a PC can start: there is no jump at its reset vector (4 GiB - "
               "16 bytes: %02x %02x %02x %02x %02x).",
               base_name(code_path), ci.rv_bytes[0], ci.rv_bytes[1], ci.rv_bytes[2], ci.rv_bytes[3],
               ci.rv_bytes[4]);
        goto out;
    }
    if (code_len % HK_OVMF_BLOCK) {
        size_text(sz1, sizeof(sz1), code_len);
        refuse(c, HK_FW_PROBLEM_BAD_SIZE,
               "%s has %s, which is not a whole number of 4 KiB flash blocks.",
               base_name(code_path), sz1);
        goto out;
    }

    size_t code_part = code_len;
    if (ci.kind == HK_OVMF_UNIFIED)
        code_part = code_len - (size_t)ci.vars_fv_len;
    /* Secure Boot builds need SMM, which needs Q35 */
    char which[200];
    if (hk_ovmf_requires_smm(code_path, code, code_len, s, which, sizeof(which))) {
        if (advise)
            plain_alternative(code_path, code_len, s, c);
        refuse(c, HK_FW_PROBLEM_SECURE_BOOT,
               "%s is a Secure Boot build of OVMF (%s). It needs System Management Mode on a Q35 "
               "machine, which Hako does not provide, and would stop before showing anything.",
               base_name(code_path), which);
        add_advice(c);
        goto out;
    }
    size_t want = hk_ovmf_vars_size_for_code(code_part);
    if (ci.kind == HK_OVMF_UNIFIED) {
        if (want != ci.vars_fv_len) {
            refuse(c, HK_FW_PROBLEM_BAD_SIZE,
                   "%s looks like a unified OVMF image, but its parts do not have the sizes of "
                   "any OVMF build.",
                   base_name(code_path));
            goto out;
        }
        char why[160];
        if (!hk_ovmf_vars_valid(code, (size_t)ci.vars_fv_len, why, sizeof(why), NULL, NULL)) {
            refuse(c, HK_FW_PROBLEM_BAD_VARS, "The variable store inside %s is damaged: %s.",
                   base_name(code_path), why);
            goto out;
        }
        if (!vars) {
            ret = 0;
            goto out;
        }
    } else if (!want) {
        size_text(sz1, sizeof(sz1), code_len);
        refuse(c, HK_FW_PROBLEM_BAD_SIZE,
               "%s has %s, which is not the size of an OVMF firmware code image (1, 2 and 4 MiB "
               "builds have 896 KiB, 1920 KiB and 3568 KiB).",
               base_name(code_path), sz1);
        goto out;
    }
    if (!vars) {
        char t[HK_OVMF_PATH_MAX];
        if (advise && hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0)
            copy_str(c->use_vars, sizeof(c->use_vars), t);
        refuse(c, HK_FW_PROBLEM_NOT_FOUND,
               "No UEFI variable store (VARS) goes with %s: give one with --ovmf-vars-template.",
               base_name(code_path));
        add_advice(c);
        goto out;
    }
    if (vi.kind == HK_OVMF_CODE || vi.kind == HK_OVMF_UNIFIED) {
        refuse(c, HK_FW_PROBLEM_SWAPPED, "%s is firmware code, not a UEFI variable store (VARS).",
               base_name(store));
        char t[HK_OVMF_PATH_MAX];
        if (advise && hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0)
            copy_str(c->use_vars, sizeof(c->use_vars), t);
        add_advice(c);
        goto out;
    }
    size_t want_unified = ci.kind == HK_OVMF_UNIFIED ? (size_t)ci.vars_fv_len : want;
    if (vars_len != want_unified) {
        size_text(sz1, sizeof(sz1), want_unified);
        size_text(sz2, sizeof(sz2), vars_len);
        char t[HK_OVMF_PATH_MAX];
        if (advise && ci.kind != HK_OVMF_UNIFIED &&
            hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0)
            copy_str(c->use_vars, sizeof(c->use_vars), t);
        const char *other = vars_len == 0x84000   ? "the 4 MiB build"
                            : vars_len == 0x20000 ? "the 1 or 2 MiB builds"
                                                  : "no OVMF build";
        refuse(c, HK_FW_PROBLEM_MISMATCH,
               "The UEFI files do not belong together: %s is the %s build and needs a %s variable "
               "store, but %s has %s (it belongs to %s). OVMF would not find its variables and "
               "would not start.",
               base_name(code_path), ci.kind == HK_OVMF_UNIFIED ? "unified" : build_name(code_part),
               sz1, base_name(store), sz2, other);
        add_advice(c);
        goto out;
    }
    if (vi.kind != HK_OVMF_VARS || vi.vars_problem[0]) {
        char t[HK_OVMF_PATH_MAX];
        if (advise && hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0 &&
            !same_file(t, store))
            copy_str(c->use_vars, sizeof(c->use_vars), t);
        refuse(c, HK_FW_PROBLEM_BAD_VARS, "%s is not a usable UEFI variable store: %s.",
               base_name(store), vi.vars_problem[0] ? vi.vars_problem : "no firmware volume");
        add_advice(c);
        goto out;
    }
    ret = 0;
out:
    hk_ovmf_free_file(code, code_len);
    hk_ovmf_free_file(vars, vars_len);
    return ret;
}
