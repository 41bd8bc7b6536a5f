/* display-ref: the reference the display benchmark (display.py) measures Hako's display path
 * against. A GTK 4 window with one GtkGLArea and nothing else: a texture the size of the picture,
 * a buffer in this process that changes every frame, one glTexSubImage2D of the changed rows per
 * frame, one textured quad fitted to the area (aspect kept, linear filtering when scaled, as
 * Hako's default "fit" mode draws it). Frames are paced by GTK's frame clock (a tick callback
 * asks for the next frame), which is as fast as a GtkGLArea can be redrawn.
 *
 * usage: display-ref WIDTH HEIGHT AREA_WIDTH AREA_HEIGHT MODE [SECONDS]
 *   MODE  full       every pixel changes in every frame, the whole texture is uploaded
 *         band:ROWS  one band of ROWS rows changes per frame (it walks down the picture), only
 *                    those rows are uploaded
 *         static     the picture is uploaded and drawn once, then nothing changes
 *   AREA_WIDTH x AREA_HEIGHT is the GL area's size in pixels; SECONDS (default: forever) quits.
 *
 * Once a second it prints "display-ref: frames F uploads U rows R upload-us T area WxH" to
 * stderr, the same counters `hako` prints with HAKO_DISPLAY_STATS=1 (T: microseconds spent in
 * glTexSubImage2D). */
#include <epoxy/gl.h>
#include <gtk/gtk.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int width, height; /* the picture */
    int band;          /* rows changed per frame; 0: all of them; -1: static */
    uint32_t *pixels;
    GLuint program, vao, vbo, texture;
    GLint u_rect;
    gboolean allocated;
    guint64 serial; /* frames changed so far */
    guint64 frames, uploads, rows, upload_us;
    guint64 last_frames, last_uploads, last_rows, last_upload_us;
    int area_w, area_h; /* device pixels */
} Ref;

static const char *vs_src = "#version 150\n"
                            "in vec2 pos;\n"
                            "out vec2 v_uv;\n"
                            "uniform vec4 rect;\n"
                            "void main() {\n"
                            "  v_uv = pos;\n"
                            "  gl_Position = vec4(mix(rect.xy, rect.zw, pos), 0.0, 1.0);\n"
                            "}\n";
static const char *fs_src = "#version 150\n"
                            "in vec2 v_uv;\n"
                            "out vec4 color;\n"
                            "uniform sampler2D tex;\n"
                            "void main() {\n"
                            "  color = vec4(texture(tex, v_uv).rgb, 1.0);\n"
                            "}\n";

static GLuint shader(GLenum type, const char *src)
{
    GLuint sh = glCreateShader(type);
    glShaderSource(sh, 1, &src, NULL);
    glCompileShader(sh);
    GLint ok = 0;
    glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[1024] = "";
        glGetShaderInfoLog(sh, sizeof(log), NULL, log);
        g_error("display-ref: shader: %s", log);
    }
    return sh;
}

static void on_realize(GtkGLArea *area, Ref *r)
{
    gtk_gl_area_make_current(area);
    if (gtk_gl_area_get_error(area))
        g_error("display-ref: no GL context: %s", gtk_gl_area_get_error(area)->message);
    g_printerr("display-ref: GL %s, %s\n", (const char *)glGetString(GL_VERSION),
               (const char *)glGetString(GL_RENDERER));
    GLuint vs = shader(GL_VERTEX_SHADER, vs_src), fs = shader(GL_FRAGMENT_SHADER, fs_src);
    r->program = glCreateProgram();
    glAttachShader(r->program, vs);
    glAttachShader(r->program, fs);
    glBindAttribLocation(r->program, 0, "pos");
    glLinkProgram(r->program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    r->u_rect = glGetUniformLocation(r->program, "rect");
    static const GLfloat quad[] = {0, 0, 1, 0, 0, 1, 1, 1};
    glGenVertexArrays(1, &r->vao);
    glBindVertexArray(r->vao);
    glGenBuffers(1, &r->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof(quad), quad, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
    glBindVertexArray(0);
    glGenTextures(1, &r->texture);
    glBindTexture(GL_TEXTURE_2D, r->texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, r->width, r->height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                 NULL);
}

static void on_resize(GtkGLArea *area, int w, int h, Ref *r)
{
    (void)area;
    r->area_w = w;
    r->area_h = h;
}

/* Changes rows [y0, y1) of the picture: a grey ramp (x + y + frame) that moves every frame. */
static void change(Ref *r, int y0, int y1)
{
    for (int y = y0; y < y1; y++) {
        uint32_t *row = r->pixels + (size_t)y * r->width;
        uint32_t level = (uint32_t)(y + r->serial);
        for (int x = 0; x < r->width; x++)
            row[x] = ((level + (uint32_t)x) & 0xFF) * 0x010101u;
    }
}

static gboolean on_render(GtkGLArea *area, GdkGLContext *ctx, Ref *r)
{
    (void)area;
    (void)ctx;
    int y0 = 0, y1 = 0;
    if (!r->allocated) {
        y1 = r->height;
        r->allocated = TRUE;
    } else if (r->band == 0) {
        y1 = r->height;
    } else if (r->band > 0) {
        y0 = (int)((r->serial * (guint64)r->band) % (guint64)(r->height - r->band + 1));
        y1 = y0 + r->band;
    }
    if (y1 > y0) {
        change(r, y0, y1);
        r->serial++;
        gint64 t0 = g_get_monotonic_time();
        glBindTexture(GL_TEXTURE_2D, r->texture);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, y0, r->width, y1 - y0, GL_RGBA, GL_UNSIGNED_BYTE,
                        r->pixels + (size_t)y0 * r->width);
        r->upload_us += (guint64)(g_get_monotonic_time() - t0);
        r->uploads++;
        r->rows += (guint64)(y1 - y0);
    }
    /* fitted, centred, aspect kept */
    double s = MIN((double)r->area_w / r->width, (double)r->area_h / r->height);
    double dw = r->width * s, dh = r->height * s;
    double x0 = (r->area_w - dw) / 2, yy0 = (r->area_h - dh) / 2;
    GLfloat rect[4] = {(GLfloat)(x0 / r->area_w * 2 - 1), (GLfloat)(1 - yy0 / r->area_h * 2),
                       (GLfloat)((x0 + dw) / r->area_w * 2 - 1),
                       (GLfloat)(1 - (yy0 + dh) / r->area_h * 2)};
    glViewport(0, 0, r->area_w, r->area_h);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    glUseProgram(r->program);
    glUniform4fv(r->u_rect, 1, rect);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, r->texture);
    glBindVertexArray(r->vao);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glBindVertexArray(0);
    glUseProgram(0);
    r->frames++;
    return TRUE;
}

static gboolean on_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
    (void)clock;
    (void)data;
    gtk_gl_area_queue_render(GTK_GL_AREA(widget));
    return G_SOURCE_CONTINUE;
}

static gboolean print_stats(gpointer data)
{
    Ref *r = data;
    g_printerr("display-ref: frames %" G_GUINT64_FORMAT " uploads %" G_GUINT64_FORMAT
               " rows %" G_GUINT64_FORMAT " upload-us %" G_GUINT64_FORMAT " area %dx%d\n",
               r->frames - r->last_frames, r->uploads - r->last_uploads, r->rows - r->last_rows,
               r->upload_us - r->last_upload_us, r->area_w, r->area_h);
    r->last_frames = r->frames;
    r->last_uploads = r->uploads;
    r->last_rows = r->rows;
    r->last_upload_us = r->upload_us;
    return G_SOURCE_CONTINUE;
}

static gboolean quit(gpointer data)
{
    gtk_window_destroy(GTK_WINDOW(data));
    return G_SOURCE_REMOVE;
}

static gboolean positive(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v <= 0 || v > 16384)
        return FALSE;
    *out = (int)v;
    return TRUE;
}

int main(int argc, char **argv)
{
    Ref r = {0};
    int aw, ah;
    if (argc < 6 || !positive(argv[1], &r.width) || !positive(argv[2], &r.height) ||
        !positive(argv[3], &aw) || !positive(argv[4], &ah)) {
        g_printerr("usage: display-ref WIDTH HEIGHT AREA_WIDTH AREA_HEIGHT "
                   "full|band:ROWS|static [SECONDS]\n");
        return 2;
    }
    if (strcmp(argv[5], "full") == 0)
        r.band = 0;
    else if (strcmp(argv[5], "static") == 0)
        r.band = -1;
    else if (strncmp(argv[5], "band:", 5) != 0 || !positive(argv[5] + 5, &r.band) ||
             r.band > r.height) {
        g_printerr("display-ref: unknown mode %s\n", argv[5]);
        return 2;
    }
    r.pixels = g_malloc((size_t)r.width * r.height * 4);
    gtk_init();
    GtkWidget *window = gtk_window_new();
    gtk_window_set_title(GTK_WINDOW(window), "display-ref");
    gtk_window_set_resizable(GTK_WINDOW(window), FALSE);
    GtkWidget *area = gtk_gl_area_new();
    gtk_widget_set_size_request(area, aw, ah);
    gtk_gl_area_set_has_depth_buffer(GTK_GL_AREA(area), FALSE);
    gtk_gl_area_set_has_stencil_buffer(GTK_GL_AREA(area), FALSE);
    g_signal_connect(area, "realize", G_CALLBACK(on_realize), &r);
    g_signal_connect(area, "resize", G_CALLBACK(on_resize), &r);
    g_signal_connect(area, "render", G_CALLBACK(on_render), &r);
    if (r.band >= 0)
        gtk_widget_add_tick_callback(area, on_tick, NULL, NULL);
    gtk_window_set_child(GTK_WINDOW(window), area);
    gtk_window_present(GTK_WINDOW(window));
    g_timeout_add_seconds(1, print_stats, &r);
    if (argc > 6)
        g_timeout_add((guint)(atof(argv[6]) * 1000), quit, window);
    while (g_list_model_get_n_items(gtk_window_get_toplevels()) > 0)
        g_main_context_iteration(NULL, TRUE);
    g_free(r.pixels);
    return 0;
}
