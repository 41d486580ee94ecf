/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon: the process around the server. Owns the libuv loop, the signal
 * handlers (SIGINT and SIGTERM stop; SIGHUP reloads; SIGUSR1 reopens the
 * query log; SIGPIPE is ignored), the switch to an unprivileged user after
 * binding, and the shutdown order: every handle closed, then
 * uv_loop_close() must succeed — a handle left open is a bug and makes the
 * exit status say so.
 *
 * A reload reads the configuration as at start (the same file and
 * command-line overrides), all of it, zones files included; only a
 * configuration without errors replaces the running one, otherwise its
 * FILE:LINE errors are printed and the running one stays.
 */
#pragma once

#include "config.h"

struct dg_daemon_options {
	/* What cfg was loaded from, loaded again on SIGHUP. */
	const char *config_path; /* NULL: the embedded default */
	const struct dg_overrides *ov;
	/* Written once listening (before the switch of user), holding the
	 * process ID, and removed at exit when it still can be; NULL: none. */
	const char *pidfile;
};

/* Serve cfg until SIGINT/SIGTERM, holding a reference of its own on it
 * and on every configuration a reload brings. @return the process exit
 * status. */
int dg_daemon_run(struct dg_config *cfg, const struct dg_daemon_options *opt);
