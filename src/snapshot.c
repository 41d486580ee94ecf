/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snapshot: a configuration in use and its caches and budget. See
 * snapshot.h.
 */
#include "snapshot.h"

#include <stdlib.h>

#include "overlay.h"
#include "policy.h"

static void caches_free(struct dg_snapshot *s)
{
	for (size_t i = 0; s->caches != NULL && i < s->n_caches; i++)
		dg_cache_free(s->caches[i]);
	free(s->caches);
	s->caches = NULL;
	s->n_caches = 0;
}

static int caches_new(struct dg_snapshot *s, const struct dg_hash_key *key)
{
	size_t n = s->cfg->n_groups + 1;

	s->caches = calloc(n, sizeof(*s->caches));
	if (s->caches == NULL)
		return DG_ENOMEM;
	s->n_caches = n;
	for (size_t i = 0; i < n; i++) {
		s->caches[i] = dg_cache_new(s->cfg->cache_max_entries, key);
		if (s->caches[i] == NULL)
			return DG_ENOMEM;
	}
	return 0;
}

/* Workers as running, not as cfg says: a reload that lowers [server]
 * workers leaves them all running. */
static struct dg_budget *budget_new(const struct dg_config *cfg,
				    const struct dg_hash_key *key,
				    unsigned n_workers)
{
	size_t n = cfg->n_groups + 1;
	struct dg_budget_policy *policies = calloc(n, sizeof(*policies));
	struct dg_budget *b;

	if (policies == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct dg_policy *p = i == 0 ? cfg->policy
						   : cfg->groups[i - 1].policy;
		unsigned total = dg_config_total_for(cfg, i);

		/* The temporary entries' slots after the policy's own. */
		policies[i].n_entries = dg_policy_count(p) + DG_OVERLAY_MAX;
		policies[i].total_per_minute =
			total / n_workers > 0 ? total / n_workers : 1;
	}
	b = dg_budget_new(cfg->new_names_per_minute, policies, n, key);
	free(policies);
	return b;
}

struct dg_snapshot *dg_snapshot_new(struct dg_config *cfg,
				    const struct dg_hash_key *key,
				    unsigned n_workers)
{
	struct dg_snapshot *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->refs = 1;
	dg_config_ref(cfg);
	s->cfg = cfg;
	if (caches_new(s, key) != 0 ||
	    (s->budget = budget_new(cfg, key, n_workers)) == NULL) {
		dg_snapshot_unref(s);
		return NULL;
	}
	return s;
}

void dg_snapshot_retire(struct dg_snapshot *s)
{
	caches_free(s);
	dg_budget_free(s->budget);
	s->budget = NULL;
}

void dg_snapshot_ref(struct dg_snapshot *s)
{
	s->refs++;
}

void dg_snapshot_unref(struct dg_snapshot *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	dg_snapshot_retire(s);
	dg_config_free(s->cfg);
	free(s);
}

size_t dg_snapshot_cache_entries(const struct dg_snapshot *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_caches; i++)
		n += dg_cache_count(s->caches[i]);
	return n;
}
