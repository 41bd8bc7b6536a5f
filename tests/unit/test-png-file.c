/* Screenshots (hako-vmm --screenshot, and HK_CMD_SCREENSHOT from the app's control socket) are
 * never written through an existing name: a symbolic link is refused (it used to be followed, so
 * a screenshot could overwrite any file the engine can write), as are a FIFO (no hang), a device
 * and a folder; a regular file is replaced by a new one (another name of the old file keeps its
 * contents); nothing is left behind on failure. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#include "host/png.h"

static char dir[256];

static const char *tmp(const char *name)
{
    static char bufs[4][512];
    static unsigned k;
    char *b = bufs[k++ % 4];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static bool contents_are(const char *path, const char *text)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

static bool is_png(const char *path)
{
    unsigned char sig[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(sig, 1, 8, f);
    fclose(f);
    return n == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
}

static unsigned entries(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "exit $(ls -A '%s' | wc -l)", dir);
    int st = system(cmd);
    return WIFEXITED(st) ? (unsigned)WEXITSTATUS(st) : 999;
}

static void test_png_file(void)
{
    static uint8_t rgb[16 * 8 * 3];
    memset(rgb, 0x80, sizeof(rgb));

    /* a new file, then replacing it */
    CHECK_EQ(hk_png_write_file(tmp("a.png"), rgb, 16, 8), 0);
    CHECK(is_png(tmp("a.png")));
    CHECK_EQ(hk_png_write_file(tmp("a.png"), rgb, 16, 8), 0);
    CHECK(is_png(tmp("a.png")));

    /* a symbolic link to a precious file: refused, the file untouched */
    put(tmp("precious.txt"), "precious");
    CHECK_EQ(symlink(tmp("precious.txt"), tmp("link.png")), 0);
    errno = 0;
    CHECK_EQ(hk_png_write_file(tmp("link.png"), rgb, 16, 8), -1);
    CHECK_EQ(errno, ELOOP);
    CHECK(contents_are(tmp("precious.txt"), "precious"));
    /* a dangling link: not created through either */
    CHECK_EQ(symlink(tmp("created-through-link.png"), tmp("dangling.png")), 0);
    CHECK_EQ(hk_png_write_file(tmp("dangling.png"), rgb, 16, 8), -1);
    CHECK(access(tmp("created-through-link.png"), F_OK) < 0);

    /* a hard link (another name of the same file): replaced, the other name keeps its text */
    CHECK_EQ(link(tmp("precious.txt"), tmp("hard.png")), 0);
    CHECK_EQ(hk_png_write_file(tmp("hard.png"), rgb, 16, 8), 0);
    CHECK(is_png(tmp("hard.png")));
    CHECK(contents_are(tmp("precious.txt"), "precious"));

    /* a FIFO (no hang: an alarm ends the test), a device, a folder */
    CHECK_EQ(mkfifo(tmp("fifo.png"), 0600), 0);
    alarm(10);
    CHECK_EQ(hk_png_write_file(tmp("fifo.png"), rgb, 16, 8), -1);
    alarm(0);
    CHECK_EQ(hk_png_write_file("/dev/null", rgb, 16, 8), -1);
    CHECK_EQ(hk_png_write_file(dir, rgb, 16, 8), -1);
    CHECK_EQ(hk_png_write_file("", rgb, 16, 8), -1);
    /* a folder that does not exist */
    CHECK_EQ(hk_png_write_file(tmp("no/such.png"), rgb, 16, 8), -1);

    /* nothing left behind: a.png precious.txt link.png dangling.png hard.png fifo.png */
    CHECK_EQ(entries(), 6);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/hako-test-png-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    static const struct hk_test_case cases[] = {TEST(test_png_file)};
    int r = hk_test_run(cases, 1);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        r = 1;
    return r;
}
