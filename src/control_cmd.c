/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_cmd: command lines into struct dg_control_cmd. See
 * control_cmd.h.
 */
#include "control_cmd.h"

#include <stdio.h>
#include <string.h>

static const char *const verb_names[DG_CONTROL_VERBS] = {
	[DG_CONTROL_STATUS] = "status", [DG_CONTROL_STATS] = "stats",
	[DG_CONTROL_RELOAD] = "reload", [DG_CONTROL_FLUSH] = "flush",
	[DG_CONTROL_SHOW] = "show",     [DG_CONTROL_ALLOW] = "allow",
	[DG_CONTROL_REVOKE] = "revoke", [DG_CONTROL_LIST] = "list",
	[DG_CONTROL_BAD] = "error",
};

const char *dg_control_verb_name(enum dg_control_verb verb)
{
	return (size_t)verb < DG_CONTROL_VERBS ? verb_names[verb] : "error";
}

#define BLANKS " \t\r\n"

/* The next word of *rest, cut out; NULL at the end. */
static char *word(char **rest)
{
	char *w = *rest + strspn(*rest, BLANKS);
	size_t n = strcspn(w, BLANKS);

	if (n == 0)
		return NULL;
	*rest = w + n;
	if (**rest != '\0')
		*(*rest)++ = '\0';
	return w;
}

/* The words after the entry: `for D`, `group G`, `client ADDR`. */
static int allow_option(struct dg_control_cmd *cmd, const char *key,
			char **rest, bool *seen_for, char *why, size_t size)
{
	const char *v = word(rest);

	if (v == NULL) {
		snprintf(why, size, "'%s' needs a value", key);
		return DG_EMALFORMED;
	}
	if (strcmp(key, "for") == 0) {
		if (*seen_for ||
		    dg_overlay_parse_duration(v, &cmd->duration_ms) != 0) {
			snprintf(why, size, "'%s' is not a duration (30s, 10m, "
					    "2h, 1d; at most 1d)", v);
			return DG_EMALFORMED;
		}
		*seen_for = true;
		return 0;
	}
	if (cmd->scope != DG_SCOPE_GLOBAL) {
		snprintf(why, size, "one scope at most: group G or client "
				    "ADDR");
		return DG_EMALFORMED;
	}
	if (strcmp(key, "group") == 0) {
		cmd->scope = DG_SCOPE_GROUP;
		cmd->group = v;
		return 0;
	}
	if (dg_addr_parse(v, 53, &cmd->client) != 0) {
		snprintf(why, size, "'%s' is not an address", v);
		return DG_EMALFORMED;
	}
	cmd->scope = DG_SCOPE_CLIENT;
	return 0;
}

static bool is_allow_key(const char *w)
{
	return strcmp(w, "for") == 0 || strcmp(w, "group") == 0 ||
	       strcmp(w, "client") == 0;
}

/* allow ENTRY [for D] [group G | client ADDR]: the entry is every word
 * before the first key, joined again by single blanks. */
static int parse_allow(struct dg_control_cmd *cmd, char *rest, char *why,
		       size_t size)
{
	char *start = NULL, *end = NULL, *w;
	bool seen_for = false;

	while ((w = word(&rest)) != NULL && !is_allow_key(w)) {
		if (start == NULL)
			start = w;
		else
			end[0] = ' ';
		end = w + strlen(w);
	}
	if (start == NULL) {
		snprintf(why, size, "usage: allow ENTRY [for DURATION] "
				    "[group G | client ADDR]");
		return DG_EMALFORMED;
	}
	cmd->arg = start;
	cmd->duration_ms = DG_OVERLAY_DEFAULT_MS;
	for (; w != NULL; w = word(&rest)) {
		if (!is_allow_key(w)) {
			snprintf(why, size, "unexpected '%s' (after the entry: "
					    "for DURATION, group G or client "
					    "ADDR)", w);
			return DG_EMALFORMED;
		}
		if (allow_option(cmd, w, &rest, &seen_for, why, size) != 0)
			return DG_EMALFORMED;
	}
	return 0;
}

int dg_control_parse(char *line, struct dg_control_cmd *cmd, char *why,
		     size_t size)
{
	char *rest = line;
	const char *verb = word(&rest);
	unsigned long id;
	const char *w;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = DG_CONTROL_BAD;
	if (verb == NULL) {
		snprintf(why, size, "empty command (try status, stats, reload, "
				    "flush, show policy, allow, revoke, list)");
		return DG_EMALFORMED;
	}
	for (size_t i = 0; i < DG_CONTROL_BAD; i++)
		if (strcmp(verb, verb_names[i]) == 0)
			cmd->verb = (enum dg_control_verb)i;
	switch (cmd->verb) {
	case DG_CONTROL_ALLOW:
		return parse_allow(cmd, rest, why, size);
	case DG_CONTROL_REVOKE:
		w = word(&rest);
		if (w == NULL || !dg_parse_ulong(w, 1, UINT32_MAX, &id)) {
			snprintf(why, size, "usage: revoke ID (a number 'list' "
					    "shows)");
			return DG_EMALFORMED;
		}
		cmd->id = (uint32_t)id;
		break;
	case DG_CONTROL_FLUSH:
		cmd->arg = word(&rest);
		break;
	case DG_CONTROL_SHOW:
		w = word(&rest);
		if (w == NULL || strcmp(w, "policy") != 0) {
			snprintf(why, size, "usage: show policy [GROUP]");
			return DG_EMALFORMED;
		}
		cmd->arg = word(&rest);
		break;
	case DG_CONTROL_BAD:
		snprintf(why, size, "unknown command '%.64s' (try status, "
				    "stats, reload, flush, show policy, allow, "
				    "revoke, list)", verb);
		return DG_EMALFORMED;
	default:
		break;
	}
	if ((w = word(&rest)) != NULL) {
		snprintf(why, size, "%s: unexpected '%.64s'",
			 verb_names[cmd->verb], w);
		return DG_EMALFORMED;
	}
	return 0;
}
