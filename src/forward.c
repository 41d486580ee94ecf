/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forward: server sets and the zone of a name. See forward.h.
 */
#include "forward.h"

#include <stdlib.h>

static int index_of(struct dg_server_sets *s, const struct dg_addr *a,
		    size_t *out)
{
	for (size_t i = 0; i < s->addrs.n; i++) {
		if (dg_addr_equal(&s->addrs.v[i], a)) {
			*out = i;
			return 0;
		}
	}
	if (dg_grow(&s->addrs.v, &s->addrs.cap, s->addrs.n + 1,
		    sizeof(*s->addrs.v)) != 0)
		return DG_ENOMEM;
	s->addrs.v[s->addrs.n] = *a;
	*out = s->addrs.n++;
	return 0;
}

int dg_server_sets_add(struct dg_server_sets *s, const struct dg_addr *servers,
		       size_t n)
{
	/* start has one more slot than there are sets: the end of the last. */
	if (dg_grow(&s->start, &s->cap_start, s->n_sets + 2,
		    sizeof(*s->start)) != 0 ||
	    dg_grow(&s->order, &s->cap_order, s->n_order + n + 1,
		    sizeof(*s->order)) != 0)
		return DG_ENOMEM;
	s->start[s->n_sets] = s->n_order;
	for (size_t i = 0; i < n; i++)
		if (index_of(s, &servers[i], &s->order[s->n_order++]) != 0)
			return DG_ENOMEM;
	s->n_sets++;
	s->start[s->n_sets] = s->n_order;
	return 0;
}

void dg_server_sets_free(struct dg_server_sets *s)
{
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
