/* HakoEngine: see hako-engine.h. */
#include "hako-engine.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako-enums.h"
#include "hako-fs.h"

#define SERIAL_HISTORY_MAX (256 * 1024)
#define SEND_QUEUE_MAX     8192
#define STDERR_KEEP        8192

struct _HakoEngine {
    GObject parent_instance;

    GSubprocess *process;
    GPid pid;
    int sock;
    guint sock_watch;
    GQueue send_queue; /* struct hk_msg * waiting for room in the socket */
    guint out_watch;
    GCancellable *cancellable;
    char *log_path;

    HakoEngineState state;
    gboolean connected; /* HELLO exchanged */
    gboolean stopped_msg;
    int exit_status;
    gboolean signaled;
    char *stop_reason;
    GString *stderr_tail;
    GInputStream *stderr_stream;
    guint8 stderr_buf[1024];

    /* display */
    struct hk_msg_scanout scanout;
    gboolean have_scanout;
    guint8 *vram;
    gsize vram_size;
    dev_t vram_dev;
    ino_t vram_ino;
    gboolean pointer_absolute;

    GArray *facts;
    GByteArray *serial;
    struct hk_msg_net net;
    gboolean have_net;
    guint next_request;
    guint64 damage_messages;
    guint32 damage_seq;
    gboolean damage_unacked;
};

G_DEFINE_FINAL_TYPE(HakoEngine, hako_engine, G_TYPE_OBJECT)

enum { PROP_0, PROP_STATE, PROP_POINTER_ABSOLUTE, N_PROPS };
static GParamSpec *props[N_PROPS];

enum {
    SIG_SCANOUT_CHANGED,
    SIG_DAMAGE,
    SIG_SERIAL_OUTPUT,
    SIG_FACT,
    SIG_COMMAND_RESULT,
    SIG_EXITED,
    SIG_NET_CHANGED,
    N_SIGNALS
};
static guint signals[N_SIGNALS];

static void set_state(HakoEngine *self, HakoEngineState state)
{
    if (self->state == state)
        return;
    self->state = state;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

static void unmap_vram(HakoEngine *self)
{
    if (self->vram)
        munmap(self->vram, self->vram_size);
    self->vram = NULL;
    self->vram_size = 0;
    self->vram_ino = 0;
    self->vram_dev = 0;
}

static void close_socket(HakoEngine *self)
{
    g_clear_handle_id(&self->sock_watch, g_source_remove);
    g_clear_handle_id(&self->out_watch, g_source_remove);
    g_queue_clear_full(&self->send_queue, g_free);
    if (self->sock >= 0)
        close(self->sock);
    self->sock = -1;
    self->connected = FALSE;
}

/* ---- sending ---- */

static gboolean flush_queue(HakoEngine *self)
{
    while (!g_queue_is_empty(&self->send_queue)) {
        struct hk_msg *m = g_queue_peek_head(&self->send_queue);
        int r = hk_proto_send(self->sock, m, -1);
        if (r == HK_PROTO_AGAIN)
            return FALSE;
        if (r == HK_PROTO_ESOCKET) {
            /* the engine went away; its exit is reported by the process watch */
            g_queue_clear_full(&self->send_queue, g_free);
            return TRUE;
        }
        g_free(g_queue_pop_head(&self->send_queue));
    }
    return TRUE;
}

static gboolean on_socket_writable(int fd, GIOCondition cond, gpointer data)
{
    HakoEngine *self = data;
    (void)fd;
    (void)cond;
    if (flush_queue(self)) {
        self->out_watch = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void send_msg(HakoEngine *self, const struct hk_msg *m)
{
    if (self->sock < 0)
        return;
    if (g_queue_is_empty(&self->send_queue)) {
        int r = hk_proto_send(self->sock, m, -1);
        if (r == HK_PROTO_OK)
            return;
        if (r == HK_PROTO_ESOCKET)
            return; /* disconnected: the process watch reports it */
        if (r != HK_PROTO_AGAIN) {
            g_warning("not sending a malformed %s message", hk_proto_type_name(m->type));
            return;
        }
    }
    if (g_queue_get_length(&self->send_queue) >= SEND_QUEUE_MAX) {
        g_warning("the engine is not reading its control socket; dropping %s",
                  hk_proto_type_name(m->type));
        return;
    }
    g_queue_push_tail(&self->send_queue, g_memdup2(m, sizeof(*m)));
    if (!self->out_watch)
        self->out_watch = g_unix_fd_add(self->sock, G_IO_OUT, on_socket_writable, self);
}

static void send_simple(HakoEngine *self, enum hk_msg_type type)
{
    struct hk_msg m = {.type = type};
    if (self->connected)
        send_msg(self, &m);
}

/* ---- receiving ---- */

static void handle_scanout(HakoEngine *self, const struct hk_msg *m, int fd)
{
    if (fd >= 0) {
        struct stat st;
        if (!hk_proto_vram_sealed(fd)) {
            /* an engine's memfd that could shrink under the mapping would kill the app */
            g_warning("ignoring the engine's video memory: it is not sealed at its size");
        } else if (fstat(fd, &st) == 0 && st.st_size > 0) {
            if (!(self->vram && st.st_dev == self->vram_dev && st.st_ino == self->vram_ino &&
                  (gsize)st.st_size == self->vram_size)) {
                void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED) {
                    g_warning("cannot map the engine's video memory: %s", g_strerror(errno));
                } else {
                    unmap_vram(self);
                    self->vram = p;
                    self->vram_size = (gsize)st.st_size;
                    self->vram_dev = st.st_dev;
                    self->vram_ino = st.st_ino;
                }
            }
        }
        close(fd);
    }
    self->scanout = m->u.scanout;
    self->have_scanout = m->u.scanout.format != HK_FORMAT_NONE && self->vram &&
                         hk_proto_scanout_valid(&m->u.scanout, self->vram_size);
    if (m->u.scanout.format != HK_FORMAT_NONE && !self->have_scanout)
        g_warning("ignoring a scanout outside the shared video memory");
    g_signal_emit(self, signals[SIG_SCANOUT_CHANGED], 0);
}

static void handle_message(HakoEngine *self, const struct hk_msg *m, int fd)
{
    if (!hk_proto_is_event(m->type)) {
        g_warning("the engine sent a command (%s)", hk_proto_type_name(m->type));
        if (fd >= 0)
            close(fd);
        return;
    }
    if (m->type == HK_MSG_HELLO) {
        if (m->u.hello.magic != HK_PROTO_MAGIC || m->u.hello.version != HK_PROTO_VERSION) {
            g_warning("the engine speaks protocol version %u, not %u", m->u.hello.version,
                      HK_PROTO_VERSION);
            close_socket(self);
            return;
        }
        struct hk_msg reply = {.type = HK_MSG_HELLO};
        reply.u.hello.magic = HK_PROTO_MAGIC;
        reply.u.hello.version = HK_PROTO_VERSION;
        reply.u.hello.pid = (uint32_t)getpid();
        self->connected = TRUE;
        send_msg(self, &reply);
        if (self->state == HAKO_ENGINE_STATE_STARTING)
            set_state(self, HAKO_ENGINE_STATE_CREATED);
        return;
    }
    if (!self->connected) {
        if (fd >= 0)
            close(fd);
        return;
    }
    switch (m->type) {
    case HK_EV_STATE:
        if (m->u.state.state == HK_STATE_STOPPED) {
            self->stopped_msg = TRUE;
            g_free(self->stop_reason);
            self->stop_reason = g_strdup(m->u.state.reason);
            self->exit_status = m->u.state.exit_code;
            /* the process exit decides between STOPPED and FAILED */
        } else if (self->state != HAKO_ENGINE_STATE_STOPPED &&
                   self->state != HAKO_ENGINE_STATE_FAILED) {
            set_state(self, m->u.state.state == HK_STATE_RUNNING  ? HAKO_ENGINE_STATE_RUNNING
                            : m->u.state.state == HK_STATE_PAUSED ? HAKO_ENGINE_STATE_PAUSED
                                                                  : HAKO_ENGINE_STATE_CREATED);
        }
        break;
    case HK_EV_SCANOUT: handle_scanout(self, m, fd); return;
    case HK_EV_DAMAGE:
        self->damage_messages++;
        self->damage_seq = m->u.damage.seq;
        self->damage_unacked = TRUE;
        if (self->have_scanout)
            g_signal_emit(self, signals[SIG_DAMAGE], 0, &m->u.damage);
        else
            hako_engine_display_ack(self);
        break;
    case HK_EV_POINTER_MODE:
        if (self->pointer_absolute != m->u.absolute) {
            self->pointer_absolute = m->u.absolute;
            g_object_notify_by_pspec(G_OBJECT(self), props[PROP_POINTER_ABSOLUTE]);
        }
        break;
    case HK_EV_SERIAL: {
        g_byte_array_append(self->serial, m->u.bytes.data, m->u.bytes.len);
        if (self->serial->len > SERIAL_HISTORY_MAX)
            g_byte_array_remove_range(self->serial, 0, self->serial->len - SERIAL_HISTORY_MAX);
        g_autoptr(GBytes) bytes = g_bytes_new(m->u.bytes.data, m->u.bytes.len);
        g_signal_emit(self, signals[SIG_SERIAL_OUTPUT], 0, bytes);
        break;
    }
    case HK_EV_FACT:
        g_array_append_val(self->facts, m->u.fact);
        g_signal_emit(self, signals[SIG_FACT], 0, &m->u.fact);
        break;
    case HK_EV_RESULT:
        g_signal_emit(self, signals[SIG_COMMAND_RESULT], 0, m->u.result.command, m->u.result.id,
                      m->u.result.status, m->u.result.message);
        break;
    case HK_EV_NET:
        self->net = m->u.net;
        self->have_net = TRUE;
        g_signal_emit(self, signals[SIG_NET_CHANGED], 0);
        break;
    default: break;
    }
    if (fd >= 0)
        close(fd);
}

static gboolean on_socket_readable(int fd, GIOCondition cond, gpointer data)
{
    HakoEngine *self = data;
    (void)cond;
    /* bounded batch, so a chatty engine cannot starve the main loop */
    int resets = 0;
    for (int i = 0; i < 256 && self->sock == fd; i++) {
        struct hk_msg m;
        int rfd = -1;
        int r = hk_proto_recv(fd, &m, &rfd);
        if (r == HK_PROTO_AGAIN)
            return G_SOURCE_CONTINUE;
        if (r == HK_PROTO_ESOCKET && errno == ECONNRESET && resets++ < 2) {
            /* an engine that exits with our HELLO unread leaves ECONNRESET, reported once,
             * before the messages it sent last (its refusals): read on */
            continue;
        }
        if (r == HK_PROTO_EOF || r == HK_PROTO_ESOCKET) {
            /* end of stream or a socket error: the process watch reports the exit */
            self->sock_watch = 0;
            close_socket(self);
            return G_SOURCE_REMOVE;
        }
        if (r != HK_PROTO_OK) {
            g_warning("malformed message from the engine: %s", hk_proto_error_name(r));
            continue;
        }
        handle_message(self, &m, rfd);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- the process ---- */

static void on_stderr_read(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(HakoEngine) self = data;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, NULL);
    if (n <= 0)
        return;
    g_string_append_len(self->stderr_tail, (const char *)self->stderr_buf, n);
    if (self->stderr_tail->len > STDERR_KEEP)
        g_string_erase(self->stderr_tail, 0, (gssize)(self->stderr_tail->len - STDERR_KEEP));
    g_input_stream_read_async(self->stderr_stream, self->stderr_buf, sizeof(self->stderr_buf),
                              G_PRIORITY_DEFAULT, self->cancellable, on_stderr_read,
                              g_object_ref(self));
}

static void on_process_exited(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(HakoEngine) self = data;
    g_autoptr(GError) error = NULL;
    if (!g_subprocess_wait_finish(G_SUBPROCESS(source), res, &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
    }
    /* read whatever the engine said last */
    if (self->sock >= 0)
        on_socket_readable(self->sock, G_IO_IN, self);
    close_socket(self);

    GSubprocess *p = G_SUBPROCESS(source);
    gboolean clean = FALSE;
    if (g_subprocess_get_if_signaled(p)) {
        int sig = g_subprocess_get_term_sig(p);
        self->exit_status = 128 + sig;
        self->signaled = TRUE;
        g_free(self->stop_reason);
        self->stop_reason = g_strdup_printf(_("The engine was terminated by signal %d (%s)."), sig,
                                            g_strsignal(sig));
    } else {
        self->exit_status = g_subprocess_get_exit_status(p);
        clean = self->exit_status == 0;
        if (!self->stop_reason || !*self->stop_reason) {
            g_free(self->stop_reason);
            self->stop_reason =
                clean ? g_strdup(_("The virtual machine was turned off."))
                      : g_strdup_printf(_("The engine exited with status %d."), self->exit_status);
        }
    }
    set_state(self, clean ? HAKO_ENGINE_STATE_STOPPED : HAKO_ENGINE_STATE_FAILED);
    g_signal_emit(self, signals[SIG_EXITED], 0);
}

gboolean hako_engine_spawn(HakoEngine *self, const char *engine_path, const char *const *args,
                           const char *workdir, const char *log_path, GError **error)
{
    g_return_val_if_fail(self->state == HAKO_ENGINE_STATE_NONE, FALSE);
    if (!engine_path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    _("The engine program (hako-vmm) is not installed."));
        return FALSE;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    _("Cannot create the engine’s control socket: %s"), g_strerror(e));
        return FALSE;
    }
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)engine_path);
    g_ptr_array_add(argv, (gpointer) "--control-fd=3");
    g_autofree char *log_arg = log_path ? g_strdup_printf("--log=%s", log_path) : NULL;
    if (log_arg)
        g_ptr_array_add(argv, log_arg);
    for (gsize i = 0; args && args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);

    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
        G_SUBPROCESS_FLAGS_STDIN_INHERIT);
    if (workdir)
        g_subprocess_launcher_set_cwd(launcher, workdir);
    g_subprocess_launcher_take_fd(launcher, sv[1], 3);
    self->process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
    g_clear_object(&launcher); /* closes our copy of the engine's end */
    if (!self->process) {
        close(sv[0]);
        return FALSE;
    }
    const char *id = g_subprocess_get_identifier(self->process);
    self->pid = id ? (GPid)g_ascii_strtoll(id, NULL, 10) : 0;
    self->sock = sv[0];
    g_free(self->log_path);
    self->log_path = g_strdup(log_path);
    self->sock_watch =
        g_unix_fd_add(self->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket_readable, self);
    self->stderr_stream = g_object_ref(g_subprocess_get_stderr_pipe(self->process));
    g_input_stream_read_async(self->stderr_stream, self->stderr_buf, sizeof(self->stderr_buf),
                              G_PRIORITY_DEFAULT, self->cancellable, on_stderr_read,
                              g_object_ref(self));
    g_subprocess_wait_async(self->process, self->cancellable, on_process_exited,
                            g_object_ref(self));
    set_state(self, HAKO_ENGINE_STATE_STARTING);
    return TRUE;
}

/* ---- public API ---- */

HakoEngineState hako_engine_get_state(HakoEngine *self)
{
    return self->state;
}

gboolean hako_engine_is_alive(HakoEngine *self)
{
    return self->state >= HAKO_ENGINE_STATE_STARTING && self->state <= HAKO_ENGINE_STATE_PAUSED;
}

int hako_engine_get_exit_status(HakoEngine *self)
{
    return self->exit_status;
}

gboolean hako_engine_get_signaled(HakoEngine *self)
{
    return self->signaled;
}

const char *hako_engine_get_stop_reason(HakoEngine *self)
{
    return self->stop_reason;
}

GPid hako_engine_get_pid(HakoEngine *self)
{
    return self->pid;
}

char *hako_engine_get_log_tail(HakoEngine *self, guint max_lines)
{
    g_autoptr(GString) all = g_string_new(NULL);
    /* the end of the log only (it can be long): a few lines are wanted */
    g_autofree char *log =
        self->log_path ? hako_fs_read_tail(self->log_path, 64 * 1024, NULL, NULL) : NULL;
    if (log)
        g_string_append(all, log);
    if (self->stderr_tail->len) {
        if (all->len && all->str[all->len - 1] != '\n')
            g_string_append_c(all, '\n');
        g_string_append_len(all, self->stderr_tail->str, (gssize)self->stderr_tail->len);
    }
    /* keep the last max_lines non-empty lines */
    g_auto(GStrv) lines = g_strsplit(all->str, "\n", -1);
    guint n = g_strv_length(lines);
    GPtrArray *keep = g_ptr_array_new();
    for (guint i = n; i > 0 && keep->len < max_lines; i--) {
        if (lines[i - 1][0])
            g_ptr_array_insert(keep, 0, lines[i - 1]);
    }
    g_ptr_array_add(keep, NULL);
    g_autofree char *joined = g_strjoinv("\n", (char **)keep->pdata);
    g_ptr_array_free(keep, TRUE);
    return g_utf8_make_valid(joined, -1);
}

void hako_engine_start(HakoEngine *self)
{
    send_simple(self, HK_CMD_START);
}

void hako_engine_pause(HakoEngine *self)
{
    send_simple(self, HK_CMD_PAUSE);
}

void hako_engine_resume(HakoEngine *self)
{
    send_simple(self, HK_CMD_RESUME);
}

void hako_engine_reset(HakoEngine *self)
{
    send_simple(self, HK_CMD_RESET);
}

void hako_engine_power_button(HakoEngine *self)
{
    send_simple(self, HK_CMD_POWER_BUTTON);
}

void hako_engine_power_off(HakoEngine *self)
{
    if (self->connected)
        send_simple(self, HK_CMD_POWER_OFF);
    else if (self->process && hako_engine_is_alive(self))
        g_subprocess_send_signal(self->process, SIGTERM);
}

const struct hk_msg_net *hako_engine_get_net(HakoEngine *self)
{
    return self->have_net ? &self->net : NULL;
}

void hako_engine_set_link(HakoEngine *self, gboolean up)
{
    struct hk_msg m = {.type = HK_CMD_NET_LINK};
    m.u.link_up = up;
    if (self->connected)
        send_msg(self, &m);
}

void hako_engine_send_key(HakoEngine *self, guint evdev_code, gboolean down)
{
    if (!self->connected || evdev_code == 0 || evdev_code > 0x2FF)
        return;
    struct hk_msg m = {.type = HK_CMD_KEY};
    m.u.key.code = evdev_code;
    m.u.key.down = down;
    send_msg(self, &m);
}

void hako_engine_send_combo(HakoEngine *self, const guint *codes, gsize n)
{
    for (gsize i = 0; i < n; i++)
        hako_engine_send_key(self, codes[i], TRUE);
    for (gsize i = n; i > 0; i--)
        hako_engine_send_key(self, codes[i - 1], FALSE);
}

void hako_engine_pointer_abs(HakoEngine *self, guint x, guint y, int dz, guint buttons)
{
    if (!self->connected)
        return;
    struct hk_msg m = {.type = HK_CMD_POINTER_ABS};
    m.u.pointer.x = (int32_t)MIN(x, 0xFFFFu);
    m.u.pointer.y = (int32_t)MIN(y, 0xFFFFu);
    m.u.pointer.dz = CLAMP(dz, -255, 255);
    m.u.pointer.buttons = buttons & 0x1F;
    send_msg(self, &m);
}

void hako_engine_pointer_rel(HakoEngine *self, int dx, int dy, int dz, guint buttons)
{
    if (!self->connected)
        return;
    struct hk_msg m = {.type = HK_CMD_POINTER_REL};
    m.u.pointer.x = CLAMP(dx, -0xFFFF, 0xFFFF);
    m.u.pointer.y = CLAMP(dy, -0xFFFF, 0xFFFF);
    m.u.pointer.dz = CLAMP(dz, -255, 255);
    m.u.pointer.buttons = buttons & 0x1F;
    send_msg(self, &m);
}

void hako_engine_change_cd(HakoEngine *self, const char *path)
{
    if (!self->connected)
        return;
    struct hk_msg m = {.type = path ? HK_CMD_CD_CHANGE : HK_CMD_CD_EJECT};
    if (path) {
        if (strlen(path) > HK_PROTO_MAX_PATH || !*path)
            return;
        g_strlcpy(m.u.path.path, path, sizeof(m.u.path.path));
    }
    send_msg(self, &m);
}

guint hako_engine_screenshot(HakoEngine *self, const char *png_path)
{
    if (!self->connected || !png_path || !*png_path || strlen(png_path) > HK_PROTO_MAX_PATH)
        return 0;
    struct hk_msg m = {.type = HK_CMD_SCREENSHOT};
    m.u.path.id = ++self->next_request;
    g_strlcpy(m.u.path.path, png_path, sizeof(m.u.path.path));
    send_msg(self, &m);
    return m.u.path.id;
}

void hako_engine_serial_input(HakoEngine *self, const guint8 *data, gsize len)
{
    while (self->connected && len > 0) {
        struct hk_msg m = {.type = HK_CMD_SERIAL_INPUT};
        gsize n = MIN(len, (gsize)HK_PROTO_MAX_SERIAL);
        memcpy(m.u.bytes.data, data, n);
        m.u.bytes.len = (uint32_t)n;
        send_msg(self, &m);
        data += n;
        len -= n;
    }
}

void hako_engine_display_ack(HakoEngine *self)
{
    if (!self->connected || !self->damage_unacked)
        return;
    struct hk_msg m = {.type = HK_CMD_DISPLAY_ACK};
    m.u.ack_seq = self->damage_seq;
    self->damage_unacked = FALSE;
    send_msg(self, &m);
}

const struct hk_msg_scanout *hako_engine_get_scanout(HakoEngine *self)
{
    return self->have_scanout ? &self->scanout : NULL;
}

const guint8 *hako_engine_get_vram(HakoEngine *self, gsize *size)
{
    if (size)
        *size = self->vram_size;
    return self->vram;
}

gboolean hako_engine_get_pointer_absolute(HakoEngine *self)
{
    return self->pointer_absolute;
}

static inline void pixel_rgb(uint32_t format, const guint8 *p, guint8 *out)
{
    switch (format) {
    case HK_FORMAT_XRGB8888: out[0] = p[2], out[1] = p[1], out[2] = p[0]; break;
    case HK_FORMAT_BGRX8888: out[0] = p[1], out[1] = p[2], out[2] = p[3]; break;
    case HK_FORMAT_RGB565:
    case HK_FORMAT_RGB565_BE: {
        guint v =
            format == HK_FORMAT_RGB565 ? (guint)(p[0] | p[1] << 8) : (guint)(p[1] | p[0] << 8);
        out[0] = (guint8)(((v >> 11) & 31) * 255 / 31);
        out[1] = (guint8)(((v >> 5) & 63) * 255 / 63);
        out[2] = (guint8)((v & 31) * 255 / 31);
        break;
    }
    default: out[0] = out[1] = out[2] = 0;
    }
}

GdkTexture *hako_engine_snapshot(HakoEngine *self, guint max_width, guint max_height)
{
    const struct hk_msg_scanout *s = hako_engine_get_scanout(self);
    if (!s || !self->vram || max_width == 0 || max_height == 0)
        return NULL;
    double scale = MIN(1.0, MIN((double)max_width / s->width, (double)max_height / s->height));
    guint w = MAX(1u, (guint)(s->width * scale));
    guint h = MAX(1u, (guint)(s->height * scale));
    unsigned bpp = hk_proto_format_bpp(s->format);
    /* the picture is centred in a black max_width x max_height frame, so every thumbnail of the
     * library has the same size whatever the guest's mode */
    guint ox = (max_width - w) / 2, oy = (max_height - h) / 2;
    gsize stride = (gsize)max_width * 3;
    guint8 *out = g_malloc0(stride * max_height);
    /* box filter: each thumbnail pixel averages the guest pixels it covers (text stays legible
     * as grey instead of turning into scattered dots) */
    for (guint y = 0; y < h; y++) {
        guint y0 = (guint)((guint64)y * s->height / h),
              y1 = (guint)((guint64)(y + 1) * s->height / h);
        y1 = MAX(y1, y0 + 1);
        for (guint x = 0; x < w; x++) {
            guint x0 = (guint)((guint64)x * s->width / w),
                  x1 = (guint)((guint64)(x + 1) * s->width / w);
            x1 = MAX(x1, x0 + 1);
            guint sum[3] = {0, 0, 0}, n = 0;
            for (guint sy = y0; sy < y1; sy++) {
                const guint8 *row = self->vram + s->offset + (guint64)sy * s->stride;
                for (guint sx = x0; sx < x1; sx++) {
                    guint8 rgb[3];
                    pixel_rgb(s->format, row + (gsize)sx * bpp, rgb);
                    sum[0] += rgb[0], sum[1] += rgb[1], sum[2] += rgb[2];
                    n++;
                }
            }
            guint8 *o = out + (y + oy) * stride + (x + ox) * 3;
            o[0] = (guint8)(sum[0] / n), o[1] = (guint8)(sum[1] / n), o[2] = (guint8)(sum[2] / n);
        }
    }
    g_autoptr(GBytes) bytes = g_bytes_new_take(out, stride * max_height);
    return gdk_memory_texture_new((int)max_width, (int)max_height, GDK_MEMORY_R8G8B8, bytes,
                                  stride);
}

GArray *hako_engine_get_facts(HakoEngine *self)
{
    return self->facts;
}

GBytes *hako_engine_get_serial_history(HakoEngine *self)
{
    return g_bytes_new(self->serial->data, self->serial->len);
}

guint64 hako_engine_get_damage_messages(HakoEngine *self)
{
    return self->damage_messages;
}

/* ---- GObject ---- */

static void hako_engine_dispose(GObject *object)
{
    HakoEngine *self = HAKO_ENGINE(object);
    g_cancellable_cancel(self->cancellable);
    close_socket(self);
    if (self->process && hako_engine_is_alive(self))
        g_subprocess_send_signal(self->process, SIGTERM);
    g_clear_object(&self->process);
    g_clear_object(&self->stderr_stream);
    G_OBJECT_CLASS(hako_engine_parent_class)->dispose(object);
}

static void hako_engine_finalize(GObject *object)
{
    HakoEngine *self = HAKO_ENGINE(object);
    unmap_vram(self);
    g_clear_object(&self->cancellable);
    g_free(self->stop_reason);
    g_free(self->log_path);
    g_string_free(self->stderr_tail, TRUE);
    g_array_unref(self->facts);
    g_byte_array_unref(self->serial);
    G_OBJECT_CLASS(hako_engine_parent_class)->finalize(object);
}

static void hako_engine_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    HakoEngine *self = HAKO_ENGINE(object);
    switch (id) {
    case PROP_STATE: g_value_set_enum(value, self->state); break;
    case PROP_POINTER_ABSOLUTE: g_value_set_boolean(value, self->pointer_absolute); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_engine_class_init(HakoEngineClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = hako_engine_dispose;
    oc->finalize = hako_engine_finalize;
    oc->get_property = hako_engine_get_property;

    props[PROP_STATE] =
        g_param_spec_enum("state", NULL, NULL, HAKO_TYPE_ENGINE_STATE, HAKO_ENGINE_STATE_NONE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_POINTER_ABSOLUTE] =
        g_param_spec_boolean("pointer-absolute", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(oc, N_PROPS, props);

    signals[SIG_SCANOUT_CHANGED] =
        g_signal_new("scanout-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    /* const struct hk_msg_damage * */
    signals[SIG_DAMAGE] = g_signal_new("damage", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
    signals[SIG_SERIAL_OUTPUT] =
        g_signal_new("serial-output", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);
    /* const struct hk_fact * */
    signals[SIG_FACT] = g_signal_new("fact", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
    signals[SIG_COMMAND_RESULT] =
        g_signal_new("command-result", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_INT, G_TYPE_STRING);
    signals[SIG_EXITED] = g_signal_new("exited", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
    signals[SIG_NET_CHANGED] = g_signal_new("net-changed", G_TYPE_FROM_CLASS(klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void hako_engine_init(HakoEngine *self)
{
    self->sock = -1;
    g_queue_init(&self->send_queue);
    self->cancellable = g_cancellable_new();
    self->stderr_tail = g_string_new(NULL);
    self->facts = g_array_new(FALSE, TRUE, sizeof(struct hk_fact));
    self->serial = g_byte_array_new();
}

HakoEngine *hako_engine_new(void)
{
    return g_object_new(HAKO_TYPE_ENGINE, NULL);
}
