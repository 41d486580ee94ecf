/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zones: zones files and inline allow lists. See zones.h.
 */
#include "zones.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <idn2.h>
#include <ldns/ldns.h>

#include "name.h"

int dg_zones_name_from_str(const char *s, uint8_t *out, const char **why)
{
	ldns_rdf *rdf = NULL;
	ldns_status st = ldns_str2rdf_dname(&rdf, s);

	if (st != LDNS_STATUS_OK) {
		if (why != NULL)
			*why = ldns_get_errorstr_by_id(st);
		return DG_EMALFORMED;
	}
	/* ldns builds absolute names no longer than 255 bytes; check anyway,
	 * since everything after this trusts the bytes. */
	if (dg_name_check(ldns_rdf_data(rdf), ldns_rdf_size(rdf)) !=
	    (int)ldns_rdf_size(rdf)) {
		ldns_rdf_deep_free(rdf);
		if (why != NULL)
			*why = "not a valid name";
		return DG_EMALFORMED;
	}
	memcpy(out, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
	ldns_rdf_deep_free(rdf);
	return 0;
}

int dg_zones_type_from_str(const char *s, uint16_t *type)
{
	ldns_rr_type t = ldns_get_rr_type_by_name(s);

	if (t == 0)
		return DG_EMALFORMED;
	*type = (uint16_t)t;
	return 0;
}

size_t dg_zones_type_to_str(uint16_t type, char *buf, size_t size)
{
	char *s = ldns_rr_type2str((ldns_rr_type)type);
	int n;

	if (s == NULL)
		n = snprintf(buf, size, "TYPE%u", type);
	else
		n = snprintf(buf, size, "%s", s);
	free(s);
	return n < 0 ? 0 : (size_t)n;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* `types=A,AAAA` into t; reports and returns false on a bad mnemonic. */
static bool parse_types(const char *list, struct dg_typeset *t,
			const char *file, unsigned line, struct dg_diag *d,
			int *rc)
{
	char *copy = strdup(list);
	char *save = NULL;
	bool ok = true;

	if (copy == NULL) {
		*rc = DG_ENOMEM;
		return false;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		uint16_t type;

		if (dg_zones_type_from_str(tok, &type) != 0) {
			dg_diag_error(d, file, line, "types: unknown type '%s'",
				      tok);
			ok = false;
			continue;
		}
		if (dg_typeset_add(t, type) != 0) {
			*rc = DG_ENOMEM;
			ok = false;
			break;
		}
	}
	/* `types=` or `types=,` names no type: an entry that allows none
	 * would be printed like one on the default types. */
	if (ok && t->n == 0) {
		dg_diag_error(d, file, line, "types: empty list");
		ok = false;
	}
	free(copy);
	if (!ok && *rc == 0)
		*rc = DG_EMALFORMED;
	return ok;
}

/*
 * Text shaped like an IP address, bracketed or not: 192.0.2.1, 2001:db8::1,
 * [2001:db8::1]. Longer than any address is not one, so the copy fits.
 */
static bool is_address(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char addr[sizeof(struct in6_addr)];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1 ||
	       inet_pton(AF_INET6, buf, addr) == 1;
}

static bool all_digits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

static bool has_non_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/*
 * The A-label of a name written in Unicode, in *alabel (free with
 * idn2_free). IDNA2008 with the UTS #46 mapping, non-transitional: 'ß'
 * stays its own letter (faß.de is xn--fa-hia.de), as browsers, curl and
 * the registries of such names have it; transitional processing would
 * map it to "ss", another domain. NFC first, since text pasted from some
 * systems comes decomposed (u + combining diaeresis).
 * @return 0, DG_ENOMEM, or DG_EMALFORMED with libidn2's reason in *why.
 */
static int to_alabel(const char *s, char **alabel, const char **why)
{
	int r = idn2_to_ascii_8z(s, alabel,
				 IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);

	if (r == IDN2_MALLOC)
		return DG_ENOMEM;
	if (r != IDN2_OK) {
		*why = idn2_strerror(r);
		return DG_EMALFORMED;
	}
	return 0;
}

/*
 * Report text as `what` (a URL, an adblock rule, a host and port) with
 * the host in it as the name to write instead: as its A-label when it is
 * written in Unicode. An empty host gives no suggestion, an address host
 * says that only names are allowed.
 * @return DG_EMALFORMED (reported) or DG_ENOMEM.
 */
static int refuse_with_host(const char *text, const char *what,
			    const char *host, size_t n, bool wildcard,
			    const char *file, unsigned line, struct dg_diag *d)
{
	char *h = strndup(host, n);
	char *alabel = NULL;
	const char *why = NULL;
	int rc = DG_EMALFORMED;

	if (h == NULL)
		return DG_ENOMEM;
	if (n == 0) {
		dg_diag_error(d, file, line, "'%s' is %s, not a name", text,
			      what);
		goto done;
	}
	if (is_address(h, n)) {
		dg_diag_error(d, file, line,
			      "'%s' is %s, not a name; its host %s is an "
			      "address and dnsgate allows names",
			      text, what, h);
		goto done;
	}
	if (has_non_ascii(h)) {
		int r = to_alabel(h, &alabel, &why);

		if (r == DG_ENOMEM) {
			rc = r;
			goto done;
		}
		if (r != 0) {
			dg_diag_error(d, file, line,
				      "'%s' is %s, not a name, and its host is "
				      "not a valid internationalized name: %s",
				      text, what, why);
			goto done;
		}
	}
	dg_diag_error(d, file, line, "'%s' is %s, not a name; write %s%s",
		      text, what, wildcard ? "*." : "",
		      alabel != NULL ? alabel : h);
done:
	idn2_free(alabel);
	free(h);
	return rc;
}

/* `depth=3`, `types=a`, `foo=bar`: a word, then '='. */
static bool option_shaped(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return n > 0 && s[n] == '=';
}

static bool is_option(const char *s)
{
	return has_prefix(s, "depth=") || has_prefix(s, "types=") ||
	       has_prefix(s, "private=");
}

/*
 * Refuse what people paste into an allowlist that is not a name: a URL,
 * host:port, an address or a range, an adblock rule, a flag, an option
 * split from its entry, a name in Unicode. ldns takes most of them for a
 * name (':', '/', '=', '|' and UTF-8 bytes are legal label bytes), but
 * every query name must pass the LDH charset before the allowlist, so
 * such an entry would load, print in --check and never match. s is the
 * name after any "*.", kept in the suggestion.
 * @return 0 when s has none of these shapes, DG_EMALFORMED (reported) or
 * DG_ENOMEM.
 */
static int refuse_shape(const char *text, const char *s, bool wildcard,
			const char *file, unsigned line, struct dg_diag *d)
{
	const char *p;

	if (text[0] == '-') {
		dg_diag_error(d, file, line, "%s is a flag, not a name", text);
		return DG_EMALFORMED;
	}
	if (has_prefix(s, "||") || has_prefix(s, "@@||")) {
		p = strstr(s, "||") + 2;
		return refuse_with_host(text, "an adblock rule", p,
					strcspn(p, "^/$|"), wildcard, file,
					line, d);
	}
	p = strstr(s, "://");
	if (p != NULL) {
		/* scheme://[user@]host[:port][/path]: a '@' before the path
		 * ends the user part. */
		const char *at;
		size_t n;

		p += 3;
		n = strcspn(p, "/?#");
		at = memchr(p, '@', n);
		if (at != NULL)
			p = at + 1;
		if (p[0] == '[') {
			n = strcspn(p, "]");
			if (p[n] == ']')
				n++;
		} else {
			n = strcspn(p, ":/?#");
		}
		return refuse_with_host(text, "a URL", p, n, wildcard, file,
					line, d);
	}
	p = strchr(s, '/');
	if (p != NULL) {
		if (is_address(s, (size_t)(p - s)) && all_digits(p + 1)) {
			dg_diag_error(d, file, line,
				      "%s is an address range; dnsgate allows "
				      "names",
				      text);
			return DG_EMALFORMED;
		}
		return refuse_with_host(text, "a URL", s, strcspn(s, ":/"),
					wildcard, file, line, d);
	}
	if (is_address(s, strlen(s))) {
		dg_diag_error(d, file, line,
			      "'%s' is an address; dnsgate allows names", text);
		return DG_EMALFORMED;
	}
	/* host:port, or address:port; a colon in the host makes it an
	 * IPv6 address, handled above, unless it is bracketed. */
	p = strrchr(s, ':');
	if (p != NULL && all_digits(p + 1) &&
	    (memchr(s, ':', (size_t)(p - s)) == NULL ||
	     is_address(s, (size_t)(p - s))))
		return refuse_with_host(text, "a host and port", s,
					(size_t)(p - s), wildcard, file, line,
					d);
	if (option_shaped(s)) {
		if (is_option(s))
			dg_diag_error(d, file, line,
				      "'%s' is an option: it follows its entry "
				      "on the same line, separated by a space",
				      text);
		else
			dg_diag_error(d, file, line,
				      "'%s' is shaped like an option, not a "
				      "name (the options are depth=N, "
				      "types=T1,T2 and private=allow, after "
				      "their entry on the same line)",
				      text);
		return DG_EMALFORMED;
	}
	if (has_non_ascii(s)) {
		char *alabel = NULL;
		const char *why = NULL;
		int r = to_alabel(s, &alabel, &why);

		if (r == DG_ENOMEM)
			return r;
		if (r == 0)
			dg_diag_error(d, file, line,
				      "'%s' is an internationalized name; "
				      "write %s%s",
				      text, wildcard ? "*." : "", alabel);
		else
			dg_diag_error(d, file, line,
				      "'%s' is not a valid internationalized "
				      "name: %s",
				      text, why);
		idn2_free(alabel);
		return DG_EMALFORMED;
	}
	return 0;
}

/*
 * The entry name, with `*.` stripped into *wildcard; reports problems.
 * @return 0, DG_EMALFORMED (reported) or DG_ENOMEM.
 */
static int parse_entry_name(const char *text, uint8_t *name, bool *wildcard,
			    const char *file, unsigned line, struct dg_diag *d)
{
	const char *why = NULL;
	const char *s = text;
	int rc;

	*wildcard = has_prefix(s, "*.");
	if (*wildcard)
		s += 2;
	rc = refuse_shape(text, s, *wildcard, file, line, d);
	if (rc != 0)
		return rc;
	if (strchr(s, '*') != NULL) {
		dg_diag_error(d, file, line,
			      "bad name '%s': '*' is allowed only as the whole "
			      "leftmost label",
			      text);
		return DG_EMALFORMED;
	}
	if (dg_zones_name_from_str(s, name, &why) != 0) {
		dg_diag_error(d, file, line, "bad name '%s': %s", text, why);
		return DG_EMALFORMED;
	}
	if (name[0] == 0) {
		dg_diag_error(d, file, line,
			      "bad name '%s': the root cannot be allowlisted "
			      "(it would allow every name)",
			      text);
		return DG_EMALFORMED;
	}
	return 0;
}

int dg_zones_add_entry(struct dg_policy *p, const char *text,
		       const char *file, unsigned line, struct dg_diag *d)
{
	char *copy = strdup(text);
	char *save = NULL;
	char *tok;
	uint8_t name[DG_NAME_MAXLEN];
	struct dg_typeset types;
	struct dg_entry_spec spec = { .name = name, .line = line };
	bool seen_depth = false, seen_types = false, seen_private = false;
	unsigned long depth = 0;
	int rc = 0;

	dg_typeset_init(&types);
	if (copy == NULL)
		return DG_ENOMEM;
	tok = strtok_r(copy, " \t", &save);
	if (tok == NULL) {
		dg_diag_error(d, file, line, "empty entry");
		rc = DG_EMALFORMED;
		goto done;
	}
	rc = parse_entry_name(tok, name, &spec.wildcard, file, line, d);
	if (rc == DG_ENOMEM)
		goto done;
	depth = spec.wildcard ? 1 : 0;

	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		bool *seen;
		const char *key = tok;

		if (has_prefix(tok, "depth="))
			seen = &seen_depth;
		else if (has_prefix(tok, "types="))
			seen = &seen_types;
		else if (has_prefix(tok, "private="))
			seen = &seen_private;
		else {
			dg_diag_error(d, file, line,
				      "unknown option '%s' (expected depth=N, "
				      "types=T1,T2 or private=allow)",
				      tok);
			rc = DG_EMALFORMED;
			continue;
		}
		if (*seen) {
			dg_diag_error(d, file, line, "repeated option '%.*s'",
				      (int)(strchr(key, '=') - key + 1), key);
			rc = DG_EMALFORMED;
			continue;
		}
		*seen = true;
		if (seen == &seen_depth) {
			if (!dg_parse_ulong(tok + 6, 0, DG_NAME_MAXLABELS, &depth)) {
				dg_diag_error(d, file, line,
					      "depth: '%s' is not a number "
					      "from 0 to %d",
					      tok + 6, DG_NAME_MAXLABELS);
				rc = DG_EMALFORMED;
			}
		} else if (seen == &seen_types) {
			if (!parse_types(tok + 6, &types, file, line, d, &rc) &&
			    rc == DG_ENOMEM)
				goto done;
			spec.types = &types;
		} else if (strcmp(tok + 8, "allow") == 0) {
			spec.private_allow = true;
		} else if (strcmp(tok + 8, "deny") != 0) {
			dg_diag_error(d, file, line,
				      "private: '%s' is not allow or deny",
				      tok + 8);
			rc = DG_EMALFORMED;
		}
	}
	if (rc == 0 && spec.wildcard && depth == 0) {
		dg_diag_error(d, file, line,
			      "depth=0 contradicts '*.': write the name "
			      "without '*.' for that name alone");
		rc = DG_EMALFORMED;
	}
	if (rc != 0)
		goto done;
	spec.depth = (unsigned)depth;
	rc = dg_policy_add_source(p, file, &spec.source);
	if (rc == 0)
		rc = dg_policy_add(p, &spec);
done:
	dg_typeset_deinit(&types);
	free(copy);
	return rc;
}

/*
 * One inline entry as it is gathered: its text, and the first token in
 * which a comma split two options (`depth=1,types=A`), or NULL.
 */
struct textbuf {
	char *s;
	size_t len, cap;
	char *split;
};

/* Append s[0..n) to the entry, after sep unless the entry is empty. */
static int textbuf_append(struct textbuf *b, char sep, const char *s,
			  size_t n)
{
	if (dg_grow(&b->s, &b->cap, b->len + n + 2, 1) != 0)
		return DG_ENOMEM;
	if (b->len > 0)
		b->s[b->len++] = sep;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/*
 * Hand the entry gathered so far to the policy; keep the worst result.
 * An entry whose options a comma split is refused whole, with the entry
 * as it should be written: taking the comma for the end of the entry, as
 * dnsgate once did, made `depth=1,types=A` an entry of the default types
 * and another named `types=A`.
 */
static int flush_entry(struct dg_policy *p, struct textbuf *b,
		       const char *file, unsigned line, struct dg_diag *d,
		       int rc)
{
	int r;

	if (b->len == 0)
		return rc;
	if (b->split != NULL) {
		dg_diag_error(d, file, line,
			      "'%s': options are separated by spaces and "
			      "types by commas; write %s",
			      b->split, b->s);
		r = DG_EMALFORMED;
	} else {
		r = dg_zones_add_entry(p, b->s, file, line, d);
	}
	free(b->split);
	b->split = NULL;
	b->len = 0;
	if (rc == DG_ENOMEM || r == 0)
		return rc;
	return r;
}

/*
 * One blank-separated token of an inline list into b. A comma ends the
 * entry, except inside `types=` (it separates types there) and before an
 * option: `depth=1,types=A` cannot be an entry named `types=A`, so the
 * option joins its entry and the entry is refused (see flush_entry).
 * Trailing commas end the entry after the token.
 */
static int add_token(struct dg_policy *p, struct textbuf *b, char *tok,
		     const char *file, unsigned line, struct dg_diag *d,
		     int rc)
{
	size_t n = strlen(tok);
	bool ends = false, types = false;
	const char *piece = tok;

	while (n > 0 && tok[n - 1] == ',') {
		tok[--n] = '\0';
		ends = true;
	}
	for (bool first = true;; first = false) {
		const char *comma = strchr(piece, ',');
		size_t len = comma ? (size_t)(comma - piece) : strlen(piece);
		bool option = is_option(piece);
		char sep = ' ';

		if (!first && types && !option) {
			sep = ',';
		} else if (!first && option) {
			if (b->split == NULL &&
			    (b->split = strdup(tok)) == NULL)
				return DG_ENOMEM;
		} else if (!first) {
			rc = flush_entry(p, b, file, line, d, rc);
		}
		if (first || option)
			types = has_prefix(piece, "types=");
		if ((len > 0 || sep == ',') &&
		    textbuf_append(b, sep, piece, len) != 0)
			return DG_ENOMEM;
		if (comma == NULL)
			break;
		piece = comma + 1;
	}
	if (ends)
		rc = flush_entry(p, b, file, line, d, rc);
	return rc;
}

int dg_zones_add_inline(struct dg_policy *p, const char *list,
			const char *file, unsigned line, struct dg_diag *d)
{
	char *copy = strdup(list);
	char *save = NULL;
	struct textbuf b = { 0 };
	int rc = 0;

	if (copy == NULL)
		return DG_ENOMEM;
	for (char *tok = strtok_r(copy, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		rc = add_token(p, &b, tok, file, line, d, rc);
		if (rc == DG_ENOMEM)
			goto done;
	}
	rc = flush_entry(p, &b, file, line, d, rc);
done:
	free(b.split);
	free(b.s);
	free(copy);
	return rc;
}

/*
 * Cut a `#` comment and the blanks around what is left. A UTF-8 byte order
 * mark (as some Windows editors write) is cut from the first line: ldns
 * would take its bytes into the first label and that entry would silently
 * never match.
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
 * A zones file, read only if it is a regular file: a glob in zones= may
 * match a FIFO or a device, and reading one would hang the start or the
 * reload (found by fuzz_config). Opened without blocking, so a FIFO with
 * no writer is refused rather than waited on. NULL: *why says why.
 */
static FILE *open_regular(const char *path, const char **why)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*why = strerror(errno);
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file";
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		*why = strerror(errno);
		close(fd);
	}
	return f;
}

int dg_zones_load_file(struct dg_policy *p, const char *path,
		       struct dg_diag *d, const char *ref_file,
		       unsigned ref_line)
{
	const char *why = NULL;
	FILE *f = open_regular(path, &why);
	char *buf = NULL;
	size_t cap = 0;
	unsigned line = 0;
	int rc = 0;

	if (f == NULL) {
		if (ref_file != NULL)
			dg_diag_error(d, ref_file, ref_line,
				      "zones: cannot read '%s': %s", path, why);
		else
			dg_diag_error(d, path, 0, "cannot read zones file: %s",
				      why);
		return DG_EMALFORMED;
	}
	while (getline(&buf, &cap, f) != -1) {
		char *text = strip_line(buf, ++line);
		int r;

		if (*text == '\0')
			continue;
		r = dg_zones_add_entry(p, text, path, line, d);
		if (r == DG_ENOMEM) {
			rc = r;
			break;
		}
		if (r != 0)
			rc = r;
	}
	if (ferror(f)) {
		dg_diag_error(d, path, 0, "cannot read zones file: %s",
			      strerror(errno));
		rc = DG_EMALFORMED;
	}
	free(buf);
	fclose(f);
	return rc;
}

/*
 * The name in presentation form with every bare byte that is not a letter,
 * digit, '-', '_' or the label dot written as \DDD, and a leading '-' too.
 * Zones syntax gives some of them a meaning of its own: '#' starts a
 * comment (cut before the name is read, so `\#` would not do), ',' ends
 * an inline entry, and ':', '/', '=', '|' or a leading '-' make an entry
 * a URL, an option or a flag, which are refused. dg_name_to_str() leaves
 * them bare, and a printed entry must read back as the same entry. out
 * holds DG_NAME_STRLEN: \DDD is the longest form of any byte, so the
 * text cannot grow past it.
 */
static void entry_name_str(const uint8_t *name, char *out)
{
	char text[DG_NAME_STRLEN];
	size_t n = 0;

	dg_name_to_str(name, text, sizeof(text));
	for (const char *s = text; *s != '\0' && n + 4 < DG_NAME_STRLEN; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' && s[1] != '\0') {
			/* Already an escape: copy it and the byte it escapes
			 * (the other digits of \DDD are plain digits). */
			out[n++] = *s++;
			out[n++] = *s;
		} else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			   (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
			   (c == '-' && s != text)) {
			out[n++] = *s;
		} else {
			n += (size_t)snprintf(out + n, DG_NAME_STRLEN - n,
					      "\\%03u", c);
		}
	}
	out[n] = '\0';
}

size_t dg_zones_format_entry(const struct dg_policy *p,
			     const struct dg_entry *e, char *buf, size_t size)
{
	uint8_t name[DG_NAME_MAXLEN];
	char text[DG_NAME_STRLEN];
	const struct dg_typeset *types = dg_policy_entry_types(p, e);
	size_t n;
	int w;

	dg_policy_entry_name(p, e, name);
	entry_name_str(name, text);
	if (e->wildcard || e->depth > 0)
		w = snprintf(buf, size, "%s%s depth=%u", e->wildcard ? "*." : "",
			     text, e->depth);
	else
		w = snprintf(buf, size, "%s", text);
	n = w < 0 ? 0 : (size_t)w;
	for (size_t i = 0; types != NULL && i < types->n; i++) {
		char t[32];

		dg_zones_type_to_str(types->types[i], t, sizeof(t));
		w = snprintf(buf + (n < size ? n : size), n < size ? size - n : 0,
			     "%s%s", i == 0 ? " types=" : ",", t);
		n += w < 0 ? 0 : (size_t)w;
	}
	if (e->private_allow) {
		w = snprintf(buf + (n < size ? n : size), n < size ? size - n : 0,
			     " private=allow");
		n += w < 0 ? 0 : (size_t)w;
	}
	return n;
}
