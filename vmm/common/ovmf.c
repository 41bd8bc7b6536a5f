/*
 * OVMF images, their validation and the Secure Boot (SMM) check (hako/firmware.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fw-internal.h"
#include "hako/bytes.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* GUIDs as they are laid out in memory (first three fields little-endian). */
static const uint8_t guid_nv_data_fv[16] = {0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c,
                                            0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50};
static const uint8_t guid_auth_var[16] = {0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
                                          0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92};
static const uint8_t guid_var[16] = {0x16, 0x36, 0xcf, 0xdd, 0x75, 0x32, 0x64, 0x41,
                                     0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d};

/* "528 KiB", "2 MiB" */
static void size_text(char *buf, size_t len, uint64_t size)
{
    if (size >= MIB && size % MIB == 0)
        snprintf(buf, len, "%llu MiB", (unsigned long long)(size / MIB));
    else if (size % KIB == 0)
        snprintf(buf, len, "%llu KiB", (unsigned long long)(size / KIB));
    else
        snprintf(buf, len, "%llu bytes", (unsigned long long)size);
}

/* True when the file at path has exactly these contents. */
static bool same_contents(const char *path, const uint8_t *img, size_t size)
{
    if (fw_file_size(path) != (off_t)size)
        return false;
    size_t n = 0;
    uint8_t *other = NULL;
    int err;
    if (hk_fw_read_file(path, size, &other, &n, &err) != HK_FW_R_OK)
        return false;
    bool same = n == size && memcmp(other, img, size) == 0;
    hk_fw_free_file(other, n);
    return same;
}

/* ---- images ---- */

const char *hk_ovmf_build_name(size_t code_size)
{
    switch (code_size) {
    case 0xE0000: return "1 MiB";
    case 0x1E0000: return "2 MiB";
    case 0x37C000: return "4 MiB";
    default: return NULL;
    }
}

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
bool hk_fw_reset_vector_ok(const uint8_t *img, size_t size)
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
        fw_copy(why, why_len, "too small for a firmware volume");
        return false;
    }
    for (int i = 0; i < 16; i++) {
        if (v[i]) {
            fw_copy(why, why_len, "the firmware-volume header does not start with zeros");
            return false;
        }
    }
    if (memcmp(v + 0x28, "_FVH", 4) != 0) {
        fw_copy(why, why_len, "no firmware-volume signature \"_FVH\"");
        return false;
    }
    if (memcmp(v + 0x10, guid_nv_data_fv, 16) != 0) {
        fw_copy(why, why_len, "the firmware volume is not a variable store (wrong GUID)");
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
        fw_copy(why, why_len, "unexpected firmware-volume attributes or revision");
        return false;
    }
    if (hlen < 0x48 || (hlen & 1) || hlen > size - 28) {
        fw_copy(why, why_len, "bad firmware-volume header length");
        return false;
    }
    uint16_t sum = 0;
    for (unsigned i = 0; i < hlen; i += 2)
        sum = (uint16_t)(sum + hk_le16(v + i));
    if (sum != 0) {
        fw_copy(why, why_len, "the firmware-volume header checksum is wrong");
        return false;
    }
    const uint8_t *st = v + hlen;
    bool auth = memcmp(st, guid_auth_var, 16) == 0;
    if (!auth && memcmp(st, guid_var, 16) != 0) {
        fw_copy(why, why_len, "no variable store header");
        return false;
    }
    uint32_t ssize = hk_le32(st + 16);
    if (st[20] != 0x5A || st[21] != 0xFE) {
        fw_copy(why, why_len, "the variable store is not formatted or not healthy");
        return false;
    }
    if (ssize < 28 || ssize > fvlen - hlen) {
        fw_copy(why, why_len, "the variable store size does not fit the volume");
        return false;
    }
    fw_copy(why, why_len, "");
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
        out->reset_vector = hk_fw_reset_vector_ok(img, size);
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

static bool smm_by_path(void *opaque, const char *file, const struct hk_fw_descriptor *d)
{
    struct smm_scan *sc = opaque;
    (void)file;
    if (sc->exact ? strcmp(sc->path, d->executable) != 0 : !fw_same_file(sc->path, d->executable))
        return false;
    sc->verdict = d->requires_smm ? 1 : 0;
    fw_copy(sc->which, sizeof(sc->which), d->description);
    return true;
}

static bool smm_by_contents(void *opaque, const char *file, const struct hk_fw_descriptor *d)
{
    struct smm_scan *sc = opaque;
    (void)file;
    if (!sc->img || !same_contents(d->executable, sc->img, sc->size))
        return false;
    sc->verdict = d->requires_smm ? 1 : 0;
    snprintf(sc->which, sizeof(sc->which), "same contents as %.*s", (int)(sizeof(sc->which) - 20),
             d->executable);
    return true;
}

static bool secure_boot_name(const char *path)
{
    char lower[256];
    const char *b = fw_base_name(path);
    size_t i;
    for (i = 0; b[i] && i + 1 < sizeof(lower); i++)
        lower[i] = (char)tolower((unsigned char)b[i]);
    lower[i] = 0;
    return strstr(lower, "secboot") || strstr(lower, ".ms.") || strstr(lower, "snakeoil") ||
           strstr(lower, "-smm") || strstr(lower, ".smm") || strstr(lower, "secure");
}

bool hk_ovmf_requires_smm(const char *code_path, const uint8_t *code, size_t code_size,
                          const struct hk_fw_search *s, char *which, size_t which_len)
{
    struct fw_places pl;
    fw_places_init(&pl, s);
    struct smm_scan sc = {true, code_path, code, code_size, -1, ""};
    hk_fw_descriptor_foreach(pl.dirs, pl.root, smm_by_path, &sc);
    sc.exact = false;
    if (sc.verdict < 0)
        hk_fw_descriptor_foreach(pl.dirs, pl.root, smm_by_path, &sc);
    if (sc.verdict < 0)
        hk_fw_descriptor_foreach(pl.dirs, pl.root, smm_by_contents, &sc);
    if (sc.verdict < 0 && secure_boot_name(code_path)) {
        sc.verdict = 1;
        fw_copy(sc.which, sizeof(sc.which), "Secure Boot file name");
    }
    fw_copy(which, which_len, sc.which);
    return sc.verdict == 1;
}

/* ---- the variable store that goes with a CODE ---- */

struct find_template {
    const char *code;
    char *out;
    size_t len;
    bool found;
};

static bool template_descriptor(void *opaque, const char *file, const struct hk_fw_descriptor *d)
{
    struct find_template *ft = opaque;
    (void)file;
    if (!d->nvram_template[0] || !fw_same_file(ft->code, d->executable) ||
        !fw_file_exists(d->nvram_template))
        return false;
    fw_copy(ft->out, ft->len, d->nvram_template);
    ft->found = true;
    return true;
}

/* Replaces the first occurrence of from (case-sensitive) in the base name. */
static bool name_swap(const char *path, const char *from, const char *to, char *out, size_t len)
{
    const char *b = fw_base_name(path);
    const char *hit = strstr(b, from);
    if (!hit)
        return false;
    int n = snprintf(out, len, "%.*s%s%s", (int)(hit - path), path, to, hit + strlen(from));
    return n > 0 && (size_t)n < len;
}

int hk_ovmf_template_for(const char *code_path, size_t code_size, const struct hk_fw_search *s,
                         char *out, size_t len)
{
    struct fw_places pl;
    fw_places_init(&pl, s);
    size_t want = hk_ovmf_vars_size_for_code(code_size);
    if (!want)
        return -1;
    struct find_template ft = {code_path, out, len, false};
    hk_fw_descriptor_foreach(pl.dirs, pl.root, template_descriptor, &ft);
    if (ft.found && (off_t)want == fw_file_size(out))
        return 0;
    /* the distribution pairs, then the usual name next to it */
    char c[HK_FW_PATH_MAX], v[HK_FW_PATH_MAX];
    for (unsigned i = 0; pl.pairs[i] && pl.pairs[i + 1]; i += 2) {
        if (fw_pair_path(&pl, i, c, sizeof(c)) && fw_pair_path(&pl, i + 1, v, sizeof(v)) && v[0] &&
            fw_same_file(code_path, c) && (off_t)want == fw_file_size(v)) {
            fw_copy(out, len, v);
            return 0;
        }
    }
    static const char *const swaps[][2] = {
        {"OVMF_CODE", "OVMF_VARS"}, {"CODE", "VARS"}, {"code", "vars"}, {"Code", "Vars"}};
    for (size_t i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
        if (name_swap(code_path, swaps[i][0], swaps[i][1], v, sizeof(v)) &&
            (off_t)want == fw_file_size(v) && strlen(v) < len) {
            fw_copy(out, len, v);
            return 0;
        }
    }
    return -1;
}

/* The plain (non-SMM) build the user should pick instead of a Secure Boot one. */
static void plain_alternative(const char *code_path, size_t code_size, const struct hk_fw_search *s,
                              struct hk_fw_check *c)
{
    char code[HK_FW_PATH_MAX], vars[HK_FW_PATH_MAX];
    /* the same directory first: OVMF_CODE_4M.secboot.fd -> OVMF_CODE_4M.fd */
    static const char *const strip[][2] = {
        {".secboot.", "."}, {".ms.", "."}, {".snakeoil.", "."}, {"-secboot", ""}};
    for (size_t i = 0; i < sizeof(strip) / sizeof(strip[0]); i++) {
        if (!name_swap(code_path, strip[i][0], strip[i][1], code, sizeof(code)) ||
            fw_file_size(code) != (off_t)code_size)
            continue;
        char which[8];
        size_t n = 0;
        uint8_t *img = NULL;
        int err;
        bool smm = hk_fw_read_file(code, HK_FW_MAX_IMAGE, &img, &n, &err) != HK_FW_R_OK ||
                   hk_ovmf_requires_smm(code, img, n, s, which, sizeof(which));
        hk_fw_free_file(img, n);
        if (smm)
            continue;
        fw_copy(c->use_code, sizeof(c->use_code), code);
        if (hk_ovmf_template_for(code, code_size, s, vars, sizeof(vars)) == 0)
            fw_copy(c->use_vars, sizeof(c->use_vars), vars);
        return;
    }
    if (hk_ovmf_find(s, code, vars, sizeof(code)) == 0) {
        fw_copy(c->use_code, sizeof(c->use_code), code);
        fw_copy(c->use_vars, sizeof(c->use_vars), vars);
    }
}

/* ---- validation ---- */

/* Appends " Use X with Y." when the right files are known. */
static void add_advice(struct hk_fw_check *c)
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

int hk_ovmf_validate(const char *code_path, const char *vars_path, const char *template_path,
                     const struct hk_fw_search *s, struct hk_fw_check *c)
{
    return fw_ovmf_validate(code_path, vars_path, template_path, s, c, true);
}

/* advise: look for the right files to suggest (off while searching, which would recurse) */
int fw_ovmf_validate(const char *code_path, const char *vars_path, const char *template_path,
                     const struct hk_fw_search *s, struct hk_fw_check *c, bool advise)
{
    memset(c, 0, sizeof(*c));
    c->kind = HK_FW_UEFI;
    int ret = -1, err = 0;
    uint8_t *code = NULL, *vars = NULL;
    size_t code_len = 0, vars_len = 0;
    char sz1[32], sz2[32];
    if (!code_path || !code_path[0])
        return fw_refuse(c, HK_FW_PROBLEM_NOT_FOUND, HK_FW_R_NOT_GIVEN, "",
                         "No OVMF firmware was given.");
    fw_copy(c->code, sizeof(c->code), code_path);
    enum hk_fw_reason r = hk_fw_read_file(code_path, HK_FW_MAX_IMAGE, &code, &code_len, &err);
    if (r != HK_FW_R_OK)
        return fw_refuse_read(c, r, err, code_path, "UEFI firmware");
    c->code_size = code_len;
    struct hk_ovmf_info ci, vi;
    hk_ovmf_inspect(code, code_len, &ci);

    /* the store the VM will run with: its own copy if it exists, else the template */
    const char *store = vars_path && vars_path[0] ? vars_path : NULL;
    struct stat st;
    if (store && stat(store, &st) < 0 && errno == ENOENT)
        store = NULL; /* not made yet: the engine makes it from the template */
    if (!store)
        store = template_path && template_path[0] ? template_path : NULL;
    if (store) {
        fw_copy(c->vars, sizeof(c->vars), store);
        r = hk_fw_read_file(store, HK_FW_MAX_IMAGE, &vars, &vars_len, &err);
        if (r != HK_FW_R_OK) {
            bool own = store == vars_path;
            fw_refuse_read(c, r, err, store,
                           own ? "VM's UEFI variable store" : "UEFI variable store");
            /* the VM's own store is written while it runs: a pipe or a file it cannot open
             * cannot hold its settings */
            if (own && (r == HK_FW_R_NOT_REGULAR || r == HK_FW_R_READ_ERROR))
                c->problem = HK_FW_PROBLEM_VARS_WRITE;
            goto out;
        }
        c->vars_size = vars_len;
        hk_ovmf_inspect(vars, vars_len, &vi);
    } else {
        memset(&vi, 0, sizeof(vi));
    }

    /* given the other way round: a variable store as CODE and firmware code as VARS */
    if (ci.kind == HK_OVMF_VARS && vars && (vi.kind == HK_OVMF_CODE || vi.reset_vector)) {
        fw_copy(c->use_code, sizeof(c->use_code), store);
        fw_copy(c->use_vars, sizeof(c->use_vars), code_path);
        fw_refuse(
            c, HK_FW_PROBLEM_SWAPPED, HK_FW_R_SWAPPED, code_path,
            "The UEFI firmware files are swapped: %s is a variable store (VARS) and %s is the "
            "firmware code (CODE).",
            fw_base_name(code_path), fw_base_name(store));
        add_advice(c);
        goto out;
    }
    if (ci.kind == HK_OVMF_VARS) {
        char alt[HK_FW_PATH_MAX];
        if (name_swap(code_path, "VARS", "CODE", alt, sizeof(alt)) && fw_file_exists(alt))
            fw_copy(c->use_code, sizeof(c->use_code), alt);
        fw_refuse(c, HK_FW_PROBLEM_NOT_CODE, HK_FW_R_CODE_IS_VARS, code_path,
                  "%s is a UEFI variable store (VARS), not the firmware code (CODE) that the "
                  "computer starts from.",
                  fw_base_name(code_path));
        add_advice(c);
        goto out;
    }
    if (!ci.reset_vector) {
        memcpy(c->rv_bytes, ci.rv_bytes, sizeof(c->rv_bytes));
        fw_refuse(
            c, HK_FW_PROBLEM_NOT_CODE, HK_FW_R_NO_RESET_VECTOR, code_path,
            "%s is not firmware a PC can start: there is no jump at its reset vector (4 GiB - "
            "16 bytes: %02x %02x %02x %02x %02x).",
            fw_base_name(code_path), ci.rv_bytes[0], ci.rv_bytes[1], ci.rv_bytes[2], ci.rv_bytes[3],
            ci.rv_bytes[4]);
        goto out;
    }
    if (code_len % HK_FW_BLOCK) {
        c->size = code_len;
        size_text(sz1, sizeof(sz1), code_len);
        fw_refuse(c, HK_FW_PROBLEM_BAD_SIZE, HK_FW_R_NOT_BLOCKS, code_path,
                  "%s has %s, which is not a whole number of 4 KiB flash blocks.",
                  fw_base_name(code_path), sz1);
        goto out;
    }

    size_t code_part = code_len;
    if (ci.kind == HK_OVMF_UNIFIED) {
        c->unified = true;
        code_part = code_len - (size_t)ci.vars_fv_len;
        c->code_size = code_part;
        c->vars_size = ci.vars_fv_len;
    }
    /* Secure Boot builds need SMM, which needs Q35 */
    char which[200];
    if (hk_ovmf_requires_smm(code_path, code, code_len, s, which, sizeof(which))) {
        c->secure_boot = true;
        fw_copy(c->detail, sizeof(c->detail), which);
        if (advise)
            plain_alternative(code_path, code_len, s, c);
        fw_refuse(
            c, HK_FW_PROBLEM_SECURE_BOOT, HK_FW_R_SECURE_BOOT, code_path,
            "%s is a Secure Boot build of OVMF (%s). It needs System Management Mode on a Q35 "
            "machine, which Hako does not provide, and would stop before showing anything.",
            fw_base_name(code_path), which);
        add_advice(c);
        goto out;
    }
    size_t want = hk_ovmf_vars_size_for_code(code_part);
    if (ci.kind == HK_OVMF_UNIFIED) {
        if (want != ci.vars_fv_len) {
            fw_refuse(c, HK_FW_PROBLEM_BAD_SIZE, HK_FW_R_UNIFIED_SIZES, code_path,
                      "%s looks like a unified OVMF image, but its parts do not have the sizes of "
                      "any OVMF build.",
                      fw_base_name(code_path));
            goto out;
        }
        char why[160];
        if (!hk_ovmf_vars_valid(code, (size_t)ci.vars_fv_len, why, sizeof(why), NULL, NULL)) {
            fw_copy(c->detail, sizeof(c->detail), why);
            fw_refuse(c, HK_FW_PROBLEM_BAD_VARS, HK_FW_R_UNIFIED_VARS, code_path,
                      "The variable store inside %s is damaged: %s.", fw_base_name(code_path), why);
            goto out;
        }
        if (!vars) {
            c->flash_size = code_len;
            ret = 0;
            goto out;
        }
    } else if (!want) {
        c->size = code_len;
        size_text(sz1, sizeof(sz1), code_len);
        fw_refuse(c, HK_FW_PROBLEM_BAD_SIZE, HK_FW_R_CODE_SIZE, code_path,
                  "%s has %s, which is not the size of an OVMF firmware code image (1, 2 and 4 MiB "
                  "builds have 896 KiB, 1920 KiB and 3568 KiB).",
                  fw_base_name(code_path), sz1);
        goto out;
    }
    if (!vars) {
        char t[HK_FW_PATH_MAX];
        if (advise && hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0)
            fw_copy(c->use_vars, sizeof(c->use_vars), t);
        fw_refuse(c, HK_FW_PROBLEM_NOT_FOUND, HK_FW_R_NO_VARS, code_path,
                  "No UEFI variable store (VARS) goes with %s: give one with --ovmf-vars-template.",
                  fw_base_name(code_path));
        add_advice(c);
        goto out;
    }
    if (vi.kind == HK_OVMF_CODE || vi.kind == HK_OVMF_UNIFIED) {
        fw_refuse(c, HK_FW_PROBLEM_SWAPPED, HK_FW_R_VARS_IS_CODE, store,
                  "%s is firmware code, not a UEFI variable store (VARS).", fw_base_name(store));
        char t[HK_FW_PATH_MAX];
        if (advise && hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0)
            fw_copy(c->use_vars, sizeof(c->use_vars), t);
        add_advice(c);
        goto out;
    }
    size_t want_store = ci.kind == HK_OVMF_UNIFIED ? (size_t)ci.vars_fv_len : want;
    if (vars_len != want_store) {
        c->size = vars_len;
        c->want = want_store;
        size_text(sz1, sizeof(sz1), want_store);
        size_text(sz2, sizeof(sz2), vars_len);
        char t[HK_FW_PATH_MAX];
        if (advise && ci.kind != HK_OVMF_UNIFIED &&
            hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0)
            fw_copy(c->use_vars, sizeof(c->use_vars), t);
        const char *other = vars_len == 0x84000   ? "the 4 MiB build"
                            : vars_len == 0x20000 ? "the 1 or 2 MiB builds"
                                                  : "no OVMF build";
        const char *build = hk_ovmf_build_name(code_part);
        fw_refuse(
            c, HK_FW_PROBLEM_MISMATCH, HK_FW_R_MISMATCH, store,
            "The UEFI files do not belong together: %s is the %s build and needs a %s variable "
            "store, but %s has %s (it belongs to %s). OVMF would not find its variables and "
            "would not start.",
            fw_base_name(code_path), ci.kind == HK_OVMF_UNIFIED ? "unified" : build, sz1,
            fw_base_name(store), sz2, other);
        add_advice(c);
        goto out;
    }
    if (vi.kind != HK_OVMF_VARS || vi.vars_problem[0]) {
        char t[HK_FW_PATH_MAX];
        if (advise && hk_ovmf_template_for(code_path, code_len, s, t, sizeof(t)) == 0 &&
            !fw_same_file(t, store))
            fw_copy(c->use_vars, sizeof(c->use_vars), t);
        fw_copy(c->detail, sizeof(c->detail),
                vi.vars_problem[0] ? vi.vars_problem : "no firmware volume");
        fw_refuse(c, HK_FW_PROBLEM_BAD_VARS, HK_FW_R_BAD_VARS, store,
                  "%s is not a usable UEFI variable store: %s.", fw_base_name(store), c->detail);
        add_advice(c);
        goto out;
    }
    c->flash_size = code_part + vars_len;
    ret = 0;
out:
    hk_fw_free_file(code, code_len);
    hk_fw_free_file(vars, vars_len);
    return ret;
}
