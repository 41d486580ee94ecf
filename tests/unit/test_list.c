/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_list: the intrusive list keeps its order and its count through
 * pushes, removals at either end and in the middle, and moves to the
 * front, read from either end; a zeroed head and node need no init.
 */
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "tap.h"

struct item {
	int value;
	struct dg_list_node link;
};

/* The values from the first to the last (or back), as "3 2 1". */
static const char *order(const struct dg_list *l, bool reverse)
{
	static char text[64];
	struct dg_list_node *n;
	size_t len = 0;

	text[0] = '\0';
	if (reverse) {
		dg_list_foreach_reverse(n, l)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s%d", len ? " " : "",
						dg_list_entry(n, struct item, link)->value);
	} else {
		dg_list_foreach(n, l)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s%d", len ? " " : "",
						dg_list_entry(n, struct item, link)->value);
	}
	return text;
}

int main(void)
{
	struct dg_list l;
	struct item items[4];

	memset(&l, 0, sizeof(l));
	memset(items, 0, sizeof(items));
	ok(dg_list_empty(&l) && l.count == 0, "a zeroed head is an empty list");
	ok(dg_list_entry(l.first, struct item, link) == NULL &&
		   dg_list_entry(l.last, struct item, link) == NULL,
	   "an empty list has no first or last element");

	for (int i = 0; i < 4; i++) {
		items[i].value = i + 1;
		dg_list_push_front(&l, &items[i].link);
	}
	is_str(order(&l, false), "4 3 2 1", "pushed to the front: newest first");
	is_str(order(&l, true), "1 2 3 4", "and read back from the last");
	is_int(l.count, 4, "four linked");
	ok(dg_list_entry(l.first, struct item, link) == &items[3] &&
		   dg_list_entry(l.last, struct item, link) == &items[0],
	   "first and last are the elements around their nodes");

	dg_list_remove(&l, &items[2].link);
	is_str(order(&l, false), "4 2 1", "removed from the middle");
	is_str(order(&l, true), "1 2 4", "both directions relinked");
	ok(items[2].link.prev == NULL && items[2].link.next == NULL,
	   "a removed node is left unlinked");
	dg_list_remove(&l, l.last);
	is_str(order(&l, false), "4 2", "removed the last");
	dg_list_remove(&l, l.first);
	is_str(order(&l, true), "2", "removed the first");
	is_int(l.count, 1, "one left");

	dg_list_push_front(&l, &items[0].link);
	dg_list_push_front(&l, &items[2].link);
	dg_list_move_front(&l, &items[1].link);
	is_str(order(&l, false), "2 3 1", "the last moved to the front");
	dg_list_move_front(&l, &items[1].link);
	is_str(order(&l, false), "2 3 1", "moving the first changes nothing");
	dg_list_move_front(&l, &items[2].link);
	is_str(order(&l, true), "1 2 3", "a middle one moved: read from the last");
	is_int(l.count, 3, "moves keep the count");

	while (!dg_list_empty(&l))
		dg_list_remove(&l, l.first);
	ok(l.first == NULL && l.last == NULL && l.count == 0,
	   "emptied one by one from the front");
	return done_testing();
}
