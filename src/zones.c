/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zones: zones files and inline allow lists. See zones.h.
 */
#include "zones.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The entry name, with `*.` stripped into *wildcard; reports problems. */
static bool parse_entry_name(const char *text, uint8_t *name, bool *wildcard,
			     const char *file, unsigned line, struct dg_diag *d)
{
	const char *why = NULL;
	const char *s = text;

	*wildcard = has_prefix(s, "*.");
	if (*wildcard)
		s += 2;
	if (strchr(s, '*') != NULL) {
		dg_diag_error(d, file, line,
			      "bad name '%s': '*' is allowed only as the whole "
			      "leftmost label",
			      text);
		return false;
	}
	if (dg_zones_name_from_str(s, name, &why) != 0) {
		dg_diag_error(d, file, line, "bad name '%s': %s", text, why);
		return false;
	}
	if (name[0] == 0) {
		dg_diag_error(d, file, line,
			      "bad name '%s': the root cannot be allowlisted "
			      "(it would allow every name)",
			      text);
		return false;
	}
	return true;
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
	if (!parse_entry_name(tok, name, &spec.wildcard, file, line, d))
		rc = DG_EMALFORMED;
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

/* A growing text buffer for one inline entry. */
struct textbuf {
	char *s;
	size_t len, cap;
};

static int textbuf_append(struct textbuf *b, const char *s, size_t n)
{
	if (dg_grow(&b->s, &b->cap, b->len + n + 2, 1) != 0)
		return DG_ENOMEM;
	if (b->len > 0)
		b->s[b->len++] = ' ';
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* Hand the entry gathered so far to the policy; keep the worst result. */
static int flush_entry(struct dg_policy *p, struct textbuf *b,
		       const char *file, unsigned line, struct dg_diag *d,
		       int rc)
{
	int r;

	if (b->len == 0)
		return rc;
	r = dg_zones_add_entry(p, b->s, file, line, d);
	b->len = 0;
	if (rc == DG_ENOMEM || r == 0)
		return rc;
	return r;
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
		if (has_prefix(tok, "types=")) {
			/* Its inner commas separate types; only trailing ones
			 * end the entry. Any other option holds no comma, so
			 * it is split like a name below ("depth=2,b.example"). */
			size_t n = strlen(tok);
			bool ends = false;

			while (n > 0 && tok[n - 1] == ',') {
				n--;
				ends = true;
			}
			if (textbuf_append(&b, tok, n) != 0) {
				rc = DG_ENOMEM;
				break;
			}
			if (ends)
				rc = flush_entry(p, &b, file, line, d, rc);
			continue;
		}
		/* A name or another option: every comma in it ends an
		 * entry. */
		for (char *piece = tok;;) {
			char *comma = strchr(piece, ',');
			size_t n = comma ? (size_t)(comma - piece) : strlen(piece);

			if (n > 0 && textbuf_append(&b, piece, n) != 0) {
				rc = DG_ENOMEM;
				goto done;
			}
			if (comma == NULL)
				break;
			rc = flush_entry(p, &b, file, line, d, rc);
			piece = comma + 1;
		}
	}
	rc = flush_entry(p, &b, file, line, d, rc);
done:
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
 * The name in presentation form, with the two characters that zones syntax
 * gives a meaning of its own written as \DDD: '#' starts a comment (cut
 * before the name is read, so `\#` would not do) and ',' ends an inline
 * entry. dg_name_to_str() leaves both bare, and a printed entry must read
 * back as the same entry. out holds DG_NAME_STRLEN: \DDD is the longest
 * form of any byte, so the text cannot grow past it.
 */
static void entry_name_str(const uint8_t *name, char *out)
{
	char text[DG_NAME_STRLEN];
	size_t n = 0;

	dg_name_to_str(name, text, sizeof(text));
	for (const char *s = text; *s != '\0' && n + 4 < DG_NAME_STRLEN; s++) {
		if (*s == '\\' && s[1] != '\0') {
			/* Already an escape: copy it and the byte it escapes
			 * (the other digits of \DDD are plain digits). */
			out[n++] = *s++;
			out[n++] = *s;
		} else if (*s == '#' || *s == ',') {
			n += (size_t)snprintf(out + n, DG_NAME_STRLEN - n,
					      "\\%03u", (unsigned char)*s);
		} else {
			out[n++] = *s;
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
