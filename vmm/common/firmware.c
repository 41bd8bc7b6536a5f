/*
 * Host firmware (hako/firmware.h): reading images, the places to look, SeaBIOS, discovery and the
 * verdict on a whole configuration. OVMF images and their validation are in ovmf.c, the QEMU
 * firmware descriptors in fw-descriptor.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw-internal.h"

/* The distributions' OVMF files: CODE, VARS template ("" = a unified image with its own store). */
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

/* Other OVMF_CODE*.fd builds are looked for here (paired by name). */
static const char *const scan_dirs[] = {
    "/usr/share/OVMF",          /* Debian, Ubuntu */
    "/usr/share/edk2/x64",      /* Arch (edk2-ovmf) */
    "/usr/share/edk2/ovmf",     /* Fedora (edk2-ovmf) */
    "/usr/share/edk2/ovmf-4m",  /* Fedora */
    "/usr/share/edk2-ovmf/x64", /* older Arch */
    "/usr/share/edk2-ovmf",     /* older Fedora, Gentoo */
};

static const char *const seabios_paths[] = {
    "/usr/share/seabios/bios.bin",      /* Debian, Ubuntu, Fedora */
    "/usr/share/qemu/bios.bin",         /* Arch (qemu-system-x86-firmware) */
    "/usr/share/seabios/bios-256k.bin", /* Debian, Fedora */
    "/usr/share/qemu/bios-256k.bin",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers ---- */

void fw_copy(char *dst, size_t len, const char *src)
{
    if (!len)
        return;
    size_t n = src ? strnlen(src, len - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}

const char *fw_base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

bool fw_file_exists(const char *path)
{
    struct stat st;
    return path && path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

off_t fw_file_size(const char *path)
{
    struct stat st;
    if (!path || !path[0] || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    return st.st_size;
}

bool fw_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || !a[0] || !b[0] || stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool fw_rooted(const char *root, const char *path, char *out, size_t len)
{
    bool real = !root || !root[0] || strcmp(root, "/") == 0;
    int n = snprintf(out, len, "%s%s", real ? "" : root, path);
    return n >= 0 && (size_t)n < len;
}

void fw_places_init(struct fw_places *p, const struct hk_fw_search *s)
{
    memset(p, 0, sizeof(*p));
    const char *root = s ? s->root : NULL;
    p->root = root && root[0] && strcmp(root, "/") != 0 ? root : NULL;
    if (s && s->descriptor_dirs) {
        unsigned i = 0;
        for (; s->descriptor_dirs[i] && i < N_ELEMS(p->dirs) - 1; i++)
            p->dirs[i] = s->descriptor_dirs[i];
        p->dirs[i] = NULL;
    } else {
        /* QEMU's order, lowest priority first: the distribution's, the administrator's, the
         * user's (not under a fake root) */
        unsigned n = 0;
        if (fw_rooted(p->root, "/usr/share/qemu/firmware", p->dirbuf[n], HK_FW_PATH_MAX))
            p->dirs[n] = p->dirbuf[n], n++;
        if (fw_rooted(p->root, "/etc/qemu/firmware", p->dirbuf[n], HK_FW_PATH_MAX))
            p->dirs[n] = p->dirbuf[n], n++;
        if (!p->root) {
            const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
            int k = -1;
            if (xdg && xdg[0] == '/')
                k = snprintf(p->dirbuf[n], HK_FW_PATH_MAX, "%s/qemu/firmware", xdg);
            else if (home && home[0] == '/')
                k = snprintf(p->dirbuf[n], HK_FW_PATH_MAX, "%s/.config/qemu/firmware", home);
            if (k > 0 && k < HK_FW_PATH_MAX)
                p->dirs[n] = p->dirbuf[n], n++;
        }
        p->dirs[n] = NULL;
    }
    p->pairs = s && s->pairs ? s->pairs : default_pairs;
    p->pairs_rooted = !(s && s->pairs);
}

bool fw_pair_path(const struct fw_places *p, unsigned i, char *out, size_t len)
{
    const char *name = p->pairs[i];
    if (!name[0]) {
        out[0] = 0;
        return false;
    }
    if (p->pairs_rooted)
        return fw_rooted(p->root, name, out, len);
    if (strlen(name) >= len)
        return false;
    fw_copy(out, len, name);
    return true;
}

/* ---- files ---- */

enum hk_fw_reason hk_fw_read_fd(int fd, size_t max, uint8_t **data, size_t *size, int *error)
{
    *data = NULL;
    *size = 0;
    *error = 0;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        *error = errno;
        return HK_FW_R_READ_ERROR;
    }
    if (!S_ISREG(st.st_mode))
        return HK_FW_R_NOT_REGULAR;
    if (st.st_size <= 0)
        return HK_FW_R_EMPTY;
    if ((uint64_t)st.st_size > max)
        return HK_FW_R_TOO_LARGE;
    size_t sz = (size_t)st.st_size, mapsz = (sz + 4095) & ~(size_t)4095;
    uint8_t *buf = mmap(NULL, mapsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        *error = ENOMEM;
        return HK_FW_R_READ_ERROR;
    }
    size_t got = 0;
    while (got < sz) {
        ssize_t n = pread(fd, buf + got, sz - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *error = n < 0 ? errno : EIO; /* EIO: the file shrank while it was read */
            munmap(buf, mapsz);
            return HK_FW_R_READ_ERROR;
        }
        got += (size_t)n;
    }
    *data = buf;
    *size = sz;
    return HK_FW_R_OK;
}

enum hk_fw_reason hk_fw_read_file(const char *path, size_t max, uint8_t **data, size_t *size,
                                  int *error)
{
    *data = NULL;
    *size = 0;
    *error = 0;
    if (!path || !path[0]) {
        *error = ENOENT;
        return HK_FW_R_MISSING;
    }
    if (strlen(path) >= HK_FW_PATH_MAX) {
        *error = ENAMETOOLONG;
        return HK_FW_R_NAME_TOO_LONG;
    }
    /* O_NONBLOCK: opening a FIFO or a device must not wait for a writer or the hardware */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *error = errno;
        return errno == ENOENT || errno == ENOTDIR ? HK_FW_R_MISSING
               : errno == ENAMETOOLONG             ? HK_FW_R_NAME_TOO_LONG
                                                   : HK_FW_R_READ_ERROR;
    }
    enum hk_fw_reason r = hk_fw_read_fd(fd, max, data, size, error);
    close(fd);
    return r;
}

void hk_fw_free_file(uint8_t *data, size_t size)
{
    if (data)
        munmap(data, (size + 4095) & ~(size_t)4095);
}

/* ---- refusals ---- */

int fw_refuse(struct hk_fw_check *c, enum hk_fw_problem p, enum hk_fw_reason r, const char *file,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof(c->message), fmt, ap);
    va_end(ap);
    c->problem = p;
    c->reason = r;
    fw_copy(c->file, sizeof(c->file), file);
    return -1;
}

int fw_refuse_read(struct hk_fw_check *c, enum hk_fw_reason r, int err, const char *path,
                   const char *what)
{
    c->error = err;
    switch (r) {
    case HK_FW_R_MISSING:
        return fw_refuse(c, HK_FW_PROBLEM_NOT_FOUND, r, path, "The %s %s does not exist.", what,
                         path);
    case HK_FW_R_NAME_TOO_LONG:
        return fw_refuse(c, HK_FW_PROBLEM_UNREADABLE, r, path,
                         "The name of the %s is longer than %d bytes.", what, HK_FW_PATH_MAX - 1);
    case HK_FW_R_NOT_REGULAR:
        return fw_refuse(c, HK_FW_PROBLEM_UNREADABLE, r, path,
                         "The %s %s is not a regular file (a folder, device or pipe).", what, path);
    case HK_FW_R_EMPTY:
        return fw_refuse(c, HK_FW_PROBLEM_BAD_SIZE, r, path, "The %s %s is empty.", what, path);
    case HK_FW_R_TOO_LARGE:
        return fw_refuse(c, HK_FW_PROBLEM_BAD_SIZE, r, path,
                         "The %s %s is larger than any firmware image (16 MiB).", what, path);
    default:
        return fw_refuse(c, HK_FW_PROBLEM_UNREADABLE, HK_FW_R_READ_ERROR, path,
                         "Cannot read the %s %s: %s.", what, path, strerror(err));
    }
}

/* ---- BIOS ---- */

/* A BIOS image (SeaBIOS: whole 4 KiB blocks, a reset vector the CPU can take) or a raw one (guest
 * test programs: whole blocks, whatever they hold); at most 16 MiB. */
static int image_validate(const char *path, enum hk_fw_kind kind, struct hk_fw_check *c)
{
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    const char *what = kind == HK_FW_BIOS ? "BIOS image" : "firmware image";
    if (!path || !path[0])
        return fw_refuse(c, HK_FW_PROBLEM_NOT_FOUND, HK_FW_R_NOT_GIVEN, "", "No %s was given.",
                         what);
    fw_copy(c->code, sizeof(c->code), path);
    uint8_t *img = NULL;
    size_t size = 0;
    int err = 0;
    enum hk_fw_reason r = hk_fw_read_file(path, HK_FW_MAX_IMAGE, &img, &size, &err);
    if (r != HK_FW_R_OK)
        return fw_refuse_read(c, r, err, path, what);
    c->code_size = c->size = size;
    int ret = 0;
    if (size % HK_FW_BLOCK) {
        ret = fw_refuse(c, HK_FW_PROBLEM_BAD_SIZE, HK_FW_R_NOT_BLOCKS, path,
                        "The %s %s has %zu bytes; a firmware image is a whole number of 4 KiB "
                        "blocks.",
                        what, path, size);
    } else if (kind == HK_FW_BIOS && !hk_fw_reset_vector_ok(img, size)) {
        memcpy(c->rv_bytes, img + size - 16, sizeof(c->rv_bytes));
        ret = fw_refuse(c, HK_FW_PROBLEM_NOT_CODE, HK_FW_R_NO_RESET_VECTOR, path,
                        "%s is not a BIOS image: there is no jump at its reset vector (4 GiB - 16 "
                        "bytes: %02x %02x %02x %02x %02x).",
                        path, c->rv_bytes[0], c->rv_bytes[1], c->rv_bytes[2], c->rv_bytes[3],
                        c->rv_bytes[4]);
    }
    hk_fw_free_file(img, size);
    return ret;
}

int hk_bios_validate(const char *path, struct hk_fw_check *c)
{
    return image_validate(path, HK_FW_BIOS, c);
}

/* ---- discovery ---- */

#define MAX_SEEN 128

struct discovery {
    const struct hk_fw_search *s;
    struct fw_places pl;
    bool (*fn)(void *opaque, const struct hk_fw_found *f);
    void *opaque;
    bool stop;
    unsigned nseen;
    struct {
        int kind;
        dev_t cdev, vdev;
        ino_t cino, vino;
    } seen[MAX_SEEN];
    struct hk_fw_check check;
};

/* True the first time this (kind, code, vars) is offered (any_vars: the first time this code is
 * offered with whatever store). */
static bool first_time(struct discovery *d, int kind, const char *code, const char *vars,
                       bool any_vars)
{
    struct stat c, v;
    if (stat(code, &c) < 0)
        return false;
    memset(&v, 0, sizeof(v));
    if (vars && vars[0] && stat(vars, &v) < 0)
        memset(&v, 0, sizeof(v));
    for (unsigned i = 0; i < d->nseen; i++)
        if (d->seen[i].kind == kind && d->seen[i].cdev == c.st_dev && d->seen[i].cino == c.st_ino &&
            (any_vars || (d->seen[i].vdev == v.st_dev && d->seen[i].vino == v.st_ino)))
            return false;
    if (d->nseen == MAX_SEEN)
        return false;
    d->seen[d->nseen].kind = kind;
    d->seen[d->nseen].cdev = c.st_dev;
    d->seen[d->nseen].cino = c.st_ino;
    d->seen[d->nseen].vdev = v.st_dev;
    d->seen[d->nseen].vino = v.st_ino;
    d->nseen++;
    return true;
}

static void offer_uefi(struct discovery *d, const char *code, const char *vars,
                       const char *description, bool sb, bool new_code_only)
{
    if (d->stop || !fw_file_exists(code) || !first_time(d, HK_FW_UEFI, code, vars, new_code_only))
        return;
    fw_ovmf_validate(code, NULL, vars && vars[0] ? vars : NULL, d->s, &d->check, false);
    struct hk_fw_found f = {HK_FW_UEFI, code,     vars ? vars : "", description ? description : "",
                            sb,         &d->check};
    d->stop = d->fn(d->opaque, &f);
}

struct desc_pass {
    struct discovery *d;
    bool i440fx; /* this pass: the descriptors that name Hako's machine type, or the others */
};

static bool descriptor_found(void *opaque, const char *file, const struct hk_fw_descriptor *desc)
{
    struct desc_pass *p = opaque;
    (void)file;
    if (desc->i440fx == p->i440fx)
        offer_uefi(p->d, desc->executable, desc->nvram_template, desc->description,
                   desc->secure_boot || desc->requires_smm, false);
    return p->d->stop;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* OVMF_CODE*.fd files in a folder, sorted by name. */
static void scan_dir(struct discovery *d, const char *dir)
{
    DIR *dd = opendir(dir);
    if (!dd)
        return;
    char *names[64];
    unsigned n = 0;
    struct dirent *de;
    while ((de = readdir(dd)) != NULL && n < N_ELEMS(names)) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "OVMF_CODE", 9) == 0 && l > 3 &&
            strcmp(de->d_name + l - 3, ".fd") == 0 && (names[n] = strdup(de->d_name)) != NULL)
            n++;
    }
    closedir(dd);
    qsort(names, n, sizeof(names[0]), cmp_names);
    for (unsigned i = 0; i < n; i++) {
        char code[HK_FW_PATH_MAX], vars[HK_FW_PATH_MAX];
        int k = snprintf(code, sizeof(code), "%s/%s", dir, names[i]);
        off_t size = fw_file_size(code);
        if (k > 0 && k < (int)sizeof(code) && size > 0) {
            if (hk_ovmf_template_for(code, (size_t)size, d->s, vars, sizeof(vars)) < 0)
                vars[0] = 0;
            offer_uefi(d, code, vars, NULL, false, true);
        }
        free(names[i]);
    }
}

void hk_fw_discover(const struct hk_fw_search *s,
                    bool (*fn)(void *opaque, const struct hk_fw_found *f), void *opaque)
{
    struct discovery *d = calloc(1, sizeof(*d));
    if (!d)
        return;
    d->s = s;
    d->fn = fn;
    d->opaque = opaque;
    fw_places_init(&d->pl, s);
    /* SeaBIOS */
    for (size_t i = 0; i < N_ELEMS(seabios_paths) && !d->stop; i++) {
        char p[HK_FW_PATH_MAX];
        if (!fw_rooted(d->pl.root, seabios_paths[i], p, sizeof(p)) || !fw_file_exists(p) ||
            !first_time(d, HK_FW_BIOS, p, NULL, false))
            continue;
        hk_bios_validate(p, &d->check);
        struct hk_fw_found f = {HK_FW_BIOS, p, "", "", false, &d->check};
        d->stop = fn(opaque, &f);
    }
    /* OVMF: the descriptors for Hako's machine type (i440FX), the other descriptors, the
     * distributions' pairs, other builds in their folders */
    struct desc_pass pass = {d, true};
    hk_fw_descriptor_foreach(d->pl.dirs, d->pl.root, descriptor_found, &pass);
    pass.i440fx = false;
    if (!d->stop)
        hk_fw_descriptor_foreach(d->pl.dirs, d->pl.root, descriptor_found, &pass);
    char code[HK_FW_PATH_MAX], vars[HK_FW_PATH_MAX];
    for (unsigned i = 0; d->pl.pairs[i] && d->pl.pairs[i + 1] && !d->stop; i += 2) {
        if (!fw_pair_path(&d->pl, i, code, sizeof(code)))
            continue;
        bool unified = !d->pl.pairs[i + 1][0];
        if (!unified && !fw_pair_path(&d->pl, i + 1, vars, sizeof(vars)))
            continue;
        if (unified)
            vars[0] = 0;
        else if (!fw_file_exists(vars)) {
            off_t size = fw_file_size(code);
            if (size <= 0 || hk_ovmf_template_for(code, (size_t)size, s, vars, sizeof(vars)) < 0)
                vars[0] = 0;
        }
        offer_uefi(d, code, vars, NULL, false, false);
    }
    if (!d->stop && !(s && (s->pairs || s->descriptor_dirs))) {
        for (size_t i = 0; i < N_ELEMS(scan_dirs) && !d->stop; i++) {
            char dir[HK_FW_PATH_MAX];
            if (fw_rooted(d->pl.root, scan_dirs[i], dir, sizeof(dir)))
                scan_dir(d, dir);
        }
    }
    free(d);
}

struct first_usable {
    enum hk_fw_kind kind;
    char *code, *vars;
    size_t len;
    bool found;
};

static bool first_usable(void *opaque, const struct hk_fw_found *f)
{
    struct first_usable *u = opaque;
    if (f->kind != u->kind || f->check->problem != HK_FW_PROBLEM_NONE ||
        strlen(f->code) >= u->len || strlen(f->vars) >= u->len)
        return false;
    fw_copy(u->code, u->len, f->code);
    if (u->vars)
        fw_copy(u->vars, u->len, f->vars);
    u->found = true;
    return true;
}

int hk_bios_find(const struct hk_fw_search *s, char *path, size_t len)
{
    struct first_usable u = {HK_FW_BIOS, path, NULL, len, false};
    hk_fw_discover(s, first_usable, &u);
    return u.found ? 0 : -1;
}

int hk_ovmf_find(const struct hk_fw_search *s, char *code, char *template_path, size_t len)
{
    struct first_usable u = {HK_FW_UEFI, code, template_path, len, false};
    hk_fw_discover(s, first_usable, &u);
    return u.found ? 0 : -1;
}

/* ---- the verdict on a configuration ---- */

/* Nothing usable of this kind on the host: how to install it. */
static int none_installed(struct hk_fw_check *c, enum hk_fw_kind kind)
{
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    return fw_refuse(c, HK_FW_PROBLEM_NOT_FOUND, HK_FW_R_NONE_INSTALLED, "", "%s",
                     kind == HK_FW_BIOS
                         ? "No SeaBIOS is installed. Install it: Debian/Ubuntu 'apt install "
                           "seabios', Fedora 'dnf install seabios-bin', Arch 'pacman -S seabios'."
                         : "No usable UEFI firmware (OVMF) is installed. Install it: Debian/Ubuntu "
                           "'apt install ovmf', Fedora 'dnf install edk2-ovmf', Arch 'pacman -S "
                           "edk2-ovmf'; or give the files with --ovmf-code and "
                           "--ovmf-vars-template.");
}

int hk_fw_check_config(const struct hk_firmware_config *cfg, const struct hk_fw_search *s,
                       struct hk_fw_check *c)
{
    char code[HK_FW_PATH_MAX], tmpl[HK_FW_PATH_MAX];
    if (cfg->kind == HK_FW_RAW)
        return image_validate(cfg->path, HK_FW_RAW, c);
    if (cfg->kind == HK_FW_BIOS) {
        const char *path = cfg->path;
        if (!path) {
            if (hk_bios_find(s, code, sizeof(code)) < 0)
                return none_installed(c, HK_FW_BIOS);
            path = code;
        }
        return hk_bios_validate(path, c);
    }
    const char *template_path = cfg->ovmf_vars_template;
    if (!cfg->ovmf_code) {
        if (hk_ovmf_find(s, code, tmpl, sizeof(code)) < 0)
            return none_installed(c, HK_FW_UEFI);
        if (!template_path && tmpl[0])
            template_path = tmpl;
    } else {
        fw_copy(code, sizeof(code), cfg->ovmf_code);
        off_t size = fw_file_size(cfg->ovmf_code);
        if (!template_path && size > 0 &&
            hk_ovmf_template_for(cfg->ovmf_code, (size_t)size, s, tmpl, sizeof(tmpl)) == 0)
            template_path = tmpl;
    }
    return fw_ovmf_validate(cfg->ovmf_code ? cfg->ovmf_code : code, cfg->ovmf_vars, template_path,
                            s, c, true);
}
