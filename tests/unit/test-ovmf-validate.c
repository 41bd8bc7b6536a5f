/* OVMF validation before a VM starts (vmm/common/ovmf.c, hako/firmware.h) with the real Debian 12
 * files in /usr/share/OVMF (skipped when the ovmf package is not installed): matching CODE/VARS
 * pairs pass; 2 MiB CODE with the 4 MiB store and the reverse, Secure Boot builds, swapped files, a
 * store as CODE, damaged stores and odd sizes are refused with the files to use instead. Also the
 * firmware descriptor parser, the reset-vector walk and discovery. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#include "hako/firmware.h"

#define D          "/usr/share/OVMF/"
#define CODE_4M    D "OVMF_CODE_4M.fd"
#define VARS_4M    D "OVMF_VARS_4M.fd"
#define CODE_2M    D "OVMF_CODE.fd"
#define VARS_2M    D "OVMF_VARS.fd"
#define SECBOOT_4M D "OVMF_CODE_4M.secboot.fd"
#define MS_4M      D "OVMF_CODE_4M.ms.fd"
#define UNIFIED    "/usr/share/ovmf/OVMF.fd"

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hako-test-ovmf-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
}

static void tmp_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, data, len), len);
    close(fd);
}

/* reads a whole image (NULL when it cannot) */
static uint8_t *rd(const char *path, size_t *n)
{
    uint8_t *buf = NULL;
    int err;
    if (hk_fw_read_file(path, HK_FW_MAX_IMAGE, &buf, n, &err) != HK_FW_R_OK)
        return NULL;
    return buf;
}

/* copies src to tmpdir/name, optionally changing one byte */
static void copy_to(const char *src, const char *name, char *out, size_t len, long poke_at,
                    uint8_t poke)
{
    size_t n;
    uint8_t *buf = rd(src, &n);
    CHECK(buf != NULL);
    if (poke_at >= 0 && (size_t)poke_at < n)
        buf[poke_at] = poke;
    tmp_path(out, len, name);
    write_file(out, buf, n);
    hk_fw_free_file(buf, n);
}

static void test_debian_pairs(void)
{
    struct hk_fw_check c;
    /* the pairs Debian ships */
    CHECK_EQ(hk_ovmf_validate(CODE_4M, NULL, VARS_4M, NULL, &c), 0);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_NONE);
    CHECK_EQ(hk_ovmf_validate(CODE_2M, NULL, VARS_2M, NULL, &c), 0);
    /* the VM's own store takes precedence over the template when it exists */
    CHECK_EQ(hk_ovmf_validate(CODE_4M, VARS_4M, VARS_2M, NULL, &c), 0);
    /* a store that does not exist yet: the template is what will be used */
    CHECK_EQ(hk_ovmf_validate(CODE_4M, "/nonexistent/vm/OVMF_VARS.fd", VARS_4M, NULL, &c), 0);
    /* the unified 2 MiB image carries its own store */
    if (access(UNIFIED, R_OK) == 0)
        CHECK_EQ(hk_ovmf_validate(UNIFIED, NULL, NULL, NULL, &c), 0);

    /* 2 MiB CODE with the 4 MiB store: refused, with the right store named */
    CHECK_EQ(hk_ovmf_validate(CODE_2M, NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_MISMATCH);
    CHECK_STR(c.use_vars, VARS_2M);
    CHECK(strstr(c.message, "2 MiB build") && strstr(c.message, "528 KiB"));
    /* and the reverse */
    CHECK_EQ(hk_ovmf_validate(CODE_4M, NULL, VARS_2M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_MISMATCH);
    CHECK_STR(c.use_vars, VARS_4M);
    /* the VM's own store from the other build (the template would fit, the store does not) */
    CHECK_EQ(hk_ovmf_validate(CODE_4M, VARS_2M, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_MISMATCH);
}

static void test_secure_boot(void)
{
    struct hk_fw_check c;
    CHECK_EQ(hk_ovmf_validate(SECBOOT_4M, NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_SECURE_BOOT);
    CHECK_STR(c.use_code, CODE_4M);
    CHECK_STR(c.use_vars, VARS_4M);
    CHECK(strstr(c.message, "Secure Boot") != NULL);
    /* the .ms.fd symlink too */
    CHECK_EQ(hk_ovmf_validate(MS_4M, NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_SECURE_BOOT);
    /* a copy under an innocent name is recognised by its contents (descriptor's file) */
    char copy[128];
    copy_to(SECBOOT_4M, "firmware.fd", copy, sizeof(copy), -1, 0);
    char which[200];
    size_t n;
    uint8_t *img = rd(copy, &n);
    CHECK(hk_ovmf_requires_smm(copy, img, n, NULL, which, sizeof(which)));
    CHECK(strstr(which, "same contents") != NULL);
    hk_fw_free_file(img, n);
    CHECK_EQ(hk_ovmf_validate(copy, NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_SECURE_BOOT);
    /* while a copy of the plain build under a Secure Boot-looking name... is judged by the
     * descriptors first: the same contents as the plain build, so no SMM */
    char plain[128];
    copy_to(CODE_4M, "mycode.secboot.fd", plain, sizeof(plain), -1, 0);
    img = rd(plain, &n);
    CHECK(!hk_ovmf_requires_smm(plain, img, n, NULL, which, sizeof(which)));
    hk_fw_free_file(img, n);
    /* the plain build passes */
    img = rd(CODE_4M, &n);
    CHECK(!hk_ovmf_requires_smm(CODE_4M, img, n, NULL, which, sizeof(which)));
    hk_fw_free_file(img, n);
    unlink(copy);
    unlink(plain);
}

static void test_wrong_way(void)
{
    struct hk_fw_check c;
    /* swapped arguments */
    CHECK_EQ(hk_ovmf_validate(VARS_4M, NULL, CODE_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_SWAPPED);
    CHECK_STR(c.use_code, CODE_4M);
    CHECK_STR(c.use_vars, VARS_4M);
    CHECK_EQ(hk_ovmf_validate(VARS_2M, VARS_2M, CODE_2M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_NOT_CODE); /* a store as CODE, a store as VARS */
    /* a store as CODE alone */
    CHECK_EQ(hk_ovmf_validate(VARS_4M, NULL, NULL, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_NOT_CODE);
    CHECK_STR(c.use_code, CODE_4M);
    /* CODE as the store */
    CHECK_EQ(hk_ovmf_validate(CODE_4M, NULL, CODE_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_SWAPPED);
    CHECK_STR(c.use_vars, VARS_4M);
    /* missing files */
    CHECK_EQ(hk_ovmf_validate("/nonexistent/OVMF_CODE.fd", NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_NOT_FOUND);
    CHECK_EQ(hk_ovmf_validate(CODE_4M, NULL, "/nonexistent/OVMF_VARS.fd", NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_NOT_FOUND);
    CHECK_EQ(hk_ovmf_validate(CODE_4M, NULL, NULL, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_NOT_FOUND);
    CHECK_STR(c.use_vars, VARS_4M);
    /* not a regular file */
    CHECK_EQ(hk_ovmf_validate("/usr/share/OVMF", NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_UNREADABLE);
    CHECK_EQ(c.reason, HK_FW_R_NOT_REGULAR);
}

static void test_damaged(void)
{
    struct hk_fw_check c;
    char p[128];
    /* a store whose header checksum no longer adds up */
    copy_to(VARS_4M, "bad-sum.fd", p, sizeof(p), 0x32, 0x00);
    CHECK_EQ(hk_ovmf_validate(CODE_4M, p, NULL, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_BAD_VARS);
    CHECK(strstr(c.message, "checksum") != NULL);
    CHECK_STR(c.use_vars, VARS_4M);
    unlink(p);
    /* the signature gone */
    copy_to(VARS_4M, "no-fvh.fd", p, sizeof(p), 0x28, 'x');
    CHECK_EQ(hk_ovmf_validate(CODE_4M, p, NULL, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_BAD_VARS);
    unlink(p);
    /* the variable store header not healthy */
    copy_to(VARS_4M, "unhealthy.fd", p, sizeof(p), 0x48 + 21, 0x00);
    CHECK_EQ(hk_ovmf_validate(CODE_4M, p, NULL, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_BAD_VARS);
    unlink(p);
    /* CODE whose reset vector was overwritten */
    size_t n;
    uint8_t *img = rd(CODE_4M, &n);
    memset(img + n - 16, 0xFF, 16);
    tmp_path(p, sizeof(p), "no-rv.fd");
    write_file(p, img, n);
    CHECK_EQ(hk_ovmf_validate(p, NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_NOT_CODE);
    unlink(p);
    /* CODE cut short (not whole blocks) */
    hk_fw_free_file(img, n);
    img = rd(CODE_4M, &n);
    tmp_path(p, sizeof(p), "short.fd");
    write_file(p, img + 100, n - 100);
    CHECK_EQ(hk_ovmf_validate(p, NULL, VARS_4M, NULL, &c), -1);
    CHECK(c.problem == HK_FW_PROBLEM_BAD_SIZE || c.problem == HK_FW_PROBLEM_NOT_CODE);
    unlink(p);
    /* CODE of a size no OVMF build has */
    tmp_path(p, sizeof(p), "odd.fd");
    write_file(p, img + 0x1000, n - 0x1000);
    CHECK_EQ(hk_ovmf_validate(p, NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_BAD_SIZE);
    unlink(p);
    hk_fw_free_file(img, n);
    /* an empty file */
    tmp_path(p, sizeof(p), "empty.fd");
    write_file(p, "", 0);
    CHECK_EQ(hk_ovmf_validate(p, NULL, VARS_4M, NULL, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_BAD_SIZE);
    unlink(p);
}

static void test_inspect(void)
{
    struct hk_ovmf_info i;
    size_t n;
    uint8_t *img = rd(CODE_4M, &n);
    hk_ovmf_inspect(img, n, &i);
    CHECK_EQ(i.kind, HK_OVMF_CODE);
    CHECK(i.reset_vector);
    CHECK_EQ(i.rv_bytes[0], 0x90);
    CHECK_EQ(hk_ovmf_vars_size_for_code(n), 0x84000);
    hk_fw_free_file(img, n);
    /* the 2 MiB build starts with mov eax, cr0; test al, 1; jz: the walk follows the jz */
    img = rd(CODE_2M, &n);
    hk_ovmf_inspect(img, n, &i);
    CHECK_EQ(i.kind, HK_OVMF_CODE);
    CHECK_EQ(i.rv_bytes[0], 0x0F);
    CHECK_EQ(hk_ovmf_vars_size_for_code(n), 0x20000);
    hk_fw_free_file(img, n);
    img = rd(VARS_4M, &n);
    hk_ovmf_inspect(img, n, &i);
    CHECK_EQ(i.kind, HK_OVMF_VARS);
    CHECK(!i.reset_vector);
    CHECK_EQ(i.vars_fv_len, 0x84000);
    CHECK(i.vars_walk_ok);
    CHECK_STR(i.vars_problem, "");
    hk_fw_free_file(img, n);
    if (access(UNIFIED, R_OK) == 0) {
        img = rd(UNIFIED, &n);
        hk_ovmf_inspect(img, n, &i);
        CHECK_EQ(i.kind, HK_OVMF_UNIFIED);
        CHECK_EQ(i.vars_fv_len, 0x20000);
        hk_fw_free_file(img, n);
    }
    /* synthetic reset vectors */
    static uint8_t t[0x10000];
    memset(t, 0xFF, sizeof(t));
    hk_ovmf_inspect(t, sizeof(t), &i);
    CHECK(!i.reset_vector);
    CHECK_EQ(i.kind, HK_OVMF_UNKNOWN);
    memset(t + sizeof(t) - 16, 0, 16);
    static const uint8_t far[] = {0xEA, 0x5B, 0xE0, 0x00, 0xF0};
    memcpy(t + sizeof(t) - 16, far, sizeof(far));
    hk_ovmf_inspect(t, sizeof(t), &i);
    CHECK(i.reset_vector);
    /* a near jump into 0xFF padding is not a way into firmware */
    static const uint8_t near_pad[] = {0x90, 0x90, 0xE9, 0x00, 0x80};
    memcpy(t + sizeof(t) - 16, near_pad, sizeof(near_pad));
    hk_ovmf_inspect(t, sizeof(t), &i);
    CHECK(!i.reset_vector);
    /* jmp from 0xFFF2 back to 0x8000 (rel16 = 0x8000 - 0xFFF5) where code is */
    static const uint8_t near_ok[] = {0x90, 0x90, 0xE9, 0x0B, 0x80};
    memcpy(t + sizeof(t) - 16, near_ok, sizeof(near_ok));
    t[0x8000] = 0xFA;
    hk_ovmf_inspect(t, sizeof(t), &i);
    CHECK(i.reset_vector);
    /* garbage */
    static const uint8_t junk[] = {0x12, 0x34, 0x56};
    memcpy(t + sizeof(t) - 16, junk, sizeof(junk));
    hk_ovmf_inspect(t, sizeof(t), &i);
    CHECK(!i.reset_vector);
    /* tiny */
    hk_ovmf_inspect(t, 8, &i);
    CHECK(!i.reset_vector);
}

static void test_descriptor_parse(void)
{
    struct hk_fw_descriptor d;
    const char *j =
        "{\n \"description\": \"UEFI \\u00e9 \\\"x\\\"\",\n"
        " \"interface-types\": [\"uefi\"],\n"
        " \"mapping\": {\"device\": \"flash\",\n"
        "   \"executable\": {\"filename\": \"\\/a\\/code.fd\", \"format\": \"raw\"},\n"
        "   \"nvram-template\": {\"filename\": \"/a/vars.fd\", \"format\": \"raw\"}},\n"
        " \"targets\": [{\"architecture\": \"aarch64\", \"machines\": [\"virt-*\"]},\n"
        "   {\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\", \"pc-i440fx-*\"]}],\n"
        " \"features\": [\"acpi-s3\", \"requires-smm\", \"secure-boot\"],\n"
        " \"tags\": [], \"n\": -1.5e3, \"t\": true, \"f\": false, \"z\": null\n}\n";
    CHECK_EQ(hk_fw_descriptor_parse(j, strlen(j), &d), 0);
    CHECK(d.uefi && d.flash && d.x86_64 && d.i440fx && d.requires_smm && d.secure_boot);
    CHECK(!d.enrolled_keys);
    CHECK_STR(d.executable, "/a/code.fd");
    CHECK_STR(d.nvram_template, "/a/vars.fd");
    CHECK_STR(d.description, "UEFI \xc3\xa9 \"x\"");
    /* q35 only */
    const char *q = "{\"interface-types\":[\"uefi\"],\"mapping\":{\"device\":\"flash\","
                    "\"executable\":{\"filename\":\"/x\"}},\"targets\":[{\"architecture\":"
                    "\"x86_64\",\"machines\":[\"pc-q35-*\"]}]}";
    CHECK_EQ(hk_fw_descriptor_parse(q, strlen(q), &d), 0);
    CHECK(d.x86_64 && !d.i440fx && !d.requires_smm);
    /* not JSON, or not an object, or trailing junk, or too deep */
    static const char *const bad[] = {
        "",
        "[]",
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{\"a\":\"\\x\"}",
        "{} x",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":tru}",
        "{\"a\":\"x\n\"}",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}",
        "{\"a\":-}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(hk_fw_descriptor_parse(bad[i], strlen(bad[i]), &d), -1);
}

static void test_discovery(void)
{
    char code[512], vars[512];
    /* the system: the descriptors choose the plain 4 MiB pair for pc-i440fx */
    CHECK_EQ(hk_ovmf_find(NULL, code, vars, sizeof(code)), 0);
    CHECK_STR(code, CODE_4M);
    CHECK_STR(vars, VARS_4M);
    CHECK_EQ(hk_ovmf_template_for(CODE_2M, 0x1E0000, NULL, vars, sizeof(vars)), 0);
    CHECK_STR(vars, VARS_2M);

    /* no descriptors; a path list where the first pair does not match and the second does */
    const char *const no_dirs[] = {NULL};
    const char *const pairs[] = {"/nonexistent/OVMF_CODE.fd",
                                 "/nonexistent/OVMF_VARS.fd",
                                 CODE_2M,
                                 VARS_4M,
                                 CODE_2M,
                                 VARS_2M,
                                 NULL};
    struct hk_fw_search s = {NULL, no_dirs, pairs};
    CHECK_EQ(hk_ovmf_find(&s, code, vars, sizeof(code)), 0);
    CHECK_STR(code, CODE_2M);
    CHECK_STR(vars, VARS_2M);

    /* descriptors of our own: a requires-smm descriptor naming a file makes it refused */
    char dir[128], smmcopy[128], desc[1024], dpath[160];
    tmp_path(dir, sizeof(dir), "firmware");
    mkdir(dir, 0755);
    copy_to(CODE_4M, "plain-looking.fd", smmcopy, sizeof(smmcopy), -1, 0);
    snprintf(desc, sizeof(desc),
             "{\"description\":\"test SMM\",\"interface-types\":[\"uefi\"],\"mapping\":{"
             "\"device\":\"flash\",\"executable\":{\"filename\":\"%s\"},\"nvram-template\":{"
             "\"filename\":\"%s\"}},\"targets\":[{\"architecture\":\"x86_64\",\"machines\":["
             "\"pc-q35-*\"]}],\"features\":[\"requires-smm\"]}",
             smmcopy, VARS_4M);
    snprintf(dpath, sizeof(dpath), "%s/10-test.json", dir);
    write_file(dpath, desc, strlen(desc));
    const char *const dirs[] = {dir, NULL};
    struct hk_fw_search s2 = {NULL, dirs, pairs};
    struct hk_fw_check c;
    CHECK_EQ(hk_ovmf_validate(smmcopy, NULL, VARS_4M, &s2, &c), -1);
    CHECK_EQ(c.problem, HK_FW_PROBLEM_SECURE_BOOT);
    CHECK(strstr(c.message, "test SMM") != NULL);
    /* ...and the search skips it, falling back to the path list */
    CHECK_EQ(hk_ovmf_find(&s2, code, vars, sizeof(code)), 0);
    CHECK_STR(code, CODE_2M);
    unlink(dpath);
    rmdir(dir);
    unlink(smmcopy);
    /* nothing anywhere */
    const char *const none[] = {NULL};
    struct hk_fw_search s3 = {NULL, no_dirs, none};
    CHECK_EQ(hk_ovmf_find(&s3, code, vars, sizeof(code)), -1);
}

static bool collect_desc(void *opaque, const char *file, const struct hk_fw_descriptor *d)
{
    char *out = opaque;
    size_t l = strlen(out);
    snprintf(out + l, 512 - l, "%s%s=%s", l ? " " : "", strrchr(file, '/') + 1, d->description);
    return false;
}

/* QEMU's order: names sorted across the folders, a later folder replacing the same name; only
 * raw flash x86-64 UEFI builds; file names inside put under the root */
static void test_descriptor_dirs(void)
{
    char a[128], b[128], p[256];
    tmp_path(a, sizeof(a), "desc-a");
    tmp_path(b, sizeof(b), "desc-b");
    mkdir(a, 0755);
    mkdir(b, 0755);
    static const char *const fmt =
        "{\"description\":\"%s\",\"interface-types\":[\"uefi\"],\"mapping\":{\"device\":"
        "\"flash\",\"executable\":{\"filename\":\"/x/%s.fd\",\"format\":\"%s\"}},"
        "\"targets\":[{\"architecture\":\"x86_64\"}]}";
    static const struct {
        const char *dir, *name, *desc, *format;
    } files[] = {
        {"a", "50-one.json", "one-a", "raw"},   {"a", "60-two.json", "two", "raw"},
        {"b", "50-one.json", "one-b", "raw"},   {"b", "10-zero.json", "zero", "raw"},
        {"b", "70-qcow.json", "qcow", "qcow2"},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char json[512];
        snprintf(json, sizeof(json), fmt, files[i].desc, files[i].desc, files[i].format);
        snprintf(p, sizeof(p), "%s/%s", files[i].dir[0] == 'a' ? a : b, files[i].name);
        write_file(p, json, strlen(json));
    }
    char out[512] = "";
    const char *const dirs[] = {a, b, NULL};
    hk_fw_descriptor_foreach(dirs, NULL, collect_desc, out);
    CHECK_STR(out, "10-zero.json=zero 50-one.json=one-b 60-two.json=two");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", files[i].dir[0] == 'a' ? a : b, files[i].name);
        unlink(p);
    }
    rmdir(a);
    rmdir(b);
}

int main(void)
{
    if (access(CODE_4M, R_OK) != 0 || access(VARS_4M, R_OK) != 0 || access(CODE_2M, R_OK) != 0 ||
        access(SECBOOT_4M, R_OK) != 0) {
        printf("SKIP: Debian's ovmf package is not installed (%s)\n", D);
        return 77;
    }
    make_tmpdir();
    static const struct hk_test_case cases[] = {
        TEST(test_debian_pairs), TEST(test_secure_boot),     TEST(test_wrong_way),
        TEST(test_damaged),      TEST(test_inspect),         TEST(test_descriptor_parse),
        TEST(test_discovery),    TEST(test_descriptor_dirs),
    };
    int r = hk_test_run(cases, sizeof(cases) / sizeof(cases[0]));
    rmdir(tmpdir);
    return r;
}
