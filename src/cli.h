/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli: the subcommands that answer and exit, with no event loop:
 * `--check` (print the effective configuration and allowlist), `explain`
 * (one verdict and the entry or reason behind it), `import` (host lists,
 * Squid and tinyproxy files to zones syntax, import.h), `learn` (query
 * logs to a zones file, learn.h) and `firewall` (the companion rules;
 * the checks the pure writer cannot make: users exist, systemd-resolved
 * is here). `firewall --verify` is verify.h's.
 * Each returns the process exit
 * status; main() only parses options and dispatches.
 */
#pragma once

#include <stdio.h>

#include "config.h"
#include "firewall.h"

/* Exit statuses shared by every command. */
enum dg_exit {
	DG_EXIT_OK = 0,
	DG_EXIT_DENY = 1,   /* explain: the question is denied */
	DG_EXIT_USAGE = 2,  /* bad options, a bad config or input */
};

/* Print the effective configuration. @return DG_EXIT_OK. */
int dg_cli_check(const struct dg_config *cfg, FILE *out);

/*
 * Decide NAME (presentation form) and TYPE (a mnemonic; NULL: A) for a
 * client at CLIENT asking on the listener LISTENER (both NULL: under the
 * global policy; dg_config_policy_for chooses the group) and print one
 * line such as `deny too-deep (entry *.example.com depth=1)`, with the
 * group after it when CLIENT or LISTENER is given.
 * @return DG_EXIT_OK for allow, DG_EXIT_DENY for deny, DG_EXIT_USAGE when
 * NAME, TYPE, CLIENT or LISTENER cannot be read, or LISTENER is no listen
 * address of cfg (reported on err).
 */
int dg_cli_explain(const struct dg_config *cfg, const char *name,
		   const char *type, const char *client, const char *listener,
		   FILE *out, FILE *err);

/*
 * Convert each file (or "-" for standard input) to zones syntax on out;
 * warnings and errors on err. format: --format's value (NULL: detect per
 * file); depth: --depth's (NULL: wildcards that meant every depth become
 * depth 1). Prints nothing when any line fails.
 * @return DG_EXIT_OK or DG_EXIT_USAGE.
 */
int dg_cli_import(char *const *files, int n, const char *format,
		  const char *depth, FILE *out, FILE *err);

/*
 * Print the companion firewall rules for cfg's listeners (firewall.h);
 * for target host, with systemd-resolved named when it is found (under
 * DNSGATE_SYSROOT when set).
 * @return DG_EXIT_OK, or DG_EXIT_USAGE when an --allow-user is no user of
 * this system or writing fails (reported on err).
 */
int dg_cli_firewall(const struct dg_config *cfg,
		    const struct dg_firewall_options *opt, FILE *out, FILE *err);

/*
 * `learn [--collapse N] [--presets DIR] LOG...`: argv[0] is "learn"; its
 * options are its own, so main() hands it the rest of the command line.
 * The zones file goes to out, problems to err as FILE:LINE.
 * @return DG_EXIT_OK, or DG_EXIT_USAGE (a bad option, line or file: no
 * zones written).
 */
int dg_cli_learn(int argc, char **argv, FILE *out, FILE *err);
