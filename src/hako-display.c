/* HakoDisplay: see hako-display.h.
 *
 * Rendering: one texture the size of the scanout. A scanout change reallocates it and uploads
 * everything; damage (row ranges from the engine) uploads just those rows with glTexSubImage2D
 * straight from the shared VRAM, using GL_UNPACK_ROW_LENGTH for the guest's stride. One quad is
 * drawn. The guest's usual format (XRGB8888: bytes B, G, R, X) is uploaded as GL_BGRA, which GL
 * stores as it comes (a plain copy, also under Mesa's llvmpipe) and samples in RGB order, so the
 * fragment shader only samples; formats GL cannot take as they are (big-endian XRGB, and every
 * 32-bit format on GLES without BGRA) are uploaded as bytes and put in order by a colour matrix
 * in a second shader. Nothing is uploaded or drawn unless the engine reported damage or the
 * widget changed, and the damage is acknowledged to the engine only after it is on screen. */
#include "hako-display.h"

#include <epoxy/gl.h>
#include <glib/gi18n.h>
#include <linux/input-event-codes.h>
#include <math.h>
#include <string.h>

#include "hako-enums.h"

#if defined(GDK_WINDOWING_X11) && defined(HAKO_HAVE_X11)
#include <X11/Xlib.h>
#include <gdk/x11/gdkx.h>
#define HAKO_X11 1
#endif

#define KEY_WORDS ((KEY_MAX + 64) / 64)

struct _HakoDisplay {
    GtkGLArea parent_instance;

    HakoEngine *engine;
    HakoScaleMode scale_mode;
    double zoom;

    /* the scanout the texture holds */
    struct hk_msg_scanout scanout;
    gboolean has_scanout;
    gboolean realloc_needed;
    struct hk_damage damage;
    guint8 *convert_buf; /* rows converted on the CPU (big-endian 16 bpp, or no ROW_LENGTH) */
    gsize convert_size;

    /* GL */
    gboolean gl_ok;
    gboolean gles;
    gboolean have_row_length;
    gboolean have_bgra; /* GL_BGRA uploads (desktop GL; GLES with GL_EXT_texture_format_BGRA8888) */
    GLuint program[2];  /* [0] samples the texture as it is, [1] through the colour matrix */
    GLint u_rect[2], u_cmat, u_tex[2];
    GLuint vao, vbo, texture;
    guint tex_w, tex_h;
    GLenum tex_filter;
    int dev_w, dev_h; /* GL area size in device pixels */

    /* where the image is, in device pixels, and its scale */
    double img_x, img_y, img_scale;
    double pan_x, pan_y; /* pointer position as a fraction of the widget, for panning */

    /* input */
    guint64 held[KEY_WORDS];
    guint buttons;
    double scroll_acc;
    gboolean captured;
    int release_keys;       /* 0 left Ctrl+Alt, 1 right Ctrl, 2 Ctrl+Alt+G (GSettings nicks) */
    gboolean release_armed; /* the release keys are down and nothing else was pressed */
    gboolean shortcuts_off; /* the window's shortcut handlers are switched off */
    gboolean relative;
    gboolean have_last;
    double last_x, last_y;
    double rel_acc_x, rel_acc_y;
    gboolean warp_pending;
    double warp_x, warp_y;
    GtkEventController *key_ctl;

    HakoDisplayStats stats;
    HakoDisplayStats stats_last;
    guint stats_timer;
};

G_DEFINE_FINAL_TYPE(HakoDisplay, hako_display, GTK_TYPE_GL_AREA)

enum {
    PROP_0,
    PROP_ENGINE,
    PROP_SCALE_MODE,
    PROP_ZOOM,
    PROP_HAS_SCANOUT,
    PROP_CAPTURED,
    PROP_RELATIVE,
    PROP_RELEASE_KEYS,
    N_PROPS
};
static GParamSpec *props[N_PROPS];

/* ---- GL ---- */

static const char *vs_modern = "in vec2 pos;\n"
                               "out vec2 v_uv;\n"
                               "uniform vec4 rect;\n"
                               "void main() {\n"
                               "  v_uv = pos;\n"
                               "  gl_Position = vec4(mix(rect.xy, rect.zw, pos), 0.0, 1.0);\n"
                               "}\n";
/* CMAT: the sampled texel goes through a colour matrix (formats uploaded out of order) */
static const char *fs_modern = "in vec2 v_uv;\n"
                               "out vec4 color;\n"
                               "uniform sampler2D tex;\n"
                               "#ifdef CMAT\n"
                               "uniform mat4 cmat;\n"
                               "#endif\n"
                               "void main() {\n"
                               "#ifdef CMAT\n"
                               "  color = vec4((cmat * texture(tex, v_uv)).rgb, 1.0);\n"
                               "#else\n"
                               "  color = vec4(texture(tex, v_uv).rgb, 1.0);\n"
                               "#endif\n"
                               "}\n";
static const char *vs_legacy = "attribute vec2 pos;\n"
                               "varying vec2 v_uv;\n"
                               "uniform vec4 rect;\n"
                               "void main() {\n"
                               "  v_uv = pos;\n"
                               "  gl_Position = vec4(mix(rect.xy, rect.zw, pos), 0.0, 1.0);\n"
                               "}\n";
static const char *fs_legacy = "varying vec2 v_uv;\n"
                               "uniform sampler2D tex;\n"
                               "#ifdef CMAT\n"
                               "uniform mat4 cmat;\n"
                               "#endif\n"
                               "void main() {\n"
                               "#ifdef CMAT\n"
                               "  gl_FragColor = vec4((cmat * texture2D(tex, v_uv)).rgb, 1.0);\n"
                               "#else\n"
                               "  gl_FragColor = vec4(texture2D(tex, v_uv).rgb, 1.0);\n"
                               "#endif\n"
                               "}\n";

static GLuint compile_shader(GLenum type, const char *header, const char *defines, const char *src)
{
    GLuint sh = glCreateShader(type);
    const char *parts[3] = {header, defines, src};
    glShaderSource(sh, 3, parts, NULL);
    glCompileShader(sh);
    GLint ok = 0;
    glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[1024] = "";
        glGetShaderInfoLog(sh, sizeof(log), NULL, log);
        g_warning("display shader: %s", log);
        glDeleteShader(sh);
        return 0;
    }
    return sh;
}

static GLuint link_program(const char *header, const char *defines, const char *vs_src,
                           const char *fs_src)
{
    GLuint vs = compile_shader(GL_VERTEX_SHADER, header, defines, vs_src);
    GLuint fs = compile_shader(GL_FRAGMENT_SHADER, header, defines, fs_src);
    if (!vs || !fs) {
        if (vs)
            glDeleteShader(vs);
        if (fs)
            glDeleteShader(fs);
        return 0;
    }
    GLuint program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glBindAttribLocation(program, 0, "pos");
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[1024] = "";
        glGetProgramInfoLog(program, sizeof(log), NULL, log);
        g_warning("display shader program: %s", log);
        glDeleteProgram(program);
        return 0;
    }
    return program;
}

static gboolean setup_gl(HakoDisplay *self)
{
    GdkGLContext *ctx = gtk_gl_area_get_context(GTK_GL_AREA(self));
    int major = 0, minor = 0;
    gdk_gl_context_get_version(ctx, &major, &minor);
    self->gles = gdk_gl_context_get_use_es(ctx);
    gboolean modern = self->gles ? major >= 3 : (major > 3 || (major == 3 && minor >= 2));
    self->have_row_length = !self->gles || major >= 3;
    self->have_bgra = !self->gles || epoxy_has_gl_extension("GL_EXT_texture_format_BGRA8888");
    const char *header =
        !modern      ? (self->gles ? "#version 100\nprecision mediump float;\n" : "#version 110\n")
        : self->gles ? "#version 300 es\nprecision mediump float;\n"
                     : "#version 150\n";
    for (int i = 0; i < 2; i++) {
        self->program[i] =
            link_program(header, i ? "#define CMAT 1\n" : "", modern ? vs_modern : vs_legacy,
                         modern ? fs_modern : fs_legacy);
        if (!self->program[i])
            return FALSE;
        self->u_rect[i] = glGetUniformLocation(self->program[i], "rect");
        self->u_tex[i] = glGetUniformLocation(self->program[i], "tex");
    }
    self->u_cmat = glGetUniformLocation(self->program[1], "cmat");

    static const GLfloat quad[] = {0, 0, 1, 0, 0, 1, 1, 1};
    if (modern) {
        glGenVertexArrays(1, &self->vao);
        glBindVertexArray(self->vao);
    }
    glGenBuffers(1, &self->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, self->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof(quad), quad, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
    if (modern)
        glBindVertexArray(0);

    glGenTextures(1, &self->texture);
    glBindTexture(GL_TEXTURE_2D, self->texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    self->tex_filter = GL_LINEAR;
    self->tex_w = self->tex_h = 0;
    return TRUE;
}

static void on_realize(GtkGLArea *area, gpointer data)
{
    HakoDisplay *self = HAKO_DISPLAY(area);
    (void)data;
    gtk_gl_area_make_current(area);
    /* the GL area paints all of itself (black around the picture); without GL, the style does */
    if (gtk_gl_area_get_error(area)) {
        self->gl_ok = FALSE;
        gtk_widget_add_css_class(GTK_WIDGET(area), "no-gl");
        return;
    }
    gtk_widget_remove_css_class(GTK_WIDGET(area), "no-gl");
    self->gl_ok = setup_gl(self);
    self->realloc_needed = TRUE;
}

static void on_unrealize(GtkGLArea *area, gpointer data)
{
    HakoDisplay *self = HAKO_DISPLAY(area);
    (void)data;
    gtk_gl_area_make_current(area);
    if (!gtk_gl_area_get_error(area) && self->gl_ok) {
        glDeleteTextures(1, &self->texture);
        glDeleteBuffers(1, &self->vbo);
        if (self->vao)
            glDeleteVertexArrays(1, &self->vao);
    }
    for (int i = 0; i < 2; i++) {
        if (self->program[i] && !gtk_gl_area_get_error(area))
            glDeleteProgram(self->program[i]);
        self->program[i] = 0;
    }
    self->texture = self->vbo = self->vao = 0;
    self->tex_w = self->tex_h = 0;
    self->gl_ok = FALSE;
}

static void on_resize(GtkGLArea *area, int width, int height, gpointer data)
{
    HakoDisplay *self = HAKO_DISPLAY(area);
    (void)data;
    self->dev_w = width;
    self->dev_h = height;
}

/* Upload format for a scanout format. */
static void gl_format(HakoDisplay *self, uint32_t format, GLenum *internal, GLenum *fmt,
                      GLenum *type)
{
    if (format == HK_FORMAT_XRGB8888 && self->have_bgra) {
        /* bytes B, G, R, X: GL_BGRA as it is in memory. The internal format stays unsized, so GL
         * picks a BGRA storage matching the upload: Mesa stores GL_RGBA8 as RGBA and swizzled
         * every upload on the CPU (5x the time of the copy under llvmpipe). */
        *internal = self->gles ? GL_BGRA_EXT : GL_RGBA;
        *fmt = GL_BGRA;
        *type = GL_UNSIGNED_BYTE;
    } else if (hk_proto_format_bpp(format) == 4) {
        /* bytes as R, G, B, A; the colour matrix puts them in order */
        *internal = self->gles ? GL_RGBA : GL_RGBA8;
        *fmt = GL_RGBA;
        *type = GL_UNSIGNED_BYTE;
    } else {
        *internal = self->gles ? GL_RGB : GL_RGB8;
        *fmt = GL_RGB;
        *type = GL_UNSIGNED_SHORT_5_6_5;
    }
}

static void upload_rows(HakoDisplay *self, const guint8 *base, uint32_t y0, uint32_t y1)
{
    const struct hk_msg_scanout *s = &self->scanout;
    unsigned bpp = hk_proto_format_bpp(s->format);
    GLenum internal, fmt, type;
    gl_format(self, s->format, &internal, &fmt, &type);
    gsize row = (gsize)s->width * bpp;
    gboolean swap16 = s->format == HK_FORMAT_RGB565_BE;
    gboolean packed = s->stride == row;

    if (!swap16 && (packed || self->have_row_length)) {
        if (self->have_row_length)
            glPixelStorei(GL_UNPACK_ROW_LENGTH, (GLint)(s->stride / bpp));
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, (GLint)y0, (GLsizei)s->width, (GLsizei)(y1 - y0), fmt,
                        type, base + (gsize)y0 * s->stride);
        if (self->have_row_length)
            glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    } else {
        /* copy into a packed buffer (byte-swapping big-endian 16-bit pixels) */
        gsize need = row * (y1 - y0);
        if (self->convert_size < need) {
            g_free(self->convert_buf);
            self->convert_buf = g_malloc(need);
            self->convert_size = need;
        }
        for (uint32_t y = y0; y < y1; y++) {
            const guint8 *src = base + (gsize)y * s->stride;
            guint8 *dst = self->convert_buf + (gsize)(y - y0) * row;
            if (swap16) {
                for (gsize i = 0; i + 1 < row; i += 2) {
                    dst[i] = src[i + 1];
                    dst[i + 1] = src[i];
                }
            } else {
                memcpy(dst, src, row);
            }
        }
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, (GLint)y0, (GLsizei)s->width, (GLsizei)(y1 - y0), fmt,
                        type, self->convert_buf);
    }
    self->stats.uploads++;
    self->stats.rows += y1 - y0;
}

static void upload(HakoDisplay *self)
{
    gsize vram_size = 0;
    const guint8 *vram = self->engine ? hako_engine_get_vram(self->engine, &vram_size) : NULL;
    if (!self->has_scanout || !vram || !hk_proto_scanout_valid(&self->scanout, vram_size)) {
        hk_damage_clear(&self->damage);
        return;
    }
    const struct hk_msg_scanout *s = &self->scanout;
    const guint8 *base = vram + s->offset;
    unsigned bpp = hk_proto_format_bpp(s->format);
    glBindTexture(GL_TEXTURE_2D, self->texture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, (s->stride % 4 == 0) ? 4 : (GLint)bpp);
    if (self->realloc_needed || self->tex_w != s->width || self->tex_h != s->height) {
        GLenum internal, fmt, type;
        gl_format(self, s->format, &internal, &fmt, &type);
        glTexImage2D(GL_TEXTURE_2D, 0, (GLint)internal, (GLsizei)s->width, (GLsizei)s->height, 0,
                     fmt, type, NULL);
        self->tex_w = s->width;
        self->tex_h = s->height;
        self->realloc_needed = FALSE;
        hk_damage_clear(&self->damage);
        hk_damage_add(&self->damage, 0, s->height);
        self->stats.full_uploads++;
    }
    hk_damage_clip(&self->damage, s->height);
    gint64 t0 = g_get_monotonic_time();
    for (unsigned i = 0; i < self->damage.n; i++)
        upload_rows(self, base, self->damage.r[i].y0, self->damage.r[i].y1);
    self->stats.upload_us += (guint64)(g_get_monotonic_time() - t0);
    hk_damage_clear(&self->damage);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
}

/* Computes where the image goes (device pixels). */
static void compute_layout(HakoDisplay *self)
{
    double w = self->scanout.width, h = self->scanout.height;
    double W = self->dev_w, H = self->dev_h;
    double s;
    if (w <= 0 || h <= 0 || W <= 0 || H <= 0) {
        self->img_scale = 1;
        self->img_x = self->img_y = 0;
        return;
    }
    switch (self->scale_mode) {
    case HAKO_SCALE_MODE_ORIGINAL: s = 1.0; break;
    case HAKO_SCALE_MODE_ZOOM: s = self->zoom; break;
    case HAKO_SCALE_MODE_FIT:
    default: s = MIN(W / w, H / h); break;
    }
    double dw = w * s, dh = h * s;
    /* centred when it fits; otherwise panned by the pointer so every part can be seen */
    self->img_x = dw <= W ? floor((W - dw) / 2) : -floor((dw - W) * self->pan_x);
    self->img_y = dh <= H ? floor((H - dh) / 2) : -floor((dh - H) * self->pan_y);
    self->img_scale = s;
}

static gboolean on_render(GtkGLArea *area, GdkGLContext *ctx, gpointer data)
{
    HakoDisplay *self = HAKO_DISPLAY(area);
    (void)ctx;
    (void)data;
    glViewport(0, 0, self->dev_w, self->dev_h);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!self->gl_ok || !self->has_scanout) {
        if (self->engine)
            hako_engine_display_ack(self->engine);
        return TRUE;
    }
    upload(self);
    compute_layout(self);
    double s = self->img_scale;
    double x0 = self->img_x, y0 = self->img_y;
    double x1 = x0 + self->scanout.width * s, y1 = y0 + self->scanout.height * s;
    /* device pixels -> normalised device coordinates (y up) */
    GLfloat rect[4] = {
        (GLfloat)(x0 / self->dev_w * 2 - 1),
        (GLfloat)(1 - y0 / self->dev_h * 2),
        (GLfloat)(x1 / self->dev_w * 2 - 1),
        (GLfloat)(1 - y1 / self->dev_h * 2),
    };
    /* integer scales stay sharp */
    GLenum filter = fabs(s - round(s)) < 1e-6 ? GL_NEAREST : GL_LINEAR;
    glBindTexture(GL_TEXTURE_2D, self->texture);
    if (filter != self->tex_filter) {
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, (GLint)filter);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, (GLint)filter);
        self->tex_filter = filter;
    }
    /* column-major colour matrices: output rgb from the texel of 32-bit pixels uploaded as bytes
     * R, G, B, A (see gl_format); the texture of every other format samples in RGB order */
    static const GLfloat bgrx[16] = {0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1};
    static const GLfloat xrgb[16] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1};
    const GLfloat *cmat = self->scanout.format == HK_FORMAT_BGRX8888                       ? xrgb
                          : self->scanout.format == HK_FORMAT_XRGB8888 && !self->have_bgra ? bgrx
                                                                                           : NULL;
    int p = cmat ? 1 : 0;
    glUseProgram(self->program[p]);
    glUniform4fv(self->u_rect[p], 1, rect);
    if (cmat)
        glUniformMatrix4fv(self->u_cmat, 1, GL_FALSE, cmat);
    glUniform1i(self->u_tex[p], 0);
    glActiveTexture(GL_TEXTURE0);
    if (self->vao) {
        glBindVertexArray(self->vao);
    } else {
        glBindBuffer(GL_ARRAY_BUFFER, self->vbo);
        glEnableVertexAttribArray(0);
        glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
    }
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    if (self->vao)
        glBindVertexArray(0);
    glUseProgram(0);
    self->stats.frames++;
    hako_engine_display_ack(self->engine);
    return TRUE;
}

/* ---- engine ---- */

static void set_has_scanout(HakoDisplay *self, gboolean has)
{
    if (self->has_scanout == has)
        return;
    self->has_scanout = has;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_HAS_SCANOUT]);
}

static void on_scanout_changed(HakoEngine *engine, gpointer data)
{
    HakoDisplay *self = data;
    const struct hk_msg_scanout *s = hako_engine_get_scanout(engine);
    if (s) {
        if (!self->has_scanout || s->format != self->scanout.format ||
            s->width != self->scanout.width || s->height != self->scanout.height)
            self->realloc_needed = TRUE;
        self->scanout = *s;
        hk_damage_clear(&self->damage);
        hk_damage_add(&self->damage, 0, s->height);
    } else {
        memset(&self->scanout, 0, sizeof(self->scanout));
        hk_damage_clear(&self->damage);
    }
    set_has_scanout(self, s != NULL);
    gtk_gl_area_queue_render(GTK_GL_AREA(self));
}

static void on_damage(HakoEngine *engine, gpointer damage, gpointer data)
{
    HakoDisplay *self = data;
    const struct hk_msg_damage *d = damage;
    (void)engine;
    for (unsigned i = 0; i < d->count && i < HK_PROTO_MAX_DAMAGE; i++)
        hk_damage_add(&self->damage, d->r[i].y0, d->r[i].y1);
    if (gtk_widget_get_mapped(GTK_WIDGET(self)))
        gtk_gl_area_queue_render(GTK_GL_AREA(self));
}

static void update_cursor(HakoDisplay *self);
static void release_capture(HakoDisplay *self);

static void on_pointer_mode(HakoEngine *engine, GParamSpec *pspec, gpointer data)
{
    HakoDisplay *self = data;
    (void)pspec;
    gboolean relative = !hako_engine_get_pointer_absolute(engine);
    if (relative == self->relative)
        return;
    self->relative = relative;
    if (!relative)
        release_capture(self);
    update_cursor(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RELATIVE]);
}

void hako_display_set_engine(HakoDisplay *self, HakoEngine *engine)
{
    if (self->engine == engine)
        return;
    hako_display_release(self);
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_set_object(&self->engine, engine);
    if (engine) {
        g_signal_connect(engine, "scanout-changed", G_CALLBACK(on_scanout_changed), self);
        g_signal_connect(engine, "damage", G_CALLBACK(on_damage), self);
        g_signal_connect(engine, "notify::pointer-absolute", G_CALLBACK(on_pointer_mode), self);
        on_scanout_changed(engine, self);
        self->relative = !hako_engine_get_pointer_absolute(engine);
    } else {
        set_has_scanout(self, FALSE);
        self->relative = TRUE;
    }
    update_cursor(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RELATIVE]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ENGINE]);
}

HakoEngine *hako_display_get_engine(HakoDisplay *self)
{
    return self->engine;
}

/* ---- input: keyboard ---- */

static gboolean key_held(HakoDisplay *self, guint code)
{
    return code <= KEY_MAX && (self->held[code / 64] >> (code % 64)) & 1;
}

static void set_held(HakoDisplay *self, guint code, gboolean down)
{
    if (code > KEY_MAX)
        return;
    if (down)
        self->held[code / 64] |= 1ull << (code % 64);
    else
        self->held[code / 64] &= ~(1ull << (code % 64));
}

static void release_keys(HakoDisplay *self)
{
    for (guint code = 1; code <= KEY_MAX; code++) {
        if (key_held(self, code)) {
            set_held(self, code, FALSE);
            if (self->engine)
                hako_engine_send_key(self->engine, code, FALSE);
        }
    }
}

static gboolean on_key_pressed(GtkEventControllerKey *ctl, guint keyval, guint keycode,
                               GdkModifierType state, gpointer data)
{
    HakoDisplay *self = data;
    (void)ctl;
    (void)state;
    guint code = hako_keymap_evdev_for_event(keycode, keyval);
    if (!code || !self->engine)
        return FALSE;
    set_held(self, code, TRUE);
    hako_engine_send_key(self->engine, code, TRUE);
    /* the release keys (a preference; left Ctrl+Alt by default) give the pointer back */
    gboolean release;
    switch (self->release_keys) {
    case 1: release = code == KEY_RIGHTCTRL; break;
    case 2:
        release = code == KEY_G &&
                  (key_held(self, KEY_LEFTCTRL) || key_held(self, KEY_RIGHTCTRL)) &&
                  (key_held(self, KEY_LEFTALT) || key_held(self, KEY_RIGHTALT));
        break;
    default:
        release = (code == KEY_LEFTALT && key_held(self, KEY_LEFTCTRL)) ||
                  (code == KEY_LEFTCTRL && key_held(self, KEY_LEFTALT));
    }
    /* acted on when the keys go up with nothing pressed in between, so Ctrl+Alt+Del and
     * Ctrl+Alt+F1 typed with the default keys still reach the guest */
    self->release_armed = release;
    return TRUE;
}

/* The release keys give back the pointer when it is captured, else the keyboard: the focus
 * leaves the screen, and Hako's shortcuts work again until the screen is clicked. */
static void release_pressed(HakoDisplay *self)
{
    if (self->captured) {
        release_capture(self);
        return;
    }
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    if (root)
        gtk_root_set_focus(root, NULL);
}

/* While the guest has the keyboard, the window's own shortcut handlers (application
 * accelerators, F10, mnemonics), which see every key before the focused widget, are switched off
 * so that every key reaches the guest. */
static void set_window_shortcuts(HakoDisplay *self, gboolean on)
{
    static const char *const names[] = {"gtk-application-shortcuts", "gtk-window-menubar-accel",
                                        "gtk-shortcut-manager-capture", NULL};
    if (self->shortcuts_off != on)
        return;
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    if (!GTK_IS_WINDOW(root))
        return;
    g_autoptr(GListModel) ctls = gtk_widget_observe_controllers(GTK_WIDGET(root));
    for (guint i = 0; i < g_list_model_get_n_items(ctls); i++) {
        g_autoptr(GtkEventController) c = g_list_model_get_item(ctls, i);
        const char *name = gtk_event_controller_get_name(c);
        if (name && g_strv_contains(names, name))
            gtk_event_controller_set_propagation_phase(c, on ? GTK_PHASE_CAPTURE : GTK_PHASE_NONE);
    }
    self->shortcuts_off = !on;
}

static void update_window_shortcuts(HakoDisplay *self)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    gboolean grabbed = GTK_IS_WINDOW(root) && gtk_window_is_active(GTK_WINDOW(root)) &&
                       gtk_widget_has_focus(GTK_WIDGET(self)) && self->engine;
    set_window_shortcuts(self, !grabbed);
}

static void on_key_released(GtkEventControllerKey *ctl, guint keyval, guint keycode,
                            GdkModifierType state, gpointer data)
{
    HakoDisplay *self = data;
    (void)ctl;
    (void)state;
    guint code = hako_keymap_evdev_for_event(keycode, keyval);
    if (!code || !key_held(self, code))
        return;
    set_held(self, code, FALSE);
    if (self->engine)
        hako_engine_send_key(self->engine, code, FALSE);
    if (self->release_armed) {
        self->release_armed = FALSE;
        release_pressed(self);
    }
}

static void on_has_focus(GtkWidget *widget, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    (void)data;
    update_window_shortcuts(HAKO_DISPLAY(widget));
}

static void on_focus_leave(GtkEventControllerFocus *ctl, gpointer data)
{
    (void)ctl;
    hako_display_release(HAKO_DISPLAY(data));
    update_window_shortcuts(HAKO_DISPLAY(data));
}

static void on_window_active(GtkWindow *window, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    if (!gtk_window_is_active(window))
        hako_display_release(HAKO_DISPLAY(data));
    update_window_shortcuts(HAKO_DISPLAY(data));
}

void hako_display_send_combo(HakoDisplay *self, const HakoKeyCombo *combo)
{
    if (!self->engine || !combo)
        return;
    hako_engine_send_combo(self->engine, combo->keys, hako_keymap_combo_length(combo));
}

/* ---- input: pointer ---- */

static void update_cursor(HakoDisplay *self)
{
    gboolean hide = self->has_scanout && (self->captured || !self->relative);
    gtk_widget_set_cursor_from_name(GTK_WIDGET(self), hide ? "none" : NULL);
}

#ifdef HAKO_X11
static gboolean x11_info(HakoDisplay *self, Display **dpy, Window *xid, double *sx, double *sy)
{
    GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
    GdkSurface *surface = native ? gtk_native_get_surface(native) : NULL;
    GdkDisplay *display = gtk_widget_get_display(GTK_WIDGET(self));
    if (!surface || !GDK_IS_X11_DISPLAY(display))
        return FALSE;
    *dpy = gdk_x11_display_get_xdisplay(display);
    *xid = gdk_x11_surface_get_xid(surface);
    /* the widget's centre in surface coordinates */
    graphene_point_t p = GRAPHENE_POINT_INIT(gtk_widget_get_width(GTK_WIDGET(self)) / 2.0f,
                                             gtk_widget_get_height(GTK_WIDGET(self)) / 2.0f);
    graphene_point_t q;
    if (!gtk_widget_compute_point(GTK_WIDGET(self), GTK_WIDGET(native), &p, &q))
        return FALSE;
    double tx = 0, ty = 0;
    gtk_native_get_surface_transform(native, &tx, &ty);
    *sx = q.x + tx;
    *sy = q.y + ty;
    return TRUE;
}
#endif

/* Puts the pointer back in the middle of the widget so relative motion never hits an edge. */
static void recenter_pointer(HakoDisplay *self)
{
#ifdef HAKO_X11
    Display *dpy;
    Window xid;
    double sx, sy;
    if (!x11_info(self, &dpy, &xid, &sx, &sy))
        return;
    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    XWarpPointer(dpy, None, xid, 0, 0, 0, 0, (int)(sx * scale), (int)(sy * scale));
    XFlush(dpy);
    self->warp_pending = TRUE;
    self->warp_x = gtk_widget_get_width(GTK_WIDGET(self)) / 2.0;
    self->warp_y = gtk_widget_get_height(GTK_WIDGET(self)) / 2.0;
#else
    (void)self;
#endif
}

static void capture(HakoDisplay *self, GdkEvent *event)
{
    if (self->captured || !self->engine)
        return;
    GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
    GdkSurface *surface = native ? gtk_native_get_surface(native) : NULL;
    if (surface && GDK_IS_TOPLEVEL(surface))
        gdk_toplevel_inhibit_system_shortcuts(GDK_TOPLEVEL(surface), event);
#ifdef HAKO_X11
    Display *dpy;
    Window xid;
    double sx, sy;
    if (x11_info(self, &dpy, &xid, &sx, &sy)) {
        XGrabPointer(dpy, xid, True,
                     ButtonPressMask | ButtonReleaseMask | PointerMotionMask | EnterWindowMask |
                         LeaveWindowMask,
                     GrabModeAsync, GrabModeAsync, xid, None, CurrentTime);
    }
#endif
    self->captured = TRUE;
    self->have_last = FALSE;
    self->rel_acc_x = self->rel_acc_y = 0;
    recenter_pointer(self);
    gtk_widget_grab_focus(GTK_WIDGET(self));
    update_cursor(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CAPTURED]);
}

static void release_capture(HakoDisplay *self)
{
    if (!self->captured)
        return;
    GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
    GdkSurface *surface = native ? gtk_native_get_surface(native) : NULL;
    if (surface && GDK_IS_TOPLEVEL(surface))
        gdk_toplevel_restore_system_shortcuts(GDK_TOPLEVEL(surface));
#ifdef HAKO_X11
    GdkDisplay *display = gtk_widget_get_display(GTK_WIDGET(self));
    if (GDK_IS_X11_DISPLAY(display)) {
        XUngrabPointer(gdk_x11_display_get_xdisplay(display), CurrentTime);
        XFlush(gdk_x11_display_get_xdisplay(display));
    }
#endif
    self->captured = FALSE;
    self->warp_pending = FALSE;
    if (self->buttons && self->engine)
        hako_engine_pointer_rel(self->engine, 0, 0, 0, 0);
    self->buttons = 0;
    update_cursor(self);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CAPTURED]);
}

void hako_display_release(HakoDisplay *self)
{
    self->release_armed = FALSE;
    release_capture(self);
    release_keys(self);
    if (self->buttons && self->engine) {
        if (self->relative)
            hako_engine_pointer_rel(self->engine, 0, 0, 0, 0);
        else if (self->has_scanout)
            hako_engine_pointer_abs(self->engine, 0, 0, 0, 0);
    }
    self->buttons = 0;
}

/* Widget coordinates -> 0..0xFFFF over the guest screen. */
static void to_absolute(HakoDisplay *self, double x, double y, guint *ax, guint *ay)
{
    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    compute_layout(self);
    double gx = (x * scale - self->img_x) / self->img_scale;
    double gy = (y * scale - self->img_y) / self->img_scale;
    double w = MAX(self->scanout.width, 2u), h = MAX(self->scanout.height, 2u);
    gx = CLAMP(gx, 0, w - 1);
    gy = CLAMP(gy, 0, h - 1);
    *ax = (guint)lround(gx * 0xFFFF / (w - 1));
    *ay = (guint)lround(gy * 0xFFFF / (h - 1));
}

static void send_pointer(HakoDisplay *self, double x, double y, int dz)
{
    if (!self->engine || !self->has_scanout)
        return;
    if (self->relative) {
        if (self->captured)
            hako_engine_pointer_rel(self->engine, 0, 0, dz, self->buttons);
        return;
    }
    guint ax, ay;
    to_absolute(self, x, y, &ax, &ay);
    hako_engine_pointer_abs(self->engine, ax, ay, dz, self->buttons);
}

static guint button_bit(guint button)
{
    switch (button) {
    case GDK_BUTTON_PRIMARY: return 1u << 0;
    case GDK_BUTTON_SECONDARY: return 1u << 1;
    case GDK_BUTTON_MIDDLE: return 1u << 2;
    case 8: return 1u << 3; /* back / side */
    case 9: return 1u << 4; /* forward / extra */
    default: return 0;
    }
}

static void update_pan(HakoDisplay *self, double x, double y)
{
    if (self->scale_mode == HAKO_SCALE_MODE_FIT || self->captured)
        return;
    double w = gtk_widget_get_width(GTK_WIDGET(self)), h = gtk_widget_get_height(GTK_WIDGET(self));
    double px = w > 0 ? CLAMP(x / w, 0, 1) : 0.5, py = h > 0 ? CLAMP(y / h, 0, 1) : 0.5;
    compute_layout(self);
    double s = self->img_scale;
    gboolean overflow =
        self->scanout.width * s > self->dev_w || self->scanout.height * s > self->dev_h;
    if (overflow && (fabs(px - self->pan_x) > 1e-3 || fabs(py - self->pan_y) > 1e-3)) {
        self->pan_x = px;
        self->pan_y = py;
        gtk_gl_area_queue_render(GTK_GL_AREA(self));
    }
}

static void on_motion(HakoDisplay *self, double x, double y)
{
    update_pan(self, x, y);
    if (!self->engine || !self->has_scanout)
        return;
    if (!self->relative) {
        send_pointer(self, x, y, 0);
        return;
    }
    if (!self->captured)
        return;
    if (self->warp_pending) {
        /* the first event after a warp is where the warp put the pointer */
        if (fabs(x - self->warp_x) < 1.0 && fabs(y - self->warp_y) < 1.0) {
            self->warp_pending = FALSE;
            self->last_x = x;
            self->last_y = y;
            self->have_last = TRUE;
            return;
        }
    }
    if (!self->have_last) {
        self->last_x = x;
        self->last_y = y;
        self->have_last = TRUE;
        return;
    }
    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    self->rel_acc_x += (x - self->last_x) * scale;
    self->rel_acc_y += (y - self->last_y) * scale;
    self->last_x = x;
    self->last_y = y;
    int dx = (int)self->rel_acc_x, dy = (int)self->rel_acc_y;
    self->rel_acc_x -= dx;
    self->rel_acc_y -= dy;
    if (dx || dy)
        hako_engine_pointer_rel(self->engine, dx, dy, 0, self->buttons);
    double w = gtk_widget_get_width(GTK_WIDGET(self)), h = gtk_widget_get_height(GTK_WIDGET(self));
    if (x < w / 4 || x > w * 3 / 4 || y < h / 4 || y > h * 3 / 4)
        recenter_pointer(self);
}

static gboolean on_legacy_event(GtkEventControllerLegacy *ctl, GdkEvent *event, gpointer data)
{
    HakoDisplay *self = data;
    (void)ctl;
    GdkEventType type = gdk_event_get_event_type(event);
    double x = 0, y = 0;
    if (type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE && type != GDK_MOTION_NOTIFY &&
        type != GDK_SCROLL)
        return FALSE;
    /* event coordinates are relative to the surface; bring them into the widget */
    if (gdk_event_get_position(event, &x, &y)) {
        GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
        double tx = 0, ty = 0;
        gtk_native_get_surface_transform(native, &tx, &ty);
        graphene_point_t p = GRAPHENE_POINT_INIT((float)(x - tx), (float)(y - ty)), q;
        if (gtk_widget_compute_point(GTK_WIDGET(native), GTK_WIDGET(self), &p, &q)) {
            x = q.x;
            y = q.y;
        }
    }
    switch (type) {
    case GDK_MOTION_NOTIFY: on_motion(self, x, y); return self->captured || !self->relative;
    case GDK_BUTTON_PRESS:
    case GDK_BUTTON_RELEASE: {
        guint button = gdk_button_event_get_button(event);
        if (type == GDK_BUTTON_PRESS)
            gtk_widget_grab_focus(GTK_WIDGET(self));
        if (!self->engine || !self->has_scanout)
            return FALSE;
        if (self->relative && !self->captured) {
            if (type == GDK_BUTTON_PRESS && button == GDK_BUTTON_PRIMARY)
                capture(self, event);
            return TRUE; /* the capturing click is not passed on */
        }
        guint bit = button_bit(button);
        if (!bit)
            return TRUE;
        if (type == GDK_BUTTON_PRESS)
            self->buttons |= bit;
        else
            self->buttons &= ~bit;
        send_pointer(self, x, y, 0);
        return TRUE;
    }
    case GDK_SCROLL: {
        if (!self->engine || !self->has_scanout || (self->relative && !self->captured))
            return FALSE;
        int dz = 0;
        switch (gdk_scroll_event_get_direction(event)) {
        case GDK_SCROLL_UP: dz = -1; break;
        case GDK_SCROLL_DOWN: dz = 1; break;
        case GDK_SCROLL_SMOOTH: {
            double dx, dy;
            gdk_scroll_event_get_deltas(event, &dx, &dy);
            self->scroll_acc += dy;
            dz = (int)self->scroll_acc;
            self->scroll_acc -= dz;
            break;
        }
        default: break;
        }
        if (dz)
            send_pointer(self, x, y, dz);
        return TRUE;
    }
    default: return FALSE;
    }
}

/* ---- properties ---- */

void hako_display_set_scale_mode(HakoDisplay *self, HakoScaleMode mode)
{
    if (self->scale_mode == mode)
        return;
    self->scale_mode = mode;
    self->pan_x = self->pan_y = 0.5;
    gtk_gl_area_queue_render(GTK_GL_AREA(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SCALE_MODE]);
}

HakoScaleMode hako_display_get_scale_mode(HakoDisplay *self)
{
    return self->scale_mode;
}

void hako_display_set_zoom(HakoDisplay *self, double zoom)
{
    zoom = CLAMP(zoom, 0.25, 8.0);
    if (self->zoom == zoom)
        return;
    self->zoom = zoom;
    if (self->scale_mode == HAKO_SCALE_MODE_ZOOM)
        gtk_gl_area_queue_render(GTK_GL_AREA(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ZOOM]);
}

double hako_display_get_zoom(HakoDisplay *self)
{
    return self->zoom;
}

gboolean hako_display_get_has_scanout(HakoDisplay *self)
{
    return self->has_scanout;
}

gboolean hako_display_get_captured(HakoDisplay *self)
{
    return self->captured;
}

gboolean hako_display_get_relative(HakoDisplay *self)
{
    return self->relative;
}

void hako_display_get_stats(HakoDisplay *self, HakoDisplayStats *stats)
{
    *stats = self->stats;
}

static gboolean print_stats(gpointer data)
{
    HakoDisplay *self = data;
    HakoDisplayStats *a = &self->stats_last, *b = &self->stats;
    g_printerr("hako-display: frames %" G_GUINT64_FORMAT " uploads %" G_GUINT64_FORMAT
               " rows %" G_GUINT64_FORMAT " upload-us %" G_GUINT64_FORMAT
               " area %dx%d (per second; total frames %" G_GUINT64_FORMAT
               " uploads %" G_GUINT64_FORMAT ")\n",
               b->frames - a->frames, b->uploads - a->uploads, b->rows - a->rows,
               b->upload_us - a->upload_us, self->dev_w, self->dev_h, b->frames, b->uploads);
    *a = *b;
    return G_SOURCE_CONTINUE;
}

/* ---- GObject ---- */

static void on_root_changed(GtkWidget *widget, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    (void)data;
    GtkRoot *root = gtk_widget_get_root(widget);
    if (GTK_IS_WINDOW(root))
        g_signal_connect_object(root, "notify::is-active", G_CALLBACK(on_window_active), widget, 0);
}

static void hako_display_unmap(GtkWidget *widget)
{
    hako_display_release(HAKO_DISPLAY(widget));
    set_window_shortcuts(HAKO_DISPLAY(widget), TRUE);
    GTK_WIDGET_CLASS(hako_display_parent_class)->unmap(widget);
}

static void hako_display_dispose(GObject *object)
{
    HakoDisplay *self = HAKO_DISPLAY(object);
    g_clear_handle_id(&self->stats_timer, g_source_remove);
    if (self->engine) {
        release_keys(self);
        g_signal_handlers_disconnect_by_data(self->engine, self);
    }
    g_clear_object(&self->engine);
    G_OBJECT_CLASS(hako_display_parent_class)->dispose(object);
}

static void hako_display_finalize(GObject *object)
{
    HakoDisplay *self = HAKO_DISPLAY(object);
    g_free(self->convert_buf);
    G_OBJECT_CLASS(hako_display_parent_class)->finalize(object);
}

static void hako_display_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    HakoDisplay *self = HAKO_DISPLAY(object);
    switch (id) {
    case PROP_ENGINE: g_value_set_object(value, self->engine); break;
    case PROP_SCALE_MODE: g_value_set_enum(value, self->scale_mode); break;
    case PROP_ZOOM: g_value_set_double(value, self->zoom); break;
    case PROP_HAS_SCANOUT: g_value_set_boolean(value, self->has_scanout); break;
    case PROP_CAPTURED: g_value_set_boolean(value, self->captured); break;
    case PROP_RELATIVE: g_value_set_boolean(value, self->relative); break;
    case PROP_RELEASE_KEYS:
        g_value_set_string(value, self->release_keys == 1   ? "right-ctrl"
                                  : self->release_keys == 2 ? "ctrl-alt-g"
                                                            : "ctrl-alt");
        break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_display_set_property(GObject *object, guint id, const GValue *value,
                                      GParamSpec *pspec)
{
    HakoDisplay *self = HAKO_DISPLAY(object);
    switch (id) {
    case PROP_ENGINE: hako_display_set_engine(self, g_value_get_object(value)); break;
    case PROP_SCALE_MODE: hako_display_set_scale_mode(self, g_value_get_enum(value)); break;
    case PROP_ZOOM: hako_display_set_zoom(self, g_value_get_double(value)); break;
    case PROP_RELEASE_KEYS: {
        const char *v = g_value_get_string(value);
        self->release_keys = g_strcmp0(v, "right-ctrl") == 0   ? 1
                             : g_strcmp0(v, "ctrl-alt-g") == 0 ? 2
                                                               : 0;
        break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_display_class_init(HakoDisplayClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_display_dispose;
    oc->finalize = hako_display_finalize;
    oc->get_property = hako_display_get_property;
    oc->set_property = hako_display_set_property;
    wc->unmap = hako_display_unmap;

    props[PROP_ENGINE] =
        g_param_spec_object("engine", NULL, NULL, HAKO_TYPE_ENGINE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_SCALE_MODE] =
        g_param_spec_enum("scale-mode", NULL, NULL, HAKO_TYPE_SCALE_MODE, HAKO_SCALE_MODE_FIT,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_ZOOM] =
        g_param_spec_double("zoom", NULL, NULL, 0.25, 8.0, 1.0,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    /* "ctrl-alt", "right-ctrl" or "ctrl-alt-g": the keys that release a captured pointer */
    props[PROP_RELEASE_KEYS] = g_param_spec_string("release-keys", NULL, NULL, "ctrl-alt",
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
    props[PROP_HAS_SCANOUT] =
        g_param_spec_boolean("has-scanout", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_CAPTURED] =
        g_param_spec_boolean("captured", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    props[PROP_RELATIVE] =
        g_param_spec_boolean("relative", NULL, NULL, TRUE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(oc, N_PROPS, props);

    gtk_widget_class_set_css_name(wc, "hako-display");
    gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_IMG);
}

static void hako_display_init(HakoDisplay *self)
{
    self->zoom = 1.0;
    self->pan_x = self->pan_y = 0.5;
    self->relative = TRUE;
    self->img_scale = 1.0;
    GtkWidget *w = GTK_WIDGET(self);
    gtk_widget_set_focusable(w, TRUE);
    gtk_widget_set_focus_on_click(w, TRUE);
    gtk_widget_set_hexpand(w, TRUE);
    gtk_widget_set_vexpand(w, TRUE);
    gtk_gl_area_set_has_depth_buffer(GTK_GL_AREA(self), FALSE);
    gtk_gl_area_set_has_stencil_buffer(GTK_GL_AREA(self), FALSE);
    gtk_gl_area_set_auto_render(GTK_GL_AREA(self), TRUE);
    g_signal_connect(self, "realize", G_CALLBACK(on_realize), NULL);
    g_signal_connect(self, "unrealize", G_CALLBACK(on_unrealize), NULL);
    g_signal_connect(self, "render", G_CALLBACK(on_render), NULL);
    g_signal_connect(self, "resize", G_CALLBACK(on_resize), NULL);
    g_signal_connect(self, "notify::root", G_CALLBACK(on_root_changed), NULL);

    GtkEventController *key = gtk_event_controller_key_new();
    g_signal_connect(key, "key-pressed", G_CALLBACK(on_key_pressed), self);
    g_signal_connect(key, "key-released", G_CALLBACK(on_key_released), self);
    gtk_widget_add_controller(w, key);
    self->key_ctl = key;

    GtkEventController *focus = gtk_event_controller_focus_new();
    g_signal_connect(self, "notify::has-focus", G_CALLBACK(on_has_focus), NULL);
    g_signal_connect(focus, "leave", G_CALLBACK(on_focus_leave), self);
    gtk_widget_add_controller(w, focus);

    GtkEventController *legacy = gtk_event_controller_legacy_new();
    g_signal_connect(legacy, "event", G_CALLBACK(on_legacy_event), self);
    gtk_widget_add_controller(w, legacy);

    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Virtual machine screen"), -1);

    if (g_getenv("HAKO_DISPLAY_STATS"))
        self->stats_timer = g_timeout_add_seconds(1, print_stats, self);
}

GtkWidget *hako_display_new(void)
{
    return g_object_new(HAKO_TYPE_DISPLAY, NULL);
}
