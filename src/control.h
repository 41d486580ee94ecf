/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control: the control socket ([control] socket = PATH) and what its
 * commands do. A Unix stream socket on the daemon's loop, created before
 * dnsgate drops root, mode 0660, owned by root and dnsgate's group. Every
 * peer's credentials (SO_PEERCRED) are checked as it connects: root,
 * dnsgate's own user, or a member of dnsgate's group may talk; anyone
 * else gets one error line, the connection closes, and the refusal is
 * logged. One command a connection (control_cmd.h), at most
 * DG_CONTROL_LINE_MAX bytes, within a few seconds; its answer lines, then
 * the connection closes. An error is one line, `error: WHAT`.
 *
 * The temporary entries live here (overlay.h): each change is published
 * to every worker as a new overlay, written to the query log and counted;
 * a timer takes each one out as it expires.
 */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include <uv.h>

#include "config.h"
#include "control_cmd.h"
#include "overlay.h"
#include "qlog_line.h"
#include "util.h"

/* What the commands need of the daemon around them. */
struct dg_control_hooks {
	/* Reload as SIGHUP does. @return 0, or -1 with why filled. */
	int (*reload)(void *arg, char *why, size_t size);
	/* Empty every worker's caches: all of them (name NULL), or only
	 * the answers for name (wire). */
	void (*flush)(void *arg, const uint8_t *name);
	/* Every worker serves ov from now on (each takes its reference). */
	void (*publish)(void *arg, struct dg_overlay *ov);
	/* The figures /metrics has, in its exposition text. */
	int (*stats)(void *arg, FILE *out);
	/* Workers, listeners and the like, `name value` lines. */
	void (*status)(void *arg, FILE *out);
	/* The configuration in force. */
	const struct dg_config *(*config)(void *arg);
	/* A change of temporary entries for the query log. */
	void (*log)(void *arg, const struct dg_qlog_control *c);
	void *arg;
};

struct dg_control;

/*
 * Listen on path (a stale socket left there is replaced; a live one is
 * an error), its group gid when owner_root (dnsgate runs as root: the
 * socket belongs to root:gid); peers of group gid, of dnsgate's own user
 * and root may talk. hooks is copied.
 * @return 0 and *out, or a libuv error (said).
 */
DG_NODISCARD int dg_control_open(uv_loop_t *loop, const char *path,
				 bool owner_root, gid_t gid,
				 const struct dg_control_hooks *hooks,
				 struct dg_control **out);

/* Stop listening, close every connection, remove the socket (when it
 * still can); the grants go. NULL is allowed. */
void dg_control_close(struct dg_control *c);

/* The configuration changed (a reload): the temporary entries are
 * rebuilt under it and published again. */
void dg_control_config_changed(struct dg_control *c);

const struct dg_control_counters *dg_control_counters(
	const struct dg_control *c);
