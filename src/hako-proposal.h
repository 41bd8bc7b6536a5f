/*
 * HakoProposal: the settings the new-VM wizard proposes for a disc image, and the limits every
 * VM setting is checked against.
 *
 * Memory and CPUs come from libosinfo's recommended resources for the OS (minimum × 2 where the
 * database has only a minimum); for a disc the database does not know, from what the disc says
 * (hako_disc_guess: its size, its El Torito platforms, .disk/info); never below 1 GiB for a live
 * or installer disc and never above what the host can spare
 * (total memory minus a quarter, at least 1 GiB, kept for the host, and no more than is available
 * now minus 512 MiB; CPUs up to the host's). The disk is osinfo's recommended storage (minimum × 2,
 * else 30 GiB). Firmware is UEFI when the disc has an x86-64 EFI boot entry and a usable OVMF is
 * installed, else BIOS; the choice is offered only when both would work.
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "hako-firmware.h"
#include "hako-media.h"

G_BEGIN_DECLS

#define HAKO_MIB ((guint64)1 << 20)
#define HAKO_GIB ((guint64)1 << 30)

typedef struct {
    guint64 mem_total;     /* bytes */
    guint64 mem_available; /* bytes */
    guint n_cpus;
    guint64 disk_free; /* bytes free where VMs are stored; 0 = unknown */
    /* UEFI firmware cannot run well on this host (paravirtual KVM emulates CPL0 and stops at
     * FNINIT in OVMF): prefer BIOS when a disc boots both ways. */
    gboolean uefi_unreliable;
} HakoHostLimits;

/* Reads /proc/meminfo, the CPU count and the free space of vm_folder (may be NULL). */
void hako_host_limits_read(HakoHostLimits *limits, const char *vm_folder);

typedef enum {
    HAKO_VALUE_OK,
    HAKO_VALUE_WARN,    /* allowed, with a caution */
    HAKO_VALUE_INVALID, /* refused */
} HakoValueCheck;

/* The engine's limits */
#define HAKO_MIN_MEMORY_MIB 64u
#define HAKO_MAX_CPUS       16u
#define HAKO_MIN_DISK_GIB   1u
#define HAKO_MAX_DISK_GIB   (16u * 1024u)

/* What the host can spare for one VM (MiB) and the hard ceiling (total − 512 MiB). */
guint64 hako_host_limits_spare_memory_mib(const HakoHostLimits *limits);
guint64 hako_host_limits_max_memory_mib(const HakoHostLimits *limits);
guint hako_host_limits_max_cpus(const HakoHostLimits *limits);

/* Checks a value; *message (may be NULL) gets the reason for WARN/INVALID (free with g_free). */
HakoValueCheck hako_check_memory(const HakoHostLimits *limits, guint64 mib, char **message);
HakoValueCheck hako_check_cpus(const HakoHostLimits *limits, guint cpus, char **message);
HakoValueCheck hako_check_disk(const HakoHostLimits *limits, guint64 gib, char **message);
/* Names: non-empty, at most 100 characters, no '/' or control characters, not taken. */
HakoValueCheck hako_check_name(const char *name, const char *const *taken, char **message);

/* "Arch Linux", or "Arch Linux 2" ... when taken. */
char *hako_unique_name(const char *base, const char *const *taken);

/* Natural order for names with version numbers: runs of digits compare by value ("Debian 6.0",
 * "Debian 7", "Debian 10", "Debian 12"), the text between them by the locale's collation,
 * ignoring case. strcmp-like result. */
int hako_natural_compare(const char *a, const char *b);
/* Every OS in the libosinfo database with a name, in natural order of names (element type
 * OsinfoOs). */
GPtrArray *hako_os_list_sorted(void);
/* Index of the OS with this id in such a list, or -1. */
gint hako_os_list_find(GPtrArray *oses, const char *os_id);

/* What a disc the database does not know suggests about its system (hako_disc_guess). */
typedef enum {
    HAKO_DISC_TOOL,      /* under 64 MB: a boot loader, rescue or memory-test disc */
    HAKO_DISC_SMALL,     /* under 700 MB: a small installer or rescue system */
    HAKO_DISC_NETINST,   /* .disk/info says NETINST: a network installer */
    HAKO_DISC_INSTALLER, /* under 2.5 GB: an installer or live system */
    HAKO_DISC_DESKTOP,   /* 2.5 GB and more, or UEFI-only from 700 MB: a desktop system's DVD */
} HakoDiscKind;

typedef struct {
    HakoDiscKind kind;
    guint memory_mib, cpus, disk_gib;
} HakoDiscGuess;

/* Proposals from what the disc says: its size, whether it boots with BIOS and/or UEFI, and its
 * .disk/info (may be NULL). Used when libosinfo does not know the disc. */
void hako_disc_guess(guint64 file_bytes, gboolean bios, gboolean uefi, const char *disk_info,
                     HakoDiscGuess *out);

#define HAKO_TYPE_PROPOSAL (hako_proposal_get_type())
G_DECLARE_FINAL_TYPE(HakoProposal, hako_proposal, HAKO, PROPOSAL, GObject)

/* media: the disc (may be NULL); os: the OS to size for (NULL = the one media identified);
 * firmware: hako_firmware_discover()'s list; taken: existing VM names (NULL-terminated, may be
 * NULL). */
HakoProposal *hako_proposal_new(HakoMedia *media, OsinfoOs *os, const HakoHostLimits *limits,
                                GListModel *firmware, const char *const *taken);

const char *hako_proposal_get_name(HakoProposal *self);
OsinfoOs *hako_proposal_get_os(HakoProposal *self);
guint64 hako_proposal_get_memory_mib(HakoProposal *self);
/* "recommended", "minimum × 2", "default"; then ", at least 1 GiB" / ", limited by the host" */
const char *hako_proposal_get_memory_reason(HakoProposal *self);
guint hako_proposal_get_cpus(HakoProposal *self);
guint64 hako_proposal_get_disk_gib(HakoProposal *self);
HakoFirmwareKind hako_proposal_get_firmware(HakoProposal *self);
/* The OVMF build for UEFI (NULL when none is usable). */
HakoFirmware *hako_proposal_get_ovmf(HakoProposal *self);
/* Both BIOS and UEFI would boot this disc here: let the user choose. */
gboolean hako_proposal_offers_firmware_choice(HakoProposal *self);
/* A sentence on the firmware: what differs, or why only one works. */
const char *hako_proposal_get_firmware_note(HakoProposal *self);
/* The proposal cannot boot as is (UEFI-only disc without OVMF, no SeaBIOS...): the reason. */
const char *hako_proposal_get_blocker(HakoProposal *self);
const HakoHostLimits *hako_proposal_get_limits(HakoProposal *self);

G_END_DECLS
