/* Test helper shared by test-diagnosis (its command-line mode) and the app's diagnosis-preview:
 * feeds the facts of a `hako-vmm --diagnose=json` timeline to a HakoDiagnosis. */
#pragma once

#include <json-glib/json-glib.h>
#include <string.h>

#include "hako-diagnosis.h"

static inline int facts_json_kind(const char *name)
{
    for (unsigned k = 0; k < HK_FACT__COUNT; k++)
        if (g_str_equal(hk_fact_name(k), name))
            return (int)k;
    return -1;
}

/* Adds every fact of arr (unknown kinds are skipped); returns the time of the last one, s. */
static inline double facts_json_add(HakoDiagnosis *d, JsonArray *arr)
{
    double last = 0;
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);
        int kind = facts_json_kind(json_object_get_string_member(o, "kind"));
        if (kind < 0)
            continue;
        struct hk_fact f;
        memset(&f, 0, sizeof(f));
        double t = json_object_get_double_member(o, "t");
        f.t_ns = (guint64)(t * 1e9);
        f.kind = (guint32)kind;
        f.a = json_object_get_int_member(o, "a");
        f.b = json_object_get_int_member(o, "b");
        f.c = json_object_get_int_member(o, "c");
        g_strlcpy(f.text, json_object_get_string_member(o, "text"), sizeof(f.text));
        if (json_object_has_member(o, "flags"))
            f.flags = (guint32)json_object_get_int_member(o, "flags");
        JsonArray *paths =
            json_object_has_member(o, "paths") ? json_object_get_array_member(o, "paths") : NULL;
        for (guint k = 0; paths && k < json_array_get_length(paths) && k < HK_FACT_PATHS; k++)
            g_strlcpy(f.path[k], json_array_get_string_element(paths, k), sizeof(f.path[k]));
        JsonArray *insn =
            json_object_has_member(o, "insn") ? json_object_get_array_member(o, "insn") : NULL;
        for (guint k = 0; insn && k < json_array_get_length(insn) && k < HK_FACT_INSN_MAX; k++)
            f.insn[f.insn_len++] = (guint8)json_array_get_int_element(insn, k);
        hako_diagnosis_add_fact(d, &f);
        last = MAX(last, t);
    }
    return last;
}
