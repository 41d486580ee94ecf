/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn: see learn.h. The rules' figures, and why each, are here next to
 * the code that applies them, and in dnsgate(8), LEARN.
 */
#include "learn.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "zones.h"

/* "2026-11-14T22:13:20.123Z": what qlog_line.c writes, always UTC, so the
 * text sorts as the time does. */
#define TS_LEN 24
/* Longer than any type mnemonic, verdict or reason the log writes. */
#define WORD_LEN 32
#define CLASS_IN 1

/*
 * A label longer than this is tunnel-like on length alone. 40 is the
 * daemon's default max_label_length: past it the workload asked for what a
 * default dnsgate denies, and tunnels (iodine, dnscat2) fill labels to 63.
 */
#define TUNNEL_LABEL_LEN 40
/*
 * Runs of letters and digits (a label split at '-' and '_') shorter than
 * this are not measured: too short for their entropy to mean anything, and
 * CDN names live there (d1a2b3c4d5e6f7.cloudfront.net: 14). Long English
 * compounds ("githubusercontentproduction", 27) reach 3.6-3.9 bits a
 * character, so entropy alone cannot tell them from hex (3.5-3.8 at
 * 32-63): the two tests below add what English lacks.
 */
#define TUNNEL_RUN_LEN 24
/*
 * Random base32 runs measure 3.9-4.6 bits a character at 24-63; English
 * compounds stay under 4 and mix in few digits. 3.5 with at least
 * TUNNEL_SWITCHES letter/digit switches flags base32 and base36 data and
 * spares words followed by a number ("productionresultssa0123456": 1).
 */
#define TUNNEL_ENTROPY 3.5
#define TUNNEL_SWITCHES 4
/*
 * A parent with this many names each asked once is a tunnel's shape
 * whatever the labels look like (each query a fresh name to get past
 * caches); a workload's names repeat (retries, TTL expiry, several runs).
 */
#define TUNNEL_ONE_OFFS 16

/* One name and what was asked of it. */
struct learn_name {
	uint8_t name[DG_NAME_MAXLEN]; /* wire, lowercased */
	struct dg_typeset types;
	uint64_t queries;
	char first[TS_LEN + 1];
	char last[TS_LEN + 1];
	uint32_t next;                /* hash chain, DG_NONE at its end */
	const char *limit;            /* the global limit that denied it */
};

struct dg_learn {
	struct dg_hash_key key;
	struct learn_name *names;
	size_t n, cap;
	uint32_t *buckets; /* heads of chains; n_buckets a power of two */
	size_t n_buckets;
	uint64_t queries;
};

/* ---- a strict reader for the log's flat JSON objects (RFC 8259) ---- */

struct json {
	const char *p, *end;
};

static void json_space(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool json_take(struct json *j, char c)
{
	json_space(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A string (the opening quote next) into buf, NUL-terminated; *cut set
 * when it did not fit in size bytes. The log writes only ASCII (names are
 * \DDD-escaped first): \u escapes above 0x7f and NUL are refused.
 * @return 0 or DG_EMALFORMED with *why.
 */
static int json_string(struct json *j, char *buf, size_t size, bool *cut,
		       const char **why)
{
	size_t n = 0;

	*cut = false;
	if (!json_take(j, '"')) {
		*why = "a string expected";
		return DG_EMALFORMED;
	}
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;

		if (c < 0x20) {
			*why = "a control character in a string";
			return DG_EMALFORMED;
		}
		if (c == '\\') {
			const char *esc = "\"\"\\\\//b\bf\fn\nr\rt\t";
			const char *hit;

			if (j->p >= j->end)
				break;
			c = (unsigned char)*j->p++;
			hit = c == '\0' ? NULL : strchr(esc, c);
			if (c == 'u') {
				int v = 0;

				for (int i = 0; i < 4; i++) {
					int d = j->p < j->end ? hex_digit(*j->p++) : -1;

					if (d < 0) {
						*why = "a bad \\u escape";
						return DG_EMALFORMED;
					}
					v = v * 16 + d;
				}
				if (v == 0 || v > 0x7f) {
					*why = "a \\u escape outside ASCII "
					       "(the log writes none)";
					return DG_EMALFORMED;
				}
				c = (unsigned char)v;
			} else if (hit == NULL || (hit - esc) % 2 != 0) {
				*why = "a bad escape in a string";
				return DG_EMALFORMED;
			} else {
				c = (unsigned char)hit[1];
			}
		}
		if (n + 1 < size)
			buf[n++] = (char)c;
		else
			*cut = true;
	}
	if (j->p >= j->end) {
		*why = "an unterminated string";
		return DG_EMALFORMED;
	}
	j->p++;
	if (size > 0)
		buf[n] = '\0';
	return 0;
}

static bool json_digits(struct json *j)
{
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start;
}

/* A number, a literal or a string whose value learning does not need. */
static int json_skip_value(struct json *j, const char **why)
{
	static const char *const literals[] = { "true", "false", "null" };
	char scratch[1];
	bool cut;

	json_space(j);
	if (j->p >= j->end)
		goto bad;
	if (*j->p == '"')
		return json_string(j, scratch, sizeof(scratch), &cut, why);
	for (size_t i = 0; i < DG_ARRAY_SIZE(literals); i++) {
		size_t n = strlen(literals[i]);

		if ((size_t)(j->end - j->p) >= n &&
		    memcmp(j->p, literals[i], n) == 0) {
			j->p += n;
			return 0;
		}
	}
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!json_digits(j))
		goto bad;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!json_digits(j))
			goto bad;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!json_digits(j))
			goto bad;
	}
	return 0;
bad:
	/* Objects and arrays included: the log's records are flat. */
	*why = "a value that is no string, number, true, false or null";
	return DG_EMALFORMED;
}

/* ---- one record ---- */

struct record {
	char ts[TS_LEN + 1];
	char name[DG_NAME_STRLEN];
	char type[WORD_LEN];
	char verdict[WORD_LEN];
	char reason[WORD_LEN];
	bool suppressed; /* a summary of held-back denials, no query */
};

/* Where each field we read goes; the others are skipped. */
static char *record_field(struct record *r, const char *key, size_t *size)
{
	static const struct {
		const char *key;
		size_t offset, size;
	} fields[] = {
		{ "ts", offsetof(struct record, ts), TS_LEN + 1 },
		{ "name", offsetof(struct record, name), DG_NAME_STRLEN },
		{ "type", offsetof(struct record, type), WORD_LEN },
		{ "verdict", offsetof(struct record, verdict), WORD_LEN },
		{ "reason", offsetof(struct record, reason), WORD_LEN },
	};

	for (size_t i = 0; i < DG_ARRAY_SIZE(fields); i++)
		if (strcmp(key, fields[i].key) == 0) {
			*size = fields[i].size;
			return (char *)r + fields[i].offset;
		}
	return NULL;
}

static int parse_record(const char *line, size_t len, struct record *r,
			const char **why)
{
	struct json j = { line, line + len };
	int rc;

	memset(r, 0, sizeof(*r));
	if (!json_take(&j, '{')) {
		*why = "not a JSON object";
		return DG_EMALFORMED;
	}
	if (json_take(&j, '}'))
		goto end;
	do {
		char key[WORD_LEN];
		char *field;
		size_t size;
		bool cut;

		rc = json_string(&j, key, sizeof(key), &cut, why);
		if (rc != 0)
			return rc;
		if (!json_take(&j, ':')) {
			*why = "':' expected after a key";
			return DG_EMALFORMED;
		}
		field = cut ? NULL : record_field(r, key, &size);
		if (!cut && strcmp(key, "suppressed") == 0)
			r->suppressed = true;
		if (field == NULL) {
			rc = json_skip_value(&j, why);
		} else {
			rc = json_string(&j, field, size, &cut, why);
			if (rc == 0 && cut) {
				*why = "a field too long for what the log "
				       "writes there";
				rc = DG_EMALFORMED;
			}
		}
		if (rc != 0)
			return rc;
	} while (json_take(&j, ','));
	if (!json_take(&j, '}')) {
		*why = "',' or '}' expected";
		return DG_EMALFORMED;
	}
end:
	json_space(&j);
	if (j.p != j.end) {
		*why = "text after the object";
		return DG_EMALFORMED;
	}
	return 0;
}

static bool ts_valid(const char *ts)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (strlen(ts) != TS_LEN)
		return false;
	for (size_t i = 0; i < TS_LEN; i++)
		if (shape[i] == 'd' ? ts[i] < '0' || ts[i] > '9'
				    : ts[i] != shape[i])
			return false;
	return true;
}

/* The global limit a denial reason names, or NULL when an entry can lift
 * the denial (not-listed, too-deep, qtype, budget, cname). */
static const char *limit_reason(const char *reason)
{
	static const enum dg_reason limits[] = {
		DG_REASON_MALFORMED,    DG_REASON_OPCODE,
		DG_REASON_CLASS,        DG_REASON_LABEL_LENGTH,
		DG_REASON_NAME_LENGTH,  DG_REASON_CHARSET,
	};

	for (size_t i = 0; i < DG_ARRAY_SIZE(limits); i++)
		if (strcmp(reason, dg_reason_name(limits[i])) == 0)
			return dg_reason_name(limits[i]);
	return NULL;
}

/* ---- the aggregate ---- */

struct dg_learn *dg_learn_new(const struct dg_hash_key *key)
{
	struct dg_learn *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->key = *key;
	return l;
}

void dg_learn_free(struct dg_learn *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		dg_typeset_deinit(&l->names[i].types);
	free(l->names);
	free(l->buckets);
	free(l);
}

uint64_t dg_learn_queries(const struct dg_learn *l)
{
	return l->queries;
}

size_t dg_learn_names(const struct dg_learn *l)
{
	return l->n;
}

static uint32_t name_hash(const struct dg_learn *l, const uint8_t *name)
{
	return dg_name_key_hash(&l->key, name, 0, CLASS_IN);
}

static struct learn_name *find(const struct dg_learn *l, const uint8_t *name)
{
	if (l->n_buckets == 0)
		return NULL;
	for (uint32_t i = l->buckets[name_hash(l, name) & (l->n_buckets - 1)];
	     i != DG_NONE; i = l->names[i].next)
		if (dg_name_equal(l->names[i].name, name))
			return &l->names[i];
	return NULL;
}

/* Twice the buckets when the chains would average over one name. */
static int rehash(struct dg_learn *l)
{
	size_t n = l->n_buckets == 0 ? 64 : l->n_buckets * 2;
	uint32_t *b;

	if (l->n < l->n_buckets)
		return 0;
	if (n > UINT32_MAX / 2)
		return DG_ENOMEM;
	b = malloc(n * sizeof(*b));
	if (b == NULL)
		return DG_ENOMEM;
	for (size_t i = 0; i < n; i++)
		b[i] = DG_NONE;
	for (size_t i = 0; i < l->n; i++) {
		uint32_t h = name_hash(l, l->names[i].name) & (n - 1);

		l->names[i].next = b[h];
		b[h] = (uint32_t)i;
	}
	free(l->buckets);
	l->buckets = b;
	l->n_buckets = n;
	return 0;
}

static int add(struct dg_learn *l, const uint8_t *name, uint16_t qtype,
	       const char *ts, const char *limit)
{
	struct learn_name *e = find(l, name);
	uint32_t h;

	if (e == NULL) {
		if (dg_grow(&l->names, &l->cap, l->n + 1, sizeof(*l->names)) !=
			    0 ||
		    rehash(l) != 0)
			return DG_ENOMEM;
		e = &l->names[l->n];
		memset(e, 0, sizeof(*e));
		memcpy(e->name, name, dg_name_length(name));
		dg_typeset_init(&e->types);
		memcpy(e->first, ts, TS_LEN + 1);
		memcpy(e->last, ts, TS_LEN + 1);
		h = name_hash(l, name) & (l->n_buckets - 1);
		e->next = l->buckets[h];
		l->buckets[h] = (uint32_t)l->n++;
	}
	if (dg_typeset_add(&e->types, qtype) != 0)
		return DG_ENOMEM;
	e->queries++;
	l->queries++;
	if (strcmp(ts, e->first) < 0)
		memcpy(e->first, ts, TS_LEN + 1);
	if (strcmp(ts, e->last) > 0)
		memcpy(e->last, ts, TS_LEN + 1);
	/* Once any of its queries met a limit, a reviewer should hear it. */
	if (limit != NULL)
		e->limit = limit;
	return 0;
}

int dg_learn_add_line(struct dg_learn *l, const char *line, size_t len,
		      const char **why)
{
	struct record r;
	uint8_t wire[DG_NAME_MAXLEN], lower[DG_NAME_MAXLEN];
	uint16_t qtype;
	const char *limit = NULL;
	int rc = parse_record(line, len, &r, why);

	if (rc != 0)
		return rc;
	if (r.suppressed)
		return DG_LEARN_SKIPPED;
	if (r.ts[0] == '\0' || r.name[0] == '\0' || r.type[0] == '\0' ||
	    r.verdict[0] == '\0') {
		*why = "a record without ts, name, type or verdict";
		return DG_EMALFORMED;
	}
	if (!ts_valid(r.ts)) {
		*why = "ts is not YYYY-MM-DDTHH:MM:SS.mmmZ";
		return DG_EMALFORMED;
	}
	if (dg_zones_name_from_str(r.name, wire, why) != 0)
		return DG_EMALFORMED;
	if (dg_zones_type_from_str(r.type, &qtype) != 0) {
		*why = "an unknown query type";
		return DG_EMALFORMED;
	}
	/* would-deny (audit) is a name the workload needed, as deny is. */
	if (strcmp(r.verdict, "deny") == 0 ||
	    strcmp(r.verdict, "would-deny") == 0)
		limit = limit_reason(r.reason);
	else if (strcmp(r.verdict, "allow") != 0) {
		*why = "verdict is not allow, deny or would-deny";
		return DG_EMALFORMED;
	}
	dg_name_lower(lower, wire);
	return add(l, lower, qtype, r.ts, limit);
}

/* ---- the tunnel classifier ---- */

double dg_learn_entropy(const uint8_t *s, size_t len)
{
	size_t count[256] = { 0 };
	double h = 0;

	for (size_t i = 0; i < len; i++)
		count[s[i]]++;
	for (size_t c = 0; c < 256; c++)
		if (count[c] > 0) {
			double p = (double)count[c] / (double)len;

			h -= p * log2(p);
		}
	return h;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(uint8_t c)
{
	c = dg_ascii_lower(c);
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

/* Why one run of letters and digits looks like encoded data, or NULL. */
static const char *run_tunnel(const uint8_t *s, size_t len)
{
	bool hex = true, digits = false, letters = false;
	unsigned switches = 0;

	if (len < TUNNEL_RUN_LEN)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = dg_ascii_lower(s[i]);

		digits |= is_digit(c);
		letters |= !is_digit(c);
		hex &= is_digit(c) || (c >= 'a' && c <= 'f');
		if (i > 0 && is_digit(c) != is_digit(s[i - 1]))
			switches++;
	}
	/* No word of 24 letters uses only a-f, and a hash or a counter
	 * written in hex has both. */
	if (hex && digits && letters)
		return "a long hex run";
	if (switches >= TUNNEL_SWITCHES &&
	    dg_learn_entropy(s, len) >= TUNNEL_ENTROPY)
		return "a long high-entropy run of letters and digits";
	return NULL;
}

const char *dg_learn_label_tunnel(const uint8_t *label, size_t len)
{
	size_t start = 0;

	if (len > TUNNEL_LABEL_LEN)
		return "a label over 40 characters";
	for (size_t i = 0; i <= len; i++) {
		const char *why;

		if (i < len && is_alnum(label[i]))
			continue;
		why = run_tunnel(label + start, i - start);
		if (why != NULL)
			return why;
		start = i + 1;
	}
	return NULL;
}

/* ---- deciding and writing ---- */

/* What becomes of a name. */
enum fate {
	FATE_ENTRY,     /* an exact entry */
	FATE_PRESET,    /* a comment: a preset covers it */
	FATE_COLLAPSED, /* under a *.PARENT entry */
	FATE_LEFT_OUT,  /* a comment with why */
};

struct decision {
	enum fate fate;
	const char *why;        /* FATE_LEFT_OUT; FATE_PRESET: the preset */
	uint32_t group;         /* FATE_COLLAPSED: its collapse */
};

/* A *.PARENT entry and what it stands for. */
struct collapse {
	const uint8_t *parent;
	struct dg_typeset types;
	uint64_t queries;
	size_t names;
	const char *first, *last;
};

/* Reversed-label order: com < example.com < a.example.com < b.example.com. */
static int name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[DG_NAME_MAXLABELS], ob[DG_NAME_MAXLABELS];
	unsigned na = dg_name_label_offsets(a, oa);
	unsigned nb = dg_name_label_offsets(b, ob);

	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		size_t n = la[0] < lb[0] ? la[0] : lb[0];
		int c = memcmp(la + 1, lb + 1, n);

		if (c != 0)
			return c;
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na == nb ? 0 : na < nb ? -1 : 1;
}

/* qsort has no context argument: the arrays sort through pointers. */
static int by_name(const void *a, const void *b)
{
	const struct learn_name *x = *(const struct learn_name *const *)a;
	const struct learn_name *y = *(const struct learn_name *const *)b;

	return name_cmp(x->name, y->name);
}

static const uint8_t *parent_of(const uint8_t *name)
{
	return name[0] == 0 ? name : name + 1 + name[0];
}

/* Siblings together: by parent, then by name. */
static int by_parent(const void *a, const void *b)
{
	const struct learn_name *x = *(const struct learn_name *const *)a;
	const struct learn_name *y = *(const struct learn_name *const *)b;
	int c = name_cmp(parent_of(x->name), parent_of(y->name));

	return c != 0 ? c : name_cmp(x->name, y->name);
}

/* The first preset that allows every type asked of e, or NULL. */
static const char *covering_preset(const struct dg_learn_options *opt,
				   const struct learn_name *e)
{
	for (size_t i = 0; i < opt->n_presets; i++) {
		size_t t = 0;

		for (; t < e->types.n; t++) {
			struct dg_question q = { e->name, e->types.types[t],
						 CLASS_IN };
			struct dg_verdict v;

			dg_policy_decide(opt->presets[i].policy, &q, &v);
			if (!v.allow)
				break;
		}
		if (t == e->types.n)
			return opt->presets[i].name;
	}
	return NULL;
}

/* Why a name on its own is left out, or NULL: a limit, the root, or a
 * tunnel-like label. */
static const char *name_left_out(const struct learn_name *e)
{
	uint8_t off[DG_NAME_MAXLABELS];
	unsigned n = dg_name_label_offsets(e->name, off);

	if (e->limit != NULL)
		return e->limit;
	if (n == 0)
		return "the root cannot be an entry";
	for (unsigned i = 0; i < n; i++) {
		const char *why = dg_learn_label_tunnel(e->name + off[i] + 1,
							e->name[off[i]]);

		if (why != NULL)
			return why;
	}
	return NULL;
}

/*
 * One parent's children, sib[0..n): leave out one-offs when there are
 * TUNNEL_ONE_OFFS of them, and collapse when there are opt->collapse
 * entries left, none tunnel-like, under a parent of two labels or more
 * (never *.com). Collapses go to c[*n_c].
 */
static int decide_siblings(const struct learn_name *const *sib, size_t n,
			   const struct learn_name *base, struct decision *d,
			   const struct dg_learn_options *opt,
			   struct collapse *c, size_t *n_c)
{
	size_t one_offs = 0, entries = 0;
	bool tunnel = false;
	struct collapse *g;

	/* Tunnel-like names count: they are one-offs as well. */
	for (size_t i = 0; i < n; i++)
		one_offs += sib[i]->queries == 1 && sib[i]->limit == NULL;
	for (size_t i = 0; i < n; i++) {
		struct decision *x = &d[sib[i] - base];

		if (one_offs >= TUNNEL_ONE_OFFS && sib[i]->queries == 1 &&
		    x->fate == FATE_ENTRY) {
			x->fate = FATE_LEFT_OUT;
			x->why = "one of many names under one parent each "
				 "asked once";
		}
		tunnel |= x->fate == FATE_LEFT_OUT && sib[i]->limit == NULL;
		entries += x->fate == FATE_ENTRY;
	}
	if (tunnel || opt->collapse == 0 || entries < opt->collapse ||
	    dg_name_labels(sib[0]->name) < 3)
		return 0;
	g = &c[(*n_c)++];
	g->parent = parent_of(sib[0]->name);
	for (size_t i = 0; i < n; i++) {
		struct decision *x = &d[sib[i] - base];

		if (x->fate != FATE_ENTRY)
			continue;
		x->fate = FATE_COLLAPSED;
		x->group = (uint32_t)(g - c);
		for (size_t t = 0; t < sib[i]->types.n; t++)
			if (dg_typeset_add(&g->types, sib[i]->types.types[t]) != 0)
				return DG_ENOMEM;
		g->queries += sib[i]->queries;
		g->names++;
		if (g->first == NULL || strcmp(sib[i]->first, g->first) < 0)
			g->first = sib[i]->first;
		if (g->last == NULL || strcmp(sib[i]->last, g->last) > 0)
			g->last = sib[i]->last;
	}
	return 0;
}

static void put_types(const struct dg_typeset *t, FILE *out)
{
	fputs("types=", out);
	for (size_t i = 0; i < t->n; i++) {
		char type[WORD_LEN];

		dg_zones_type_to_str(t->types[i], type, sizeof(type));
		fprintf(out, "%s%s", i > 0 ? "," : "", type);
	}
}

static void put_counts(uint64_t queries, const char *first, const char *last,
		       FILE *out)
{
	fprintf(out, "%llu quer%s, first %s, last %s",
		(unsigned long long)queries, queries == 1 ? "y" : "ies",
		first, last);
}

/* A name: an entry, or a comment with its types and counts inside. */
static void put_name(const struct learn_name *e, const struct decision *d,
		     FILE *out)
{
	char name[DG_NAME_STRLEN];

	dg_name_to_str(e->name, name, sizeof(name));
	if (d->fate == FATE_ENTRY || d->fate == FATE_COLLAPSED) {
		fprintf(out, "%s%s ", d->fate == FATE_COLLAPSED ? "#   " : "",
			name);
		put_types(&e->types, out);
		fputs("  # ", out);
		put_counts(e->queries, e->first, e->last, out);
		fputc('\n', out);
		return;
	}
	if (d->fate == FATE_PRESET)
		fprintf(out, "# %s: in preset %s (", name, d->why);
	else if (d->why == e->limit)
		fprintf(out, "# %s: left out, denied by the global limit %s, "
			     "which no entry lifts (", name, d->why);
	else
		fprintf(out, "# %s: left out, %s (", name, d->why);
	put_types(&e->types, out);
	fputs("; ", out);
	put_counts(e->queries, e->first, e->last, out);
	fputs(")\n", out);
}

/* A collapse, then its names as comments (they sort after it, within its
 * parent's subtree from sorted[at] on). */
static void put_collapse(const struct collapse *g, uint32_t group,
			 const struct learn_name *const *sorted, size_t n,
			 size_t at, const struct learn_name *base,
			 const struct decision *d, FILE *out)
{
	char name[DG_NAME_STRLEN];

	dg_name_to_str(g->parent, name, sizeof(name));
	fprintf(out, "*.%s ", name);
	put_types(&g->types, out);
	fprintf(out, "  # %zu names, ", g->names);
	put_counts(g->queries, g->first, g->last, out);
	fputc('\n', out);
	for (size_t k = at; k < n && dg_name_depth_under(sorted[k]->name,
							   g->parent) >= 0; k++) {
		const struct decision *x = &d[sorted[k] - base];

		if (x->fate == FATE_COLLAPSED && x->group == group)
			put_name(sorted[k], x, out);
	}
}

/* Collapses come in their parents' order (made walking siblings sorted by
 * parent): each prints where its parent sorts. */
static void write_all(const struct dg_learn *l,
		      const struct dg_learn_options *opt,
		      const struct learn_name *const *sorted,
		      const struct decision *d, const struct collapse *c,
		      size_t n_c, FILE *out)
{
	size_t left_out = 0, g = 0;

	fprintf(out, "# Learned by dnsgate learn from %llu queries for %zu "
		     "names; rules in dnsgate(8), LEARN.\n",
		(unsigned long long)l->queries, l->n);
	if (opt->collapse > 0)
		fprintf(out, "# Siblings collapse into *.PARENT from %u names "
			     "under one parent.\n", opt->collapse);
	else
		fputs("# Siblings never collapse.\n", out);
	fputs("# Review before use: each line says what was asked, and "
	      "when.\n\n", out);
	for (size_t i = 0; i < l->n; i++) {
		const struct decision *x = &d[sorted[i] - l->names];

		for (; g < n_c && name_cmp(c[g].parent, sorted[i]->name) <= 0;
		     g++)
			put_collapse(&c[g], (uint32_t)g, sorted, l->n, i,
				     l->names, d, out);
		if (x->fate == FATE_LEFT_OUT)
			left_out++;
		else if (x->fate != FATE_COLLAPSED)
			put_name(sorted[i], x, out);
	}
	if (left_out == 0)
		return;
	fputs("\n# Left out: allowing these would open a tunnel, or could "
	      "not work.\n", out);
	for (size_t i = 0; i < l->n; i++)
		if (d[sorted[i] - l->names].fate == FATE_LEFT_OUT)
			put_name(sorted[i], &d[sorted[i] - l->names], out);
}

int dg_learn_write(const struct dg_learn *l,
		   const struct dg_learn_options *opt, FILE *out)
{
	const struct learn_name **sorted = NULL, **sib = NULL;
	struct decision *d = NULL;
	struct collapse *c = NULL;
	size_t n_c = 0;
	int rc = DG_ENOMEM;

	sorted = calloc(l->n + 1, sizeof(*sorted));
	sib = calloc(l->n + 1, sizeof(*sib));
	d = calloc(l->n + 1, sizeof(*d));
	c = calloc(l->n + 1, sizeof(*c));
	if (sorted == NULL || sib == NULL || d == NULL || c == NULL)
		goto fail;
	for (size_t i = 0; i < l->n; i++) {
		const struct learn_name *e = &l->names[i];

		sorted[i] = sib[i] = e;
		d[i].why = name_left_out(e);
		d[i].fate = d[i].why != NULL ? FATE_LEFT_OUT : FATE_ENTRY;
		if (d[i].fate == FATE_ENTRY) {
			d[i].why = covering_preset(opt, e);
			if (d[i].why != NULL)
				d[i].fate = FATE_PRESET;
		}
	}
	qsort(sorted, l->n, sizeof(*sorted), by_name);
	qsort(sib, l->n, sizeof(*sib), by_parent);
	for (size_t i = 0, j; i < l->n; i = j) {
		const uint8_t *p = parent_of(sib[i]->name);

		for (j = i + 1; j < l->n && name_cmp(parent_of(sib[j]->name), p) == 0;
		     j++)
			;
		rc = decide_siblings(sib + i, j - i, l->names, d, opt, c, &n_c);
		if (rc != 0)
			goto fail;
	}
	/* *.PARENT covers PARENT too: an exact entry for it goes. */
	for (size_t g = 0; g < n_c; g++) {
		const struct learn_name *e = find(l, c[g].parent);
		struct decision *x = e == NULL ? NULL : &d[e - l->names];

		if (x == NULL || x->fate != FATE_ENTRY)
			continue;
		for (size_t t = 0; t < e->types.n; t++)
			if (dg_typeset_add(&c[g].types, e->types.types[t]) != 0)
				goto fail;
		x->fate = FATE_COLLAPSED;
		x->group = (uint32_t)g;
		c[g].queries += e->queries;
		c[g].names++;
		if (strcmp(e->first, c[g].first) < 0)
			c[g].first = e->first;
		if (strcmp(e->last, c[g].last) > 0)
			c[g].last = e->last;
	}
	write_all(l, opt, sorted, d, c, n_c, out);
	rc = ferror(out) ? -EIO : 0;
fail:
	for (size_t g = 0; c != NULL && g < n_c; g++)
		dg_typeset_deinit(&c[g].types);
	free(c);
	free(d);
	free(sib);
	free(sorted);
	return rc;
}
