/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config: INI loading, overrides, validation and printing. See config.h.
 *
 * Keys are one table (`keys[]`) of {section, name, setter, printer,
 * offset, range, what a reload does with it}. A setter parses strictly
 * and reports `FILE:LINE: key: problem`; a scalar key set twice is an
 * error, a list key accumulates. --check prints, and a reload compares,
 * each key through its printer, so neither can miss a key. The embedded
 * default is itself an INI text run through the same reader, so it cannot
 * drift from what a file would say.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "dot.h"
#include "name.h"
#include "zones.h"

#ifndef DG_ZONESDIR
#error "DG_ZONESDIR must name the installed zones directory"
#endif
#ifndef DG_SYSCONFDIR
#error "DG_SYSCONFDIR must name the installed configuration directory"
#endif

#define EMBEDDED_NAME "<embedded default>"
#define DEFAULT_LISTEN_PORT 53
/* RFC 7858's, for a tls:// server without a port. */
#define DEFAULT_DOT_PORT 853
#define NOT_AN_ADDRESS "is not an address (ADDR, ADDR:PORT or [IPV6]:PORT)"
#define DEFAULT_METRICS_PORT 9153

/* The configuration dnsgate runs on without -c. */
static const char embedded_default[] =
	"[server]\n"
	"listen = 127.0.0.1:5353\n"
	"[policy]\n"
	"zones = " DG_ZONESDIR "/default.zones\n";

const char *dg_config_default_path(void)
{
	const char *path = getenv("DNSGATE_DEFAULT_CONFIG");

	if (path == NULL)
		path = DG_SYSCONFDIR "/dnsgate/dnsgate.conf";
	/* Existence, not readability: an installed file dnsgate may not read
	 * is an error to report, not a reason to run on something else. */
	return access(path, F_OK) == 0 ? path : NULL;
}

struct key;

/* State of one load: the file being read and what has been seen. */
struct load {
	struct dg_config *cfg;
	struct dg_diag *d;
	const char *file;
	FILE *f;
	char *buf;
	size_t cap;
	unsigned line;
	bool section_known;     /* the current section is one we know */
	struct dg_group *group; /* the current [group NAME], if any */
	struct dg_forward *forward; /* the current [forward ZONE], if any */
	unsigned *seen;         /* line where each scalar key was set */
};

typedef void (*setter)(struct load *l, const struct key *k, const char *v);

/* What a reload does with a key's new value. */
enum reload {
	APPLIED,  /* taken with the new snapshot, at once */
	AT_START, /* read when dnsgate starts only: a socket, a sink, threads */
	/* Addresses listened on: the sockets stay those of the start, and a
	 * listener goes to whichever group lists its address now. */
	SOCKETS,
};

/* Writes what follows `key =` in the effective configuration (g: the
 * group, for [group] keys); the same text is what a reload compares. */
typedef void (*printer)(FILE *out, const struct dg_config *cfg,
			const struct dg_group *g, const struct key *k);

struct key {
	const char *section;
	const char *name;
	setter set;
	printer print;
	/* Where the value lives: in struct dg_config, struct dg_group for
	 * [group] keys, struct dg_limits for the policy's limits. */
	size_t off;
	unsigned long min, max; /* numbers: range; addresses: min is the port */
	bool list;           /* may repeat; values accumulate */
	enum reload reload;
	/* Comment lines printed after the key's, or NULL. */
	printer note;
};

/* A key's member: of the current group for [group] keys, else of cfg. */
static void *field(struct load *l, const struct key *k)
{
	if (strcmp(k->section, "group") == 0)
		return (char *)l->group + k->off;
	if (strcmp(k->section, "forward") == 0)
		return (char *)l->forward + k->off;
	return (char *)l->cfg + k->off;
}

DG_PRINTF(3, 4)
static void key_error(struct load *l, const struct key *k, const char *fmt,
		      ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dg_diag_error(l->d, l->file, l->line, "%s: %s", k->name, msg);
}

static int strings_push(struct dg_strings *s, const char *v, unsigned line)
{
	char *copy;
	unsigned *lines;

	if (dg_grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v)) != 0)
		return DG_ENOMEM;
	/* lines keeps the capacity of v. */
	lines = realloc(s->lines, s->cap * sizeof(*lines));
	if (lines == NULL)
		return DG_ENOMEM;
	s->lines = lines;
	copy = strdup(v);
	if (copy == NULL)
		return DG_ENOMEM;
	s->v[s->n] = copy;
	s->lines[s->n] = line;
	s->n++;
	return 0;
}

static void strings_clear(struct dg_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

static void strings_free(struct dg_strings *s)
{
	strings_clear(s);
	free(s->v);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

static int addrs_push(struct dg_addrs *a, const struct dg_addr *v)
{
	if (dg_grow(&a->v, &a->cap, a->n + 1, sizeof(*a->v)) != 0)
		return DG_ENOMEM;
	a->v[a->n++] = *v;
	return 0;
}

/* Empty the list, and forget its TLS names with their array. */
static void addrs_clear(struct dg_addrs *a)
{
	for (size_t i = 0; a->tls_names != NULL && i < a->n; i++)
		free(a->tls_names[i]);
	free(a->tls_names);
	a->tls_names = NULL;
	a->tls_cap = 0;
	a->n = 0;
}

static void addrs_free(struct dg_addrs *a)
{
	addrs_clear(a);
	free(a->v);
	a->v = NULL;
	a->cap = 0;
}

/* Letters, digits, hyphens and dots: a name a certificate can carry. */
static bool tls_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 253 || name[0] == '.')
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
			return false;
	return true;
}

/*
 * An upstream server: ADDR[:PORT], or tls://ADDR[:PORT]#NAME. *tls_name
 * is NULL for a plain one, else a copy of NAME, the caller's.
 * @return NULL, or what is wrong with item.
 */
static const char *parse_server(const char *item, uint16_t port,
				struct dg_addr *a, char **tls_name)
{
	const char *hash;
	char *addr;
	int rc;

	*tls_name = NULL;
	if (strncasecmp(item, "tls://", 6) != 0)
		return dg_addr_parse(item, port, a) == 0 ? NULL : NOT_AN_ADDRESS;
	item += 6;
	hash = strchr(item, '#');
	/* Any certificate from any CA would do without a name to check:
	 * no better than clear text. */
	if (hash == NULL)
		return "has no #NAME: a tls:// server needs the name its "
		       "certificate must carry (tls://ADDR[:PORT]#NAME)";
	if (!tls_name_valid(hash + 1))
		return "has no host name after # (tls://ADDR[:PORT]#NAME)";
	addr = strndup(item, (size_t)(hash - item));
	if (addr == NULL)
		return "out of memory";
	rc = dg_addr_parse(addr, DEFAULT_DOT_PORT, a);
	free(addr);
	if (rc != 0)
		return "is not an address (tls://ADDR[:PORT]#NAME)";
	*tls_name = strdup(hash + 1);
	return *tls_name == NULL ? "out of memory" : NULL;
}

/*
 * Append a server (tls_name: parse_server's, taken). Plain and tls://
 * servers never share a list: failover would carry the questions a TLS
 * server failed to answer to the next one in clear text.
 * @return NULL, or what is wrong.
 */
static const char *servers_push(struct dg_addrs *a, const struct dg_addr *v,
				char *tls_name)
{
	bool tls = a->n > 0 && a->tls_names != NULL;

	if (a->n > 0 && tls != (tls_name != NULL)) {
		free(tls_name);
		return "mixes plain and tls:// servers: a failed TLS server's "
		       "questions would go to the next in clear text";
	}
	if ((tls_name != NULL &&
	     dg_grow(&a->tls_names, &a->tls_cap, a->n + 1,
		     sizeof(*a->tls_names)) != 0) ||
	    addrs_push(a, v) != 0) {
		free(tls_name);
		return "out of memory";
	}
	if (tls_name != NULL)
		a->tls_names[a->n - 1] = tls_name;
	return NULL;
}

bool dg_addrs_has(const struct dg_addrs *a, const struct dg_addr *x)
{
	for (size_t i = 0; i < a->n; i++)
		if (dg_addr_equal(&a->v[i], x))
			return true;
	return false;
}

static void oom(struct load *l)
{
	dg_diag_error(l->d, l->file, l->line, "out of memory");
}

/* Split a comma-separated list, trimming blanks; empty items are skipped. */
static void for_each_item(struct load *l, const struct key *k, const char *v,
			  void (*fn)(struct load *, const struct key *,
				     const char *))
{
	char *copy = strdup(v);
	char *save = NULL;

	if (copy == NULL) {
		oom(l);
		return;
	}
	for (char *item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		char *end;

		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*item != '\0')
			fn(l, k, item);
	}
	free(copy);
}

static void set_uint(struct load *l, const struct key *k, const char *v)
{
	unsigned long n;

	if (!dg_parse_ulong(v, k->min, k->max, &n)) {
		key_error(l, k, "'%s' is not a number from %lu to %lu", v,
			  k->min, k->max);
		return;
	}
	*(unsigned *)field(l, k) = (unsigned)n;
}

static void set_bool(struct load *l, const struct key *k, const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < DG_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*(bool *)field(l, k) = true;
			return;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*(bool *)field(l, k) = false;
			return;
		}
	}
	key_error(l, k, "'%s' is not yes or no", v);
}

static void set_string(struct load *l, const struct key *k, const char *v)
{
	char **dst = field(l, k);
	char *copy = NULL;

	if (*v != '\0' && (copy = strdup(v)) == NULL) {
		oom(l);
		return;
	}
	free(*dst);
	*dst = copy;
}

/* One address of a list, its port k->min when it has none. */
static bool parse_addr(struct load *l, const struct key *k, const char *item,
		       struct dg_addr *a)
{
	if (dg_addr_parse(item, (uint16_t)k->min, a) == 0)
		return true;
	key_error(l, k, "'%s' " NOT_AN_ADDRESS, item);
	return false;
}

static void add_addr(struct load *l, const struct key *k, const char *item)
{
	struct dg_addr a;

	if (parse_addr(l, k, item, &a) && addrs_push(field(l, k), &a) != 0)
		oom(l);
}

static void set_addrs(struct load *l, const struct key *k, const char *v)
{
	for_each_item(l, k, v, add_addr);
}

static void add_server(struct load *l, const struct key *k, const char *item)
{
	struct dg_addr a;
	char *name;
	const char *why = parse_server(item, (uint16_t)k->min, &a, &name);

	if (why == NULL)
		why = servers_push(field(l, k), &a, name);
	if (why != NULL)
		key_error(l, k, "'%s' %s", item, why);
}

static void set_servers(struct load *l, const struct key *k, const char *v)
{
	for_each_item(l, k, v, add_server);
}

static char *resolve_path(const char *config_path, const char *path);

/* Relative to the file's folder, as zones are. Loaded once here, so a
 * file that holds no CA is an error at its line, not at the first query. */
static void set_tls_ca_file(struct load *l, const struct key *k,
			    const char *v)
{
	gnutls_certificate_credentials_t creds;
	const char *why;
	char *path;

	if (*v == '\0') {
		set_string(l, k, v);
		return;
	}
	path = resolve_path(l->file, v);
	if (path == NULL) {
		oom(l);
		return;
	}
	if (dg_dot_creds_new(path, &creds, &why) != 0) {
		key_error(l, k, "%s: %s", path, why);
		free(path);
		return;
	}
	dg_dot_creds_free(creds);
	free(l->cfg->tls_ca_file);
	l->cfg->tls_ca_file = path;
}

static void add_string(struct load *l, const struct key *k, const char *item)
{
	if (strings_push(field(l, k), item, l->line) != 0)
		oom(l);
}

static void set_strings(struct load *l, const struct key *k, const char *v)
{
	for_each_item(l, k, v, add_string);
}

/* allow = keeps each value whole: zones.c splits it, types= and all. */
static void set_allow(struct load *l, const struct key *k, const char *v)
{
	if (*v != '\0' && strings_push(field(l, k), v, l->line) != 0)
		oom(l);
}

static void set_deny_rcode(struct load *l, const struct key *k, const char *v)
{
	if (strcasecmp(v, "nxdomain") == 0)
		l->cfg->deny_rcode = DG_DENY_NXDOMAIN;
	else if (strcasecmp(v, "refused") == 0)
		l->cfg->deny_rcode = DG_DENY_REFUSED;
	else
		key_error(l, k, "'%s' is not nxdomain or refused", v);
}

static void set_cname(struct load *l, const struct key *k, const char *v)
{
	if (strcasecmp(v, "pass") == 0)
		l->cfg->cname = DG_CNAME_PASS;
	else if (strcasecmp(v, "strict") == 0)
		l->cfg->cname = DG_CNAME_STRICT;
	else
		key_error(l, k, "'%s' is not pass or strict", v);
}

/* [policy] mode and [group] mode: the same words, each in its own struct. */
static void set_mode(struct load *l, const struct key *k, const char *v)
{
	enum dg_mode *mode = field(l, k);

	if (strcasecmp(v, "enforce") == 0)
		*mode = DG_MODE_ENFORCE;
	else if (strcasecmp(v, "audit") == 0)
		*mode = DG_MODE_AUDIT;
	else
		key_error(l, k, "'%s' is not enforce or audit", v);
}

static void set_charset(struct load *l, const struct key *k, const char *v)
{
	struct dg_limits *lim = dg_policy_limits(l->cfg->policy);

	if (strcasecmp(v, "ldh_underscore") == 0)
		lim->charset = DG_CHARSET_LDH_UNDERSCORE;
	else if (strcasecmp(v, "ldh") == 0)
		lim->charset = DG_CHARSET_LDH;
	else
		key_error(l, k, "'%s' is not ldh_underscore or ldh", v);
}

static void add_default_type(struct load *l, const struct key *k,
			     const char *item)
{
	struct dg_limits *lim = dg_policy_limits(l->cfg->policy);
	uint16_t type;

	if (dg_zones_type_from_str(item, &type) != 0) {
		key_error(l, k, "'%s' is not a query type", item);
		return;
	}
	if (dg_typeset_add(&lim->default_types, type) != 0)
		oom(l);
}

static void set_default_types(struct load *l, const struct key *k,
			      const char *v)
{
	struct dg_limits *lim = dg_policy_limits(l->cfg->policy);

	/* The key replaces the built-in set; it does not add to it. */
	dg_typeset_deinit(&lim->default_types);
	for_each_item(l, k, v, add_default_type);
}

/* The policy's limits: k->off is into struct dg_limits. */
static void set_limit_length(struct load *l, const struct key *k,
			     const char *v)
{
	struct dg_limits *lim = dg_policy_limits(l->cfg->policy);
	unsigned long n;

	if (!dg_parse_ulong(v, k->min, k->max, &n)) {
		key_error(l, k, "'%s' is not a number from %lu to %lu", v,
			  k->min, k->max);
		return;
	}
	*(unsigned *)((char *)lim + k->off) = (unsigned)n;
}

/* A user name as useradd takes it, or a uid: it is also written into the
 * host firewall rules (`meta skuid`, `--uid-owner`), so nothing else.
 * Empty in a file means none. */
static bool user_name_valid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 32 || v[0] == '-')
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static void set_user(struct load *l, const struct key *k, const char *v)
{
	if (*v != '\0' && !user_name_valid(v)) {
		key_error(l, k, "'%s' is not a user name or uid", v);
		return;
	}
	set_string(l, k, v);
}

static void set_query_log(struct load *l, const struct key *k, const char *v)
{
	if (*v == '\0') {
		key_error(l, k, "empty value (use stderr, syslog, off or a file)");
		return;
	}
	set_string(l, k, v);
}

static void set_level(struct load *l, const struct key *k, const char *v)
{
	for (int i = DG_LOG_ERR; i <= DG_LOG_DEBUG; i++) {
		if (strcasecmp(v, dg_log_level_name((enum dg_log_level)i)) == 0) {
			l->cfg->log_level = (enum dg_log_level)i;
			return;
		}
	}
	key_error(l, k, "'%s' is not err, warn, info or debug", v);
}

static void set_metrics_listen(struct load *l, const struct key *k,
			       const char *v)
{
	struct dg_addr a;

	if (*v == '\0' || strcasecmp(v, "off") == 0) {
		l->cfg->metrics_enabled = false;
		return;
	}
	if (dg_addr_parse(v, DEFAULT_METRICS_PORT, &a) != 0) {
		key_error(l, k, "'%s' is not an address (ADDR:PORT or off)", v);
		return;
	}
	l->cfg->metrics_enabled = true;
	l->cfg->metrics_listen = a;
}

/* [control] socket: an absolute path a Unix socket can bind, or off. */
static void set_control_socket(struct load *l, const struct key *k,
			       const char *v)
{
	struct sockaddr_un sun;

	if (*v == '\0' || strcasecmp(v, "off") == 0) {
		set_string(l, k, "");
		return;
	}
	if (v[0] != '/' || strlen(v) >= sizeof(sun.sun_path)) {
		key_error(l, k, "'%s' is not an absolute path of at most %zu "
				"bytes (or off)",
			  v, sizeof(sun.sun_path) - 1);
		return;
	}
	set_string(l, k, v);
}

/* nft_set (A records) and nft_set6 (AAAA), of [firewall] or a group:
 * "FAMILY TABLE SET", or off. The line is kept for `firewall --egress`,
 * which needs all the sets in one table. */
static void set_nft_set(struct load *l, const struct key *k, const char *v)
{
	struct dg_nftset_name *dst = field(l, k);
	unsigned i = strcmp(k->name, "nft_set6") == 0;
	int af = i ? AF_INET6 : AF_INET;
	struct dg_nftset_name n;
	const char *why = NULL;
	int rc;

	dg_nftset_name_clear(dst);
	if (l->group != NULL)
		l->group->nft_set_line[i] = l->line;
	else
		l->cfg->nft_set_line[i] = l->line;
	if (*v == '\0' || strcasecmp(v, "off") == 0)
		return;
	rc = dg_nftset_name_parse(v, af, &n, &why);
	if (rc == DG_ENOMEM)
		oom(l);
	else if (rc != 0)
		key_error(l, k, "'%s' %s", v, why);
	else
		*dst = n;
}

/* The group whose listen holds a, or NULL. */
static const struct dg_group *listen_owner(const struct dg_config *cfg,
					   const struct dg_addr *a)
{
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (dg_addrs_has(&cfg->groups[i].listen, a))
			return &cfg->groups[i];
	return NULL;
}

/* An address of two groups would leave the group of its queries to the
 * order of the sections: refused, as is one listed twice. */
static void add_group_listen(struct load *l, const struct key *k,
			     const char *item)
{
	const struct dg_group *owner;
	struct dg_addr a;

	if (!parse_addr(l, k, item, &a))
		return;
	owner = listen_owner(l->cfg, &a);
	if (owner != NULL) {
		key_error(l, k, "'%s' already belongs to group %s", item,
			  owner->name);
		return;
	}
	if (addrs_push(field(l, k), &a) != 0)
		oom(l);
}

static void set_group_listen(struct load *l, const struct key *k,
			     const char *v)
{
	for_each_item(l, k, v, add_group_listen);
}

/* Parse item as a prefix and append it to *v. */
static void push_prefix(struct load *l, const struct key *k,
			const char *item, struct dg_prefix **v, size_t *n,
			size_t *cap)
{
	struct dg_prefix p;

	if (dg_prefix_parse(item, &p) != 0) {
		key_error(l, k,
			  "'%s' is not an address prefix (ADDR/LEN, host bits "
			  "zero)",
			  item);
		return;
	}
	if (dg_grow(v, cap, *n + 1, sizeof(**v)) != 0) {
		oom(l);
		return;
	}
	(*v)[(*n)++] = p;
}

static void add_group_client(struct load *l, const struct key *k,
			     const char *item)
{
	struct dg_group *g = l->group;

	push_prefix(l, k, item, &g->clients, &g->n_clients, &g->cap_clients);
}

static void set_group_clients(struct load *l, const struct key *k,
			      const char *v)
{
	for_each_item(l, k, v, add_group_client);
}

static void add_allow_cidr(struct load *l, const struct key *k,
			   const char *item)
{
	struct dg_config *cfg = l->cfg;

	push_prefix(l, k, item, &cfg->allow_cidrs, &cfg->n_allow_cidrs,
		    &cfg->cap_allow_cidrs);
}

static void set_allow_cidrs(struct load *l, const struct key *k,
			    const char *v)
{
	for_each_item(l, k, v, add_allow_cidr);
}

/* A key's member to print: of g for [group] keys, else of cfg. */
static const void *value(const struct dg_config *cfg,
			 const struct dg_group *g, const struct key *k)
{
	return g != NULL ? (const char *)g + k->off
			 : (const char *)cfg + k->off;
}

/* One item of a value: each follows a blank, and a comma from the second
 * on, so that `key =` stays bare for an empty list. */
static void put_item(FILE *out, size_t i, const char *text)
{
	fprintf(out, "%s %s", i > 0 ? "," : "", text);
}

static void print_uint(FILE *out, const struct dg_config *cfg,
		       const struct dg_group *g, const struct key *k)
{
	fprintf(out, " %u", *(const unsigned *)value(cfg, g, k));
}

static void print_bool(FILE *out, const struct dg_config *cfg,
		       const struct dg_group *g, const struct key *k)
{
	put_item(out, 0, *(const bool *)value(cfg, g, k) ? "yes" : "no");
}

/* NULL (no user: keep the one that started dnsgate) prints empty. */
static void print_string(FILE *out, const struct dg_config *cfg,
			 const struct dg_group *g, const struct key *k)
{
	const char *v = *(char *const *)value(cfg, g, k);

	put_item(out, 0, v != NULL ? v : "");
}

static void print_query_log(FILE *out, const struct dg_config *cfg,
			    const struct dg_group *g, const struct key *k)
{
	put_item(out, 0, cfg->query_log != NULL ? cfg->query_log : "stderr");
}

static void put_addrs(FILE *out, const struct dg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		char text[DG_ADDR_STRLEN];

		dg_addr_format(&a->v[i], text, sizeof(text));
		put_item(out, i, text);
	}
}

/* Upstream servers, a tls:// one with its name, as servers = reads them. */
static void put_servers(FILE *out, const struct dg_addrs *a)
{
	if (a->tls_names == NULL) {
		put_addrs(out, a);
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		char text[DG_ADDR_STRLEN];

		dg_addr_format(&a->v[i], text, sizeof(text));
		fprintf(out, "%s tls://%s#%s", i > 0 ? "," : "", text,
			a->tls_names[i]);
	}
}

static void print_servers(FILE *out, const struct dg_config *cfg,
			  const struct dg_group *g, const struct key *k)
{
	put_servers(out, value(cfg, g, k));
}

/* [server] listen (g NULL) or a group's: cfg->listen is every socket,
 * [server]'s first, so it is only [server]'s up to n_server_listen. */
static struct dg_addrs listen_of(const struct dg_config *cfg,
				 const struct dg_group *g)
{
	if (g != NULL)
		return g->listen;
	return (struct dg_addrs){ .v = cfg->listen.v,
				  .n = cfg->n_server_listen };
}

static void print_listen(FILE *out, const struct dg_config *cfg,
			 const struct dg_group *g, const struct key *k)
{
	struct dg_addrs a = listen_of(cfg, g);

	put_addrs(out, &a);
}

static void note_servers(FILE *out, const struct dg_config *cfg,
			 const struct dg_group *g, const struct key *k)
{
	if (cfg->servers_from_resolv_conf)
		fprintf(out, "; servers from resolv.conf\n");
}

static void print_strings(FILE *out, const struct dg_config *cfg,
			  const struct dg_group *g, const struct key *k)
{
	const struct dg_strings *v = value(cfg, g, k);

	for (size_t i = 0; i < v->n; i++)
		put_item(out, i, v->v[i]);
}

static void print_deny_rcode(FILE *out, const struct dg_config *cfg,
			     const struct dg_group *g, const struct key *k)
{
	put_item(out, 0,
		 cfg->deny_rcode == DG_DENY_REFUSED ? "refused" : "nxdomain");
}

static void print_cname(FILE *out, const struct dg_config *cfg,
			const struct dg_group *g, const struct key *k)
{
	put_item(out, 0, cfg->cname == DG_CNAME_STRICT ? "strict" : "pass");
}

static void print_default_types(FILE *out, const struct dg_config *cfg,
				const struct dg_group *g, const struct key *k)
{
	const struct dg_typeset *types =
		&dg_policy_limits_const(cfg->policy)->default_types;

	for (size_t i = 0; i < types->n; i++) {
		char t[32];

		dg_zones_type_to_str(types->types[i], t, sizeof(t));
		put_item(out, i, t);
	}
}

static void print_limit_length(FILE *out, const struct dg_config *cfg,
			       const struct dg_group *g, const struct key *k)
{
	const char *lim = (const char *)dg_policy_limits_const(cfg->policy);

	fprintf(out, " %u", *(const unsigned *)(lim + k->off));
}

static void print_charset(FILE *out, const struct dg_config *cfg,
			  const struct dg_group *g, const struct key *k)
{
	put_item(out, 0,
		 dg_policy_limits_const(cfg->policy)->charset == DG_CHARSET_LDH
			 ? "ldh"
			 : "ldh_underscore");
}

static void print_level(FILE *out, const struct dg_config *cfg,
			const struct dg_group *g, const struct key *k)
{
	put_item(out, 0, dg_log_level_name(cfg->log_level));
}

static void print_metrics_listen(FILE *out, const struct dg_config *cfg,
				 const struct dg_group *g,
				 const struct key *k)
{
	char text[DG_ADDR_STRLEN] = "off";

	if (cfg->metrics_enabled)
		dg_addr_format(&cfg->metrics_listen, text, sizeof(text));
	put_item(out, 0, text);
}

static void print_control_socket(FILE *out, const struct dg_config *cfg,
				 const struct dg_group *g,
				 const struct key *k)
{
	put_item(out, 0,
		 cfg->control_socket != NULL ? cfg->control_socket : "off");
}

static void print_nft_set(FILE *out, const struct dg_config *cfg,
			  const struct dg_group *g, const struct key *k)
{
	const struct dg_nftset_name *n = value(cfg, g, k);
	/* Family, table and set: the names are at most 255 bytes each. */
	char text[600];

	put_item(out, 0,
		 n->table != NULL ? dg_nftset_name_format(n, text, sizeof(text))
				  : "off");
}


static void put_prefixes(FILE *out, const struct dg_prefix *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char text[DG_ADDR_STRLEN];

		dg_prefix_format(&p[i], text, sizeof(text));
		put_item(out, i, text);
	}
}

static void print_group_clients(FILE *out, const struct dg_config *cfg,
				const struct dg_group *g, const struct key *k)
{
	put_prefixes(out, g->clients, g->n_clients);
}

static void print_allow_cidrs(FILE *out, const struct dg_config *cfg,
			      const struct dg_group *g, const struct key *k)
{
	put_prefixes(out, cfg->allow_cidrs, cfg->n_allow_cidrs);
}

static void note_group_clients(FILE *out, const struct dg_config *cfg,
			       const struct dg_group *g, const struct key *k)
{
	if (g->n_clients > 0)
		fprintf(out, "; clients: selection by source address; only as "
			     "strong as the anti-spoofing in the firewall "
			     "rules (dnsgate firewall)\n");
}

/* A group's total, the [policy] one when it sets none. */
static unsigned group_total(const struct dg_config *cfg,
			    const struct dg_group *g)
{
	return g->new_names_per_minute_total > 0 ? g->new_names_per_minute_total
						 : cfg->new_names_per_minute_total;
}

static void print_group_total(FILE *out, const struct dg_config *cfg,
			      const struct dg_group *g, const struct key *k)
{
	fprintf(out, " %u", group_total(cfg, g));
}

const struct dg_nftset_name *dg_config_nft_sets(const struct dg_config *cfg,
						const struct dg_group *g)
{
	if (g != NULL &&
	    (g->nft_set[0].table != NULL || g->nft_set[1].table != NULL))
		return g->nft_set;
	return cfg->nft_set;
}

bool dg_config_has_nft_sets(const struct dg_config *cfg)
{
	if (cfg->nft_set[0].table != NULL || cfg->nft_set[1].table != NULL)
		return true;
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (dg_config_nft_sets(cfg, &cfg->groups[i]) != cfg->nft_set)
			return true;
	return false;
}

bool dg_config_audits(const struct dg_config *cfg, const struct dg_group *g)
{
	if (g != NULL && g->mode != DG_MODE_INHERIT)
		return g->mode == DG_MODE_AUDIT;
	return cfg->mode == DG_MODE_AUDIT;
}

size_t dg_config_audit_count(const struct dg_config *cfg)
{
	size_t n = dg_config_audits(cfg, NULL);

	for (size_t i = 0; i < cfg->n_groups; i++)
		n += dg_config_audits(cfg, &cfg->groups[i]);
	return n;
}

/* The effective mode: a group without one prints the [policy] one. */
static void print_mode(FILE *out, const struct dg_config *cfg,
		       const struct dg_group *g, const struct key *k)
{
	put_item(out, 0, dg_config_audits(cfg, g) ? "audit" : "enforce");
}

/* Audit is a hole in the sandbox for as long as it lasts: --check says so
 * next to the key, not only in the man page. */
static void note_mode(FILE *out, const struct dg_config *cfg,
		      const struct dg_group *g, const struct key *k)
{
	if (dg_config_audits(cfg, g))
		fprintf(out, "; AUDIT: nothing is denied; what enforce would "
			     "deny is forwarded, answered and logged as "
			     "would-deny\n");
}

#define CFG(member) offsetof(struct dg_config, member)
#define GROUP(member) offsetof(struct dg_group, member)
#define LIMIT(member) offsetof(struct dg_limits, member)
#define FORWARD(member) offsetof(struct dg_forward, member)

static const struct key keys[] = {
	{ "server", "listen", set_addrs, print_listen,
	  CFG(listen), DEFAULT_LISTEN_PORT, 0, true, SOCKETS, NULL },
	{ "server", "user", set_user, print_string,
	  CFG(user), 0, 0, false, AT_START, NULL },
	{ "server", "tcp_idle_timeout_ms", set_uint, print_uint,
	  CFG(tcp_idle_timeout_ms), 100, 3600000, false, AT_START, NULL },
	{ "server", "max_tcp_clients", set_uint, print_uint,
	  CFG(max_tcp_clients), 1, 1000000, false, AT_START, NULL },
	{ "server", "max_udp_size", set_uint, print_uint,
	  CFG(max_udp_size), 512, 4096, false, APPLIED, NULL },
	{ "server", "workers", set_uint, print_uint,
	  CFG(workers), 1, DG_MAX_WORKERS, false, AT_START, NULL },
	{ "server", "client_rate_limit", set_uint, print_uint,
	  CFG(client_rate_limit), 0, 1000000, false, APPLIED, NULL },
	{ "upstream", "servers", set_servers, print_servers,
	  CFG(servers), DEFAULT_LISTEN_PORT, 0, true, AT_START, note_servers },
	{ "upstream", "tls_ca_file", set_tls_ca_file, print_string,
	  CFG(tls_ca_file), 0, 0, false, AT_START, NULL },
	{ "upstream", "timeout_ms", set_uint, print_uint,
	  CFG(upstream_timeout_ms), 10, 60000, false, AT_START, NULL },
	{ "upstream", "max_inflight", set_uint, print_uint,
	  CFG(max_inflight), 1, 1000000, false, AT_START, NULL },
	{ "upstream", "max_waiting", set_uint, print_uint,
	  CFG(max_waiting), 1, 1000000, false, APPLIED, NULL },
	{ "policy", "zones", set_strings, print_strings,
	  CFG(zones), 0, 0, true, APPLIED, NULL },
	{ "policy", "allow", set_allow, print_strings,
	  CFG(allow), 0, 0, true, APPLIED, NULL },
	{ "policy", "deny_rcode", set_deny_rcode, print_deny_rcode,
	  0, 0, 0, false, APPLIED, NULL },
	{ "policy", "default_types", set_default_types, print_default_types,
	  0, 0, 0, false, APPLIED, NULL },
	{ "policy", "max_label_length", set_limit_length, print_limit_length,
	  LIMIT(max_label_length), 1, DG_LABEL_MAXLEN, false, APPLIED, NULL },
	{ "policy", "max_name_length", set_limit_length, print_limit_length,
	  LIMIT(max_name_length), 1, 253, false, APPLIED, NULL },
	{ "policy", "charset", set_charset, print_charset,
	  0, 0, 0, false, APPLIED, NULL },
	{ "policy", "cname", set_cname, print_cname,
	  0, 0, 0, false, APPLIED, NULL },
	{ "policy", "ede", set_bool, print_bool,
	  CFG(ede), 0, 0, false, APPLIED, NULL },
	{ "policy", "mode", set_mode, print_mode,
	  CFG(mode), 0, 0, false, APPLIED, note_mode },
	{ "policy", "new_names_per_minute", set_uint, print_uint,
	  CFG(new_names_per_minute), 1, 1000000, false, APPLIED, NULL },
	{ "policy", "new_names_per_minute_total", set_uint, print_uint,
	  CFG(new_names_per_minute_total), 1, 1000000, false, APPLIED, NULL },
	{ "policy", "min_ttl", set_uint, print_uint,
	  CFG(min_ttl), 0, 604800, false, APPLIED, NULL },
	{ "policy", "max_ttl", set_uint, print_uint,
	  CFG(max_ttl), 0, 604800, false, APPLIED, NULL },
	{ "cache", "max_entries", set_uint, print_uint,
	  CFG(cache_max_entries), 0, 100000000, false, APPLIED, NULL },
	{ "cache", "negative_ttl", set_uint, print_uint,
	  CFG(negative_ttl), 0, 86400, false, APPLIED, NULL },
	{ "log", "query_log", set_query_log, print_query_log,
	  CFG(query_log), 0, 0, false, AT_START, NULL },
	{ "log", "log_allowed", set_bool, print_bool,
	  CFG(log_allowed), 0, 0, false, APPLIED, NULL },
	{ "log", "deny_log_rate", set_uint, print_uint,
	  CFG(deny_log_rate), 0, 1000000, false, AT_START, NULL },
	{ "log", "level", set_level, print_level,
	  0, 0, 0, false, APPLIED, NULL },
	{ "metrics", "listen", set_metrics_listen, print_metrics_listen,
	  0, 0, 0, false, AT_START, NULL },
	{ "metrics", "ready_window", set_uint, print_uint,
	  CFG(ready_window), 2, 86400, false, APPLIED, NULL },
	{ "control", "socket", set_control_socket, print_control_socket,
	  CFG(control_socket), 0, 0, false, AT_START, NULL },
	{ "firewall", "nft_set", set_nft_set, print_nft_set,
	  CFG(nft_set[0]), 0, 0, false, AT_START, NULL },
	{ "firewall", "nft_set6", set_nft_set, print_nft_set,
	  CFG(nft_set[1]), 0, 0, false, AT_START, NULL },
	{ "firewall", "nft_set_min_ttl", set_uint, print_uint,
	  CFG(nft_set_min_ttl), 0, 604800, false, APPLIED, NULL },
	{ "firewall", "allow_cidrs", set_allow_cidrs, print_allow_cidrs,
	  0, 0, 0, true, APPLIED, NULL },
	{ "group", "listen", set_group_listen, print_listen,
	  GROUP(listen), DEFAULT_LISTEN_PORT, 0, true, SOCKETS, NULL },
	{ "group", "clients", set_group_clients, print_group_clients,
	  0, 0, 0, true, APPLIED, note_group_clients },
	{ "group", "zones", set_strings, print_strings,
	  GROUP(zones), 0, 0, true, APPLIED, NULL },
	{ "group", "allow", set_allow, print_strings,
	  GROUP(allow), 0, 0, true, APPLIED, NULL },
	{ "group", "new_names_per_minute_total", set_uint, print_group_total,
	  GROUP(new_names_per_minute_total), 1, 1000000, false, APPLIED, NULL },
	{ "group", "mode", set_mode, print_mode,
	  GROUP(mode), 0, 0, false, APPLIED, note_mode },
	{ "group", "nft_set", set_nft_set, print_nft_set,
	  GROUP(nft_set[0]), 0, 0, false, AT_START, NULL },
	{ "group", "nft_set6", set_nft_set, print_nft_set,
	  GROUP(nft_set[1]), 0, 0, false, AT_START, NULL },
	/* A comma separates records, as --check prints them. */
	{ "local", "local", set_strings, print_strings,
	  CFG(local_lines), 0, 0, true, APPLIED, NULL },
	/* Printed by dg_config_print() and compared by warn_forwards(): a
	 * zone is no group, so the printers' g cannot name it. */
	{ "forward", "servers", set_servers, NULL,
	  FORWARD(servers), DEFAULT_LISTEN_PORT, 0, true, AT_START, NULL },
};

static const char *const sections[] = { "server",  "upstream", "policy",
					"cache",   "log",      "metrics",
					"control", "firewall", "local" };

/* The defaults of everything but the policy's limits (dg_policy_new). */
static void config_init_defaults(struct dg_config *cfg)
{
	cfg->tcp_idle_timeout_ms = 10000;
	cfg->max_tcp_clients = 512;
	cfg->max_udp_size = 1232;
	cfg->workers = 1;
	cfg->upstream_timeout_ms = 1500;
	cfg->max_inflight = 4096;
	cfg->max_waiting = 16384;
	cfg->deny_rcode = DG_DENY_NXDOMAIN;
	cfg->cname = DG_CNAME_PASS;
	cfg->ede = true;
	cfg->mode = DG_MODE_ENFORCE;
	cfg->new_names_per_minute = 60;
	/* Five clients' worth: a bound no number of source addresses
	 * multiplies, small enough to state (README "Exfiltration bound"). */
	cfg->new_names_per_minute_total = 300;
	cfg->min_ttl = 0;
	cfg->max_ttl = 86400;
	cfg->cache_max_entries = 100000;
	cfg->negative_ttl = 60;
	cfg->log_allowed = true;
	cfg->deny_log_rate = 20;
	cfg->log_level = DG_LOG_INFO;
	cfg->metrics_enabled = false;
	/* An idle dnsgate probes once each half window: a trickle; and a
	 * pod whose upstreams are gone leaves its Service within a minute. */
	cfg->ready_window = 30;
	/* An element outlives a short TTL (like Cilium's tofqdns-min-ttl):
	 * applications reconnect to an address long after its record
	 * expired in their resolver. */
	cfg->nft_set_min_ttl = 300;
}

const char *dg_log_level_name(enum dg_log_level level)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };

	return (size_t)level < DG_ARRAY_SIZE(names) ? names[level] : "info";
}

const struct dg_group *dg_config_group(const struct dg_config *cfg,
				       const char *name)
{
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

/* "KIND NAME", and a bare "KIND" too so that it is told to name one. */
static bool is_named_section(const char *section, const char *kind)
{
	size_t n = strlen(kind);

	return strncmp(section, kind, n) == 0 &&
	       (section[n] == ' ' || section[n] == '\0');
}

static bool is_group_section(const char *section)
{
	return is_named_section(section, "group");
}

/* A [forward ZONE] header: its zone checked, and once in the file. */
static void open_forward(struct load *l, const char *header)
{
	struct dg_config *cfg = l->cfg;
	const char *name = header + strlen("forward");
	const char *why = "";
	uint8_t zone[DG_NAME_MAXLEN];
	struct dg_forward *f;

	while (*name == ' ')
		name++;
	if (*name == '\0' || strpbrk(name, " \t") != NULL) {
		dg_diag_error(l->d, l->file, l->line,
			      "[%s]: a forward zone needs one name, as "
			      "[forward ZONE]", header);
		return;
	}
	if (dg_zones_name_from_str(name, zone, &why) != 0) {
		dg_diag_error(l->d, l->file, l->line,
			      "[%s]: '%s' is not a zone name: %s", header, name,
			      why);
		return;
	}
	dg_name_lower(zone, zone);
	for (size_t i = 0; i < cfg->n_forwards; i++) {
		if (dg_name_equal(cfg->forwards[i].zone, zone)) {
			dg_diag_error(l->d, l->file, l->line,
				      "[%s]: repeated zone (first at line %u)",
				      header, cfg->forwards[i].line);
			return;
		}
	}
	if (dg_grow(&cfg->forwards, &cfg->cap_forwards, cfg->n_forwards + 1,
		    sizeof(*cfg->forwards)) != 0) {
		oom(l);
		return;
	}
	f = &cfg->forwards[cfg->n_forwards];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (f->name == NULL) {
		oom(l);
		return;
	}
	memcpy(f->zone, zone, dg_name_length(zone));
	f->line = l->line;
	cfg->n_forwards++;
	l->forward = f;
	l->section_known = true;
}

/* A section header seen by the reader: check it, open a group. */
static void on_section(struct load *l, const char *name, size_t len)
{
	char *copy = strndup(name, len);
	const char *gname;
	const struct dg_group *first;
	struct dg_group *g;

	l->section_known = false;
	l->group = NULL;
	l->forward = NULL;
	if (copy == NULL) {
		oom(l);
		return;
	}
	if (is_named_section(copy, "forward")) {
		open_forward(l, copy);
		free(copy);
		return;
	}
	for (size_t i = 0; i < DG_ARRAY_SIZE(sections); i++)
		if (strcmp(copy, sections[i]) == 0)
			l->section_known = true;
	if (!is_group_section(copy)) {
		if (!l->section_known)
			dg_diag_error(l->d, l->file, l->line,
				      "[%s]: unknown section (expected server, "
				      "upstream, policy, cache, log, metrics, "
				      "control, firewall, local, group NAME or "
				      "forward ZONE)",
				      copy);
		free(copy);
		return;
	}
	gname = copy + 5;
	while (*gname == ' ')
		gname++;
	if (*gname == '\0' || strpbrk(gname, " \t") != NULL) {
		dg_diag_error(l->d, l->file, l->line,
			      "[%s]: a group needs one name, as [group NAME]",
			      copy);
		free(copy);
		return;
	}
	if ((first = dg_config_group(l->cfg, gname)) != NULL) {
		dg_diag_error(l->d, l->file, l->line,
			      "[%s]: repeated group (first at line %u)", copy,
			      first->line);
		free(copy);
		return;
	}
	if (dg_grow(&l->cfg->groups, &l->cfg->cap_groups, l->cfg->n_groups + 1,
		    sizeof(*l->cfg->groups)) != 0) {
		oom(l);
		free(copy);
		return;
	}
	g = &l->cfg->groups[l->cfg->n_groups];
	memset(g, 0, sizeof(*g));
	g->name = strdup(gname);
	free(copy);
	if (g->name == NULL) {
		oom(l);
		return;
	}
	g->line = l->line;
	l->cfg->n_groups++;
	l->group = g;
	l->section_known = true;
	/* A group's scalar keys may be set once in each group. */
	for (size_t i = 0; i < DG_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, "group") == 0)
			l->seen[i] = 0;
}

/*
 * The line reader inih calls. It hands inih one line at most num - 3 bytes
 * long (inih's own bound, which it would enforce by cutting the line) and
 * reports longer ones; lines inih would reject are reported here too, so
 * that every syntax error is listed, and inih gets an empty line instead.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load *l = stream;
	ssize_t n = getline(&l->buf, &l->cap, l->f);
	char *text;
	size_t len;

	if (n < 0)
		return NULL;
	l->line++;
	while (n > 0 && (l->buf[n - 1] == '\n' || l->buf[n - 1] == '\r'))
		l->buf[--n] = '\0';
	text = l->buf;
	if (l->line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3;
	while (*text == ' ' || *text == '\t')
		text++;
	len = strlen(text);
	str[0] = '\0';
	if (len != (size_t)(n - (text - l->buf))) {
		dg_diag_error(l->d, l->file, l->line, "line holds a NUL byte");
		return str;
	}
	if (num < 3 || len > (size_t)num - 3) {
		dg_diag_error(l->d, l->file, l->line,
			      "line too long (%zu bytes, at most %d)", len,
			      num - 3);
		return str;
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL) {
			dg_diag_error(l->d, l->file, l->line,
				      "syntax error: '[' without ']'");
			return str;
		}
		on_section(l, text + 1, (size_t)(close - text - 1));
	} else if (text[0] != '\0' && text[0] != ';' && text[0] != '#' &&
		   strpbrk(text, "=:") == NULL) {
		dg_diag_error(l->d, l->file, l->line,
			      "syntax error: expected 'key = value' or "
			      "'[section]'");
		return str;
	}
	memcpy(str, text, len + 1);
	return str;
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct load *l = user;
	bool group = is_group_section(section);
	const char *kind = group ? "group"
			   : is_named_section(section, "forward") ? "forward"
								  : section;

	if (*section == '\0') {
		dg_diag_error(l->d, l->file, l->line,
			      "%s: key outside of any [section]", name);
		return 1;
	}
	if (!l->section_known)
		return 1; /* the section was reported already */
	for (size_t i = 0; i < DG_ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];

		if (strcmp(k->name, name) != 0 || strcmp(k->section, kind) != 0)
			continue;
		/* on_section clears the group keys' lines at each group. */
		if (!k->list) {
			if (l->seen[i] != 0) {
				key_error(l, k, "repeated key (first set at line %u)",
					  l->seen[i]);
				return 1;
			}
			l->seen[i] = l->line;
		}
		k->set(l, k, value);
		return 1;
	}
	dg_diag_error(l->d, l->file, l->line, "%s: unknown key in [%s]", name,
		      kind);
	return 1;
}

/* Index of a key in keys[]; it must be there. */
static size_t key_index(const char *section, const char *name)
{
	size_t i = 0;

	while (i < DG_ARRAY_SIZE(keys) &&
	       (strcmp(keys[i].section, section) != 0 ||
		strcmp(keys[i].name, name) != 0))
		i++;
	dg_assert(i < DG_ARRAY_SIZE(keys));
	return i;
}

/*
 * Checks between keys, made here where the line of each key is known. The
 * defaults (0, 86400) agree, so a conflict means min_ttl was set: the
 * message points at its line.
 */
static void check_keys(struct load *l)
{
	unsigned min_line = l->seen[key_index("policy", "min_ttl")];

	if (l->cfg->min_ttl > l->cfg->max_ttl)
		dg_diag_error(l->d, l->file, min_line,
			      "min_ttl: %u is above max_ttl %u",
			      l->cfg->min_ttl, l->cfg->max_ttl);
}

/* Read one INI stream into cfg. */
static int load_stream(struct dg_config *cfg, FILE *f, const char *file,
		       struct dg_diag *d)
{
	unsigned seen[DG_ARRAY_SIZE(keys)] = { 0 };
	struct load l = {
		.cfg = cfg, .d = d, .file = file, .f = f, .seen = seen,
	};
	int rc;

	rc = ini_parse_stream(read_line, &l, on_key, &l);
	free(l.buf);
	if (ferror(f)) {
		dg_diag_error(d, file, 0, "cannot read: %s", strerror(errno));
		return DG_ECONFIG;
	}
	/* Every line inih could reject was given to it empty, so a line
	 * number back from it means an error we did not foresee. */
	if (rc > 0)
		dg_diag_error(d, file, (unsigned)rc, "syntax error");
	else if (rc == -2)
		return DG_ENOMEM;
	check_keys(&l);
	return 0;
}

static void config_free_lists(struct dg_config *cfg)
{
	free(cfg->listen.v);
	addrs_free(&cfg->servers);
	strings_free(&cfg->zones);
	strings_free(&cfg->allow);
	for (size_t i = 0; i < cfg->n_groups; i++) {
		free(cfg->groups[i].name);
		free(cfg->groups[i].listen.v);
		free(cfg->groups[i].clients);
		strings_free(&cfg->groups[i].zones);
		strings_free(&cfg->groups[i].allow);
		dg_nftset_name_clear(&cfg->groups[i].nft_set[0]);
		dg_nftset_name_clear(&cfg->groups[i].nft_set[1]);
		dg_policy_free(cfg->groups[i].policy);
	}
	free(cfg->groups);
	free(cfg->allow_cidrs);
	for (size_t i = 0; i < cfg->n_forwards; i++) {
		free(cfg->forwards[i].name);
		addrs_free(&cfg->forwards[i].servers);
	}
	free(cfg->forwards);
	dg_server_sets_free(&cfg->sets);
	strings_free(&cfg->local_lines);
	dg_localdata_free(&cfg->local);
}

void dg_config_ref(struct dg_config *cfg)
{
	atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
}

void dg_config_free(struct dg_config *cfg)
{
	/* acq_rel: what another holder wrote is seen before the free. */
	if (cfg == NULL ||
	    atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) > 1)
		return;
	config_free_lists(cfg);
	dg_policy_free(cfg->policy);
	free(cfg->path);
	free(cfg->user);
	dg_nftset_name_clear(&cfg->nft_set[0]);
	dg_nftset_name_clear(&cfg->nft_set[1]);
	free(cfg->query_log);
	free(cfg->tls_ca_file);
	free(cfg->control_socket);
	free(cfg);
}

/* Command-line addresses replace the file's list; servers (tls:// too)
 * when `servers`. */
static void override_addrs(struct dg_addrs *dst, const char *flag,
			   const char **v, size_t n, uint16_t port,
			   bool servers, struct dg_diag *d)
{
	if (n == 0)
		return;
	addrs_clear(dst);
	for (size_t i = 0; i < n; i++) {
		struct dg_addr a;
		char *name = NULL;
		const char *why;

		if (servers)
			why = parse_server(v[i], port, &a, &name);
		else
			why = dg_addr_parse(v[i], port, &a) != 0 ? NOT_AN_ADDRESS
								 : NULL;
		if (why == NULL && servers)
			why = servers_push(dst, &a, name);
		else if (why == NULL && addrs_push(dst, &a) != 0)
			why = "out of memory";
		if (why != NULL)
			dg_diag_error(d, "command line", 0, "%s: '%s' %s",
				      flag, v[i], why);
	}
}

static int replace_string(char **dst, const char *v)
{
	char *copy = strdup(v);

	if (copy == NULL)
		return DG_ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static int apply_overrides(struct dg_config *cfg, const struct dg_overrides *ov,
			   struct dg_diag *d)
{
	override_addrs(&cfg->listen, "--listen", ov->listen, ov->n_listen,
		       DEFAULT_LISTEN_PORT, false, d);
	override_addrs(&cfg->servers, "--upstream", ov->upstream,
		       ov->n_upstream, DEFAULT_LISTEN_PORT, true, d);
	if (ov->n_zones > 0 || ov->n_allow > 0) {
		strings_clear(&cfg->zones);
		strings_clear(&cfg->allow);
		for (size_t i = 0; i < ov->n_zones; i++)
			if (strings_push(&cfg->zones, ov->zones[i], 0) != 0)
				return DG_ENOMEM;
		for (size_t i = 0; i < ov->n_allow; i++)
			if (strings_push(&cfg->allow, ov->allow[i], 0) != 0)
				return DG_ENOMEM;
	}
	if (ov->query_log != NULL &&
	    replace_string(&cfg->query_log, ov->query_log) != 0)
		return DG_ENOMEM;
	if (ov->user != NULL && !user_name_valid(ov->user))
		dg_diag_error(d, "command line", 0,
			      "--user: '%s' is not a user name or uid", ov->user);
	else if (ov->user != NULL && replace_string(&cfg->user, ov->user) != 0)
		return DG_ENOMEM;
	return 0;
}

/* Upstreams from resolv.conf, skipping our own listeners (we would loop).
 * @return how many nameservers were skipped as ours. */
static unsigned servers_from_resolv_conf(struct dg_config *cfg,
					 const char *path, struct dg_diag *d)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	unsigned skipped = 0;

	if (f == NULL)
		return 0;
	while (getline(&buf, &cap, f) != -1) {
		char *save = NULL;
		char *word = strtok_r(buf, " \t\r\n", &save);
		char *value;
		struct dg_addr a;
		bool ours = false;

		if (word == NULL || strcmp(word, "nameserver") != 0)
			continue;
		value = strtok_r(NULL, " \t\r\n", &save);
		/* A scoped address (fe80::1%eth0) needs an interface index:
		 * left out rather than guessed. */
		if (value == NULL || dg_addr_parse(value, 53, &a) != 0)
			continue;
		for (size_t i = 0; i < cfg->listen.n; i++)
			ours |= dg_addr_is_self(&cfg->listen.v[i], &a);
		skipped += ours;
		if (!ours && addrs_push(&cfg->servers, &a) != 0) {
			dg_diag_error(d, path, 0, "out of memory");
			break;
		}
	}
	free(buf);
	fclose(f);
	cfg->servers_from_resolv_conf = cfg->servers.n > 0;
	return skipped;
}

/* A group's policy keeps the global [policy] limits: a group narrows what
 * its clients may ask, never how odd a name may be. */
static int copy_limits(struct dg_policy *dst, const struct dg_policy *src)
{
	const struct dg_limits *from = dg_policy_limits_const(src);
	struct dg_limits *to = dg_policy_limits(dst);

	to->max_label_length = from->max_label_length;
	to->max_name_length = from->max_name_length;
	to->charset = from->charset;
	dg_typeset_deinit(&to->default_types);
	return dg_typeset_copy(&to->default_types, &from->default_types);
}

unsigned dg_config_total_for(const struct dg_config *cfg, size_t i)
{
	if (i > 0 && i <= cfg->n_groups)
		return group_total(cfg, &cfg->groups[i - 1]);
	return cfg->new_names_per_minute_total;
}

/* The group whose clients prefix holds the client, the longest such
 * prefix winning; NULL when none does. */
static const struct dg_group *clients_owner(const struct dg_config *cfg,
					    const struct dg_addr *client)
{
	const struct dg_group *best = NULL;
	unsigned best_len = 0;

	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct dg_group *g = &cfg->groups[i];

		for (size_t j = 0; j < g->n_clients; j++) {
			if ((best == NULL || g->clients[j].len > best_len) &&
			    dg_prefix_contains(&g->clients[j], client)) {
				best = g;
				best_len = g->clients[j].len;
			}
		}
	}
	return best;
}

const struct dg_policy *dg_config_policy_for(const struct dg_config *cfg,
					     const struct dg_addr *client,
					     const struct dg_addr *listener,
					     const struct dg_group **group)
{
	const struct dg_group *g = NULL;

	/* The listener first: a sandbox can forge its source address (any
	 * 127/8 one, any at all with NET_RAW), not the listener the
	 * firewall lets it reach. */
	if (listener != NULL)
		g = listen_owner(cfg, listener);
	if (g == NULL && client != NULL)
		g = clients_owner(cfg, client);
	if (group != NULL)
		*group = g;
	return g != NULL ? g->policy : cfg->policy;
}

/* A relative zones path in a file is relative to that file's folder. */
static char *resolve_path(const char *config_path, const char *path)
{
	const char *slash;
	char *out;
	size_t dir;

	if (path[0] == '/' || config_path == NULL ||
	    (slash = strrchr(config_path, '/')) == NULL)
		return strdup(path);
	dir = (size_t)(slash - config_path);
	out = malloc(dir + 1 + strlen(path) + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, config_path, dir);
	out[dir] = '/';
	strcpy(out + dir + 1, path);
	return out;
}

/*
 * A folder glob() cannot open. One that does not exist holds no file, like
 * an empty one; any other failure (EACCES, EIO) stops the glob, so that an
 * unreadable zones.d is an error and not an empty allowlist.
 */
static int glob_error(const char *path, int err)
{
	return err != ENOENT && err != ENOTDIR;
}

static int load_zones_pattern(struct dg_config *cfg, struct dg_policy *policy,
			      const char *pattern, unsigned line,
			      struct dg_diag *d)
{
	/* Line 0: a --zones flag, even when a file was read too. */
	const char *ref = line == 0 ? "--zones"
			  : cfg->path ? cfg->path : EMBEDDED_NAME;
	char *path = resolve_path(line > 0 ? cfg->path : NULL, pattern);
	glob_t g;
	int rc = 0, grc;

	if (path == NULL)
		return DG_ENOMEM;
	/* A plain path must exist; a pattern may match nothing (an empty
	 * zones.d), which only narrows the policy. */
	if (strpbrk(path, "*?[") == NULL) {
		rc = dg_zones_load_file(policy, path, d, ref, line);
		free(path);
		return rc;
	}
	grc = glob(path, 0, glob_error, &g);
	if (grc == GLOB_NOMATCH) {
		dg_diag_warn(d, ref, line, "zones: '%s' matches no file", path);
	} else if (grc != 0) {
		dg_diag_error(d, ref, line, "zones: cannot read '%s'", path);
		rc = DG_EMALFORMED;
	} else {
		for (size_t i = 0; i < g.gl_pathc && rc != DG_ENOMEM; i++) {
			int r = dg_zones_load_file(policy, g.gl_pathv[i], d,
						   ref, line);
			if (r != 0)
				rc = r;
		}
	}
	if (grc != GLOB_NOMATCH && grc != GLOB_NOSPACE)
		globfree(&g);
	free(path);
	return rc;
}

/* Every address to open a socket on: [server] listen (after --listen
 * replaced it), then the groups' own, each once. */
static int listen_union(struct dg_config *cfg)
{
	cfg->n_server_listen = cfg->listen.n;
	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct dg_addrs *gl = &cfg->groups[i].listen;

		for (size_t j = 0; j < gl->n; j++)
			if (!dg_addrs_has(&cfg->listen, &gl->v[j]) &&
			    addrs_push(&cfg->listen, &gl->v[j]) != 0)
				return DG_ENOMEM;
	}
	if (cfg->listen.n == 0) {
		struct dg_addr a;

		/* No listen= at all: the same address as the embedded default. */
		if (dg_addr_parse("127.0.0.1:5353", 0, &a) != 0 ||
		    addrs_push(&cfg->listen, &a) != 0)
			return DG_ENOMEM;
		cfg->n_server_listen = 1;
	}
	return 0;
}

/* Checks that need the whole file: ranges between keys, lists, zones. */
static int finish(struct dg_config *cfg, const struct dg_overrides *ov,
		  struct dg_diag *d)
{
	const char *where = cfg->path ? cfg->path : EMBEDDED_NAME;
	const char *resolv = ov->resolv_conf ? ov->resolv_conf
					     : "/etc/resolv.conf";
	unsigned ours = 0;

	if (listen_union(cfg) != 0)
		return DG_ENOMEM;
	if (cfg->servers.n == 0)
		ours = servers_from_resolv_conf(cfg, resolv, d);
	/* The usual case after pointing resolv.conf at dnsgate without
	 * setting servers: it worked until resolv.conf was read again. */
	if (cfg->servers.n == 0 && ov->need_upstream && ours > 0)
		dg_diag_error(d, where, 0,
			      "servers: %s names only dnsgate itself, which "
			      "would forward to itself: set [upstream] servers "
			      "(or --upstream) to the resolvers to use", resolv);
	else if (cfg->servers.n == 0 && ov->need_upstream)
		dg_diag_error(d, where, 0,
			      "servers: no upstream: set [upstream] servers or "
			      "--upstream (%s lists none usable)", resolv);
	if (dg_server_sets_add(&cfg->sets, &cfg->servers) != 0)
		return DG_ENOMEM;
	for (size_t i = 0; i < cfg->n_forwards; i++) {
		const struct dg_forward *f = &cfg->forwards[i];

		if (f->servers.n == 0)
			dg_diag_error(d, where, f->line,
				      "[forward %s]: no servers", f->name);
		if (dg_server_sets_add(&cfg->sets, &f->servers) != 0)
			return DG_ENOMEM;
	}
	for (size_t i = 0; i < cfg->zones.n; i++)
		if (load_zones_pattern(cfg, cfg->policy, cfg->zones.v[i],
				       cfg->zones.lines[i], d) == DG_ENOMEM)
			return DG_ENOMEM;
	for (size_t i = 0; i < cfg->allow.n; i++) {
		const char *file = cfg->allow.lines[i] ? where : "--allow";

		if (dg_zones_add_inline(cfg->policy, cfg->allow.v[i], file,
					cfg->allow.lines[i], d) == DG_ENOMEM)
			return DG_ENOMEM;
	}
	for (size_t i = 0; i < cfg->local_lines.n; i++)
		if (dg_localdata_add(&cfg->local, cfg->local_lines.v[i], where,
				     cfg->local_lines.lines[i],
				     d) == DG_ENOMEM)
			return DG_ENOMEM;
	if (d->errors == 0 && dg_policy_count(cfg->policy) == 0)
		dg_diag_warn(d, where, 0,
			     "the allowlist is empty: every query will be "
			     "denied");
	for (size_t i = 0; i < cfg->n_groups; i++) {
		struct dg_group *g = &cfg->groups[i];

		g->policy = dg_policy_new();
		if (g->policy == NULL ||
		    copy_limits(g->policy, cfg->policy) != 0)
			return DG_ENOMEM;
		for (size_t j = 0; j < g->zones.n; j++)
			if (load_zones_pattern(cfg, g->policy, g->zones.v[j],
					       g->zones.lines[j], d) == DG_ENOMEM)
				return DG_ENOMEM;
		for (size_t j = 0; j < g->allow.n; j++)
			if (dg_zones_add_inline(g->policy, g->allow.v[j], where,
						g->allow.lines[j], d) == DG_ENOMEM)
				return DG_ENOMEM;
		/* An error, not a warning: the clients someone meant to
		 * confine would get the global policy instead. Only when
		 * nothing else is wrong: a clients line whose every prefix
		 * was refused would be reported twice. */
		if (d->errors == 0 && g->n_clients == 0 && g->listen.n == 0)
			dg_diag_error(d, where, g->line,
				      "[group %s]: neither listen nor clients: "
				      "it would apply to nobody",
				      g->name);
		if (d->errors == 0 && dg_policy_count(g->policy) == 0)
			dg_diag_warn(d, where, g->line,
				     "[group %s]: its allowlist is empty: its "
				     "clients get every query denied", g->name);
	}
	return 0;
}

int dg_config_load(const char *path, const struct dg_overrides *ov,
		   struct dg_diag *d, struct dg_config **out)
{
	static const struct dg_overrides none = { 0 };
	struct dg_config *cfg = calloc(1, sizeof(*cfg));
	unsigned errors_before = d->errors;
	FILE *f = NULL;
	int rc;

	if (ov == NULL)
		ov = &none;
	if (cfg == NULL)
		return DG_ENOMEM;
	atomic_init(&cfg->refs, 1);
	config_init_defaults(cfg);
	cfg->policy = dg_policy_new();
	if (cfg->policy == NULL)
		goto nomem;
	if (path != NULL) {
		cfg->path = strdup(path);
		if (cfg->path == NULL)
			goto nomem;
		f = fopen(path, "r");
		if (f == NULL) {
			dg_diag_error(d, path, 0, "cannot read: %s",
				      strerror(errno));
			rc = DG_ECONFIG;
			goto fail;
		}
		rc = load_stream(cfg, f, path, d);
	} else {
		f = fmemopen((void *)embedded_default,
			     sizeof(embedded_default) - 1, "r");
		if (f == NULL)
			goto nomem;
		rc = load_stream(cfg, f, EMBEDDED_NAME, d);
	}
	fclose(f);
	f = NULL;
	if (rc == DG_ENOMEM || apply_overrides(cfg, ov, d) != 0 ||
	    finish(cfg, ov, d) != 0)
		goto nomem;
	if (d->errors != errors_before) {
		rc = DG_ECONFIG;
		goto fail;
	}
	*out = cfg;
	return 0;
nomem:
	dg_diag_error(d, path ? path : EMBEDDED_NAME, 0, "out of memory");
	rc = DG_ENOMEM;
fail:
	if (f != NULL)
		fclose(f);
	dg_config_free(cfg);
	return rc;
}

/* The keys of one section, in the table's order. */
static void print_section(FILE *out, const struct dg_config *cfg,
			  const struct dg_group *g, const char *section)
{
	for (size_t i = 0; i < DG_ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];

		if (strcmp(k->section, section) != 0)
			continue;
		fprintf(out, "%s =", k->name);
		k->print(out, cfg, g, k);
		fputc('\n', out);
		if (k->note != NULL)
			k->note(out, cfg, g, k);
	}
}

void dg_config_print(const struct dg_config *cfg, FILE *out)
{
	size_t n = dg_policy_count(cfg->policy);

	fprintf(out, "; effective configuration of %s\n",
		cfg->path ? cfg->path : EMBEDDED_NAME);
	for (size_t i = 0; i < DG_ARRAY_SIZE(sections); i++) {
		fprintf(out, "%s[%s]\n", i > 0 ? "\n" : "", sections[i]);
		print_section(out, cfg, NULL, sections[i]);
	}
	for (size_t i = 0; i < cfg->n_groups; i++) {
		fprintf(out, "\n[group %s]\n", cfg->groups[i].name);
		print_section(out, cfg, &cfg->groups[i], "group");
	}
	for (size_t i = 0; i < cfg->n_forwards; i++) {
		fprintf(out, "\n[forward %s]\nservers =",
			cfg->forwards[i].name);
		put_servers(out, &cfg->forwards[i].servers);
		fputc('\n', out);
	}

	fprintf(out, "\n; allowlist: %zu %s, the union of the zones files and "
		     "allow\n",
		n, n == 1 ? "entry" : "entries");
	for (size_t i = 0; i < n; i++) {
		const struct dg_entry *e = dg_policy_entry(cfg->policy, i);
		char text[DG_ENTRY_STRLEN];

		dg_zones_format_entry(cfg->policy, e, text, sizeof(text));
		if (e->line > 0)
			fprintf(out, "%s  # %s:%u\n", text,
				dg_policy_source(cfg->policy, e->source),
				e->line);
		else
			fprintf(out, "%s  # %s\n", text,
				dg_policy_source(cfg->policy, e->source));
	}
}

/* Does a hold an address cfg opens no socket on? */
static bool lacks_socket(const struct dg_addrs *a, const struct dg_config *cfg)
{
	for (size_t i = 0; i < a->n; i++)
		if (!dg_addrs_has(&cfg->listen, &a->v[i]))
			return true;
	return false;
}

/*
 * Does the change of k from old (group og) to cfg (group g) wait for the
 * next start? A listen key's only when an address it gains has no socket
 * yet, or one it loses keeps its socket with no key naming it: an address
 * moved between [server] and a group, or between groups, changes group at
 * once. Any other key's when its printed value differs.
 * @return 0, or DG_ENOMEM.
 */
static int waits_for_start(const struct dg_config *old,
			   const struct dg_group *og,
			   const struct dg_config *cfg,
			   const struct dg_group *g, const struct key *k,
			   bool *waits)
{
	struct dg_addrs was, now;
	char *text = NULL;
	size_t len = 0, half;
	FILE *f;
	int rc = DG_ENOMEM;

	if (k->reload == SOCKETS) {
		was = listen_of(old, og);
		now = listen_of(cfg, g);
		*waits = lacks_socket(&now, old) || lacks_socket(&was, cfg);
		return 0;
	}
	/* Both values in one stream: however long a list, no fixed buffer. */
	f = open_memstream(&text, &len);
	if (f == NULL)
		return DG_ENOMEM;
	k->print(f, old, og, k);
	if (fflush(f) != 0)
		goto fail;
	half = len;
	k->print(f, cfg, g, k);
	if (fflush(f) != 0)
		goto fail;
	*waits = len != 2 * half || memcmp(text, text + half, half) != 0;
	rc = 0;
fail:
	fclose(f);
	free(text);
	return rc;
}

/* One line when k (of the group named group, or NULL) waits. */
static void warn_key(FILE *out, const struct key *k, const char *group,
		     const struct dg_config *old, const struct dg_group *og,
		     const struct dg_config *cfg, const struct dg_group *g)
{
	bool waits = false;
	int rc = waits_for_start(old, og, cfg, g, k, &waits);

	if (rc != 0 || waits)
		fprintf(out, "dnsgate: reload: [%s%s%s] %s %s\n", k->section,
			group != NULL ? " " : "", group != NULL ? group : "",
			k->name,
			rc != 0 ? "not compared: out of memory"
				: "changed; it takes effect at the next start");
}

/* The forward zone of cfg equal to zone, or NULL. */
static const struct dg_forward *forward_of(const struct dg_config *cfg,
					   const uint8_t *zone)
{
	for (size_t i = 0; i < cfg->n_forwards; i++)
		if (dg_name_equal(cfg->forwards[i].zone, zone))
			return &cfg->forwards[i];
	return NULL;
}

static bool addrs_equal(const struct dg_addrs *a, const struct dg_addrs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!dg_addr_equal(&a->v[i], &b->v[i]))
			return false;
	return true;
}

/* Forward zones are the upstream's, which keeps the servers it started
 * with: one line for each zone of either whose servers differ. */
static void warn_forwards(const struct dg_config *old,
			  const struct dg_config *cfg, FILE *out)
{
	const struct dg_config *side[2] = { cfg, old };

	for (size_t s = 0; s < 2; s++) {
		const struct dg_config *other = side[1 - s];

		for (size_t i = 0; i < side[s]->n_forwards; i++) {
			const struct dg_forward *f = &side[s]->forwards[i];
			const struct dg_forward *o = forward_of(other, f->zone);

			/* A zone in both is named once, from the new side. */
			if (o != NULL &&
			    (s == 1 || addrs_equal(&f->servers, &o->servers)))
				continue;
			fprintf(out, "dnsgate: reload: [forward %s] servers "
				     "changed; it takes effect at the next "
				     "start\n", f->name);
		}
	}
}

void dg_config_warn_restart_only(const struct dg_config *old,
				 const struct dg_config *cfg, FILE *out)
{
	/* What a config without a group has of it. */
	static const struct dg_group none = { 0 };

	for (size_t i = 0; i < DG_ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];

		if (k->reload == APPLIED)
			continue;
		if (strcmp(k->section, "forward") == 0) {
			warn_forwards(old, cfg, out);
			continue;
		}
		if (strcmp(k->section, "group") != 0) {
			warn_key(out, k, NULL, old, NULL, cfg, NULL);
			continue;
		}
		/* By name: a reload may reorder the groups. */
		for (size_t j = 0; j < cfg->n_groups; j++) {
			const struct dg_group *g = &cfg->groups[j];
			const struct dg_group *og = dg_config_group(old, g->name);

			warn_key(out, k, g->name, old, og ? og : &none, cfg, g);
		}
		for (size_t j = 0; j < old->n_groups; j++) {
			const struct dg_group *og = &old->groups[j];

			if (dg_config_group(cfg, og->name) == NULL)
				warn_key(out, k, og->name, old, og, cfg, &none);
		}
	}
}

bool dg_config_key(size_t i, struct dg_config_key *out)
{
	if (i >= DG_ARRAY_SIZE(keys))
		return false;
	out->section = keys[i].section;
	out->name = keys[i].name;
	out->restart = keys[i].reload != APPLIED;
	return true;
}
