/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_cmd: the control socket's command lines, parsed. One line a
 * connection, words separated by blanks:
 *   status | stats | reload | list | flush [NAME] | show policy [GROUP]
 *   allow ENTRY [for DURATION] [group G | client ADDR] | revoke ID
 * ENTRY is a zones line (`*.example.org depth=2 types=A`): every word up
 * to `for`, `group` or `client`. Pure: no I/O; the entry itself is
 * checked later, by the zones parser under its scope's limits.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "overlay.h"
#include "util.h"

/* Longest command line the socket reads. */
#define DG_CONTROL_LINE_MAX 1024

enum dg_control_verb {
	DG_CONTROL_STATUS,
	DG_CONTROL_STATS,
	DG_CONTROL_RELOAD,
	DG_CONTROL_FLUSH,
	DG_CONTROL_SHOW,
	DG_CONTROL_ALLOW,
	DG_CONTROL_REVOKE,
	DG_CONTROL_LIST,
	DG_CONTROL_BAD, /* a line that is no command: counted as "error" */
};
#define DG_CONTROL_VERBS (DG_CONTROL_BAD + 1)

/* What /metrics and `stats` say of the control socket. */
struct dg_control_counters {
	uint64_t commands[DG_CONTROL_VERBS]; /* answered, by verb */
	uint64_t refused;  /* connections of a peer not let in */
	uint64_t expired;  /* temporary entries that ran out */
	uint64_t temporary_entries; /* held now */
};

/* "status", …, "error". */
const char *dg_control_verb_name(enum dg_control_verb verb);

struct dg_control_cmd {
	enum dg_control_verb verb;
	/* flush: the name (NULL: all); show: the group (NULL: every
	 * policy); allow: the entry text. Into the parsed line. */
	const char *arg;
	uint32_t id;          /* revoke */
	uint64_t duration_ms; /* allow */
	enum dg_scope scope;  /* allow */
	const char *group;    /* allow … group G */
	struct dg_addr client; /* allow … client ADDR */
};

/*
 * Parse line (changed in place: the words are cut out of it; cmd points
 * into it). @return 0, or DG_EMALFORMED with why filled (cmd->verb is
 * then the verb, or DG_CONTROL_BAD when there was none).
 */
DG_NODISCARD int dg_control_parse(char *line, struct dg_control_cmd *cmd,
				  char *why, size_t size);
