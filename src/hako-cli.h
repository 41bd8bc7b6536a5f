/*
 * The command-line faces of the wizard and the readiness check, for users and tests:
 *   hako --inspect-iso FILE   what the new-VM wizard learns from FILE, as "Key: value" lines
 *   hako --check              the host readiness check as text
 * Both run without a display. Not a class: two functions HakoApplication calls from
 * ::handle-local-options.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Prints to stdout; errors to stderr. Returns the process exit status: 0 when the file can be
 * used to make a VM, 1 when not (the reason on stderr). */
int hako_cli_inspect_iso(const char *path);

/* Prints the report; returns 0 when VMs can run (warnings allowed), 1 when a check failed. */
int hako_cli_check(void);

G_END_DECLS
