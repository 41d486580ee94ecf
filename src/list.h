/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * list: the one doubly linked list of dnsgate (the cache's LRU, the TCP
 * connections of the listener, the metrics' HTTP connections). Intrusive,
 * as libuv's queue.h and the Linux and NSD lists: the node sits in the
 * element, so linking allocates nothing, and dg_list_entry gets the
 * element back.
 *
 * The head holds the first and last node and a count; the ends are NULL,
 * not a sentinel, so a head or a node that calloc zeroed is already an
 * empty list or an unlinked node. Header only: every call is a few
 * stores. Owns nothing: the elements belong to whoever linked them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct dg_list_node {
	struct dg_list_node *prev, *next; /* NULL at the ends */
};

struct dg_list {
	struct dg_list_node *first, *last;
	size_t count;
};

/* The element n is the `member` of, or NULL for a NULL n (the end). */
#define dg_list_entry(n, type, member) \
	((type *)dg_list_entry_at((n), offsetof(type, member)))

static inline void *dg_list_entry_at(struct dg_list_node *n, size_t offset)
{
	return n != NULL ? (void *)((char *)n - offset) : NULL;
}

/* From the first node to the last, or back; n must not be removed but
 * as the loop's last step. */
#define dg_list_foreach(n, list) \
	for ((n) = (list)->first; (n) != NULL; (n) = (n)->next)
#define dg_list_foreach_reverse(n, list) \
	for ((n) = (list)->last; (n) != NULL; (n) = (n)->prev)

static inline bool dg_list_empty(const struct dg_list *l)
{
	return l->first == NULL;
}

static inline void dg_list_push_front(struct dg_list *l, struct dg_list_node *n)
{
	n->prev = NULL;
	n->next = l->first;
	if (l->first != NULL)
		l->first->prev = n;
	else
		l->last = n;
	l->first = n;
	l->count++;
}

/* Unlink n, which must be on l; n is left unlinked (both NULL). */
static inline void dg_list_remove(struct dg_list *l, struct dg_list_node *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		l->first = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		l->last = n->prev;
	n->prev = n->next = NULL;
	l->count--;
}

/* n, already on l, becomes its first (the most recent, for an LRU). */
static inline void dg_list_move_front(struct dg_list *l,
				      struct dg_list_node *n)
{
	if (l->first == n)
		return;
	/* Not first, so it has a prev, and the list another first: unlinked
	 * and linked again in place, the count untouched (a cache hit does
	 * this on every answer). */
	n->prev->next = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		l->last = n->prev;
	n->prev = NULL;
	n->next = l->first;
	l->first->prev = n;
	l->first = n;
}
