/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * import: other tools' lists to zones syntax. See import.h.
 *
 * Each input is read whole before it is converted: its format is detected
 * from all its lines, and standard input cannot be read twice.
 */
#include "import.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "name.h"
#include "zones.h"

/* A tinyproxy alternation may name this many names, no more: a pattern
 * like (a|b)(c|d)(e|f)… grows as a product. */
#define MAX_ALTERNATIVES 16

/* Longest entry text: `*.` + name + ` depth=` + a number. */
#define ENTRY_STRLEN (DG_NAME_STRLEN + 32)

static const char *const format_names[] = {
	[DG_IMPORT_AUTO] = "auto",
	[DG_IMPORT_HOSTS] = "hosts",
	[DG_IMPORT_LIST] = "list",
	[DG_IMPORT_ADBLOCK] = "adblock",
	[DG_IMPORT_HARDEN_RUNNER] = "harden-runner",
	[DG_IMPORT_CILIUM] = "cilium",
	[DG_IMPORT_SQUID] = "squid",
	[DG_IMPORT_TINYPROXY] = "tinyproxy",
};

/*
 * Names every hosts file maps to the machine itself or to multicast
 * groups (Debian, Red Hat, macOS and the block lists built on them):
 * never a destination an allowlist means.
 */
static const char *const hosts_local_names[] = {
	"localhost", "localhost.localdomain", "localhost4",
	"localhost4.localdomain4", "localhost6", "localhost6.localdomain6",
	"local", "broadcasthost", "ip6-localhost", "ip6-loopback",
	"ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters",
	"ip6-allhosts", "0.0.0.0",
};

struct entry {
	char *text;    /* zones syntax, name lowercased: the de-duplication key */
	size_t input;  /* index into dg_import.inputs */
	unsigned line;
	bool dup;      /* an earlier entry has the same text */
};

struct input {
	char *file;
	enum dg_import_format format;
	bool detected;
};

struct dg_import {
	enum dg_import_format format;
	unsigned depth;
	struct input *inputs;
	size_t n_inputs, inputs_cap;
	struct entry *entries;
	size_t n_entries, entries_cap;
};

/* Where a line being converted came from. */
struct where {
	struct dg_import *imp;
	struct dg_diag *d;
	const char *file;
	unsigned line;
	int rc; /* 0, DG_EMALFORMED or DG_ENOMEM: the worst so far */
};

static void fail(struct where *w, int rc)
{
	if (w->rc != DG_ENOMEM)
		w->rc = rc;
}

int dg_import_format_from_str(const char *s, enum dg_import_format *f)
{
	for (size_t i = DG_IMPORT_AUTO + 1; i < DG_ARRAY_SIZE(format_names);
	     i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*f = (enum dg_import_format)i;
			return 0;
		}
	}
	return DG_EMALFORMED;
}

const char *dg_import_format_name(enum dg_import_format f)
{
	return format_names[f];
}

struct dg_import *dg_import_new(enum dg_import_format format, unsigned depth)
{
	struct dg_import *imp = calloc(1, sizeof(*imp));

	if (imp == NULL)
		return NULL;
	imp->format = format;
	imp->depth = depth;
	return imp;
}

void dg_import_free(struct dg_import *imp)
{
	if (imp == NULL)
		return;
	for (size_t i = 0; i < imp->n_entries; i++)
		free(imp->entries[i].text);
	for (size_t i = 0; i < imp->n_inputs; i++)
		free(imp->inputs[i].file);
	free(imp->entries);
	free(imp->inputs);
	free(imp);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Cut the blanks at both ends, in place. */
static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Cut a comment that starts at `c` anywhere on the line, then trim. */
static char *uncomment(char *s, char c)
{
	char *at = strchr(s, c);

	if (at != NULL)
		*at = '\0';
	return trim(s);
}

static bool is_address(const char *s)
{
	struct in6_addr ignored;
	char buf[INET6_ADDRSTRLEN + 1];
	const char *zone = strchr(s, '%');

	/* macOS writes fe80::1%lo0: the zone is not part of the address. */
	if (zone != NULL) {
		if ((size_t)(zone - s) >= sizeof(buf))
			return false;
		memcpy(buf, s, (size_t)(zone - s));
		buf[zone - s] = '\0';
		s = buf;
	}
	return inet_pton(AF_INET, s, &ignored) == 1 ||
	       inet_pton(AF_INET6, s, &ignored) == 1;
}

/* Keep entry `text` from w's line. @return false only when out of memory. */
static bool keep(struct where *w, const char *text)
{
	struct dg_import *imp = w->imp;
	struct entry *e;

	if (dg_grow(&imp->entries, &imp->entries_cap, imp->n_entries + 1,
		    sizeof(*imp->entries)) != 0)
		goto fail;
	e = &imp->entries[imp->n_entries];
	e->text = strdup(text);
	if (e->text == NULL)
		goto fail;
	e->input = imp->n_inputs - 1;
	e->line = w->line;
	e->dup = false;
	imp->n_entries++;
	return true;
fail:
	fail(w, DG_ENOMEM);
	return false;
}

/* The error for a token no entry can express, with what to do instead. */
static void reject(struct where *w, const char *tok, const char *advice)
{
	dg_diag_error(w->d, w->file, w->line, "cannot import '%s': %s", tok,
		      advice);
	fail(w, DG_EMALFORMED);
}

/* Advice for a token that is plainly not a name, or NULL. */
static const char *junk_advice(const char *tok)
{
	if (strstr(tok, "://") != NULL)
		return "a URL, not a name: write its host name alone";
	if (strchr(tok, '/') != NULL)
		return "a path or a regular expression, not a name: write the "
		       "host name alone";
	if (is_address(tok))
		return "an address, not a name (a hosts file? try --format "
		       "hosts)";
	if (strcmp(tok, "acl") == 0 || strcmp(tok, "http_access") == 0 ||
	    strcmp(tok, "dstdomain") == 0)
		return "a squid.conf keyword: import the file the acl names, "
		       "or its names alone";
	if (tok[0] == '-')
		return "a flag, not a name: remove it (names are "
		       "case-insensitive already)";
	return NULL;
}

/*
 * Characters of patterns, URLs and zones syntax ('#' starts a comment, ','
 * ends an inline entry): never in a host name, so a name holding one was
 * misread. Backslash escapes are zones syntax, not the other tools'.
 */
static const char not_in_names[] = "*^$\\()[]{}|+?/:#,\"'; \t";

/*
 * Add `name` (presentation form) as an entry: depth 0 for the name alone,
 * 1 for `*.name`, N for `*.name depth=N`. The name is written back
 * lowercased, from its wire form, so one name spelled two ways is one
 * entry. Reports a bad name, citing `pat` (the text as the input wrote it).
 */
static void add_name(struct where *w, const char *pat, const char *name,
		     unsigned depth)
{
	uint8_t wire[DG_NAME_MAXLEN], lower[DG_NAME_MAXLEN];
	char text[DG_NAME_STRLEN], entry[ENTRY_STRLEN];
	const char *why = NULL, *advice;

	if (*name == '\0' || strpbrk(name, not_in_names) != NULL) {
		advice = junk_advice(pat);
		reject(w, pat, advice != NULL ? advice : "not a host name");
		return;
	}
	if (dg_zones_name_from_str(name, wire, &why) != 0 || wire[0] == 0) {
		dg_diag_error(w->d, w->file, w->line, "cannot import '%s': %s",
			      pat, why ? why : "not a domain name");
		fail(w, DG_EMALFORMED);
		return;
	}
	dg_name_lower(lower, wire);
	dg_name_to_str(lower, text, sizeof(text));
	if (depth == 0)
		snprintf(entry, sizeof(entry), "%s", text);
	else if (depth == 1)
		snprintf(entry, sizeof(entry), "*.%s", text);
	else
		snprintf(entry, sizeof(entry), "*.%s depth=%u", text, depth);
	keep(w, entry);
}

/*
 * `name` and every name below it at any depth, as the input's format
 * meant: an entry has a depth, so this becomes --depth, or 1, with a
 * warning that says which.
 */
static void add_every_depth(struct where *w, const char *pat, const char *name)
{
	unsigned depth = w->imp->depth ? w->imp->depth : 1;
	unsigned errors = w->d->errors;

	add_name(w, pat, name, depth);
	if (w->d->errors != errors)
		return;
	dg_diag_warn(w->d, w->file, w->line,
		     "'%s' matched every name below %s at any depth; imported "
		     "with depth %u%s",
		     pat, name, depth,
		     w->imp->depth ? "" : ": pass --depth N (or add depth=N "
					  "to the entry) if more is needed");
}

/* `x` or `*.x`: a list's name. `*.x` meant every depth (Blocky, Squid). */
static void list_token(struct where *w, const char *tok)
{
	const char *advice = junk_advice(tok);

	if (advice != NULL)
		reject(w, tok, advice);
	else if (has_prefix(tok, "*."))
		add_every_depth(w, tok, tok + 2);
	else if (strpbrk(tok, "*^$\\()[]{}|+?") != NULL)
		reject(w, tok, "a pattern, not a name: only NAME and *.NAME "
			       "are understood (a tinyproxy filter? try "
			       "--format tinyproxy)");
	else
		add_name(w, tok, tok, 0);
}

static void convert_list(struct where *w, char *text)
{
	char *save = NULL;

	text = uncomment(text, '#');
	for (char *tok = strtok_r(text, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save))
		list_token(w, tok);
}

static void convert_squid(struct where *w, char *text)
{
	char *save = NULL;

	text = uncomment(text, '#');
	if (has_prefix(text, "acl ") || has_prefix(text, "http_access ")) {
		reject(w, text, "a squid.conf line, not a dstdomain list: "
				"import the file its acl names, or list the "
				"names alone");
		return;
	}
	for (char *tok = strtok_r(text, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		/* dstdomain: `.x` is x and everything below it. */
		if (tok[0] == '.' && tok[1] != '\0' && tok[1] != '.')
			add_every_depth(w, tok, tok + 1);
		else
			list_token(w, tok);
	}
}

static bool hosts_local(const char *name)
{
	for (size_t i = 0; i < DG_ARRAY_SIZE(hosts_local_names); i++)
		if (strcasecmp(name, hosts_local_names[i]) == 0)
			return true;
	return false;
}

static void convert_hosts(struct where *w, char *text)
{
	char *save = NULL;
	char *addr;
	bool named = false;

	text = uncomment(text, '#');
	addr = strtok_r(text, " \t", &save);
	if (addr == NULL)
		return;
	if (!is_address(addr)) {
		reject(w, addr, "a hosts line is ADDRESS NAME... (a list of "
				"names? try --format list)");
		return;
	}
	for (char *tok = strtok_r(NULL, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		named = true;
		if (!hosts_local(tok))
			add_name(w, tok, tok, 0);
	}
	if (!named)
		reject(w, addr, "an address with no name after it");
}

/* AdBlock: `||x^` and the exception `@@||x^`; both name x and everything
 * below it. */
static void convert_adblock(struct where *w, char *text)
{
	static const char *const shape = "only ||name^ and @@||name^ rules "
					 "name a domain";
	char name[DG_NAME_STRLEN];
	const char *s, *caret;

	text = trim(text);
	if (*text == '\0' || *text == '!' || *text == '[')
		return;
	s = has_prefix(text, "@@") ? text + 2 : text;
	if (!has_prefix(s, "||")) {
		reject(w, text, shape);
		return;
	}
	s += 2;
	caret = strchr(s, '^');
	if (caret != NULL && caret[1] == '$') {
		reject(w, text, "rule options ($...) have no DNS meaning "
				"dnsgate could keep: remove them");
		return;
	}
	if (caret == NULL || (caret[1] != '\0' && strcmp(caret + 1, "|") != 0) ||
	    (size_t)(caret - s) >= sizeof(name)) {
		reject(w, text, shape);
		return;
	}
	memcpy(name, s, (size_t)(caret - s));
	name[caret - s] = '\0';
	add_every_depth(w, text, name);
}

/* The first word of s (after blanks and a YAML list dash) is `word`. */
static bool starts_with_word(const char *s, const char *word)
{
	while (isspace((unsigned char)*s) || *s == '-')
		s++;
	return has_prefix(s, word);
}

/* harden-runner: `host:port` tokens, as in its allowed-endpoints block. */
static void convert_harden_runner(struct where *w, char *text)
{
	char *save = NULL;

	text = uncomment(text, '#');
	if (starts_with_word(text, "allowed-endpoints:"))
		text = strstr(text, ":") + 1;
	for (char *tok = strtok_r(text, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *colon;
		unsigned long port;
		size_t n = strlen(tok);

		/* YAML block indicators and quotes around the block. */
		if (strcmp(tok, ">") == 0 || strcmp(tok, "|") == 0 ||
		    strcmp(tok, ">-") == 0 || strcmp(tok, "|-") == 0)
			continue;
		if (tok[0] == '"' || tok[0] == '\'') {
			tok++;
			n--;
		}
		if (n > 0 && (tok[n - 1] == '"' || tok[n - 1] == '\''))
			tok[--n] = '\0';
		colon = strrchr(tok, ':');
		if (colon == NULL || strchr(tok, ':') != colon ||
		    !dg_parse_ulong(colon + 1, 1, 65535, &port)) {
			const char *advice = junk_advice(tok);

			reject(w, tok, advice != NULL ? advice
					: "allowed-endpoints lists HOST:PORT");
			continue;
		}
		*colon = '\0';
		/* harden-runner's own documentation does not say how deep
		 * its `*.` reaches; the warning says what it became. */
		if (has_prefix(tok, "*."))
			add_every_depth(w, tok, tok + 2);
		else
			add_name(w, tok, tok, 0);
		*colon = ':';
	}
}

/* A Cilium matchPattern: `*.x` is one label below x, as in an entry. */
static void cilium_pattern(struct where *w, const char *pat)
{
	if (has_prefix(pat, "**.")) {
		if (w->imp->depth == 0) {
			reject(w, pat, "'**.' matches every depth: pass "
				       "--depth N to say how deep to allow");
			return;
		}
		add_every_depth(w, pat, pat + 3);
	} else if (has_prefix(pat, "*.") && strchr(pat + 2, '*') == NULL) {
		add_name(w, pat, pat + 2, 1);
	} else if (strchr(pat, '*') != NULL) {
		reject(w, pat, "'*' inside a label or alone has no entry "
			       "equivalent: list the names");
	} else {
		add_name(w, pat, pat, 0);
	}
}

/*
 * Cilium toFQDNs, YAML or JSON: every `matchName` and `matchPattern` value
 * on the line; the rest is the policy's structure and is skipped.
 */
static void convert_cilium(struct where *w, char *text)
{
	static const char *const keys[] = { "matchName", "matchPattern" };

	text = uncomment(text, '#');
	for (char *s = text; *s != '\0';) {
		char *value, *end;
		size_t k;
		char quote = 0;

		for (k = 0; k < DG_ARRAY_SIZE(keys); k++)
			if (has_prefix(s, keys[k]))
				break;
		if (k == DG_ARRAY_SIZE(keys)) {
			s++;
			continue;
		}
		s += strlen(keys[k]);
		if (*s == '"')
			s++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != ':')
			continue;
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '"' || *s == '\'')
			quote = *s++;
		value = s;
		end = quote ? strchr(s, quote)
			    : s + strcspn(s, " \t,}]");
		if (end == NULL) {
			reject(w, value, "the quoted value is not closed");
			return;
		}
		s = *end != '\0' ? end + 1 : end;
		*end = '\0';
		if (k == 0)
			add_name(w, value, value, 0);
		else
			cilium_pattern(w, value);
	}
}

/*
 * The names a tinyproxy pattern body (anchors and a leading any-depth
 * group already cut) stands for: literal text, `\.`, and groups of
 * alternatives `(a|b)` or optional groups `(www\.)?` that hold only
 * literal text. Anything else is not a plain alternation of names.
 * @return the number of names in alts, or 0 (reported).
 */
static size_t tinyproxy_expand(struct where *w, const char *pat,
			       const char *s, const char *end,
			       char alts[][DG_NAME_STRLEN])
{
	size_t n = 1;

	alts[0][0] = '\0';
	while (s < end) {
		char opts[MAX_ALTERNATIVES][DG_NAME_STRLEN];
		size_t n_opts = 0, next = 0;
		char tmp[MAX_ALTERNATIVES][DG_NAME_STRLEN];

		if (*s != '(') {
			char c = *s;

			if (s[0] == '\\' && s + 1 < end && s[1] == '.') {
				s++;
				c = '.';
			} else if (strchr("\\^$[](){}|+?*", c) != NULL) {
				goto junk;
			}
			s++;
			for (size_t i = 0; i < n; i++) {
				size_t len = strlen(alts[i]);

				if (len + 1 >= DG_NAME_STRLEN)
					goto junk;
				alts[i][len] = c;
				alts[i][len + 1] = '\0';
			}
			continue;
		}
		/* A group: alternatives of literal text. */
		opts[0][0] = '\0';
		n_opts = 1;
		for (s++; s < end && *s != ')'; s++) {
			size_t len = strlen(opts[n_opts - 1]);
			char c = *s;

			if (c == '|') {
				if (n_opts == MAX_ALTERNATIVES)
					goto junk;
				opts[n_opts++][0] = '\0';
				continue;
			}
			if (s[0] == '\\' && s + 1 < end && s[1] == '.') {
				s++;
				c = '.';
			} else if (strchr("\\^$[](){}+?*", c) != NULL) {
				goto junk;
			}
			if (len + 1 >= DG_NAME_STRLEN)
				goto junk;
			opts[n_opts - 1][len] = c;
			opts[n_opts - 1][len + 1] = '\0';
		}
		if (s == end)
			goto junk;
		s++;
		if (s < end && *s == '?') {
			if (n_opts == MAX_ALTERNATIVES)
				goto junk;
			opts[n_opts++][0] = '\0';
			s++;
		}
		if (n * n_opts > MAX_ALTERNATIVES)
			goto junk;
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < n_opts; j++, next++) {
				int r = snprintf(tmp[next], DG_NAME_STRLEN,
						 "%s%s", alts[i], opts[j]);

				if (r < 0 || r >= DG_NAME_STRLEN)
					goto junk;
			}
		}
		memcpy(alts, tmp, next * sizeof(tmp[0]));
		n = next;
	}
	return n;
junk:
	reject(w, pat, "only names, '.*\\.' before one, and groups of names "
		       "like ^(www\\.)?example\\.com$ or (a|b)\\.example\\.com "
		       "are understood: list the names it should match");
	return 0;
}

/*
 * One tinyproxy filter pattern: an extended regular expression matched
 * against the host name. A name is a regex that matches itself (with `.`
 * matching any character, a near miss we accept); an alternation of names
 * is each of them.
 */
static void tinyproxy_pattern(struct where *w, const char *pat)
{
	char alts[MAX_ALTERNATIVES][DG_NAME_STRLEN];
	const char *s = pat;
	const char *end = pat + strlen(pat);
	bool every_depth = false, regex = false;
	bool anchored_start = false, anchored_end = false;
	size_t n;

	if (*s == '^') {
		anchored_start = regex = true;
		s++;
	}
	if (end > s && end[-1] == '$' && (end - 1 == s || end[-2] != '\\')) {
		anchored_end = regex = true;
		end--;
	}
	if (has_prefix(s, "(.*\\.)?") || has_prefix(s, "(.+\\.)?")) {
		every_depth = regex = true;
		s += 7;
	} else if (has_prefix(s, ".*\\.") || has_prefix(s, ".+\\.")) {
		every_depth = regex = true;
		s += 4;
	}
	if (strpbrk(s, "\\(") != NULL)
		regex = true;
	n = tinyproxy_expand(w, pat, s, end, alts);
	for (size_t i = 0; i < n; i++) {
		if (every_depth) {
			add_every_depth(w, pat, alts[i]);
			continue;
		}
		if (regex && (!anchored_start || !anchored_end))
			dg_diag_warn(w->d, w->file, w->line,
				     "'%s' is an unanchored pattern that also "
				     "matched longer names; imported as the "
				     "exact name %s",
				     pat, alts[i]);
		add_name(w, pat, alts[i], 0);
	}
}

static void convert_tinyproxy(struct where *w, char *text)
{
	char *save = NULL;

	text = uncomment(text, '#');
	for (char *tok = strtok_r(text, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		const char *advice = junk_advice(tok);

		if (advice != NULL)
			reject(w, tok, advice);
		else
			tinyproxy_pattern(w, tok);
	}
}

/* The lines of one input, each without its line break. */
struct lines {
	char **v;
	size_t n, cap;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Read all of `in`. A UTF-8 byte order mark (some Windows editors write
 * one) is cut from the first line: it would join the first name. */
static int lines_read(struct lines *l, FILE *in)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&buf, &cap, in)) != -1) {
		char *start = buf;

		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (l->n == 0 && strncmp(buf, "\xEF\xBB\xBF", 3) == 0)
			start += 3;
		if (dg_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != 0)
			goto fail;
		l->v[l->n] = strdup(start);
		if (l->v[l->n] == NULL)
			goto fail;
		l->n++;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return DG_ENOMEM;
}

/* Every blank-separated word is HOST:PORT. */
static bool all_host_port(const char *s)
{
	bool any = false;

	while (*s != '\0') {
		size_t n = strcspn(s, " \t");
		const char *colon = memchr(s, ':', n);

		if (n > 0) {
			if (colon == NULL || colon == s || colon + 1 == s + n ||
			    strspn(colon + 1, "0123456789") != (size_t)(s + n - colon - 1))
				return false;
			any = true;
		}
		s += n;
		s += strspn(s, " \t");
	}
	return any;
}

/*
 * The format of an input, from all its lines. Cilium and harden-runner
 * name themselves; otherwise the most specific syntax seen anywhere wins:
 * AdBlock rules, then hosts lines, then regexes, then Squid's `.x`, then a
 * plain list (a hosts file holds nothing a list could not, and so on).
 */
static enum dg_import_format detect(const struct lines *l)
{
	bool adblock = false, hosts = false, regex = false, squid = false;
	bool all_endpoints = true, any_text = false;

	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i];
		char first[INET6_ADDRSTRLEN + 16];
		size_t n;

		if (strstr(s, "matchName") != NULL ||
		    strstr(s, "matchPattern") != NULL)
			return DG_IMPORT_CILIUM;
		if (starts_with_word(s, "allowed-endpoints:"))
			return DG_IMPORT_HARDEN_RUNNER;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		any_text = true;
		adblock |= has_prefix(s, "||") || has_prefix(s, "@@") ||
			   has_prefix(s, "[Adblock") || *s == '!';
		n = strcspn(s, " \t#");
		if (n < sizeof(first)) {
			memcpy(first, s, n);
			first[n] = '\0';
			hosts |= is_address(first);
		}
		regex |= strpbrk(s, "^$\\(") != NULL;
		squid |= *s == '.' || has_prefix(s, "acl ") ||
			 has_prefix(s, "http_access");
		if (all_endpoints) {
			char *copy = strdup(s);

			all_endpoints = copy != NULL &&
					all_host_port(uncomment(copy, '#'));
			free(copy);
		}
	}
	if (any_text && all_endpoints)
		return DG_IMPORT_HARDEN_RUNNER;
	if (adblock)
		return DG_IMPORT_ADBLOCK;
	if (hosts)
		return DG_IMPORT_HOSTS;
	if (regex)
		return DG_IMPORT_TINYPROXY;
	return squid ? DG_IMPORT_SQUID : DG_IMPORT_LIST;
}

typedef void (*convert_fn)(struct where *w, char *text);

static const convert_fn converters[] = {
	[DG_IMPORT_HOSTS] = convert_hosts,
	[DG_IMPORT_LIST] = convert_list,
	[DG_IMPORT_ADBLOCK] = convert_adblock,
	[DG_IMPORT_HARDEN_RUNNER] = convert_harden_runner,
	[DG_IMPORT_CILIUM] = convert_cilium,
	[DG_IMPORT_SQUID] = convert_squid,
	[DG_IMPORT_TINYPROXY] = convert_tinyproxy,
};

/* Entries by text, then by first appearance: duplicates sit together. */
static int by_text(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	int c = strcmp(x->text, y->text);

	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* Mark every entry an earlier one repeats, across all inputs so far.
 * Sorting keeps this O(n log n) per input: block lists in hosts form run
 * to 100 000 lines and more. */
static bool mark_duplicates(struct dg_import *imp)
{
	struct entry **v = calloc(imp->n_entries + 1, sizeof(*v));

	if (v == NULL)
		return false;
	for (size_t i = 0; i < imp->n_entries; i++)
		v[i] = &imp->entries[i];
	qsort(v, imp->n_entries, sizeof(*v), by_text);
	for (size_t i = 1; i < imp->n_entries; i++)
		v[i]->dup = strcmp(v[i]->text, v[i - 1]->text) == 0;
	free(v);
	return true;
}

int dg_import_read(struct dg_import *imp, FILE *in, const char *file,
		   struct dg_diag *d)
{
	struct lines l = { 0 };
	struct where w = { .imp = imp, .d = d, .file = file };
	struct input *inp;

	if (dg_grow(&imp->inputs, &imp->inputs_cap, imp->n_inputs + 1,
		    sizeof(*imp->inputs)) != 0)
		return DG_ENOMEM;
	inp = &imp->inputs[imp->n_inputs];
	inp->file = strdup(file);
	if (inp->file == NULL)
		return DG_ENOMEM;
	imp->n_inputs++;
	if (lines_read(&l, in) != 0) {
		w.rc = DG_ENOMEM;
		goto done;
	}
	if (ferror(in)) {
		dg_diag_error(d, file, 0, "cannot read: %s", strerror(errno));
		w.rc = DG_EMALFORMED;
		goto done;
	}
	inp->detected = imp->format == DG_IMPORT_AUTO;
	inp->format = inp->detected ? detect(&l) : imp->format;
	for (size_t i = 0; i < l.n && w.rc != DG_ENOMEM; i++) {
		w.line = (unsigned)i + 1;
		converters[inp->format](&w, l.v[i]);
	}
	if (w.rc != DG_ENOMEM && !mark_duplicates(imp))
		w.rc = DG_ENOMEM;
done:
	lines_free(&l);
	return w.rc;
}

/* A file name in a comment: a line break in it would end the comment and
 * make the rest an entry. */
static void put_file(const char *file, FILE *out)
{
	for (const char *s = file; *s != '\0'; s++)
		fputc(isprint((unsigned char)*s) ? *s : '?', out);
}

void dg_import_write(const struct dg_import *imp, FILE *out)
{
	fputs("# imported by dnsgate import\n", out);
	for (size_t i = 0; i < imp->n_inputs; i++) {
		fputs("# ", out);
		put_file(imp->inputs[i].file, out);
		fprintf(out, ": %s%s\n",
			dg_import_format_name(imp->inputs[i].format),
			imp->inputs[i].detected ? " (detected)" : "");
	}
	for (size_t i = 0; i < imp->n_entries; i++) {
		const struct entry *e = &imp->entries[i];

		if (e->dup)
			continue;
		fprintf(out, "%s\t# ", e->text);
		put_file(imp->inputs[e->input].file, out);
		fprintf(out, ":%u\n", e->line);
	}
}
