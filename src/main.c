/* hako: the app's entry point. Sets up gettext and, when run from a build tree, the build tree's
 * schemas, translations and engine, then runs HakoApplication. */
#include <glib/gi18n.h>
#include <locale.h>

#include "hako-application.h"
#include "hako-gtk-util.h"
#include "hako-paths.h"

int main(int argc, char **argv)
{
    hako_bench_mark("main");
    hako_paths_init();

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, hako_paths_localedir());
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    g_autoptr(HakoApplication) app = hako_application_new();
    return g_application_run(G_APPLICATION(app), argc, argv);
}
