/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon: the process around the server. Owns the libuv loop, the signal
 * handlers (SIGINT and SIGTERM stop; SIGPIPE is ignored; SIGHUP, until
 * reload exists, only says so), the switch to an
 * unprivileged user after binding, and the shutdown order: every handle
 * closed, then uv_loop_close() must succeed — a handle left open is a bug
 * and makes the exit status say so.
 */
#pragma once

#include "config.h"

/* Serve until SIGINT/SIGTERM. @return the process exit status. */
int dg_daemon_run(const struct dg_config *cfg);
