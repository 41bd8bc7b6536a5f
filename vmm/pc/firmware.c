#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/vm.h"

#define SHADOW_BASE 0xE0000ull
#define SHADOW_SIZE 0x20000ull
#define FOUR_GB     0x100000000ull

const char *hk_firmware_find_seabios(void)
{
    static const char *const paths[] = {
        "/usr/share/seabios/bios.bin",      /* Debian, Ubuntu, Fedora */
        "/usr/share/qemu/bios.bin",         /* Arch (qemu-system-x86-firmware) */
        "/usr/share/seabios/bios-256k.bin", /* Debian, Fedora */
        "/usr/share/qemu/bios-256k.bin",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

static uint8_t *read_file(const char *path, size_t *size, struct hk_log *log, const char *what)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hk_err(log, "cannot open %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        hk_err(log, "%s %s is not a regular file", what, path);
        close(fd);
        return NULL;
    }
    if (st.st_size <= 0 || st.st_size > (16 << 20)) {
        hk_err(log, "%s %s has an impossible size (%lld bytes; 1 byte to 16 MiB)", what, path,
               (long long)st.st_size);
        close(fd);
        return NULL;
    }
    size_t sz = (size_t)st.st_size;
    size_t mapsz = (sz + 4095) & ~(size_t)4095;
    uint8_t *buf = mmap(NULL, mapsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    size_t got = 0;
    while (got < sz) {
        ssize_t n = read(fd, buf + got, sz - got);
        if (n <= 0) {
            hk_err(log, "cannot read %s %s", what, path);
            munmap(buf, mapsz);
            close(fd);
            return NULL;
        }
        got += (size_t)n;
    }
    close(fd);
    *size = sz;
    return buf;
}

int hk_firmware_load(struct hk_firmware *fw, const struct hk_firmware_config *cfg,
                     struct hk_log *log)
{
    memset(fw, 0, sizeof(*fw));
    fw->kind = cfg->kind;
    const char *path = cfg->path;
    if (cfg->kind == HK_FW_UEFI) {
        hk_err(log, "UEFI firmware is not available in this build yet");
        return -1;
    }
    if (!path && cfg->kind == HK_FW_BIOS) {
        path = hk_firmware_find_seabios();
        if (!path) {
            hk_err(log, "no SeaBIOS found (install it: Debian/Ubuntu 'apt install seabios', "
                        "Fedora 'dnf install seabios-bin', Arch 'pacman -S seabios')");
            return -1;
        }
    }
    if (!path) {
        hk_err(log, "no firmware image given");
        return -1;
    }
    snprintf(fw->path, sizeof(fw->path), "%s", path);
    fw->image = read_file(path, &fw->size, log, "firmware");
    if (!fw->image)
        return -1;
    if (fw->size % 4096) {
        hk_err(log, "firmware %s is %zu bytes; a firmware image is a multiple of 4 KiB", path,
               fw->size);
        return -1;
    }
    uint8_t rv = fw->image[fw->size - 16];
    bool jump = rv == 0xEA || rv == 0xE9 || rv == 0xEB || rv == 0x90;
    if (cfg->kind == HK_FW_BIOS && !jump) {
        hk_err(log, "%s has no reset-vector jump at 4 GiB - 16 (found 0x%02x): not a BIOS image",
               path, rv);
        return -1;
    }
    snprintf(fw->checks, sizeof(fw->checks), "%zu KiB, reset vector %02x %02x %02x %02x %02x",
             fw->size / 1024, fw->image[fw->size - 16], fw->image[fw->size - 15],
             fw->image[fw->size - 14], fw->image[fw->size - 13], fw->image[fw->size - 12]);
    fw->base = FOUR_GB - fw->size;
    return 0;
}

void hk_firmware_reset(struct hk_firmware *fw, uint8_t *ram, size_t ram_size)
{
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
    hk_firmware_reset(fw, ram, ram_size);
    hk_fact(&vm->facts, HK_FACT_FIRMWARE, fw->kind, (int64_t)fw->size, 0, "%s (%s)", fw->path,
            fw->checks);
    return 0;
}

void hk_firmware_free(struct hk_firmware *fw)
{
    if (fw->image)
        munmap(fw->image, (fw->size + 4095) & ~(size_t)4095);
    fw->image = NULL;
}
