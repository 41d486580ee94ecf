/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ways: set-associative lookup. See ways.h.
 */
#include "ways.h"

void *dg_ways_lookup(void *table, size_t size, size_t sets, unsigned ways,
		     uint64_t key, bool *found)
{
	char *set = (char *)table + (size_t)((key >> 32) % sets) * ways * size;
	struct dg_way *idlest = (struct dg_way *)set;

	for (unsigned i = 0; i < ways; i++) {
		struct dg_way *w = (struct dg_way *)(set + i * size);

		if (w->key == key) {
			*found = true;
			return w;
		}
		if (w->used_ms < idlest->used_ms)
			idlest = w;
	}
	*found = false;
	return idlest;
}
