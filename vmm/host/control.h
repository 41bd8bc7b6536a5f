/*
 * The engine's side of the app's control socket (hako/protocol.h): runs on the event thread,
 * turns commands into board calls (keys, pointer, power, CD, pause/resume/reset, screenshots),
 * and sends the app the engine's state, the scanout with the VRAM memfd, display damage (polled
 * from the KVM dirty log at ~60 Hz, only when something changed and the app acknowledged the
 * previous damage), the pointer mode, COM1 output and the facts timeline.
 *
 * With a control socket the guest does not run until the app sends HK_CMD_START; when the socket
 * closes, the VM is stopped (exit status 0).
 */
#ifndef HK_HOST_CONTROL_H
#define HK_HOST_CONTROL_H

#include <stdio.h>

#include "../core/facts.h"
#include "../pc/board.h"

struct hk_control;

/* Checks that fd is a SOCK_SEQPACKET socket. Returns 0 or -1 with errno-style text in why. */
int hk_control_check_fd(int fd, char *why, size_t why_len);

/* Takes over fd: watches it on the board's loop, says HELLO and sends the facts so far. Serial
 * output goes to the app (and also to tee when non-NULL). Returns NULL when out of memory. */
struct hk_control *hk_control_new(struct hk_pc *pc, struct hk_loop *loop, int fd, FILE *tee);
/* After the loop ended and the vCPUs were joined: the final state (stopped, exit status,
 * reason), sent with a short wait for room in the socket. */
void hk_control_finish(struct hk_control *c, int exit_status, const char *reason);
/* Detaches from the board (serial sink, facts listener), closes the socket, frees. */
void hk_control_free(struct hk_control *c);

/* For an engine that could not even build its board: HELLO, the given facts and a final state,
 * then closes fd. */
void hk_control_report_failure(int fd, struct hk_facts *facts, int exit_status, const char *reason);

#endif
