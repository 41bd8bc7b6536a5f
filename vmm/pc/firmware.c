#include "firmware.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/vm.h"
#include "flash.h"

_Static_assert(HK_FW_PATH_MAX <= HK_FACT_PATH_MAX, "firmware paths fit the facts' path fields");

#define SHADOW_BASE 0xE0000ull
#define SHADOW_SIZE 0x20000ull
#define FOUR_GB     0x100000000ull

/* Refuses the firmware: the reason for the caller (hako-vmm prints it, the app words it). */
static int refuse(struct hk_firmware *fw, struct hk_log *log, enum hk_fw_problem p, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
static int refuse(struct hk_firmware *fw, struct hk_log *log, enum hk_fw_problem p, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    fw->problem = p;
    vsnprintf(fw->problem_text, sizeof(fw->problem_text), fmt, ap);
    va_end(ap);
    hk_info(log, "%s", fw->problem_text); /* hako-vmm prints problem_text itself */
    return -1;
}

static int uefi_refuse(struct hk_firmware *fw, struct hk_log *log, enum hk_fw_problem p,
                       const char *text)
{
    return refuse(fw, log, p, "%s", text);
}

/* The folder path is in ("." for a bare name). */
static void parent_dir(const char *path, char *dir, size_t len)
{
    snprintf(dir, len, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, len, ".");
}

/* Writes the VM's own variable store from the template without ever replacing an existing file:
 * a temporary file, fsync, link() into place (fails if the name appeared meanwhile), fsync of the
 * directory. 0, or -1 with errno. */
static int create_store(const char *path, const uint8_t *data, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.new-%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            errno = e;
            return -1;
        }
        done += (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    int r = link(tmp, path);
    int e = errno;
    unlink(tmp);
    if (r < 0 && e != EEXIST) {
        errno = e;
        return -1;
    }
    char dir[PATH_MAX];
    parent_dir(path, dir, sizeof(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* A private copy of len bytes, freed with hk_fw_free_file. */
static uint8_t *copy_file(const uint8_t *src, size_t len)
{
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memcpy(p, src, len);
    return p;
}

/* 0 when a file can be created where path points, else the errno why not. */
static int dir_writable(const char *path)
{
    char dir[PATH_MAX];
    parent_dir(path, dir, sizeof(dir));
    struct stat st;
    if (stat(dir, &st) < 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return ENOTDIR;
    return access(dir, W_OK | X_OK) < 0 ? errno : 0;
}

/* The VM's own store, open in fw->vars_fd: a regular file, locked against other VMs, read
 * through the same descriptor (what is checked is what runs). */
static int take_store(struct hk_firmware *fw, struct hk_log *log)
{
    char msg[HK_FW_MESSAGE_MAX];
    struct stat st;
    if (fstat(fw->vars_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(msg, sizeof(msg),
                 "The VM's UEFI variable store %s is not a regular file (a FIFO, device or "
                 "folder cannot hold UEFI settings).",
                 fw->vars_path);
        return uefi_refuse(fw, log, HK_FW_PROBLEM_VARS_WRITE, msg);
    }
    fcntl(fw->vars_fd, F_SETFL, fcntl(fw->vars_fd, F_GETFL) & ~O_NONBLOCK);
    if (flock(fw->vars_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) {
            snprintf(msg, sizeof(msg),
                     "The UEFI variable store %s is in use by another running virtual machine.",
                     fw->vars_path);
            return uefi_refuse(fw, log, HK_FW_PROBLEM_VARS_IN_USE, msg);
        }
        /* a file system without locks: run, but say so (hako-vmm records a warning fact) */
        fw->vars_lock_errno = errno;
        hk_warn(log,
                "cannot lock the UEFI variable store %s (%s): another VM using it at the "
                "same time would not be noticed",
                fw->vars_path, strerror(errno));
    }
    int err = 0;
    enum hk_fw_reason r =
        hk_fw_read_fd(fw->vars_fd, HK_FW_MAX_IMAGE, &fw->vars_init, &fw->vars_size, &err);
    if (r == HK_FW_R_READ_ERROR) {
        snprintf(msg, sizeof(msg), "Cannot read the VM's UEFI variable store %s: %s.",
                 fw->vars_path, strerror(err));
        return uefi_refuse(fw, log, HK_FW_PROBLEM_UNREADABLE, msg);
    }
    return 0; /* empty or too large: vars_init stays NULL, the size check below says so */
}

int hk_firmware_create_store(struct hk_firmware *fw, struct hk_log *log)
{
    if (!fw->vars_create)
        return 0;
    char msg[HK_FW_MESSAGE_MAX];
    if (create_store(fw->vars_path, fw->vars_init, fw->vars_size) < 0) {
        snprintf(msg, sizeof(msg), "Cannot create the VM's UEFI variable store %s: %s.",
                 fw->vars_path, strerror(errno));
        return uefi_refuse(fw, log, HK_FW_PROBLEM_VARS_WRITE, msg);
    }
    fw->vars_create = false;
    size_t want = fw->vars_size;
    hk_fw_free_file(fw->vars_init, fw->vars_size);
    fw->vars_init = NULL;
    fw->vars_size = 0;
    fw->vars_fd = open(fw->vars_path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fw->vars_fd < 0) {
        snprintf(msg, sizeof(msg), "Cannot open the VM's UEFI variable store %s for writing: %s.",
                 fw->vars_path, strerror(errno));
        return uefi_refuse(fw, log, HK_FW_PROBLEM_VARS_WRITE, msg);
    }
    if (take_store(fw, log) < 0)
        return -1;
    /* another VM may have made it at the same moment: it must still be a store of this size */
    char why[160];
    if (!fw->vars_init || fw->vars_size != want ||
        !hk_ovmf_vars_valid(fw->vars_init, fw->vars_size, why, sizeof(why), NULL, NULL)) {
        snprintf(msg, sizeof(msg), "The UEFI variable store %s changed while it was created.",
                 fw->vars_path);
        return uefi_refuse(fw, log, HK_FW_PROBLEM_BAD_VARS, msg);
    }
    return 0;
}

/* The common verdict (hako/firmware.h: the files the engine picks when none are given, the
 * template that goes with a CODE, every check; the app offers firmware by the same code). Copies
 * a refusal into fw. */
static int check(struct hk_firmware *fw, const struct hk_firmware_config *cfg, struct hk_log *log,
                 struct hk_fw_check *chk)
{
    if (hk_fw_check_config(cfg, NULL, chk) == 0)
        return 0;
    snprintf(fw->use_code, sizeof(fw->use_code), "%s", chk->use_code);
    snprintf(fw->use_vars, sizeof(fw->use_vars), "%s", chk->use_vars);
    snprintf(fw->problem_path, sizeof(fw->problem_path), "%s", chk->file);
    return refuse(fw, log, chk->problem, "%s", chk->message);
}

static int load_uefi(struct hk_firmware *fw, const struct hk_firmware_config *cfg,
                     struct hk_log *log)
{
    struct hk_fw_check *chk = malloc(sizeof(*chk));
    if (!chk)
        return uefi_refuse(fw, log, HK_FW_PROBLEM_UNREADABLE, "Out of memory.");
    if (check(fw, cfg, log, chk) < 0) {
        free(chk);
        return -1;
    }
    char code[HK_FW_PATH_MAX], tmpl[HK_FW_PATH_MAX];
    snprintf(code, sizeof(code), "%s", chk->code);
    /* the template a store that does not exist yet starts from ("" = the unified image's own;
     * an existing store was checked itself) */
    bool own_exists = cfg->ovmf_vars && access(cfg->ovmf_vars, F_OK) == 0;
    snprintf(tmpl, sizeof(tmpl), "%s", own_exists ? "" : chk->vars);
    const char *template_path = tmpl;
    free(chk);

    snprintf(fw->path, sizeof(fw->path), "%s", code);
    int err = 0;
    if (hk_fw_read_file(code, HK_FW_MAX_IMAGE, &fw->file, &fw->file_size, &err) != HK_FW_R_OK)
        return refuse(fw, log, HK_FW_PROBLEM_UNREADABLE,
                      "The UEFI firmware %s changed while it was checked.", code);
    struct hk_ovmf_info ci;
    hk_ovmf_inspect(fw->file, fw->file_size, &ci);
    size_t embedded = ci.kind == HK_OVMF_UNIFIED ? (size_t)ci.vars_fv_len : 0;
    fw->image = fw->file + embedded;
    fw->size = fw->file_size - embedded;
    fw->base = FOUR_GB - fw->size;
    snprintf(fw->checks, sizeof(fw->checks),
             "%s OVMF %s, reset vector %02x %02x %02x %02x %02x, no SMM",
             hk_ovmf_build_name(fw->size) ? hk_ovmf_build_name(fw->size) : "?",
             embedded ? "unified image" : "CODE", ci.rv_bytes[0], ci.rv_bytes[1], ci.rv_bytes[2],
             ci.rv_bytes[3], ci.rv_bytes[4]);

    /* the variable store's starting contents: the VM's own file, or the template */
    char msg[HK_FW_MESSAGE_MAX];
    const char *origin = "";
    if (cfg->ovmf_vars) {
        snprintf(fw->vars_path, sizeof(fw->vars_path), "%s", cfg->ovmf_vars);
        int fd = open(cfg->ovmf_vars, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            /* made from the template only once every check passed (hk_firmware_create_store):
             * a refused configuration leaves nothing behind */
            if (embedded) {
                fw->vars_init = copy_file(fw->file, embedded);
                fw->vars_size = fw->vars_init ? embedded : 0;
            } else if (hk_fw_read_file(template_path, HK_FW_MAX_IMAGE, &fw->vars_init,
                                       &fw->vars_size, &err) != HK_FW_R_OK) {
                fw->vars_init = NULL;
            }
            int e = dir_writable(cfg->ovmf_vars);
            if (e) {
                snprintf(msg, sizeof(msg), "Cannot create the VM's UEFI variable store %s: %s.",
                         cfg->ovmf_vars, strerror(e));
                return uefi_refuse(fw, log, HK_FW_PROBLEM_VARS_WRITE, msg);
            }
            fw->vars_create = true;
            origin =
                embedded ? ", created from the image's own store" : ", created from the template";
        } else if (fd < 0) {
            snprintf(msg, sizeof(msg),
                     "Cannot open the VM's UEFI variable store %s for writing: %s.", cfg->ovmf_vars,
                     strerror(errno));
            return uefi_refuse(fw, log, HK_FW_PROBLEM_VARS_WRITE, msg);
        } else {
            fw->vars_fd = fd;
            if (take_store(fw, log) < 0)
                return -1;
        }
    } else if (embedded) {
        fw->vars_init = copy_file(fw->file, embedded);
        fw->vars_size = fw->vars_init ? embedded : 0;
    } else if (hk_fw_read_file(template_path, HK_FW_MAX_IMAGE, &fw->vars_init, &fw->vars_size,
                               &err) != HK_FW_R_OK) {
        fw->vars_init = NULL;
    }
    snprintf(fw->vars_template, sizeof(fw->vars_template), "%s", !embedded ? template_path : "");
    /* the file may have changed since validation: check again what will be mapped */
    char why[160];
    size_t want = embedded ? embedded : hk_ovmf_vars_size_for_code(fw->size);
    unsigned nvars = 0;
    bool walk_ok = false;
    if (!fw->vars_init || fw->vars_size != want ||
        !hk_ovmf_vars_valid(fw->vars_init, fw->vars_size, why, sizeof(why), &nvars, &walk_ok)) {
        snprintf(msg, sizeof(msg), "The UEFI variable store %s changed while it was checked.",
                 cfg->ovmf_vars ? cfg->ovmf_vars : template_path);
        return uefi_refuse(fw, log, HK_FW_PROBLEM_BAD_VARS, msg);
    }
    const char *store = cfg->ovmf_vars ? cfg->ovmf_vars : embedded ? code : template_path;
    /* the facts carry the files as paths; the text says what was found */
    snprintf(fw->vars_store, sizeof(fw->vars_store), "%s", store);
    snprintf(fw->vars_made_from, sizeof(fw->vars_made_from), "%s",
             origin[0] && !embedded ? template_path : "");
    snprintf(fw->vars_checks, sizeof(fw->vars_checks), "%zu KiB, %u variable%s%s%s%s",
             fw->vars_size / 1024, nvars, nvars == 1 ? "" : "s", walk_ok ? "" : ", list damaged",
             origin, cfg->ovmf_vars ? "" : "; in memory only: no --ovmf-vars");
    if (!walk_ok)
        hk_warn(log, "the variable list in %s is damaged; OVMF will try to repair it", store);
    return 0;
}

int hk_firmware_load(struct hk_firmware *fw, const struct hk_firmware_config *cfg,
                     struct hk_log *log)
{
    memset(fw, 0, sizeof(*fw));
    fw->kind = cfg->kind;
    fw->vars_fd = -1;
    if (cfg->kind == HK_FW_UEFI)
        return load_uefi(fw, cfg, log);
    struct hk_fw_check *chk = malloc(sizeof(*chk));
    if (!chk)
        return refuse(fw, log, HK_FW_PROBLEM_UNREADABLE, "Out of memory.");
    int r = check(fw, cfg, log, chk);
    if (r == 0)
        snprintf(fw->path, sizeof(fw->path), "%s", chk->code);
    free(chk);
    if (r < 0)
        return -1;
    int err = 0;
    if (hk_fw_read_file(fw->path, HK_FW_MAX_IMAGE, &fw->file, &fw->file_size, &err) != HK_FW_R_OK ||
        fw->file_size % HK_FW_BLOCK ||
        (cfg->kind == HK_FW_BIOS && !hk_fw_reset_vector_ok(fw->file, fw->file_size)))
        return refuse(fw, log, HK_FW_PROBLEM_UNREADABLE,
                      "the firmware %s changed while it was checked", fw->path);
    fw->image = fw->file;
    fw->size = fw->file_size;
    snprintf(fw->checks, sizeof(fw->checks), "%zu KiB, reset vector %02x %02x %02x %02x %02x",
             fw->size / 1024, fw->image[fw->size - 16], fw->image[fw->size - 15],
             fw->image[fw->size - 14], fw->image[fw->size - 13], fw->image[fw->size - 12]);
    fw->base = FOUR_GB - fw->size;
    return 0;
}

void hk_firmware_reset(struct hk_firmware *fw, uint8_t *ram, size_t ram_size)
{
    if (fw->vars)
        hk_flash_reset(fw->vars);
    if (!fw->image || ram_size < 0x100000)
        return;
    size_t n = fw->size < SHADOW_SIZE ? fw->size : SHADOW_SIZE;
    /* the option ROM area reads as empty again, the BIOS area as the pristine image */
    memset(ram + 0xC0000, 0, 0x20000);
    memset(ram + SHADOW_BASE, 0, SHADOW_SIZE - n);
    memcpy(ram + 0x100000 - n, fw->image + fw->size - n, n);
}

int hk_firmware_map(struct hk_firmware *fw, struct hk_vm *vm, uint8_t *ram, size_t ram_size)
{
    if (hk_vm_map(vm, fw->base, fw->size, fw->image, HK_MEM_READONLY, "firmware") < 0) {
        hk_err(vm->log, "cannot map the firmware at 0x%llx", (unsigned long long)fw->base);
        return -1;
    }
    if (fw->kind == HK_FW_UEFI) {
        fw->vars = calloc(1, sizeof(*fw->vars));
        uint64_t vbase = fw->base - fw->vars_size;
        int fd = fw->vars_fd;
        fw->vars_fd = -1; /* the flash owns it now */
        if (!fw->vars ||
            hk_flash_init(fw->vars, vm, vbase, fw->vars_init, fw->vars_size, fd, fw->vars_path) <
                0 ||
            hk_flash_attach(fw->vars) < 0) {
            hk_err(vm->log, "cannot map the UEFI variable store at 0x%llx",
                   (unsigned long long)vbase);
            return -1;
        }
    }
    hk_firmware_reset(fw, ram, ram_size);
    hk_fact_typed(&vm->facts, HK_FACT_FIRMWARE, fw->kind, (int64_t)fw->size, 0, 0, fw->path, NULL,
                  "%s", fw->checks);
    if (fw->kind == HK_FW_UEFI)
        hk_fact_typed(&vm->facts, HK_FACT_FIRMWARE_VARS, (int64_t)fw->vars_size,
                      (int64_t)fw->base - (int64_t)fw->vars_size, 0, 0, fw->vars_store,
                      fw->vars_made_from, "%s", fw->vars_checks);
    return 0;
}

void hk_firmware_free(struct hk_firmware *fw)
{
    if (fw->vars) {
        if (fw->vars->array)
            hk_flash_destroy(fw->vars);
        free(fw->vars);
        fw->vars = NULL;
    }
    if (fw->vars_fd >= 0)
        close(fw->vars_fd);
    fw->vars_fd = -1;
    hk_fw_free_file(fw->vars_init, fw->vars_size);
    fw->vars_init = NULL;
    hk_fw_free_file(fw->file, fw->file_size);
    fw->file = NULL;
    fw->image = NULL;
}
