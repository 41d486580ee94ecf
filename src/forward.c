/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forward: server sets and the zone of a name. See forward.h.
 */
#include "forward.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *tls_name_at(const struct dg_addrs *a, size_t i)
{
	return a->tls_names != NULL ? a->tls_names[i] : NULL;
}

static bool same_name(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* A plain server and a tls:// one on the same address are two servers. */
static int index_of(struct dg_server_sets *s, const struct dg_addr *a,
		    const char *tls_name, size_t *out)
{
	struct dg_addrs *all = &s->addrs;
	char *copy = NULL;

	for (size_t i = 0; i < all->n; i++) {
		if (dg_addr_equal(&all->v[i], a) &&
		    same_name(tls_name_at(all, i), tls_name)) {
			*out = i;
			return 0;
		}
	}
	if (dg_grow(&all->v, &all->cap, all->n + 1, sizeof(*all->v)) != 0 ||
	    (tls_name != NULL && (copy = strdup(tls_name)) == NULL))
		return DG_ENOMEM;
	if (copy != NULL || all->tls_names != NULL) {
		bool first = all->tls_names == NULL;

		if (dg_grow(&all->tls_names, &all->tls_cap, all->n + 1,
			    sizeof(*all->tls_names)) != 0) {
			free(copy);
			return DG_ENOMEM;
		}
		/* The plain servers listed before the first tls:// one. */
		for (size_t i = 0; first && i < all->n; i++)
			all->tls_names[i] = NULL;
		all->tls_names[all->n] = copy;
	}
	all->v[all->n] = *a;
	*out = all->n++;
	return 0;
}

int dg_server_sets_add(struct dg_server_sets *s,
		       const struct dg_addrs *servers)
{
	size_t n = servers->n;

	/* start has one more slot than there are sets: the end of the last. */
	if (dg_grow(&s->start, &s->cap_start, s->n_sets + 2,
		    sizeof(*s->start)) != 0 ||
	    dg_grow(&s->order, &s->cap_order, s->n_order + n + 1,
		    sizeof(*s->order)) != 0)
		return DG_ENOMEM;
	s->start[s->n_sets] = s->n_order;
	for (size_t i = 0; i < n; i++)
		if (index_of(s, &servers->v[i], tls_name_at(servers, i),
			     &s->order[s->n_order++]) != 0)
			return DG_ENOMEM;
	s->n_sets++;
	s->start[s->n_sets] = s->n_order;
	return 0;
}

void dg_server_sets_free(struct dg_server_sets *s)
{
	for (size_t i = 0; s->addrs.tls_names != NULL && i < s->addrs.n; i++)
		free(s->addrs.tls_names[i]);
	free(s->addrs.tls_names);
	free(s->addrs.v);
	free(s->order);
	free(s->start);
	*s = (struct dg_server_sets){ 0 };
}

size_t dg_forward_set(const struct dg_forward *fwd, size_t n,
		      const uint8_t *name)
{
	size_t best = 0;
	unsigned best_labels = 0;

	/* Zones at or above one name are its suffixes: the one with the
	 * most labels is the longest. */
	for (size_t i = 0; i < n; i++) {
		unsigned labels = dg_name_labels(fwd[i].zone);

		if ((best == 0 || labels > best_labels) &&
		    dg_name_depth_under(name, fwd[i].zone) >= 0) {
			best = i + 1;
			best_labels = labels;
		}
	}
	return best;
}
