/* HakoVmLibrary: see hako-vm-library.h.
 *
 * Scans run in a thread (GTask): the folder is read with readdir, each VM folder's vm.ini with
 * hako_fs_read_regular (a FIFO or device is refused, never waited on) and parsed; folders whose
 * vm.ini did not change since the last scan (same inode, size, mtime and ctime) are not read
 * again. The main thread merges the result in O(n) with the id table and sorts once. */
#include "hako-vm-library.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako-fs.h"
#include "hako-gtk-util.h"

/* a vm.ini.XXXXXX untouched this long is a leftover of an interrupted write */
#define STALE_TEMP_S 60

struct _HakoVmLibrary {
    GObject parent_instance;
    GFile *dir;
    GListStore *store;
    GHashTable *by_id;   /* id -> HakoVm (the store's reference) */
    GHashTable *index;   /* id -> Rec of the last scan (never changed once made), or NULL */
    GHashTable *hidden;  /* HakoVm -> TRUE: deleted, waiting for the Trash (see hide) */
    GPtrArray *reserved; /* names of VMs being created */
    GFileMonitor *monitor;
    guint rescan_id;
    GCancellable *scanning; /* the scan running in a thread */
    gboolean rescan_again;  /* a change came in during that scan */
    gboolean loaded;
    gboolean cleaned; /* leftover temporary files removed (once per start) */
};

enum { PROP_0, PROP_LOADED, N_PROPS };
static GParamSpec *props[N_PROPS];

static void list_model_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HakoVmLibrary, hako_vm_library, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_init))

static GType get_item_type(GListModel *model)
{
    (void)model;
    return HAKO_TYPE_VM;
}

static guint get_n_items(GListModel *model)
{
    return g_list_model_get_n_items(G_LIST_MODEL(HAKO_VM_LIBRARY(model)->store));
}

static gpointer get_item(GListModel *model, guint position)
{
    return g_list_model_get_item(G_LIST_MODEL(HAKO_VM_LIBRARY(model)->store), position);
}

static void list_model_init(GListModelInterface *iface)
{
    iface->get_item_type = get_item_type;
    iface->get_n_items = get_n_items;
    iface->get_item = get_item;
}

static void on_store_changed(GListModel *store, guint pos, guint removed, guint added,
                             gpointer data)
{
    (void)store;
    g_list_model_items_changed(G_LIST_MODEL(data), pos, removed, added);
}

static int compare_vms(gconstpointer a, gconstpointer b, gpointer data)
{
    (void)data;
    HakoVm *va = (HakoVm *)a, *vb = (HakoVm *)b;
    int c = strcmp(hako_vm_get_sort_key(va), hako_vm_get_sort_key(vb));
    return c ? c : strcmp(hako_vm_get_id(va), hako_vm_get_id(vb));
}

static int compare_vm_ptrs(gconstpointer a, gconstpointer b, gpointer data)
{
    return compare_vms(*(HakoVm *const *)a, *(HakoVm *const *)b, data);
}

HakoVm *hako_vm_library_find(HakoVmLibrary *self, const char *id)
{
    return id ? g_hash_table_lookup(self->by_id, id) : NULL;
}

gboolean hako_vm_library_contains(HakoVmLibrary *self, HakoVm *vm)
{
    return g_hash_table_lookup(self->by_id, hako_vm_get_id(vm)) == vm;
}

gboolean hako_vm_library_is_loaded(HakoVmLibrary *self)
{
    return self->loaded;
}

/* The store's position of vm: a binary search (the store is sorted). */
static gboolean find_position(HakoVmLibrary *self, HakoVm *vm, guint *pos)
{
    GListModel *m = G_LIST_MODEL(self->store);
    guint lo = 0, hi = g_list_model_get_n_items(m);
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        g_autoptr(HakoVm) at = g_list_model_get_item(m, mid);
        if (at == vm) {
            *pos = mid;
            return TRUE;
        }
        if (compare_vms(at, vm, NULL) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* the name changed and the store is not sorted again yet */
    return g_list_store_find(self->store, vm, pos);
}

/* Puts vm where its (new) name belongs. */
static void resort(HakoVmLibrary *self, HakoVm *vm)
{
    guint pos;
    if (!g_list_store_find(self->store, vm, &pos))
        return;
    g_object_ref(vm);
    g_list_store_remove(self->store, pos);
    g_list_store_insert_sorted(self->store, vm, compare_vms, NULL);
    g_object_unref(vm);
}

static void track(HakoVmLibrary *self, HakoVm *vm)
{
    g_hash_table_insert(self->by_id, g_strdup(hako_vm_get_id(vm)), vm);
}

static void untrack(HakoVmLibrary *self, HakoVm *vm)
{
    if (g_hash_table_lookup(self->by_id, hako_vm_get_id(vm)) == vm)
        g_hash_table_remove(self->by_id, hako_vm_get_id(vm));
}

static void add_vm(HakoVmLibrary *self, HakoVm *vm)
{
    track(self, vm);
    g_list_store_insert_sorted(self->store, vm, compare_vms, NULL);
}

static void remove_vm(HakoVmLibrary *self, HakoVm *vm)
{
    guint pos;
    g_object_ref(vm);
    untrack(self, vm);
    if (find_position(self, vm, &pos))
        g_list_store_remove(self->store, pos);
    g_object_unref(vm);
}

/* ---- the scan (a thread) ---- */

/* What is known about one VM folder: kept by the library (the index), written to the index file
 * in the cache folder so that the next start shows the library without reading every vm.ini. */
typedef struct {
    char *id;
    guint64 dir_dev, dir_ino; /* the folder, links followed: one VM per folder */
    guint64 ini_dev, ini_ino; /* vm.ini: unchanged when all of these are */
    gint64 mtime_ns, ctime_ns;
    gint64 size;
    char *name, *os_name, *sort_key;
    char *problem; /* why vm.ini cannot be read, or NULL */
} Rec;

static void rec_free(gpointer p)
{
    Rec *r = p;
    if (!r)
        return;
    g_free(r->id);
    g_free(r->name);
    g_free(r->os_name);
    g_free(r->sort_key);
    g_free(r->problem);
    g_free(r);
}

static gboolean stamp_equal(const Rec *a, const Rec *b)
{
    return a->ini_dev == b->ini_dev && a->ini_ino == b->ini_ino && a->mtime_ns == b->mtime_ns &&
           a->ctime_ns == b->ctime_ns && a->size == b->size && a->dir_dev == b->dir_dev &&
           a->dir_ino == b->dir_ino;
}

/* What a scan found for one folder. */
typedef struct {
    Rec *rec;      /* owned by the scan's new index */
    gboolean link; /* reached through a symbolic link */
    gboolean read; /* vm.ini read this time (changed since the index) */
    HakoVm *vm;    /* made in the thread when the library did not know the id */
} Entry;

static void entry_free(gpointer p)
{
    Entry *e = p;
    if (!e)
        return;
    g_clear_object(&e->vm);
    g_free(e);
}

typedef struct {
    char *dir;
    char *index_path;
    GHashTable *index;   /* id -> Rec: the library's (NULL: read the index file) */
    GHashTable *library; /* ids the library has (NULL: none) */
    gboolean clean;      /* remove leftover temporary files afterwards */
    gboolean sync;       /* someone waits for the whole scan */
} ScanJob;

static void scan_job_free(gpointer p)
{
    ScanJob *j = p;
    g_free(j->dir);
    g_free(j->index_path);
    if (j->index)
        g_hash_table_unref(j->index);
    if (j->library)
        g_hash_table_unref(j->library);
    g_free(j);
}

typedef struct {
    GPtrArray *entries; /* Entry, sorted by name */
    GHashTable *index;  /* id -> Rec, the new index */
} ScanResult;

static void scan_result_free(gpointer p)
{
    ScanResult *r = p;
    g_ptr_array_unref(r->entries);
    g_hash_table_unref(r->index);
    g_free(r);
}

/* ---- the index file: "id \t dir_dev \t dir_ino \t ini_dev \t ini_ino \t mtime \t ctime \t size
 * \t name \t os_name \t sort_key \t problem", text fields with \\, \t, \n escaped; its first line
 * names the format and the collation locale of the sort keys. */

#define INDEX_MAGIC "hako-library-index 1"

static void put_text(GString *s, const char *t)
{
    for (const char *p = t ? t : ""; *p; p++) {
        if (*p == '\\')
            g_string_append(s, "\\\\");
        else if (*p == '\t')
            g_string_append(s, "\\t");
        else if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
}

static char *get_text(const char *t)
{
    GString *s = g_string_sized_new(strlen(t));
    for (const char *p = t; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            g_string_append_c(s, *p == 't' ? '\t' : *p == 'n' ? '\n' : *p);
        } else {
            g_string_append_c(s, *p);
        }
    }
    return g_string_free(s, FALSE);
}

static const char *collate_locale(void)
{
    const char *l = setlocale(LC_COLLATE, NULL);
    return l ? l : "C";
}

static GHashTable *index_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, NULL, rec_free);
}

static GHashTable *index_load(const char *path)
{
    GHashTable *index = index_new();
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!path || !hako_fs_read_regular(path, 256u << 20, &data, &len, NULL))
        return index;
    char *line = data, *next;
    g_autofree char *header = g_strdup_printf("%s %s", INDEX_MAGIC, collate_locale());
    for (gboolean first = TRUE; line && *line; line = next, first = FALSE) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (first) {
            if (!g_str_equal(line, header))
                break; /* another format or locale: read the folders */
            continue;
        }
        g_auto(GStrv) f = g_strsplit(line, "\t", 13);
        if (g_strv_length(f) != 12)
            continue;
        Rec *r = g_new0(Rec, 1);
        r->id = get_text(f[0]);
        r->dir_dev = g_ascii_strtoull(f[1], NULL, 10);
        r->dir_ino = g_ascii_strtoull(f[2], NULL, 10);
        r->ini_dev = g_ascii_strtoull(f[3], NULL, 10);
        r->ini_ino = g_ascii_strtoull(f[4], NULL, 10);
        r->mtime_ns = g_ascii_strtoll(f[5], NULL, 10);
        r->ctime_ns = g_ascii_strtoll(f[6], NULL, 10);
        r->size = g_ascii_strtoll(f[7], NULL, 10);
        r->name = get_text(f[8]);
        r->os_name = get_text(f[9]);
        r->sort_key = get_text(f[10]);
        r->problem = *f[11] ? get_text(f[11]) : NULL;
        if (!*r->id || strchr(r->id, '/') || !g_utf8_validate(r->name, -1, NULL) ||
            !g_utf8_validate(r->os_name, -1, NULL) ||
            (r->problem && !g_utf8_validate(r->problem, -1, NULL))) {
            rec_free(r);
            continue;
        }
        g_hash_table_replace(index, r->id, r);
    }
    return index;
}

static void index_save(const char *path, GPtrArray *entries)
{
    if (!path)
        return;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s %s\n", INDEX_MAGIC, collate_locale());
    for (guint i = 0; i < entries->len; i++) {
        const Rec *r = ((Entry *)entries->pdata[i])->rec;
        put_text(s, r->id);
        g_string_append_printf(s,
                               "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT
                               "\t%" G_GUINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT
                               "\t%" G_GINT64_FORMAT "\t",
                               r->dir_dev, r->dir_ino, r->ini_dev, r->ini_ino, r->mtime_ns,
                               r->ctime_ns, r->size);
        put_text(s, r->name);
        g_string_append_c(s, '\t');
        put_text(s, r->os_name);
        g_string_append_c(s, '\t');
        put_text(s, r->sort_key);
        g_string_append_c(s, '\t');
        put_text(s, r->problem);
        g_string_append_c(s, '\n');
    }
    g_autofree char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0700);
    /* a cache: atomic, but not worth a sync */
    g_file_set_contents_full(path, s->str, (gssize)s->len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                             NULL);
    g_string_free(s, TRUE);
}

/* Reads vm.ini into the record's names, or the reason it cannot be read. */
static void read_rec(Rec *r, const char *libdir)
{
    g_autofree char *ini = g_build_filename(libdir, r->id, "vm.ini", NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(GKeyFile) kf = NULL;
    if (!hako_fs_read_regular(ini, HAKO_VM_INI_MAX, &data, &len, &error)) {
        r->problem = hako_vm_config_problem(error);
    } else {
        kf = g_key_file_new();
        if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &error)) {
            r->problem = g_strdup_printf(_("vm.ini is damaged: %s"), error->message);
            g_clear_pointer(&kf, g_key_file_unref);
        }
    }
    hako_vm_config_names(kf, r->id, &r->name, &r->os_name);
    r->sort_key = g_utf8_collate_key(r->name, -1);
}

static int compare_entries(gconstpointer a, gconstpointer b)
{
    const Rec *ra = (*(Entry *const *)a)->rec, *rb = (*(Entry *const *)b)->rec;
    int c = strcmp(ra->sort_key, rb->sort_key);
    return c ? c : strcmp(ra->id, rb->id);
}

/* The folders of the library: one entry per VM folder (a folder reached through symbolic links
 * too is listed once: under its own name when it has one in the library, else under the first
 * link's), with the stamps of their vm.ini. */
static GPtrArray *list_folders(const char *libdir, GCancellable *cancellable, GError **error)
{
    int dfd = open(libdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        int err = errno;
        if (dfd >= 0)
            close(dfd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s: %s", libdir,
                    g_strerror(err));
        return NULL;
    }
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(entry_free);
    struct dirent *de;
    while ((de = readdir(d)) && !g_cancellable_is_cancelled(cancellable)) {
        if (de->d_name[0] == '.')
            continue; /* ., .., the creator's staging folders, hidden files */
        struct stat lst, st, ist;
        if (fstatat(dfd, de->d_name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        gboolean link = S_ISLNK(lst.st_mode);
        if (link && fstatat(dfd, de->d_name, &st, 0) < 0)
            continue; /* dangling */
        if (!link)
            st = lst;
        if (!S_ISDIR(st.st_mode))
            continue;
        g_autofree char *ini = g_build_filename(de->d_name, "vm.ini", NULL);
        if (fstatat(dfd, ini, &ist, 0) < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;                /* a folder without vm.ini is not a VM */
            memset(&ist, 0, sizeof ist); /* unreadable: read_rec says why */
        }
        Entry *e = g_new0(Entry, 1);
        e->link = link;
        e->rec = g_new0(Rec, 1);
        e->rec->id = g_strdup(de->d_name);
        e->rec->dir_dev = st.st_dev;
        e->rec->dir_ino = st.st_ino;
        e->rec->ini_dev = ist.st_dev;
        e->rec->ini_ino = ist.st_ino;
        e->rec->size = ist.st_size;
        e->rec->mtime_ns = (gint64)ist.st_mtim.tv_sec * 1000000000 + ist.st_mtim.tv_nsec;
        e->rec->ctime_ns = (gint64)ist.st_ctim.tv_sec * 1000000000 + ist.st_ctim.tv_nsec;
        g_ptr_array_add(all, e);
    }
    closedir(d);

    /* real folders first, then links; among each, the smaller name wins */
    GPtrArray *unique = g_ptr_array_new_with_free_func(entry_free);
    g_autoptr(GHashTable) folders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < all->len; i++) {
            Entry *e = all->pdata[i];
            if (!e || e->link != (pass == 1))
                continue;
            char *key = g_strdup_printf("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, e->rec->dir_dev,
                                        e->rec->dir_ino);
            Entry *have = g_hash_table_lookup(folders, key);
            if (have && (have->link != e->link || strcmp(have->rec->id, e->rec->id) < 0)) {
                g_free(key);
                continue; /* freed with all */
            }
            if (have) {
                rec_free(have->rec);
                have->rec = NULL;
                g_ptr_array_remove_fast(unique, have);
            }
            g_hash_table_replace(folders, key, e);
            all->pdata[i] = NULL;
            g_ptr_array_add(unique, e);
        }
    }
    for (guint i = 0; i < all->len; i++) {
        Entry *e = all->pdata[i];
        if (e)
            rec_free(e->rec);
    }
    return unique;
}

static void scan_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    ScanJob *job = data;
    g_autoptr(GError) error = NULL;
    GPtrArray *entries = list_folders(job->dir, cancellable, &error);
    if (!entries) {
        g_task_return_error(task, g_steal_pointer(&error));
        return;
    }
    g_autoptr(GHashTable) prev =
        job->index ? g_hash_table_ref(job->index) : index_load(job->index_path);
    GHashTable *index = index_new();
    gboolean changed = g_hash_table_size(prev) != entries->len;
    for (guint i = 0; i < entries->len && !g_cancellable_is_cancelled(cancellable); i++) {
        Entry *e = entries->pdata[i];
        Rec *r = e->rec;
        const Rec *old = g_hash_table_lookup(prev, r->id);
        if (old && r->ini_ino && stamp_equal(old, r)) {
            r->name = g_strdup(old->name);
            r->os_name = g_strdup(old->os_name);
            r->sort_key = g_strdup(old->sort_key);
            r->problem = g_strdup(old->problem);
        } else {
            read_rec(r, job->dir);
            e->read = TRUE;
            changed = TRUE;
        }
        g_hash_table_replace(index, r->id, r);
        if (!job->library || !g_hash_table_contains(job->library, r->id)) {
            g_autoptr(GFile) dir = g_file_new_build_filename(job->dir, r->id, NULL);
            e->vm = hako_vm_new_summary(dir, r->id, r->name, r->os_name, r->sort_key, r->problem);
        }
    }
    if (g_task_return_error_if_cancelled(task)) {
        g_ptr_array_unref(entries);
        g_hash_table_unref(index);
        return;
    }
    g_ptr_array_sort(entries, compare_entries);
    if (changed)
        index_save(job->index_path, entries);
    ScanResult *result = g_new0(ScanResult, 1);
    result->entries = entries;
    result->index = index;
    hako_bench_mark(job->index ? "rescan-thread" : "scan-thread");
    g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; job->clean && i < entries->len; i++)
        g_ptr_array_add(folders,
                        g_build_filename(job->dir, ((Entry *)entries->pdata[i])->rec->id, NULL));
    /* the library can show them now (the result is the main thread's from here on); the rest is
     * housekeeping, which a caller that waits for the scan waits for too
     * (g_task_run_in_thread_sync returns as soon as there is a result) */
    if (!job->sync)
        g_task_return_pointer(task, result, scan_result_free);
    for (guint i = 0; i < folders->len && !g_cancellable_is_cancelled(cancellable); i++)
        hako_fs_clean_temporaries(folders->pdata[i], "vm.ini", STALE_TEMP_S);
    if (job->sync)
        g_task_return_pointer(task, result, scan_result_free);
}

static char *index_path_for(GFile *dir)
{
    g_autofree char *sum =
        g_compute_checksum_for_string(G_CHECKSUM_SHA256, g_file_peek_path(dir), -1);
    g_autofree char *name = g_strdup_printf("library-%.16s.index", sum);
    return g_build_filename(g_get_user_cache_dir(), "hako", name, NULL);
}

static ScanJob *scan_job_new(HakoVmLibrary *self)
{
    ScanJob *job = g_new0(ScanJob, 1);
    job->dir = g_file_get_path(self->dir);
    job->index_path = index_path_for(self->dir);
    /* the library's index never changes once made: the thread reads it without a lock */
    job->index = self->index ? g_hash_table_ref(self->index) : NULL;
    if (self->index) {
        job->library = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, self->by_id);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_hash_table_add(job->library, g_strdup(k));
    }
    job->clean = !self->cleaned;
    return job;
}

static gboolean is_hidden(HakoVmLibrary *self, const Rec *r)
{
    GHashTableIter it;
    gpointer k;
    if (!g_hash_table_size(self->hidden))
        return FALSE;
    g_hash_table_iter_init(&it, self->hidden);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        HakoVm *vm = k;
        struct stat st;
        /* deleted folders are renamed on their way to the Trash: compare the folder itself */
        if (g_strcmp0(hako_vm_get_id(vm), r->id) == 0 ||
            (stat(g_file_peek_path(hako_vm_get_dir(vm)), &st) == 0 &&
             (guint64)st.st_dev == r->dir_dev && (guint64)st.st_ino == r->dir_ino))
            return TRUE;
    }
    return FALSE;
}

/* Takes a scan in: O(n) with the id table, one change of the list model for all of it. */
static void merge(HakoVmLibrary *self, ScanResult *result)
{
    GPtrArray *entries = result->entries;
    g_clear_pointer(&self->index, g_hash_table_unref);
    self->index = g_hash_table_ref(result->index);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func(g_object_unref);
    gboolean renamed = FALSE;
    for (guint i = 0; i < entries->len; i++) {
        Entry *e = entries->pdata[i];
        const Rec *r = e->rec;
        if (is_hidden(self, r))
            continue;
        g_hash_table_add(seen, r->id);
        HakoVm *vm = g_hash_table_lookup(self->by_id, r->id);
        if (vm) {
            if (e->read && !hako_vm_is_active(vm)) {
                /* changed on disk (by hand, or by us): what the library shows follows */
                gboolean moves = g_strcmp0(hako_vm_get_sort_key(vm), r->sort_key) != 0;
                hako_vm_update_summary(vm, r->name, r->os_name, r->sort_key, r->problem);
                renamed |= moves;
            }
            continue;
        }
        HakoVm *nvm = e->vm ? g_object_ref(e->vm) : NULL;
        if (!nvm) {
            /* known to the library when the scan began, gone from it since */
            g_autoptr(GFile) dir = g_file_get_child(self->dir, r->id);
            nvm = hako_vm_new_summary(dir, r->id, r->name, r->os_name, r->sort_key, r->problem);
        }
        track(self, nvm);
        g_ptr_array_add(fresh, nvm);
    }
    GListModel *m = G_LIST_MODEL(self->store);
    guint n = g_list_model_get_n_items(m);
    if (n == 0) {
        /* the first scan: already in order */
        if (fresh->len)
            g_list_store_splice(self->store, 0, 0, fresh->pdata, fresh->len);
        return;
    }
    /* folders that disappeared (a running VM stays until it stops) */
    g_autoptr(GPtrArray) keep = g_ptr_array_new_full(n + fresh->len, g_object_unref);
    gboolean removed = FALSE;
    for (guint i = 0; i < n; i++) {
        HakoVm *vm = g_list_model_get_item(m, i);
        if (!g_hash_table_contains(seen, hako_vm_get_id(vm)) && !hako_vm_is_active(vm)) {
            untrack(self, vm);
            g_object_unref(vm);
            removed = TRUE;
            continue;
        }
        g_ptr_array_add(keep, vm);
    }
    if (!removed && !renamed && fresh->len == 0)
        return;
    if (!removed && !renamed && fresh->len == 1) {
        g_list_store_insert_sorted(self->store, fresh->pdata[0], compare_vms, NULL);
        return;
    }
    for (guint i = 0; i < fresh->len; i++)
        g_ptr_array_add(keep, g_object_ref(fresh->pdata[i]));
    g_ptr_array_sort_with_data(keep, compare_vm_ptrs, NULL);
    g_list_store_splice(self->store, 0, n, keep->pdata, keep->len);
}

static void start_scan(HakoVmLibrary *self);

static void set_loaded(HakoVmLibrary *self)
{
    if (self->loaded)
        return;
    self->loaded = TRUE;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_LOADED]);
}

static void on_scanned(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    HakoVmLibrary *self = HAKO_VM_LIBRARY(src);
    g_autoptr(GError) error = NULL;
    ScanResult *result = g_task_propagate_pointer(G_TASK(res), &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    g_clear_object(&self->scanning);
    self->cleaned = TRUE; /* the scan removes leftovers after its result */
    if (result) {
        hako_bench_mark("scanned");
        merge(self, result);
        hako_bench_mark("merged");
        scan_result_free(result);
    } else {
        g_warning("cannot read the library %s: %s", g_file_peek_path(self->dir), error->message);
    }
    set_loaded(self);
    if (self->rescan_again) {
        self->rescan_again = FALSE;
        start_scan(self);
    }
}

static void start_scan(HakoVmLibrary *self)
{
    if (self->scanning) {
        self->rescan_again = TRUE;
        return;
    }
    self->scanning = g_cancellable_new();
    g_autoptr(GTask) task = g_task_new(self, self->scanning, on_scanned, NULL);
    g_task_set_task_data(task, scan_job_new(self), scan_job_free);
    g_task_run_in_thread(task, scan_thread);
}

void hako_vm_library_rescan(HakoVmLibrary *self)
{
    start_scan(self);
}

void hako_vm_library_rescan_sync(HakoVmLibrary *self)
{
    if (self->scanning) {
        g_cancellable_cancel(self->scanning);
        g_clear_object(&self->scanning);
    }
    g_autoptr(GTask) task = g_task_new(self, NULL, NULL, NULL);
    ScanJob *job = scan_job_new(self);
    job->sync = TRUE;
    job->clean = TRUE;
    self->cleaned = TRUE;
    g_task_set_task_data(task, job, scan_job_free);
    g_task_run_in_thread_sync(task, scan_thread);
    ScanResult *result = g_task_propagate_pointer(task, NULL);
    if (result) {
        merge(self, result);
        scan_result_free(result);
    }
    set_loaded(self);
}

static gboolean rescan_cb(gpointer data)
{
    HakoVmLibrary *self = data;
    self->rescan_id = 0;
    start_scan(self);
    return G_SOURCE_REMOVE;
}

static void on_dir_changed(GFileMonitor *monitor, GFile *file, GFile *other,
                           GFileMonitorEvent event, gpointer data)
{
    HakoVmLibrary *self = data;
    (void)monitor;
    (void)file;
    (void)other;
    (void)event;
    /* a new VM folder gets its vm.ini a moment later: debounce */
    g_clear_handle_id(&self->rescan_id, g_source_remove);
    self->rescan_id = g_timeout_add(500, rescan_cb, self);
}

HakoVmLibrary *hako_vm_library_new(GFile *dir)
{
    HakoVmLibrary *self = g_object_new(HAKO_TYPE_VM_LIBRARY, NULL);
    self->dir = g_object_ref(dir);
    g_file_make_directory_with_parents(dir, NULL, NULL);
    self->monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
    if (self->monitor)
        g_signal_connect(self->monitor, "changed", G_CALLBACK(on_dir_changed), self);
    start_scan(self);
    return self;
}

GFile *hako_vm_library_get_dir(HakoVmLibrary *self)
{
    return self->dir;
}

HakoVm *hako_vm_library_add_folder(HakoVmLibrary *self, GFile *dir, GError **error)
{
    g_autofree char *id = g_file_get_basename(dir);
    HakoVm *have = hako_vm_library_find(self, id);
    if (have)
        return have;
    g_autoptr(HakoVm) vm = hako_vm_load(dir, error);
    if (!vm)
        return NULL;
    add_vm(self, vm);
    return vm; /* owned by the store */
}

char *hako_vm_library_make_id(const char *name)
{
    g_autofree char *ascii = g_str_to_ascii(name, "C");
    GString *id = g_string_new(NULL);
    for (const char *p = ascii; *p && id->len < 40; p++) {
        if (g_ascii_isalnum(*p))
            g_string_append_c(id, g_ascii_tolower(*p));
        else if (id->len && id->str[id->len - 1] != '-')
            g_string_append_c(id, '-');
    }
    while (id->len && id->str[id->len - 1] == '-')
        g_string_truncate(id, id->len - 1);
    if (id->len == 0)
        g_string_append(id, "vm");
    return g_string_free(id, FALSE);
}

HakoVm *hako_vm_library_create(HakoVmLibrary *self, const char *name, GKeyFile *settings,
                               GError **error)
{
    g_autofree char *base = hako_vm_library_make_id(name);
    g_autoptr(GFile) dir = NULL;
    for (int n = 1; n < 1000; n++) {
        g_autofree char *id = n == 1 ? g_strdup(base) : g_strdup_printf("%s-%d", base, n);
        g_autoptr(GFile) candidate = g_file_get_child(self->dir, id);
        g_autoptr(GError) local = NULL;
        if (g_file_make_directory(candidate, NULL, &local)) {
            dir = g_steal_pointer(&candidate);
            break;
        }
        if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_EXISTS)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
    }
    if (!dir) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Too many virtual machines named “%s”"),
                    name);
        return NULL;
    }
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (settings) {
        g_autofree char *data = g_key_file_to_data(settings, NULL, NULL);
        g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_KEEP_COMMENTS, NULL);
    }
    g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_NAME, name);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *created = g_date_time_format_iso8601(now);
    g_key_file_set_string(kf, HAKO_VM_GROUP, HAKO_VM_KEY_CREATED, created);
    g_autoptr(GFile) ini = g_file_get_child(dir, "vm.ini");
    gsize len = 0;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    if (!hako_fs_write_atomic(g_file_peek_path(ini), data, len, 0644, error)) {
        g_file_delete(dir, NULL, NULL);
        return NULL;
    }
    return hako_vm_library_add_folder(self, dir, error);
}

HakoValueCheck hako_vm_library_check_name(HakoVmLibrary *self, const char *name, HakoVm *except,
                                          char **message)
{
    /* the name itself (empty, too long, "/"...) */
    HakoValueCheck c = hako_check_name(name, NULL, message);
    if (c == HAKO_VALUE_INVALID)
        return c;
    /* taken: the same collation key (g_utf8_collate == 0) as a VM's or a name being created;
     * keys are kept by the VMs, so each keystroke costs a comparison per VM, not a collation */
    g_autofree char *stripped = g_strstrip(g_strdup(name));
    g_autofree char *key = g_utf8_collate_key(stripped, -1);
    gboolean taken = FALSE;
    GListModel *m = G_LIST_MODEL(self->store);
    guint n = g_list_model_get_n_items(m);
    for (guint i = 0; i < n && !taken; i++) {
        g_autoptr(HakoVm) vm = g_list_model_get_item(m, i);
        taken = vm != except && g_str_equal(hako_vm_get_sort_key(vm), key);
    }
    for (guint i = 0; i < self->reserved->len && !taken; i++) {
        const char *r[] = {self->reserved->pdata[i], NULL};
        taken = hako_check_name(stripped, r, NULL) == HAKO_VALUE_INVALID;
    }
    if (!taken)
        return c;
    if (message) {
        g_free(*message);
        *message = g_strdup(_("Another virtual machine has this name."));
    }
    return HAKO_VALUE_INVALID;
}

gboolean hako_vm_library_reserve_name(HakoVmLibrary *self, const char *name, char **message)
{
    if (hako_vm_library_check_name(self, name, NULL, message) == HAKO_VALUE_INVALID)
        return FALSE;
    g_ptr_array_add(self->reserved, g_strstrip(g_strdup(name)));
    return TRUE;
}

void hako_vm_library_release_name(HakoVmLibrary *self, const char *name)
{
    g_autofree char *stripped = g_strstrip(g_strdup(name));
    for (guint i = 0; i < self->reserved->len; i++) {
        if (g_str_equal(self->reserved->pdata[i], stripped)) {
            g_ptr_array_remove_index(self->reserved, i);
            return;
        }
    }
}

gboolean hako_vm_library_rename(HakoVmLibrary *self, HakoVm *vm, const char *name, GError **error)
{
    g_autofree char *msg = NULL;
    if (hako_vm_library_check_name(self, name, vm, &msg) == HAKO_VALUE_INVALID) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, msg);
        return FALSE;
    }
    g_autofree char *stripped = g_strstrip(g_strdup(name));
    g_autofree char *old = g_strdup(hako_vm_get_name(vm));
    hako_vm_set_name(vm, stripped);
    if (!hako_vm_save(vm, error)) {
        hako_vm_set_name(vm, old);
        return FALSE;
    }
    resort(self, vm);
    return TRUE;
}

void hako_vm_library_hide(HakoVmLibrary *self, HakoVm *vm)
{
    if (g_hash_table_contains(self->hidden, vm))
        return;
    g_hash_table_add(self->hidden, g_object_ref(vm));
    if (hako_vm_library_contains(self, vm))
        remove_vm(self, vm);
}

void hako_vm_library_unhide(HakoVmLibrary *self, HakoVm *vm)
{
    if (!g_hash_table_steal(self->hidden, vm))
        return;
    if (!hako_vm_library_find(self, hako_vm_get_id(vm)) &&
        g_file_query_exists(hako_vm_get_dir(vm), NULL))
        add_vm(self, vm);
    g_object_unref(vm);
}

/* The name a deleted VM's folder has in the Trash: the VM's name, as a file name. */
static char *trash_name(const char *name, const char *id)
{
    GString *s = g_string_new(NULL);
    for (const char *p = name; p && *p; p++)
        g_string_append_c(s, *p == '/' ? '-' : *p);
    while (s->len && (s->str[0] == '.' || g_ascii_isspace(s->str[0])))
        g_string_erase(s, 0, 1);
    /* file names hold 255 bytes: cut at a character boundary, leaving room for " (99)" */
    if (s->len > 200) {
        const char *end = g_utf8_find_prev_char(s->str, s->str + 201);
        g_string_truncate(s, end ? (gsize)(end - s->str) : 200);
    }
    if (!s->len || !g_utf8_validate(s->str, -1, NULL))
        g_string_assign(s, id);
    return g_string_free(s, FALSE);
}

typedef struct {
    char *libdir, *id, *name;
    gboolean trashed;
} DeleteJob;

static void delete_job_free(gpointer p)
{
    DeleteJob *j = p;
    g_free(j->libdir);
    g_free(j->id);
    g_free(j->name);
    g_free(j);
}

/* Renames libdir/from to libdir/to unless to exists. */
static gboolean rename_noreplace(const char *libdir, const char *from, const char *to)
{
    g_autofree char *a = g_build_filename(libdir, from, NULL);
    g_autofree char *b = g_build_filename(libdir, to, NULL);
    if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE) == 0)
        return TRUE;
    if (errno != EINVAL && errno != ENOSYS)
        return FALSE;
    struct stat st;
    if (lstat(b, &st) == 0) {
        errno = EEXIST;
        return FALSE;
    }
    return rename(a, b) == 0;
}

static void delete_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    DeleteJob *j = data;
    /* under the VM's name, so that the Trash shows which VM it is */
    g_autofree char *base = trash_name(j->name, j->id);
    g_autofree char *current = g_strdup(j->id);
    for (int n = 1; n < 100 && !g_str_equal(base, j->id); n++) {
        g_autofree char *candidate = n == 1 ? g_strdup(base) : g_strdup_printf("%s (%d)", base, n);
        if (g_str_equal(candidate, j->id))
            break;
        if (rename_noreplace(j->libdir, j->id, candidate)) {
            g_free(current);
            current = g_steal_pointer(&candidate);
            break;
        }
        if (errno != EEXIST && errno != ENOTEMPTY)
            break; /* keep the id */
    }
    g_autofree char *path = g_build_filename(j->libdir, current, NULL);
    g_autoptr(GFile) dir = g_file_new_for_path(path);
    g_autoptr(GError) local = NULL;
    if (g_file_trash(dir, cancellable, &local)) {
        j->trashed = TRUE;
        g_task_return_boolean(task, TRUE);
        return;
    }
    if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)) {
        /* no Trash here (a library on tmpfs, a mount without a writable top folder): deleted,
         * never following a symbolic link out of the folder */
        g_clear_error(&local);
        if (hako_fs_delete_tree(path, cancellable, &local)) {
            g_task_return_boolean(task, TRUE);
            return;
        }
    }
    /* it stays a VM of the library, under its id */
    if (!g_str_equal(current, j->id))
        rename_noreplace(j->libdir, current, j->id);
    g_task_return_error(task, g_steal_pointer(&local));
}

static GTask *delete_task(HakoVmLibrary *self, HakoVm *vm, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, hako_vm_library_delete_async);
    DeleteJob *j = g_new0(DeleteJob, 1);
    j->libdir = g_file_get_path(self->dir);
    j->id = g_strdup(hako_vm_get_id(vm));
    j->name = g_strdup(hako_vm_get_name(vm));
    g_task_set_task_data(task, j, delete_job_free);
    g_object_set_data_full(G_OBJECT(task), "vm", g_object_ref(vm), g_object_unref);
    return task;
}

void hako_vm_library_delete_async(HakoVmLibrary *self, HakoVm *vm, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = delete_task(self, vm, cancellable, callback, user_data);
    if (hako_vm_is_active(vm)) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_BUSY,
                                _("Turn the virtual machine off before deleting it."));
        return;
    }
    /* the folder is renamed on its way: the library must not list it meanwhile */
    hako_vm_library_hide(self, vm);
    g_task_run_in_thread(task, delete_thread);
}

static gboolean delete_done(HakoVmLibrary *self, GTask *task, gboolean *trashed, GError **error)
{
    HakoVm *vm = g_object_get_data(G_OBJECT(task), "vm");
    DeleteJob *j = g_task_get_task_data(task);
    if (trashed)
        *trashed = j->trashed;
    if (!g_task_propagate_boolean(task, error))
        return FALSE;
    if (hako_vm_library_contains(self, vm))
        remove_vm(self, vm);
    g_hash_table_remove(self->hidden, vm);
    return TRUE;
}

gboolean hako_vm_library_delete_finish(HakoVmLibrary *self, GAsyncResult *result, gboolean *trashed,
                                       GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return delete_done(self, G_TASK(result), trashed, error);
}

gboolean hako_vm_library_delete(HakoVmLibrary *self, HakoVm *vm, GError **error)
{
    if (hako_vm_is_active(vm)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    _("Turn the virtual machine off before deleting it."));
        return FALSE;
    }
    gboolean was_hidden = g_hash_table_contains(self->hidden, vm);
    hako_vm_library_hide(self, vm);
    g_autoptr(GTask) task = delete_task(self, vm, NULL, NULL, NULL);
    g_task_run_in_thread_sync(task, delete_thread);
    if (delete_done(self, task, NULL, error))
        return TRUE;
    if (!was_hidden)
        hako_vm_library_unhide(self, vm);
    return FALSE;
}

guint hako_vm_library_count_active(HakoVmLibrary *self)
{
    guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store)), active = 0;
    for (guint i = 0; i < n; i++) {
        g_autoptr(HakoVm) vm = g_list_model_get_item(G_LIST_MODEL(self->store), i);
        active += hako_vm_is_active(vm);
    }
    return active;
}

static void hako_vm_library_get_property(GObject *object, guint id, GValue *value,
                                         GParamSpec *pspec)
{
    HakoVmLibrary *self = HAKO_VM_LIBRARY(object);
    switch (id) {
    case PROP_LOADED: g_value_set_boolean(value, self->loaded); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void hako_vm_library_dispose(GObject *object)
{
    HakoVmLibrary *self = HAKO_VM_LIBRARY(object);
    g_clear_handle_id(&self->rescan_id, g_source_remove);
    if (self->scanning)
        g_cancellable_cancel(self->scanning);
    g_clear_object(&self->scanning);
    if (self->monitor) {
        g_signal_handlers_disconnect_by_data(self->monitor, self);
        g_file_monitor_cancel(self->monitor);
    }
    g_clear_object(&self->monitor);
    G_OBJECT_CLASS(hako_vm_library_parent_class)->dispose(object);
}

static void hako_vm_library_finalize(GObject *object)
{
    HakoVmLibrary *self = HAKO_VM_LIBRARY(object);
    g_signal_handlers_disconnect_by_data(self->store, self);
    g_clear_object(&self->store);
    g_clear_pointer(&self->by_id, g_hash_table_unref);
    g_clear_pointer(&self->index, g_hash_table_unref);
    g_clear_pointer(&self->hidden, g_hash_table_unref);
    g_clear_pointer(&self->reserved, g_ptr_array_unref);
    g_clear_object(&self->dir);
    G_OBJECT_CLASS(hako_vm_library_parent_class)->finalize(object);
}

static void hako_vm_library_class_init(HakoVmLibraryClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = hako_vm_library_dispose;
    oc->finalize = hako_vm_library_finalize;
    oc->get_property = hako_vm_library_get_property;
    props[PROP_LOADED] =
        g_param_spec_boolean("loaded", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void hako_vm_library_init(HakoVmLibrary *self)
{
    self->store = g_list_store_new(HAKO_TYPE_VM);
    self->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    self->hidden = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_object_unref, NULL);
    self->reserved = g_ptr_array_new_with_free_func(g_free);
    g_signal_connect(self->store, "items-changed", G_CALLBACK(on_store_changed), self);
}
