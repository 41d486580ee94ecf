/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * overlay: temporary entries, held and read. See overlay.h.
 */
#include "overlay.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "zones.h"

void dg_grants_init(struct dg_grants *g)
{
	memset(g, 0, sizeof(*g));
	g->next_id = 1;
}

void dg_grant_deinit(struct dg_grant *gr)
{
	free(gr->text);
	free(gr->group);
	gr->text = NULL;
	gr->group = NULL;
}

void dg_grants_deinit(struct dg_grants *g)
{
	for (size_t i = 0; i < g->n; i++)
		dg_grant_deinit(&g->v[i]);
	g->n = 0;
}

/* The policy whose limits a grant's entry obeys: its group's, or for the
 * global and client scopes, [policy]'s. NULL: the group is gone. */
static const struct dg_policy *scope_policy(const struct dg_config *cfg,
					    const struct dg_grant *gr)
{
	const struct dg_group *grp;

	if (gr->scope != DG_SCOPE_GROUP)
		return cfg->policy;
	grp = dg_config_group(cfg, gr->group);
	return grp != NULL ? grp->policy : NULL;
}

/*
 * The grant's entry alone in a policy with base's limits. Problems go to
 * err as "allow: …".
 * @return 0, DG_EMALFORMED or DG_ENOMEM.
 */
static int entry_policy(const struct dg_policy *base,
			const struct dg_grant *gr, FILE *err,
			struct dg_policy **out)
{
	const struct dg_limits *bl = dg_policy_limits_const(base);
	struct dg_policy *p = dg_policy_new();
	struct dg_limits *l;
	struct dg_diag d;
	int rc;

	*out = NULL;
	if (p == NULL)
		return DG_ENOMEM;
	l = dg_policy_limits(p);
	l->max_label_length = bl->max_label_length;
	l->max_name_length = bl->max_name_length;
	l->charset = bl->charset;
	dg_typeset_deinit(&l->default_types);
	dg_typeset_init(&l->default_types);
	rc = dg_typeset_copy(&l->default_types, &bl->default_types);
	if (rc != 0)
		goto fail;
	dg_diag_init(&d, err);
	rc = dg_zones_add_entry(p, gr->text, "allow", 0, &d);
	if (rc != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	dg_policy_free(p);
	return rc;
}

/* The first line of what a stream collected (open_memstream's buffer,
 * current once flushed). */
static void take_message(FILE *f, char *const *buf, char *why, size_t size)
{
	if (fflush(f) != 0 || *buf == NULL) {
		snprintf(why, size, "out of memory");
		return;
	}
	snprintf(why, size, "%.*s", (int)strcspn(*buf, "\n"), *buf);
}

/* A slot no grant holds; there is one while there is room. */
static uint32_t free_slot(const struct dg_grants *g)
{
	uint32_t slot = 0;

	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].slot == slot) {
			slot++;
			i = (size_t)-1; /* again from the first */
		}
	return slot;
}

/*
 * The grant's entry in a policy of its own under cfg, or the problem in
 * why: its group is gone, or the zones parser refuses it.
 * @return 0 and *out, DG_EMALFORMED or DG_ENOMEM.
 */
static int grant_policy(const struct dg_config *cfg, const struct dg_grant *gr,
			char *why, size_t size, struct dg_policy **out)
{
	const struct dg_policy *base = scope_policy(cfg, gr);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	*out = NULL;
	if (base == NULL) {
		snprintf(why, size, "no [group %s] in the configuration",
			 gr->group);
		return DG_EMALFORMED;
	}
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return DG_ENOMEM;
	rc = entry_policy(base, gr, f, out);
	if (rc == DG_EMALFORMED)
		take_message(f, &buf, why, size);
	fclose(f);
	free(buf);
	return rc;
}

int dg_grants_add(struct dg_grants *g, const struct dg_config *cfg,
		  const struct dg_grant *spec, char *why, size_t size,
		  uint32_t *id)
{
	struct dg_grant gr = *spec;
	struct dg_policy *p;
	int rc;

	if (g->n >= DG_OVERLAY_MAX) {
		snprintf(why, size, "%d temporary entries already; revoke one "
				    "first",
			 DG_OVERLAY_MAX);
		return DG_EMALFORMED;
	}
	rc = grant_policy(cfg, spec, why, size, &p);
	dg_policy_free(p);
	if (rc != 0)
		return rc;
	gr.id = g->next_id;
	gr.slot = free_slot(g);
	gr.text = strdup(spec->text);
	gr.group = spec->group != NULL ? strdup(spec->group) : NULL;
	if (gr.text == NULL || (spec->group != NULL && gr.group == NULL)) {
		dg_grant_deinit(&gr);
		return DG_ENOMEM;
	}
	g->next_id++;
	g->v[g->n++] = gr;
	*id = gr.id;
	return 0;
}

static void remove_at(struct dg_grants *g, size_t i)
{
	memmove(&g->v[i], &g->v[i + 1], (g->n - i - 1) * sizeof(g->v[0]));
	g->n--;
}

bool dg_grants_revoke(struct dg_grants *g, uint32_t id)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].id == id) {
			dg_grant_deinit(&g->v[i]);
			remove_at(g, i);
			return true;
		}
	return false;
}

bool dg_grants_take_expired(struct dg_grants *g, uint64_t now_ms,
			    struct dg_grant *out)
{
	for (size_t i = 0; i < g->n; i++)
		if (now_ms >= g->v[i].expires_ms) {
			*out = g->v[i];
			remove_at(g, i);
			return true;
		}
	return false;
}

uint64_t dg_grants_next_expiry(const struct dg_grants *g)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].expires_ms < next)
			next = g->v[i].expires_ms;
	return next;
}

/* The address alone, without ":PORT" (or the brackets of v6). */
static void host_format(const struct dg_addr *a, char *buf, size_t size)
{
	char text[DG_ADDR_STRLEN];
	const char *start = text;
	size_t n;

	dg_addr_format(a, text, sizeof(text));
	n = (size_t)(strrchr(text, ':') - text);
	if (text[0] == '[') {
		start++;
		n -= 2;
	}
	snprintf(buf, size, "%.*s", (int)n, start);
}

size_t dg_grant_scope(const struct dg_grant *gr, char *buf, size_t size)
{
	char host[DG_ADDR_STRLEN];
	int n;

	switch (gr->scope) {
	case DG_SCOPE_GROUP:
		n = snprintf(buf, size, "group %s", gr->group);
		break;
	case DG_SCOPE_CLIENT:
		host_format(&gr->client, host, sizeof(host));
		n = snprintf(buf, size, "client %s", host);
		break;
	default:
		n = snprintf(buf, size, "global");
		break;
	}
	return n > 0 ? (size_t)n : 0;
}

static void item_deinit(struct dg_overlay_item *it)
{
	free(it->group);
	dg_policy_free(it->policy);
}

struct dg_overlay *dg_overlay_build(const struct dg_grants *g,
				    const struct dg_config *cfg, FILE *err)
{
	struct dg_overlay *ov =
		calloc(1, sizeof(*ov) + g->n * sizeof(ov->items[0]));

	if (ov == NULL)
		return NULL;
	atomic_init(&ov->refs, 1);
	for (size_t i = 0; i < g->n; i++) {
		const struct dg_grant *gr = &g->v[i];
		struct dg_overlay_item *it = &ov->items[ov->n];
		char why[512];
		int rc = grant_policy(cfg, gr, why, sizeof(why), &it->policy);

		if (rc == DG_EMALFORMED) {
			fprintf(err, "dnsgate: control: temporary entry %u "
				     "waits, out of force: %s\n",
				gr->id, why);
			continue;
		}
		if (rc != 0)
			goto fail;
		it->id = gr->id;
		it->slot = gr->slot;
		it->scope = gr->scope;
		it->client = gr->client;
		it->expires_ms = gr->expires_ms;
		ov->n++;
		if (gr->group != NULL &&
		    (it->group = strdup(gr->group)) == NULL)
			goto fail;
	}
	return ov;
fail:
	dg_overlay_unref(ov);
	return NULL;
}

void dg_overlay_ref(struct dg_overlay *ov)
{
	atomic_fetch_add_explicit(&ov->refs, 1, memory_order_relaxed);
}

void dg_overlay_unref(struct dg_overlay *ov)
{
	if (ov == NULL ||
	    atomic_fetch_sub_explicit(&ov->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < ov->n; i++)
		item_deinit(&ov->items[i]);
	free(ov);
}

/* The same host: family and address, whatever the port. */
static bool same_host(const struct dg_addr *a, const struct dg_addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr,
			      sizeof(a->u.in6.sin6_addr)) == 0;
	return false;
}

static bool in_scope(const struct dg_overlay_item *it, const char *group,
		     const struct dg_addr *client)
{
	switch (it->scope) {
	case DG_SCOPE_GROUP:
		return group != NULL && strcmp(group, it->group) == 0;
	case DG_SCOPE_CLIENT:
		return client != NULL && same_host(client, &it->client);
	default:
		return group == NULL;
	}
}

const struct dg_overlay_item *dg_overlay_decide(const struct dg_overlay *ov,
						const struct dg_question *q,
						const char *group,
						const struct dg_addr *client,
						uint64_t now_ms,
						struct dg_verdict *v,
						const struct dg_overlay_item **near)
{
	*near = NULL;
	for (size_t i = 0; ov != NULL && i < ov->n; i++) {
		const struct dg_overlay_item *it = &ov->items[i];
		struct dg_verdict w;

		if (now_ms >= it->expires_ms || !in_scope(it, group, client))
			continue;
		dg_policy_decide(it->policy, q, &w);
		if (w.allow) {
			*v = w;
			return it;
		}
		if (*near == NULL && w.entry != NULL) {
			*near = it;
			*v = w;
		}
	}
	return NULL;
}

int dg_overlay_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		char suffix;
		uint64_t ms;
	} units[] = { { 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 },
		      { 'd', 86400000 } };
	size_t len = strlen(s);
	uint64_t unit = 1000;
	unsigned long n;
	char digits[16];

	if (len == 0 || len >= sizeof(digits))
		return DG_EMALFORMED;
	memcpy(digits, s, len + 1);
	for (size_t i = 0; i < DG_ARRAY_SIZE(units); i++)
		if (digits[len - 1] == units[i].suffix) {
			unit = units[i].ms;
			digits[--len] = '\0';
			break;
		}
	if (!dg_parse_ulong(digits, 1, DG_OVERLAY_MAX_MS / 1000, &n) ||
	    n * unit > DG_OVERLAY_MAX_MS)
		return DG_EMALFORMED;
	*ms = n * unit;
	return 0;
}
