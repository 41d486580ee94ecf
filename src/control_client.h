/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_client: `dnsgate control [-c FILE] [--socket PATH] COMMAND...`,
 * the other end of control.h. Sends the command as one line, prints the
 * answer and exits: 0 for an answer, 1 for an `error:` answer (printed to
 * err), 2 when it cannot ask (bad options, no socket configured, nothing
 * listening, no permission). No event loop: one blocking exchange,
 * bounded by a timeout.
 */
#pragma once

#include <stdio.h>

/* argv[0] is "control". @return the exit status. */
int dg_cli_control(int argc, char **argv, FILE *out, FILE *err);
