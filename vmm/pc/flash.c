#include "flash.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../core/vm.h"

#define SYNC_QUIET_NS 200000000ull /* fdatasync this long after the last change */

/* identifier codes (read identifier, 0x90): Intel, 28F128J3 */
#define ID_MANUFACTURER 0x89
#define ID_DEVICE       0x18

static unsigned log2_ceil(uint64_t v)
{
    unsigned n = 0;
    while ((1ull << n) < v)
        n++;
    return n;
}

/* CFI query data (JESD68.01): x8 device, one uniform erase region, basic command set 0x0001. */
static uint8_t cfi_byte(const struct hk_flash *f, unsigned off)
{
    uint64_t blocks = f->size / HK_FLASH_BLOCK;
    switch (off) {
    case 0x10: return 'Q';
    case 0x11: return 'R';
    case 0x12: return 'Y';
    case 0x13: return 0x01; /* primary command set: Intel/Sharp extended */
    case 0x14: return 0x00;
    case 0x15: return 0x31; /* primary extended query table at 0x31 */
    case 0x16: return 0x00;
    case 0x1B: return 0x45; /* Vcc min 4.5 V */
    case 0x1C: return 0x55; /* Vcc max 5.5 V */
    case 0x1F: return 0x07; /* typical byte program: 2^7 us */
    case 0x20: return 0x07; /* typical buffer write: 2^7 us */
    case 0x21: return 0x0A; /* typical block erase: 2^10 ms */
    case 0x23: return 0x04; /* maximum = typical * 2^n */
    case 0x24: return 0x04;
    case 0x25: return 0x04;
    case 0x27: return (uint8_t)log2_ceil(f->size); /* device size 2^n bytes */
    case 0x28: return 0x00;                        /* interface: x8 only */
    case 0x29: return 0x00;
    case 0x2A: return (uint8_t)log2_ceil(HK_FLASH_WBUF_SIZE); /* write buffer 2^n bytes */
    case 0x2B: return 0x00;
    case 0x2C: return 0x01; /* one erase block region */
    case 0x2D: return (uint8_t)((blocks - 1) & 0xFF);
    case 0x2E: return (uint8_t)((blocks - 1) >> 8);
    case 0x2F: return (uint8_t)((HK_FLASH_BLOCK / 256) & 0xFF);
    case 0x30: return (uint8_t)((HK_FLASH_BLOCK / 256) >> 8);
    case 0x31: return 'P';
    case 0x32: return 'R';
    case 0x33: return 'I';
    case 0x34: return '1';
    case 0x35: return '0';
    default: return 0x00;
    }
}

/* ---- memslot (read-array mode) ---- */

static void enter_read_array(struct hk_flash *f)
{
    f->cmd = 0x00;
    f->wcycle = 0;
    if (f->attached && !f->romd) {
        if (hk_vm_map(f->vm, f->base, f->size, f->array, HK_MEM_READONLY, "uefi-vars") < 0)
            hk_warn(f->vm->log, "UEFI variable flash: cannot map it for reading again; reads "
                                "will be trapped");
        else
            f->romd = true;
    }
}

static void leave_read_array(struct hk_flash *f)
{
    if (f->romd) {
        hk_vm_unmap(f->vm, f->base);
        f->romd = false;
    }
}

/* ---- persistence ---- */

static void sync_cb(void *opaque)
{
    hk_flash_sync(opaque);
}

/* Writes [off, off+len) of the array to the file. Lock held. Returns false on an I/O error. */
static bool persist(struct hk_flash *f, uint64_t off, size_t len)
{
    if (f->fd < 0)
        return true;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(f->fd, f->array + off + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!f->io_error)
                hk_err(f->vm->log, "cannot write the UEFI variable store %s: %s", f->path,
                       n < 0 ? strerror(errno) : "short write");
            f->io_error = n < 0 ? errno : EIO;
            return false;
        }
        done += (size_t)n;
    }
    f->dirty = true;
    if (f->sync_timer)
        hk_timer_arm(f->sync_timer, SYNC_QUIET_NS, 0);
    return true;
}

int hk_flash_sync(struct hk_flash *f)
{
    pthread_mutex_lock(&f->lock);
    bool dirty = f->dirty;
    f->dirty = false;
    int fd = f->fd;
    pthread_mutex_unlock(&f->lock);
    if (!dirty || fd < 0)
        return 0;
    if (fdatasync(fd) == 0)
        return 0;
    int e = errno;
    hk_err(f->vm->log, "cannot make the UEFI variable store %s durable: %s", f->path, strerror(e));
    pthread_mutex_lock(&f->lock);
    f->dirty = true;
    f->io_error = e;
    pthread_mutex_unlock(&f->lock);
    return -1;
}

/* ---- facts ---- */

static void count_write(struct hk_flash *f, bool erase)
{
    uint64_t total = f->programs + f->erases;
    bool milestone = total == 1;
    for (uint64_t m = 100; m && m <= total; m *= 10)
        if (m == total)
            milestone = true;
    if (milestone)
        hk_fact(&f->vm->facts, HK_FACT_FLASH_WRITE, (int64_t)total, (int64_t)f->programs,
                (int64_t)f->erases, "%s (%llu byte programs, %llu block erases so far)",
                total == 1 ? (erase ? "first block erase in the UEFI variable store"
                                    : "first byte written to the UEFI variable store")
                           : "UEFI variable store writes",
                (unsigned long long)f->programs, (unsigned long long)f->erases);
    else
        hk_fact_count(&f->vm->facts, HK_FACT_FLASH_WRITE);
}

static void sequence_error(struct hk_flash *f, uint64_t off, uint8_t cmd)
{
    f->errors++;
    f->status |= HK_FLASH_SR_ERASE_ERR | HK_FLASH_SR_PROG_ERR;
    if (f->errors == 1)
        hk_fact(&f->vm->facts, HK_FACT_GUEST_ERROR, (int64_t)(f->base + off), cmd, f->cmd,
                "UEFI variable flash: command 0x%02x at offset 0x%llx is not valid here "
                "(pending 0x%02x)",
                cmd, (unsigned long long)off, f->cmd);
}

/* ---- the chip ---- */

static void program_bytes(struct hk_flash *f, uint64_t off, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size && off + i < f->size; i++)
        f->array[off + i] = (uint8_t)(value >> (8 * i));
    f->programs++;
    if (!persist(f, off, size))
        f->status |= HK_FLASH_SR_PROG_ERR;
    f->status |= HK_FLASH_SR_READY;
    count_write(f, false);
}

static void erase_block(struct hk_flash *f, uint64_t off)
{
    uint64_t start = off & ~(uint64_t)(HK_FLASH_BLOCK - 1);
    memset(f->array + start, 0xFF, HK_FLASH_BLOCK);
    f->erases++;
    if (!persist(f, start, HK_FLASH_BLOCK))
        f->status |= HK_FLASH_SR_ERASE_ERR;
    f->status |= HK_FLASH_SR_READY;
    count_write(f, true);
}

uint64_t hk_flash_read(struct hk_flash *f, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    bool probe_fact = false;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < size; i++) {
        uint64_t o = off + i;
        uint8_t b;
        switch (f->cmd) {
        case 0x00: b = o < f->size ? f->array[o] : 0xFF; break;
        case 0x90:
            b = (o & 0xFF) == 0 ? ID_MANUFACTURER : (o & 0xFF) == 1 ? ID_DEVICE : 0x00;
            break;
        case 0x98: b = cfi_byte(f, (unsigned)(o & 0xFF)); break;
        default: /* program, erase, lock, buffer write, read status: the status register */
            b = f->status;
            break;
        }
        v |= (uint64_t)b << (8 * i);
    }
    if (f->cmd == 0x70) {
        f->status_reads++;
        if (!f->probed) {
            f->probed = true;
            probe_fact = true;
        }
    }
    uint8_t st = f->status;
    pthread_mutex_unlock(&f->lock);
    if (probe_fact)
        hk_fact(&f->vm->facts, HK_FACT_FLASH_PROBE, st, 0, 0,
                "the firmware probed the UEFI variable flash and found it writable");
    return v;
}

void hk_flash_write(struct hk_flash *f, uint64_t off, uint64_t value, unsigned size)
{
    uint8_t cmd = (uint8_t)value;
    if (off >= f->size || size == 0 || size > 8 || off + size > f->size)
        return;
    pthread_mutex_lock(&f->lock);
    switch (f->wcycle) {
    case 0:
        switch (cmd) {
        case 0x00:
        case 0xF0:
        case 0xFF: enter_read_array(f); break;
        case 0x10:
        case 0x40:
        case 0x20:
        case 0x60:
            leave_read_array(f);
            f->cmd = cmd == 0x40 ? 0x10 : cmd;
            f->wcycle = 1;
            break;
        case 0x50:
            /* clears the status register and returns to read array; OVMF's probe expects the
             * status to read 0x00 afterwards (QEMU's model; real parts keep the ready bit) */
            f->status = 0x00;
            enter_read_array(f);
            break;
        case 0x70:
        case 0x90:
        case 0x98:
            leave_read_array(f);
            f->cmd = cmd;
            break;
        case 0xE8:
            leave_read_array(f);
            f->cmd = 0xE8;
            f->status |= HK_FLASH_SR_READY; /* buffer available */
            f->wcycle = 1;
            break;
        default:
            sequence_error(f, off, cmd);
            enter_read_array(f);
            break;
        }
        break;
    case 1:
        switch (f->cmd) {
        case 0x10:
            program_bytes(f, off, value, size);
            f->wcycle = 0; /* status mode until 0xFF */
            break;
        case 0x20:
            f->wcycle = 0;
            if (cmd == 0xD0) {
                erase_block(f, off);
            } else if (cmd == 0xFF) {
                enter_read_array(f);
            } else {
                sequence_error(f, off, cmd);
                f->cmd = 0x70;
            }
            break;
        case 0x60:
            f->wcycle = 0;
            if (cmd == 0x01 || cmd == 0xD0) {
                f->status |= HK_FLASH_SR_READY; /* lock bits are not kept: always unlocked */
            } else if (cmd == 0xFF) {
                enter_read_array(f);
            } else {
                sequence_error(f, off, cmd);
                f->cmd = 0x70;
            }
            break;
        case 0xE8:
            if ((unsigned)cmd + 1 > HK_FLASH_WBUF_SIZE) {
                sequence_error(f, off, cmd);
                f->wcycle = 0;
                f->cmd = 0x70;
                break;
            }
            f->wb_count = (unsigned)cmd + 1;
            f->wb_got = 0;
            memset(f->wb_mask, 0, sizeof(f->wb_mask));
            f->wb_start = off & ~(uint64_t)(HK_FLASH_WBUF_SIZE - 1);
            f->wcycle = 2;
            break;
        default:
            f->wcycle = 0;
            enter_read_array(f);
            break;
        }
        break;
    case 2: /* write-to-buffer data, each address inside the buffer's aligned window */
        if (off < f->wb_start || off + size > f->wb_start + HK_FLASH_WBUF_SIZE) {
            sequence_error(f, off, cmd);
            f->wcycle = 0;
            f->cmd = 0x70;
            break;
        }
        for (unsigned i = 0; i < size; i++) {
            f->wb_data[off - f->wb_start + i] = (uint8_t)(value >> (8 * i));
            f->wb_mask[off - f->wb_start + i] = 1;
        }
        f->wb_got += size;
        if (f->wb_got >= f->wb_count)
            f->wcycle = 3;
        break;
    case 3:
        f->wcycle = 0;
        if (cmd == 0xD0) {
            uint64_t start = f->wb_start;
            unsigned n = HK_FLASH_WBUF_SIZE;
            if (start + n > f->size)
                n = (unsigned)(f->size - start);
            for (unsigned i = 0; i < n; i++)
                if (f->wb_mask[i])
                    f->array[start + i] = f->wb_data[i];
            f->programs++;
            if (!persist(f, start, n))
                f->status |= HK_FLASH_SR_PROG_ERR;
            f->status |= HK_FLASH_SR_READY;
            count_write(f, false);
        } else {
            sequence_error(f, off, cmd);
            f->cmd = 0x70;
        }
        break;
    default:
        f->wcycle = 0;
        enter_read_array(f);
        break;
    }
    pthread_mutex_unlock(&f->lock);
}

/* ---- bus glue ---- */

static uint64_t ops_read(void *opaque, uint64_t off, unsigned size)
{
    return hk_flash_read(opaque, off, size);
}

static void ops_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    hk_flash_write(opaque, off, val, size);
}

static const struct hk_io_ops flash_ops = {ops_read, ops_write};

int hk_flash_init(struct hk_flash *f, struct hk_vm *vm, uint64_t base, const uint8_t *contents,
                  size_t size, int fd, const char *path)
{
    memset(f, 0, sizeof(*f));
    f->vm = vm;
    f->fd = -1;
    pthread_mutex_init(&f->lock, NULL);
    if (size == 0 || size % HK_FLASH_BLOCK || (base & (HK_FLASH_BLOCK - 1))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    f->array = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f->array == MAP_FAILED) {
        f->array = NULL;
        if (fd >= 0)
            close(fd);
        return -1;
    }
    memcpy(f->array, contents, size);
    f->base = base;
    f->size = size;
    f->fd = fd;
    snprintf(f->path, sizeof(f->path), "%s", path ? path : "");
    f->status = HK_FLASH_SR_READY;
    return 0;
}

int hk_flash_attach(struct hk_flash *f)
{
    struct hk_vm *vm = f->vm;
    if (hk_bus_add(&vm->mmio, f->base, f->size, &flash_ops, f, "uefi-vars") < 0)
        return -1;
    if (vm->loop && f->fd >= 0)
        f->sync_timer = hk_timer_new(vm->loop, sync_cb, f);
    pthread_mutex_lock(&f->lock);
    f->attached = true;
    enter_read_array(f);
    bool mapped = f->romd;
    pthread_mutex_unlock(&f->lock);
    return mapped ? 0 : -1;
}

void hk_flash_reset(struct hk_flash *f)
{
    pthread_mutex_lock(&f->lock);
    f->status = HK_FLASH_SR_READY;
    f->wb_got = f->wb_count = 0;
    enter_read_array(f);
    pthread_mutex_unlock(&f->lock);
    hk_flash_sync(f);
}

void hk_flash_destroy(struct hk_flash *f)
{
    if (f->sync_timer)
        hk_timer_arm(f->sync_timer, 0, 0);
    if (f->vm)
        hk_flash_sync(f);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->array)
        munmap(f->array, f->size);
    f->array = NULL;
    pthread_mutex_destroy(&f->lock);
}
