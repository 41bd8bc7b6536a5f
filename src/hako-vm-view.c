/* HakoVmView: see hako-vm-view.h. */
#include "hako-vm-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako-gtk-util.h"
#include "hako-console.h"
#include "hako-diagnosis-page.h"
#include "hako-firmware.h"
#include "hako-keymap.h"
#include "hako-media.h"
#include "hako-refusal.h"
#include "hako-network-info.h"

#define ZOOM_STEP 1.25

struct _HakoVmView {
    GtkWidget parent_instance;

    GtkRevealer *header_revealer;
    AdwHeaderBar *header;
    GtkButton *run_button;
    AdwWindowTitle *title;
    GtkMenuButton *keys_button;
    GtkMenuButton *network_button;
    HakoNetworkInfo *network_info;
    GtkButton *fullscreen_button;
    GtkPaned *paned;
    GtkStack *stack;
    HakoDisplay *display;
    AdwStatusPage *status_page;
    GtkBox *status_box;
    GtkSpinner *status_spinner;
    AdwStatusPage *failed_page;
    GtkTextView *log_view;
    /* the VM could not start (HakoVm's start-problem) */
    AdwStatusPage *cannot_page;
    GtkWidget *cannot_fix_box;
    GtkLabel *cannot_fix_label;
    GtkButton *cannot_copy_button;
    GtkWidget *cannot_check_button;
    GtkWidget *cannot_settings_button;
    HakoConsole *console;
    /* why the screen is dark (see update_diagnosis) */
    HakoDiagnosisPage *diagnosis_page;
    HakoDiagnosis *diagnosis;
    gint64 engine_started; /* monotonic µs, when the current engine appeared */
    guint diagnosis_tick;
    gboolean restart_when_stopped;

    GSettings *settings;
    GSimpleActionGroup *actions;
    HakoVm *vm;
    HakoEngine *engine;
    guint screenshot_id;
    char *screenshot_path;
    GtkFileChooserNative *cd_chooser;
    gboolean fullscreen;
};

G_DEFINE_FINAL_TYPE(HakoVmView, hako_vm_view, GTK_TYPE_WIDGET)

enum { SIG_TOAST, N_SIGNALS };
static guint signals[N_SIGNALS];

static void toast(HakoVmView *self, const char *message)
{
    g_signal_emit(self, signals[SIG_TOAST], 0, message);
}

static void enable(HakoVmView *self, const char *name, gboolean on)
{
    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self->actions), name);
    if (G_IS_SIMPLE_ACTION(a))
        g_simple_action_set_enabled(G_SIMPLE_ACTION(a), on);
}

/* ---- state -> widgets ---- */

static void update_title(HakoVmView *self)
{
    if (!self->vm) {
        adw_window_title_set_title(self->title, "");
        adw_window_title_set_subtitle(self->title, "");
        return;
    }
    adw_window_title_set_title(self->title, hako_vm_get_name(self->vm));
    HakoVmState st = hako_vm_get_state(self->vm);
    const char *sub = hako_vm_state_to_string(st);
    if (st == HAKO_VM_STATE_STOPPED && hako_vm_get_start_problem(self->vm))
        sub = _("Cannot Start");
    gboolean on_display = g_str_equal(gtk_stack_get_visible_child_name(self->stack), "display");
    if (st == HAKO_VM_STATE_RUNNING && on_display) {
        if (hako_display_get_captured(self->display)) {
            g_autofree char *keys = NULL;
            g_object_get(self->display, "release-keys", &keys, NULL);
            if (g_strcmp0(keys, "right-ctrl") == 0)
                sub = _("Press right Ctrl to release the pointer");
            else if (g_strcmp0(keys, "ctrl-alt-g") == 0)
                sub = _("Press Ctrl+Alt+G to release the pointer");
            else
                sub = _("Press left Ctrl+Alt to release the pointer");
            adw_window_title_set_subtitle(self->title, sub);
            return;
        } else if (hako_display_get_relative(self->display))
            sub = _("Click the screen to capture the pointer");
    }
    adw_window_title_set_subtitle(self->title, sub);
}

static void show_failure(HakoVmView *self)
{
    HakoEngine *engine = self->engine;
    const char *reason = engine ? hako_engine_get_stop_reason(engine) : NULL;
    g_autofree char *desc = g_strdup_printf(
        "%s\n%s", reason && *reason ? reason : _("The engine ended without saying why."),
        _("Other virtual machines and Hako itself are not affected."));
    /* the engine's words (paths...) are not markup */
    g_autofree char *markup = g_markup_escape_text(desc, -1);
    adw_status_page_set_description(self->failed_page, markup);
    g_autofree char *tail = engine ? hako_engine_get_log_tail(engine, 12) : g_strdup("");
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->log_view),
                             *tail ? tail : _("(the log is empty)"), -1);
}

/* Why the VM did not start (HakoVm's start-problem: the host check's line, or the engine's spawn
 * error): the explanation and the fix, translated like the check itself. */
static void show_start_problem(HakoVmView *self)
{
    const HakoCheckItem *p = hako_vm_get_start_problem(self->vm);
    /* the engine could not be spawned, or the VM's own vm.ini cannot be read: the words as
     * they are; the host check's lines follow "This computer cannot run it now:" */
    gboolean engine = g_str_equal(p->id, "engine") || g_str_equal(p->id, "vm-file");
    gboolean config = g_str_equal(p->id, "config");
    GString *desc = g_string_new(NULL);
    g_autofree char *summary = g_markup_escape_text(p->summary ? p->summary : "", -1);
    if (engine) {
        g_string_append(desc, summary);
    } else if (config) {
        /* the engine's refusals, one per line, worded by the app */
        g_autofree char *head = g_markup_escape_text(_("Hako’s engine refused its settings:"), -1);
        g_string_append_printf(desc, "<b>%s</b>\n%s", head, summary);
    } else {
        /* Translators: followed by the host check's finding, in bold */
        g_autofree char *head = g_markup_escape_text(_("This computer cannot run it now:"), -1);
        g_string_append_printf(desc, "%s <b>%s</b>", head, summary);
    }
    if (p->explanation) {
        g_autofree char *e = g_markup_escape_text(p->explanation, -1);
        g_string_append_printf(desc, "\n\n%s", e);
    }
    adw_status_page_set_description(self->cannot_page, desc->str);
    g_string_free(desc, TRUE);
    gtk_widget_set_visible(GTK_WIDGET(self->cannot_fix_box), p->fix != NULL);
    gtk_label_set_text(self->cannot_fix_label, p->fix ? p->fix : "");
    gtk_button_set_label(self->cannot_copy_button, _("_Copy"));
    gtk_widget_set_visible(GTK_WIDGET(self->cannot_check_button), !engine && !config);
    gtk_widget_set_visible(GTK_WIDGET(self->cannot_settings_button), config);
}

static void on_copy_fix(GtkButton *button, gpointer data)
{
    HakoVmView *self = data;
    gdk_clipboard_set_text(gtk_widget_get_clipboard(GTK_WIDGET(button)),
                           gtk_label_get_text(self->cannot_fix_label));
    gtk_button_set_label(button, _("Copied"));
}

/* ---- the diagnosis of a dark screen (HakoDiagnosis) ---- */

/* What the VM's settings, its OS and its disc say (read when an engine starts). */
static void diagnosis_load_settings(HakoVmView *self)
{
    GKeyFile *kf = hako_vm_get_config(self->vm);
    hako_diagnosis_load_settings(self->diagnosis, kf);
    /* the operating system's needs, from libosinfo */
    g_autofree char *os_id = g_key_file_get_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_OS, NULL);
    guint min = 0, rec = 0;
    OsinfoOs *os = os_id ? osinfo_db_get_os(hako_osinfo_db(), os_id) : NULL;
    if (os) {
        OsinfoResourcesList *lists[2] = {osinfo_os_get_minimum_resources(os),
                                         osinfo_os_get_recommended_resources(os)};
        guint *out[2] = {&min, &rec};
        for (int i = 0; i < 2; i++) {
            for (int k = 0; lists[i] && k < osinfo_list_get_length(OSINFO_LIST(lists[i])); k++) {
                OsinfoResources *r =
                    OSINFO_RESOURCES(osinfo_list_get_nth(OSINFO_LIST(lists[i]), k));
                const char *arch = osinfo_resources_get_architecture(r);
                gint64 ram = osinfo_resources_get_ram(r);
                if (ram > 0 && (!arch || g_str_equal(arch, "x86_64") || g_str_equal(arch, "all")))
                    *out[i] = (guint)(ram >> 20);
            }
            g_clear_object(&lists[i]);
        }
    }
    hako_diagnosis_set_os(self->diagnosis, hako_vm_get_os_name(self->vm), min, rec);
    /* the disc in the drive: which firmware can boot it */
    g_autofree char *cd = g_key_file_get_string(kf, HAKO_VM_ENGINE_GROUP, "cdrom", NULL);
    gboolean known = FALSE, bios = FALSE, efi = FALSE;
    if (cd) {
        g_autofree char *path =
            g_path_is_absolute(cd)
                ? g_strdup(cd)
                : g_build_filename(g_file_peek_path(hako_vm_get_dir(self->vm)), cd, NULL);
        HakoIsoInfo info;
        if (hako_iso_parse_path(path, &info, NULL)) {
            known = TRUE;
            bios = hako_iso_info_boots_bios(&info);
            efi = hako_iso_info_boots_uefi(&info);
        }
    }
    hako_diagnosis_set_media(self->diagnosis, known, bios, efi);
}

/* Feeds the engine's timeline and state to the diagnosis and evaluates it. */
static HakoDiagnosisCause update_diagnosis(HakoVmView *self)
{
    if (!self->engine)
        return HAKO_DIAGNOSIS_NONE;
    GArray *facts = hako_engine_get_facts(self->engine);
    hako_diagnosis_set_facts(self->diagnosis, (const struct hk_fact *)(void *)facts->data,
                             facts->len);
    HakoEngineState es = hako_engine_get_state(self->engine);
    gboolean ended = es == HAKO_ENGINE_STATE_STOPPED || es == HAKO_ENGINE_STATE_FAILED;
    hako_diagnosis_set_engine(self->diagnosis, ended,
                              ended ? hako_engine_get_exit_status(self->engine) : 0,
                              ended ? hako_engine_get_stop_reason(self->engine) : NULL);
    hako_diagnosis_set_elapsed(self->diagnosis,
                               (double)(g_get_monotonic_time() - self->engine_started) / 1e6);
    hako_diagnosis_evaluate(self->diagnosis);
    hako_diagnosis_page_set_diagnosis(self->diagnosis_page, self->diagnosis);
    return hako_diagnosis_get_cause(self->diagnosis);
}

static void update_page(HakoVmView *self);

static gboolean diagnosis_tick(gpointer data)
{
    HakoVmView *self = data;
    if (g_strcmp0(gtk_stack_get_visible_child_name(self->stack), "diagnosis") != 0) {
        self->diagnosis_tick = 0;
        return G_SOURCE_REMOVE;
    }
    update_page(self);
    return G_SOURCE_CONTINUE;
}

/* Only the page on screen is visible: a hidden page's widgets would otherwise keep their CSS
 * animations (spinners) ticking the frame clock, and cost CPU while the guest screen is static. */
static void show_page(GtkStack *stack, const char *name)
{
    GtkWidget *target = gtk_stack_get_child_by_name(stack, name);
    if (!target)
        return;
    gtk_widget_set_visible(target, TRUE);
    gtk_stack_set_visible_child(stack, target);
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(stack)); c;
         c = gtk_widget_get_next_sibling(c)) {
        if (c != target)
            gtk_widget_set_visible(c, FALSE);
    }
}

static void update_page(HakoVmView *self)
{
    const char *page = "stopped";
    if (self->vm) {
        HakoVmState st = hako_vm_get_state(self->vm);
        switch (st) {
        case HAKO_VM_STATE_STOPPED:
            page = "stopped";
            if (hako_vm_get_start_problem(self->vm)) {
                page = "cannot-start";
                show_start_problem(self);
            }
            break;
        case HAKO_VM_STATE_FAILED: {
            /* a cause the diagnosis can name (the host's KVM, refused firmware, ...) explains
             * more than the engine's last log lines */
            HakoDiagnosisCause c = update_diagnosis(self);
            /* a crashed or killed engine is its own story, whatever the guest did before */
            gboolean crashed = self->engine && hako_engine_get_signaled(self->engine);
            if (crashed || c == HAKO_DIAGNOSIS_NONE || c == HAKO_DIAGNOSIS_STARTING ||
                c == HAKO_DIAGNOSIS_DARK || c == HAKO_DIAGNOSIS_ENGINE_FAILED) {
                page = "failed";
                show_failure(self);
            } else {
                page = "diagnosis";
            }
            break;
        }
        default:
            if (hako_display_get_has_scanout(self->display)) {
                page = "display";
            } else {
                page = "status";
                if (st == HAKO_VM_STATE_STARTING) {
                    adw_status_page_set_title(self->status_page, _("Starting…"));
                    adw_status_page_set_description(self->status_page, NULL);
                } else if (st == HAKO_VM_STATE_PAUSED) {
                    adw_status_page_set_title(self->status_page, _("Paused"));
                    adw_status_page_set_description(self->status_page, NULL);
                } else if (st == HAKO_VM_STATE_RUNNING && self->engine) {
                    /* the guest runs and the screen is dark: say why */
                    update_diagnosis(self);
                    page = "diagnosis";
                } else {
                    adw_status_page_set_title(self->status_page, _("Waiting for the Screen"));
                    adw_status_page_set_description(
                        self->status_page,
                        _("The virtual machine is running, but its system has not turned on "
                          "the display yet."));
                }
            }
            break;
        }
    }
    gtk_spinner_set_spinning(self->status_spinner, g_str_equal(page, "status"));
    if (g_str_equal(page, "diagnosis") && !self->diagnosis_tick)
        self->diagnosis_tick = g_timeout_add_seconds(1, diagnosis_tick, self);
    gboolean was_display = g_strcmp0(gtk_stack_get_visible_child_name(self->stack), "display") == 0;
    show_page(self->stack, page);
    if (g_str_equal(page, "display") && !was_display && gtk_widget_get_mapped(GTK_WIDGET(self)))
        gtk_widget_grab_focus(GTK_WIDGET(self->display));
    update_title(self);
}

static void update_actions(HakoVmView *self)
{
    HakoVmState st = self->vm ? hako_vm_get_state(self->vm) : HAKO_VM_STATE_STOPPED;
    gboolean active = self->vm && hako_vm_is_active(self->vm);
    gboolean running = st == HAKO_VM_STATE_RUNNING;
    gboolean connected = running || st == HAKO_VM_STATE_PAUSED;
    enable(self, "start", self->vm && (st == HAKO_VM_STATE_STOPPED || st == HAKO_VM_STATE_FAILED));
    enable(self, "pause", running);
    enable(self, "resume", st == HAKO_VM_STATE_PAUSED);
    enable(self, "reset", connected);
    enable(self, "shut-down", connected);
    enable(self, "force-off", active);
    enable(self, "change-cd", connected);
    enable(self, "eject-cd", connected);
    enable(self, "screenshot", connected && hako_display_get_has_scanout(self->display));
    enable(self, "send-keys", running);
    enable(self, "release-pointer", hako_display_get_captured(self->display));

    const char *icon, *action, *tip;
    if (st == HAKO_VM_STATE_PAUSED) {
        icon = "media-playback-start-symbolic", action = "vm.resume", tip = _("Resume");
    } else if (running || st == HAKO_VM_STATE_STARTING || st == HAKO_VM_STATE_STOPPING) {
        icon = "media-playback-pause-symbolic", action = "vm.pause", tip = _("Pause");
    } else {
        icon = "media-playback-start-symbolic", action = "vm.start", tip = _("Start");
    }
    gtk_button_set_icon_name(self->run_button, icon);
    gtk_actionable_set_action_name(GTK_ACTIONABLE(self->run_button), action);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->run_button), tip);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->run_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   tip, -1);
}

static void on_vm_state(HakoVm *vm, GParamSpec *pspec, gpointer data)
{
    (void)vm;
    (void)pspec;
    HakoVmView *self = data;
    if (self->restart_when_stopped && self->vm && !hako_vm_is_active(self->vm)) {
        /* a diagnosis fix changed the settings: start with them now */
        self->restart_when_stopped = FALSE;
        hako_vm_start(self->vm);
    }
    update_actions(self);
    update_page(self);
}

static void on_command_result(HakoEngine *engine, guint command, guint id, int status,
                              const char *message, gpointer data)
{
    HakoVmView *self = data;
    (void)engine;
    if (command == HK_CMD_SCREENSHOT && id == self->screenshot_id) {
        g_autofree char *text = NULL;
        if (status == 0) {
            g_autofree char *base = g_path_get_basename(self->screenshot_path);
            text = g_strdup_printf(_("Screenshot saved as “%s”"), base);
        } else {
            text = g_strdup_printf(_("Could not save the screenshot: %s"), message);
        }
        toast(self, text);
    } else if (command == HK_CMD_CD_CHANGE || command == HK_CMD_CD_EJECT) {
        g_autofree char *text = NULL;
        if (status == 0)
            text = g_strdup(command == HK_CMD_CD_EJECT ? _("CD/DVD ejected") : _("CD/DVD changed"));
        else
            text = g_strdup_printf(_("Could not change the CD/DVD: %s"), message);
        toast(self, text);
    } else if (status != 0) {
        toast(self, message);
    }
}

/* The engine's warnings (the VM runs, but ...), in the app's words. */
static void on_engine_fact(HakoEngine *engine, gpointer fact, gpointer data)
{
    (void)engine;
    const struct hk_fact *f = fact;
    if (f->kind != HK_FACT_CONFIG_WARNING)
        return;
    g_autofree char *text = hako_refusal_describe(f);
    toast(HAKO_VM_VIEW(data), text);
}

static void on_vm_engine(HakoVm *vm, GParamSpec *pspec, gpointer data)
{
    HakoVmView *self = data;
    (void)pspec;
    HakoEngine *engine = vm ? hako_vm_get_engine(vm) : NULL;
    if (self->engine == engine)
        return;
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_set_object(&self->engine, engine);
    if (engine) {
        g_signal_connect(engine, "command-result", G_CALLBACK(on_command_result), self);
        g_signal_connect_swapped(engine, "fact", G_CALLBACK(update_page), self);
        g_signal_connect(engine, "fact", G_CALLBACK(on_engine_fact), self);
        self->engine_started = g_get_monotonic_time();
        diagnosis_load_settings(self);
    }
    hako_display_set_engine(self->display, engine);
    hako_console_set_engine(self->console, engine);
    update_actions(self);
    update_page(self);
}

static void on_display_changed(HakoDisplay *display, GParamSpec *pspec, gpointer data)
{
    HakoVmView *self = data;
    (void)display;
    (void)pspec;
    update_actions(self);
    update_page(self);
}

/* The network button shows the network info's verdict in its icon. */
static void on_network_changed(HakoNetworkInfo *info, gpointer data)
{
    HakoVmView *self = data;
    HakoNetDiagnosis *d = hako_network_info_get_diagnosis(info);
    gtk_menu_button_set_icon_name(self->network_button, hako_net_diagnosis_get_icon_name(d));
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->network_button), hako_net_diagnosis_get_title(d));
}

void hako_vm_view_set_vm(HakoVmView *self, HakoVm *vm)
{
    if (self->vm == vm)
        return;
    if (self->vm)
        g_signal_handlers_disconnect_by_data(self->vm, self);
    g_set_object(&self->vm, vm);
    if (vm) {
        g_signal_connect(vm, "notify::state", G_CALLBACK(on_vm_state), self);
        g_signal_connect(vm, "notify::engine", G_CALLBACK(on_vm_engine), self);
        g_signal_connect_swapped(vm, "notify::name", G_CALLBACK(update_title), self);
        g_signal_connect_swapped(vm, "notify::start-problem", G_CALLBACK(update_page), self);
        /* a VM's own serial console setting (VM settings, Advanced) wins over the last state */
        GKeyFile *config = hako_vm_get_config(vm);
        if (g_key_file_has_key(config, HAKO_VM_GROUP, "SerialConsole", NULL))
            g_settings_set_boolean(
                self->settings, "console-visible",
                g_key_file_get_boolean(config, HAKO_VM_GROUP, "SerialConsole", NULL));
    }
    on_vm_engine(vm, NULL, self);
    hako_network_info_set_vm(self->network_info, vm);
    update_actions(self);
    update_page(self);
}

HakoVm *hako_vm_view_get_vm(HakoVmView *self)
{
    return self->vm;
}

HakoDisplay *hako_vm_view_get_display(HakoVmView *self)
{
    return self->display;
}

GtkBox *hako_vm_view_get_status_box(HakoVmView *self)
{
    return self->status_box;
}

const char *hako_vm_view_get_page(HakoVmView *self)
{
    return gtk_stack_get_visible_child_name(self->stack);
}

/* ---- actions ---- */

static void act_start(GSimpleAction *a, GVariant *p, gpointer data)
{
    HakoVmView *self = data;
    (void)a;
    (void)p;
    if (self->vm)
        hako_vm_start(self->vm);
}

static void act_pause(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    hako_display_release(self->display);
    if (self->vm)
        hako_vm_pause(self->vm);
}

static void act_resume(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    if (self->vm)
        hako_vm_resume(self->vm);
}

static void act_reset(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    if (self->vm)
        hako_vm_reset(self->vm);
}

static void act_shut_down(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    if (self->vm)
        hako_vm_shut_down(self->vm);
}

static void on_force_off_response(AdwMessageDialog *dialog, const char *response, gpointer data)
{
    HakoVmView *self = data;
    (void)dialog;
    if (g_str_equal(response, "off") && self->vm)
        hako_vm_force_off(self->vm);
}

static void act_force_off(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    if (!self->vm)
        return;
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    AdwMessageDialog *d = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
        GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, _("Force Off?"),
        _("The virtual machine is turned off immediately, like pulling the power plug. Unsaved "
          "work in it is lost.")));
    adw_message_dialog_add_responses(d, "cancel", _("_Cancel"), "off", _("_Force Off"), NULL);
    adw_message_dialog_set_response_appearance(d, "off", ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(d, "cancel");
    adw_message_dialog_set_close_response(d, "cancel");
    g_signal_connect_object(d, "response", G_CALLBACK(on_force_off_response), self, 0);
    gtk_window_present(GTK_WINDOW(d));
}

static void on_cd_chosen(GtkNativeDialog *dialog, int response, gpointer data)
{
    HakoVmView *self = data;
    if (response == GTK_RESPONSE_ACCEPT && self->engine) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file ? g_file_get_path(file) : NULL;
        if (path)
            hako_engine_change_cd(self->engine, path);
        else
            toast(self, _("Only local files can be used as a CD/DVD."));
    }
    g_clear_object(&self->cd_chooser);
}

static void act_change_cd(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    if (self->cd_chooser)
        return;
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    self->cd_chooser = gtk_file_chooser_native_new(
        _("Choose a Disc Image"), GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Insert"), _("_Cancel"));
    GtkFileFilter *filter = gtk_file_filter_new();
    gtk_file_filter_set_name(filter, _("Disc images"));
    gtk_file_filter_add_mime_type(filter, "application/x-cd-image");
    gtk_file_filter_add_mime_type(filter, "application/x-iso9660-image");
    gtk_file_filter_add_suffix(filter, "iso");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->cd_chooser), filter);
    g_object_unref(filter);
    g_signal_connect(self->cd_chooser, "response", G_CALLBACK(on_cd_chosen), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->cd_chooser));
}

static void act_eject_cd(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    if (self->engine)
        hako_engine_change_cd(self->engine, NULL);
}

static void act_screenshot(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    if (!self->engine || !self->vm)
        return;
    const char *pictures = g_get_user_special_dir(G_USER_DIRECTORY_PICTURES);
    g_autofree char *dir = g_build_filename(pictures ? pictures : g_get_home_dir(), NULL);
    g_mkdir_with_parents(dir, 0755);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H-%M-%S");
    /* Translators: file name of a screenshot: the VM's name and the date and time */
    g_autofree char *name = g_strdup_printf(_("%s %s.png"), hako_vm_get_name(self->vm), stamp);
    g_strdelimit(name, "/", '-');
    g_free(self->screenshot_path);
    self->screenshot_path = g_build_filename(dir, name, NULL);
    self->screenshot_id = hako_engine_screenshot(self->engine, self->screenshot_path);
}

static void act_send_keys(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    HakoVmView *self = data;
    const HakoKeyCombo *combo = hako_keymap_find_combo(g_variant_get_string(p, NULL));
    hako_display_send_combo(self->display, combo);
}

static void act_fullscreen(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    if (!GTK_IS_WINDOW(root))
        return;
    if (gtk_window_is_fullscreen(GTK_WINDOW(root)))
        gtk_window_unfullscreen(GTK_WINDOW(root));
    else
        gtk_window_fullscreen(GTK_WINDOW(root));
}

static void act_zoom(HakoVmView *self, double factor)
{
    double zoom = g_settings_get_double(self->settings, "zoom");
    if (g_settings_get_enum(self->settings, "scale-mode") != HAKO_SCALE_MODE_ZOOM)
        zoom = 1.0;
    g_settings_set_double(self->settings, "zoom", CLAMP(zoom * factor, 0.25, 8.0));
    g_settings_set_enum(self->settings, "scale-mode", HAKO_SCALE_MODE_ZOOM);
}

static void act_zoom_in(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    act_zoom(data, ZOOM_STEP);
}

static void act_zoom_out(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    act_zoom(data, 1 / ZOOM_STEP);
}

static void act_release_pointer(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    HakoVmView *self = data;
    hako_display_release(self->display);
}

static const GActionEntry action_entries[] = {
    {.name = "start", .activate = act_start},
    {.name = "pause", .activate = act_pause},
    {.name = "resume", .activate = act_resume},
    {.name = "reset", .activate = act_reset},
    {.name = "shut-down", .activate = act_shut_down},
    {.name = "force-off", .activate = act_force_off},
    {.name = "change-cd", .activate = act_change_cd},
    {.name = "eject-cd", .activate = act_eject_cd},
    {.name = "screenshot", .activate = act_screenshot},
    {.name = "send-keys", .activate = act_send_keys, .parameter_type = "s"},
    {.name = "fullscreen", .activate = act_fullscreen},
    {.name = "zoom-in", .activate = act_zoom_in},
    {.name = "zoom-out", .activate = act_zoom_out},
    {.name = "release-pointer", .activate = act_release_pointer},
};

/* ---- fullscreen: the header bar hides and comes back at the top edge ---- */

static void on_fullscreened(GtkWindow *window, GParamSpec *pspec, gpointer data)
{
    HakoVmView *self = data;
    (void)pspec;
    self->fullscreen = gtk_window_is_fullscreen(window);
    gtk_revealer_set_reveal_child(self->header_revealer, !self->fullscreen);
    gtk_button_set_icon_name(self->fullscreen_button, self->fullscreen
                                                          ? "view-restore-symbolic"
                                                          : "view-fullscreen-symbolic");
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->fullscreen_button),
                                self->fullscreen ? _("Leave Fullscreen") : _("Fullscreen"));
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->fullscreen_button),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   self->fullscreen ? _("Leave Fullscreen") : _("Fullscreen"), -1);
}

static void on_view_motion(GtkEventControllerMotion *ctl, double x, double y, gpointer data)
{
    HakoVmView *self = data;
    (void)ctl;
    (void)x;
    if (!self->fullscreen || hako_display_get_captured(self->display))
        return;
    int header_h = gtk_widget_get_height(GTK_WIDGET(self->header));
    if (y <= 4)
        gtk_revealer_set_reveal_child(self->header_revealer, TRUE);
    else if (y > header_h + 24)
        gtk_revealer_set_reveal_child(self->header_revealer, FALSE);
}

static void on_root(GtkWidget *widget, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    (void)data;
    GtkRoot *root = gtk_widget_get_root(widget);
    if (GTK_IS_WINDOW(root))
        g_signal_connect_object(root, "notify::fullscreened", G_CALLBACK(on_fullscreened), widget,
                                0);
}

static void build_keys_menu(HakoVmView *self)
{
    g_autoptr(GMenu) menu = g_menu_new();
    gsize n;
    const HakoKeyCombo *combos = hako_keymap_get_combos(&n);
    g_autoptr(GMenu) section = g_menu_new();
    for (gsize i = 0; i < n; i++) {
        g_autoptr(GMenuItem) item = g_menu_item_new(_(combos[i].label), NULL);
        g_menu_item_set_action_and_target(item, "vm.send-keys", "s", combos[i].id);
        g_menu_append_item(section, item);
    }
    g_menu_append_section(menu, NULL, G_MENU_MODEL(section));
    gtk_menu_button_set_menu_model(self->keys_button, G_MENU_MODEL(menu));
}

/* ---- GObject ---- */

static void hako_vm_view_map(GtkWidget *widget)
{
    GTK_WIDGET_CLASS(hako_vm_view_parent_class)->map(widget);
    HakoVmView *self = HAKO_VM_VIEW(widget);
    if (g_str_equal(gtk_stack_get_visible_child_name(self->stack), "display"))
        gtk_widget_grab_focus(GTK_WIDGET(self->display));
}

/* A fix from the diagnosis page: change the settings, then start again with them. */
static void on_diagnosis_action(HakoDiagnosisPage *page, guint action, gpointer data)
{
    HakoVmView *self = data;
    (void)page;
    if (!self->vm)
        return;
    if (action == HAKO_DIAGNOSIS_ACTION_SERIAL_CONSOLE) {
        g_settings_set_boolean(self->settings, "console-visible", TRUE);
        return;
    }
    const char *code = NULL, *vars = NULL;
    g_autoptr(GListModel) fw = NULL;
    if (action == HAKO_DIAGNOSIS_ACTION_USE_UEFI) {
        fw = hako_firmware_discover(NULL);
        HakoFirmware *ovmf = hako_firmware_list_find_default(fw, HAKO_FIRMWARE_UEFI);
        if (ovmf) {
            code = hako_firmware_get_code_path(ovmf);
            vars = hako_firmware_get_vars_template(ovmf);
        }
    }
    g_autoptr(GError) error = NULL;
    GKeyFile *kf = hako_vm_get_config(self->vm);
    if (!hako_diagnosis_apply(self->diagnosis, action, kf,
                              g_file_peek_path(hako_vm_get_dir(self->vm)), code, vars, &error) ||
        !hako_vm_save(self->vm, &error)) {
        g_autofree char *text =
            g_strdup_printf(_("Could not change the settings: %s"), error ? error->message : "");
        toast(self, text);
        return;
    }
    if (hako_vm_is_active(self->vm)) {
        self->restart_when_stopped = TRUE;
        hako_vm_force_off(self->vm);
    } else {
        hako_vm_start(self->vm);
    }
}

static void hako_vm_view_dispose(GObject *object)
{
    HakoVmView *self = HAKO_VM_VIEW(object);
    if (self->vm)
        g_signal_handlers_disconnect_by_data(self->vm, self);
    if (self->engine)
        g_signal_handlers_disconnect_by_data(self->engine, self);
    g_clear_object(&self->vm);
    g_clear_object(&self->engine);
    if (self->cd_chooser)
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->cd_chooser));
    g_clear_object(&self->cd_chooser);
    g_clear_handle_id(&self->diagnosis_tick, g_source_remove);
    g_clear_object(&self->diagnosis);
    gtk_widget_dispose_template(GTK_WIDGET(self), HAKO_TYPE_VM_VIEW);
    g_clear_object(&self->actions);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(hako_vm_view_parent_class)->dispose(object);
}

static void hako_vm_view_finalize(GObject *object)
{
    HakoVmView *self = HAKO_VM_VIEW(object);
    g_free(self->screenshot_path);
    G_OBJECT_CLASS(hako_vm_view_parent_class)->finalize(object);
}

static void hako_vm_view_class_init(HakoVmViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = hako_vm_view_dispose;
    oc->finalize = hako_vm_view_finalize;
    wc->map = hako_vm_view_map;

    signals[SIG_TOAST] = g_signal_new("toast", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

    g_type_ensure(HAKO_TYPE_DISPLAY);
    g_type_ensure(HAKO_TYPE_CONSOLE);
    g_type_ensure(HAKO_TYPE_DIAGNOSIS_PAGE);
    g_type_ensure(HAKO_TYPE_NETWORK_INFO);
    gtk_widget_class_set_template_from_resource(wc, "/io/github/hakovm/Hako/hako-vm-view.ui");
    gtk_widget_class_bind_template_child(wc, HakoVmView, header_revealer);
    gtk_widget_class_bind_template_child(wc, HakoVmView, header);
    gtk_widget_class_bind_template_child(wc, HakoVmView, run_button);
    gtk_widget_class_bind_template_child(wc, HakoVmView, title);
    gtk_widget_class_bind_template_child(wc, HakoVmView, keys_button);
    gtk_widget_class_bind_template_child(wc, HakoVmView, network_button);
    gtk_widget_class_bind_template_child(wc, HakoVmView, network_info);
    gtk_widget_class_bind_template_child(wc, HakoVmView, fullscreen_button);
    gtk_widget_class_bind_template_child(wc, HakoVmView, paned);
    gtk_widget_class_bind_template_child(wc, HakoVmView, stack);
    gtk_widget_class_bind_template_child(wc, HakoVmView, display);
    gtk_widget_class_bind_template_child(wc, HakoVmView, status_page);
    gtk_widget_class_bind_template_child(wc, HakoVmView, status_box);
    gtk_widget_class_bind_template_child(wc, HakoVmView, status_spinner);
    gtk_widget_class_bind_template_child(wc, HakoVmView, failed_page);
    gtk_widget_class_bind_template_child(wc, HakoVmView, log_view);
    gtk_widget_class_bind_template_child(wc, HakoVmView, cannot_page);
    gtk_widget_class_bind_template_child(wc, HakoVmView, cannot_fix_box);
    gtk_widget_class_bind_template_child(wc, HakoVmView, cannot_fix_label);
    gtk_widget_class_bind_template_child(wc, HakoVmView, cannot_copy_button);
    gtk_widget_class_bind_template_child(wc, HakoVmView, cannot_check_button);
    gtk_widget_class_bind_template_child(wc, HakoVmView, cannot_settings_button);
    gtk_widget_class_bind_template_callback(wc, on_copy_fix);
    gtk_widget_class_bind_template_child(wc, HakoVmView, console);
    gtk_widget_class_bind_template_child(wc, HakoVmView, diagnosis_page);
    gtk_widget_class_set_css_name(wc, "hako-vm-view");
}

static void hako_vm_view_init(HakoVmView *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->diagnosis = hako_diagnosis_new();
    g_signal_connect(self->diagnosis_page, "action", G_CALLBACK(on_diagnosis_action), self);
    hako_stack_track_hidden_pages(self->stack);
    self->settings = g_settings_new(HAKO_APP_ID);

    self->actions = g_simple_action_group_new();
    g_action_map_add_action_entries(G_ACTION_MAP(self->actions), action_entries,
                                    G_N_ELEMENTS(action_entries), self);
    g_autoptr(GAction) scale = g_settings_create_action(self->settings, "scale-mode");
    g_action_map_add_action(G_ACTION_MAP(self->actions), scale);
    g_autoptr(GAction) console = g_settings_create_action(self->settings, "console-visible");
    g_action_map_add_action(G_ACTION_MAP(self->actions), console);
    gtk_widget_insert_action_group(GTK_WIDGET(self), "vm", G_ACTION_GROUP(self->actions));

    g_settings_bind(self->settings, "scale-mode", self->display, "scale-mode", G_SETTINGS_BIND_GET);
    g_settings_bind(self->settings, "zoom", self->display, "zoom", G_SETTINGS_BIND_GET);
    g_settings_bind(self->settings, "capture-release-keys", self->display, "release-keys",
                    G_SETTINGS_BIND_GET);
    g_settings_bind(self->settings, "console-visible", self->console, "visible",
                    G_SETTINGS_BIND_GET);

    g_signal_connect(self->display, "notify::has-scanout", G_CALLBACK(on_display_changed), self);
    g_signal_connect(self->display, "notify::captured", G_CALLBACK(on_display_changed), self);
    g_signal_connect(self->display, "notify::relative", G_CALLBACK(on_display_changed), self);
    g_signal_connect_swapped(self->display, "notify::release-keys", G_CALLBACK(update_title), self);
    g_signal_connect(self, "notify::root", G_CALLBACK(on_root), NULL);

    GtkEventController *motion = gtk_event_controller_motion_new();
    gtk_event_controller_set_propagation_phase(motion, GTK_PHASE_CAPTURE);
    g_signal_connect(motion, "motion", G_CALLBACK(on_view_motion), self);
    gtk_widget_add_controller(GTK_WIDGET(self), motion);

    g_signal_connect(self->network_info, "changed", G_CALLBACK(on_network_changed), self);
    build_keys_menu(self);
    update_actions(self);
    update_page(self);
}

GtkWidget *hako_vm_view_new(void)
{
    return g_object_new(HAKO_TYPE_VM_VIEW, NULL);
}
