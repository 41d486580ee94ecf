/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * import: other tools' lists to zones syntax. See import.h.
 */
#include "import.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "zones.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Cut a `#` comment and the blanks around what is left. A UTF-8 byte order
 * mark (as some Windows editors write) is cut from the first line: it
 * would be taken into the first name.
 */
static char *strip_line(char *line, unsigned lineno)
{
	char *hash;
	char *end;

	if (lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	hash = strchr(line, '#');
	if (hash != NULL)
		*hash = '\0';
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return line;
}

/*
 * One pattern of an import into zones syntax in out (DG_NAME_STRLEN + 2).
 * Squid: `.example.com` is the domain and everything below it.
 * tinyproxy: a regular expression matched against the host name; we accept
 * only the shapes that name a domain (`^…$`, escaped dots, a leading `.*`).
 */
static bool import_pattern(const char *pat, char *out, size_t size,
			   const char *file, unsigned line, struct dg_diag *d)
{
	char text[DG_NAME_STRLEN];
	size_t n = 0;
	bool wildcard = false, anchored_start = false, anchored_end = false;
	bool regex = false;
	const char *s = pat;
	const char *end = pat + strlen(pat);
	uint8_t wire[DG_NAME_MAXLEN];
	const char *why = NULL;

	if (*s == '^') {
		anchored_start = regex = true;
		s++;
	}
	if (end > s && end[-1] == '$' && (end - 1 == s || end[-2] != '\\')) {
		anchored_end = regex = true;
		end--;
	}
	if (has_prefix(s, "(.*\\.)?") || has_prefix(s, "(.+\\.)?")) {
		wildcard = regex = true;
		s += 7;
	} else if (has_prefix(s, ".*\\.") || has_prefix(s, ".+\\.")) {
		wildcard = regex = true;
		s += 4;
	} else if (has_prefix(s, "*.")) {
		wildcard = true;
		s += 2;
	} else if (*s == '.') {
		wildcard = true;
		s += 1;
	}
	for (; s < end; s++) {
		if (n + 2 >= sizeof(text))
			break;
		if (s[0] == '\\' && s + 1 < end && s[1] == '.') {
			text[n++] = '.';
			s++;
			regex = true;
			continue;
		}
		if (strchr("\\^$[](){}|+?*", *s) != NULL) {
			dg_diag_error(d, file, line,
				      "cannot import '%s': only plain names, "
				      "'.domain', '*.domain' and anchored "
				      "patterns with escaped dots are understood",
				      pat);
			return false;
		}
		text[n++] = *s;
	}
	text[n] = '\0';
	if (n == 0 || dg_zones_name_from_str(text, wire, &why) != 0 ||
	    wire[0] == 0) {
		dg_diag_error(d, file, line, "cannot import '%s': %s", pat,
			      why ? why : "not a domain name");
		return false;
	}
	if (regex && (!anchored_start || !anchored_end) && !wildcard)
		dg_diag_warn(d, file, line,
			     "'%s' is an unanchored pattern that also matched "
			     "longer names; imported as the exact name %s",
			     pat, text);
	if (wildcard && strcmp(pat, text) != 0 && !has_prefix(pat, "*."))
		dg_diag_warn(d, file, line,
			     "'%s' matched every name below %s at any depth; "
			     "imported as *.%s (depth 1): add depth=N to the "
			     "entry if more is needed",
			     pat, text, text);
	snprintf(out, size, "%s%s", wildcard ? "*." : "", text);
	return true;
}

int dg_import_file(FILE *in, const char *file, FILE *out, struct dg_diag *d)
{
	char *buf = NULL;
	size_t cap = 0;
	unsigned line = 0;
	int rc = 0;

	fprintf(out, "# imported from %s by dnsgate import\n", file);
	while (getline(&buf, &cap, in) != -1) {
		char *save = NULL;
		char *text = strip_line(buf, ++line);
		bool first = true;

		for (char *tok = strtok_r(text, " \t", &save); tok != NULL;
		     tok = strtok_r(NULL, " \t", &save), first = false) {
			char entry[DG_NAME_STRLEN + 2];
			struct in6_addr ignored;

			/* A hosts-file line: the address is not a name. */
			if (first && (inet_pton(AF_INET, tok, &ignored) == 1 ||
				      inet_pton(AF_INET6, tok, &ignored) == 1))
				continue;
			if (import_pattern(tok, entry, sizeof(entry), file, line, d))
				fprintf(out, "%s\n", entry);
			else
				rc = DG_EMALFORMED;
		}
	}
	if (ferror(in)) {
		dg_diag_error(d, file, 0, "cannot read: %s", strerror(errno));
		rc = DG_EMALFORMED;
	}
	free(buf);
	return rc;
}
