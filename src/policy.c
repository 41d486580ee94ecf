/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy: the allowlist trie and dg_policy_decide(). See policy.h.
 *
 * The trie stores one node per distinct (lowercased) name that is an entry
 * or an ancestor of one. Its edges live in one open-addressing hash table
 * keyed on (parent node, label), so a node with 100k children costs the same
 * to step through as one with two, and a lookup is one probe per label of
 * the question, walked from the root down. Nothing here depends on the
 * number of entries but the table's size.
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

#include "name.h"

#define CLASS_IN 1

struct node {
	uint32_t parent;
	uint32_t label;   /* offset into labels: length byte, then lowercase bytes */
	uint32_t entries; /* first entry on this node, or DG_NONE */
};

/* An edge of the trie: node 0 is the root, never a child, so 0 is empty. */
struct slot {
	uint32_t hash;
	uint32_t node;
};

struct dg_policy {
	struct dg_limits limits;

	struct node *nodes;
	size_t n_nodes, cap_nodes;
	uint8_t *labels;
	size_t n_labels, cap_labels;
	struct slot *slots;
	size_t n_slots; /* a power of two, or 0 before the first edge */
	size_t n_edges;

	struct dg_entry *entries;
	size_t n_entries, cap_entries;

	/* typesets[0] is a placeholder for "the default types". */
	struct dg_typeset *typesets;
	size_t n_typesets, cap_typesets;
	struct dg_typeset entry_types; /* union of every entry's own types */

	char **sources;
	size_t n_sources, cap_sources;
};

static const char *const reason_names[] = {
	[DG_REASON_NONE] = "none",
	[DG_REASON_MALFORMED] = "malformed",
	[DG_REASON_OPCODE] = "opcode",
	[DG_REASON_CLASS] = "class",
	[DG_REASON_QTYPE] = "qtype",
	[DG_REASON_LABEL_LENGTH] = "label-length",
	[DG_REASON_NAME_LENGTH] = "name-length",
	[DG_REASON_CHARSET] = "charset",
	[DG_REASON_NOT_LISTED] = "not-listed",
	[DG_REASON_TOO_DEEP] = "too-deep",
	[DG_REASON_BUDGET] = "budget",
	[DG_REASON_CNAME] = "cname",
};

const char *dg_reason_name(enum dg_reason reason)
{
	if ((size_t)reason >= DG_ARRAY_SIZE(reason_names))
		return "unknown";
	return reason_names[reason];
}

void dg_typeset_init(struct dg_typeset *s)
{
	s->n = 0;
	s->cap = 0;
	s->types = NULL;
}

void dg_typeset_deinit(struct dg_typeset *s)
{
	free(s->types);
	dg_typeset_init(s);
}

int dg_typeset_add(struct dg_typeset *s, uint16_t type)
{
	size_t i = 0;

	while (i < s->n && s->types[i] < type)
		i++;
	if (i < s->n && s->types[i] == type)
		return 0;
	if (dg_grow(&s->types, &s->cap, s->n + 1, sizeof(*s->types)) != 0)
		return DG_ENOMEM;
	memmove(&s->types[i + 1], &s->types[i], (s->n - i) * sizeof(*s->types));
	s->types[i] = type;
	s->n++;
	return 0;
}

bool dg_typeset_has(const struct dg_typeset *s, uint16_t type)
{
	/* Sets are a handful of types: a scan beats a bisection here. */
	for (size_t i = 0; i < s->n; i++)
		if (s->types[i] == type)
			return true;
	return false;
}

bool dg_typeset_equal(const struct dg_typeset *a, const struct dg_typeset *b)
{
	return a->n == b->n &&
	       (a->n == 0 ||
		memcmp(a->types, b->types, a->n * sizeof(*a->types)) == 0);
}

int dg_typeset_copy(struct dg_typeset *dst, const struct dg_typeset *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (dg_typeset_add(dst, src->types[i]) != 0)
			return DG_ENOMEM;
	return 0;
}

/* Charset tables: nonzero for a byte a label may hold. */
#define LDH_RANGES ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['-'] = 1
static const uint8_t charset_ok[][256] = {
	[DG_CHARSET_LDH_UNDERSCORE] = { LDH_RANGES, ['_'] = 1 },
	[DG_CHARSET_LDH] = { LDH_RANGES },
};

struct dg_policy *dg_policy_new(void)
{
	static const uint16_t defaults[] = {
		1,  /* A */
		5,  /* CNAME */
		28, /* AAAA */
		64, /* SVCB */
		65, /* HTTPS */
	};
	struct dg_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	dg_typeset_init(&p->limits.default_types);
	dg_typeset_init(&p->entry_types);
	for (size_t i = 0; i < DG_ARRAY_SIZE(defaults); i++)
		if (dg_typeset_add(&p->limits.default_types, defaults[i]) != 0)
			goto fail;
	p->limits.max_label_length = 40;
	p->limits.max_name_length = 160;
	p->limits.charset = DG_CHARSET_LDH_UNDERSCORE;

	/* Node 0 is the root; typeset 0 stands for the defaults. */
	if (dg_grow(&p->nodes, &p->cap_nodes, 1, sizeof(*p->nodes)) != 0 ||
	    dg_grow(&p->labels, &p->cap_labels, 1, 1) != 0 ||
	    dg_grow(&p->typesets, &p->cap_typesets, 1,
		    sizeof(*p->typesets)) != 0)
		goto fail;
	p->labels[0] = 0;
	p->n_labels = 1;
	p->nodes[0] = (struct node){ .parent = DG_NONE, .label = 0,
				     .entries = DG_NONE };
	p->n_nodes = 1;
	dg_typeset_init(&p->typesets[0]);
	p->n_typesets = 1;
	return p;
fail:
	dg_policy_free(p);
	return NULL;
}

void dg_policy_free(struct dg_policy *p)
{
	if (p == NULL)
		return;
	dg_typeset_deinit(&p->limits.default_types);
	dg_typeset_deinit(&p->entry_types);
	for (size_t i = 0; i < p->n_typesets; i++)
		dg_typeset_deinit(&p->typesets[i]);
	for (size_t i = 0; i < p->n_sources; i++)
		free(p->sources[i]);
	free(p->typesets);
	free(p->sources);
	free(p->nodes);
	free(p->labels);
	free(p->slots);
	free(p->entries);
	free(p);
}

struct dg_limits *dg_policy_limits(struct dg_policy *p)
{
	return &p->limits;
}

const struct dg_limits *dg_policy_limits_const(const struct dg_policy *p)
{
	return &p->limits;
}

int dg_policy_add_source(struct dg_policy *p, const char *file,
			 uint32_t *index)
{
	char *copy;

	for (size_t i = 0; i < p->n_sources; i++) {
		if (strcmp(p->sources[i], file) == 0) {
			*index = (uint32_t)i;
			return 0;
		}
	}
	if (dg_grow(&p->sources, &p->cap_sources, p->n_sources + 1,
		    sizeof(*p->sources)) != 0)
		return DG_ENOMEM;
	copy = strdup(file);
	if (copy == NULL)
		return DG_ENOMEM;
	p->sources[p->n_sources] = copy;
	*index = (uint32_t)p->n_sources++;
	return 0;
}

const char *dg_policy_source(const struct dg_policy *p, uint32_t index)
{
	return index < p->n_sources ? p->sources[index] : "";
}

/* FNV-1a over the parent index and the lowercased label. */
static uint32_t edge_hash(uint32_t parent, const uint8_t *label)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 4; i++) {
		h ^= (parent >> (8 * i)) & 0xff;
		h *= 16777619u;
	}
	for (unsigned i = 0; i <= label[0]; i++) {
		h ^= dg_ascii_lower(label[i]);
		h *= 16777619u;
	}
	return h;
}

/* `stored` is lowercase already; `label` may be in any case. */
static bool label_matches(const uint8_t *stored, const uint8_t *label)
{
	if (stored[0] != label[0])
		return false;
	for (unsigned i = 1; i <= label[0]; i++)
		if (stored[i] != dg_ascii_lower(label[i]))
			return false;
	return true;
}

static uint32_t edge_find(const struct dg_policy *p, uint32_t parent,
			  const uint8_t *label)
{
	uint32_t h;
	size_t mask;

	if (p->n_slots == 0)
		return DG_NONE;
	h = edge_hash(parent, label);
	mask = p->n_slots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct slot *s = &p->slots[i];
		const struct node *n;

		if (s->node == 0)
			return DG_NONE;
		if (s->hash != h)
			continue;
		n = &p->nodes[s->node];
		if (n->parent == parent && label_matches(&p->labels[n->label], label))
			return s->node;
	}
}

static void slot_put(struct slot *slots, size_t n_slots, uint32_t hash,
		     uint32_t node)
{
	size_t mask = n_slots - 1;
	size_t i = hash & mask;

	while (slots[i].node != 0)
		i = (i + 1) & mask;
	slots[i] = (struct slot){ .hash = hash, .node = node };
}

/* Keep the table at most half full, so probes stay short. */
static int slots_reserve(struct dg_policy *p, size_t edges)
{
	size_t n = p->n_slots ? p->n_slots : 64;
	struct slot *slots;

	if (edges * 2 <= p->n_slots)
		return 0;
	while (edges * 2 > n)
		n *= 2;
	slots = calloc(n, sizeof(*slots));
	if (slots == NULL)
		return DG_ENOMEM;
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->slots[i].node != 0)
			slot_put(slots, n, p->slots[i].hash, p->slots[i].node);
	free(p->slots);
	p->slots = slots;
	p->n_slots = n;
	return 0;
}

/* The child of `parent` for `label`, created when missing. */
static int child_get(struct dg_policy *p, uint32_t parent,
		     const uint8_t *label, uint32_t *child)
{
	uint32_t found = edge_find(p, parent, label);
	size_t len = (size_t)label[0] + 1;
	uint32_t id;

	if (found != DG_NONE) {
		*child = found;
		return 0;
	}
	if (p->n_nodes >= DG_NONE - 1 || p->n_labels > UINT32_MAX - len)
		return DG_ENOMEM;
	if (slots_reserve(p, p->n_edges + 1) != 0 ||
	    dg_grow(&p->nodes, &p->cap_nodes, p->n_nodes + 1,
		    sizeof(*p->nodes)) != 0 ||
	    dg_grow(&p->labels, &p->cap_labels, p->n_labels + len, 1) != 0)
		return DG_ENOMEM;
	p->labels[p->n_labels] = label[0];
	for (size_t i = 1; i < len; i++)
		p->labels[p->n_labels + i] = dg_ascii_lower(label[i]);
	id = (uint32_t)p->n_nodes++;
	p->nodes[id] = (struct node){ .parent = parent,
				      .label = (uint32_t)p->n_labels,
				      .entries = DG_NONE };
	p->n_labels += len;
	slot_put(p->slots, p->n_slots, edge_hash(parent, label), id);
	p->n_edges++;
	*child = id;
	return 0;
}

/* Index of an equal typeset, added when new. */
static int typeset_intern(struct dg_policy *p, const struct dg_typeset *t,
			  uint32_t *index)
{
	struct dg_typeset *dst;

	for (size_t i = 1; i < p->n_typesets; i++) {
		if (dg_typeset_equal(&p->typesets[i], t)) {
			*index = (uint32_t)i;
			return 0;
		}
	}
	if (dg_grow(&p->typesets, &p->cap_typesets, p->n_typesets + 1,
		    sizeof(*p->typesets)) != 0)
		return DG_ENOMEM;
	dst = &p->typesets[p->n_typesets];
	dg_typeset_init(dst);
	if (dg_typeset_copy(dst, t) != 0 ||
	    dg_typeset_copy(&p->entry_types, t) != 0) {
		dg_typeset_deinit(dst);
		return DG_ENOMEM;
	}
	*index = (uint32_t)p->n_typesets++;
	return 0;
}

int dg_policy_add(struct dg_policy *p, const struct dg_entry_spec *spec)
{
	uint8_t off[DG_NAME_MAXLABELS];
	unsigned n = dg_name_label_offsets(spec->name, off);
	uint32_t node = 0;
	uint32_t typeset = 0;
	struct dg_entry *e;
	int rc;

	if (n == 0 || spec->depth > DG_NAME_MAXLABELS)
		return DG_EMALFORMED;
	for (unsigned i = n; i-- > 0;) {
		rc = child_get(p, node, spec->name + off[i], &node);
		if (rc != 0)
			return rc;
	}
	if (spec->types != NULL) {
		rc = typeset_intern(p, spec->types, &typeset);
		if (rc != 0)
			return rc;
	}
	if (p->n_entries >= DG_NONE - 1 ||
	    dg_grow(&p->entries, &p->cap_entries, p->n_entries + 1,
		    sizeof(*p->entries)) != 0)
		return DG_ENOMEM;
	e = &p->entries[p->n_entries];
	*e = (struct dg_entry){
		.node = node,
		.next = p->nodes[node].entries,
		.typeset = typeset,
		.source = spec->source,
		.line = spec->line,
		.depth = (uint8_t)spec->depth,
		.wildcard = spec->wildcard,
		.private_allow = spec->private_allow,
	};
	p->nodes[node].entries = (uint32_t)p->n_entries++;
	return 0;
}

size_t dg_policy_count(const struct dg_policy *p)
{
	return p->n_entries;
}

uint32_t dg_policy_entry_index(const struct dg_policy *p,
			       const struct dg_entry *e)
{
	return (uint32_t)(e - p->entries);
}

const struct dg_entry *dg_policy_entry(const struct dg_policy *p, size_t i)
{
	return i < p->n_entries ? &p->entries[i] : NULL;
}

void dg_policy_entry_name(const struct dg_policy *p, const struct dg_entry *e,
			  uint8_t *out)
{
	size_t pos = 0;

	/* Parents lead toward the root, which is the order labels are
	 * written in. */
	for (uint32_t n = e->node; n != 0; n = p->nodes[n].parent) {
		const uint8_t *label = &p->labels[p->nodes[n].label];

		memcpy(out + pos, label, (size_t)label[0] + 1);
		pos += (size_t)label[0] + 1;
	}
	out[pos] = 0;
}

const struct dg_typeset *dg_policy_entry_types(const struct dg_policy *p,
					       const struct dg_entry *e)
{
	return e->typeset == 0 ? NULL : &p->typesets[e->typeset];
}

static bool entry_allows_type(const struct dg_policy *p,
			      const struct dg_entry *e, uint16_t qtype)
{
	const struct dg_typeset *t = e->typeset == 0 ? &p->limits.default_types
						     : &p->typesets[e->typeset];
	return dg_typeset_has(t, qtype);
}

void dg_policy_decide(const struct dg_policy *p, const struct dg_question *q,
		      struct dg_verdict *v)
{
	const uint8_t *charset = charset_ok[p->limits.charset];
	uint8_t off[DG_NAME_MAXLABELS];
	unsigned n = 0, max_label = 0;
	size_t pos = 0;
	bool charset_bad = false;
	/* The deepest entry that allows, that covers the name at this depth,
	 * and whose name the question merely ends with. */
	const struct dg_entry *allowing = NULL, *covering = NULL, *listed = NULL;
	unsigned allowing_depth = 0;
	uint32_t node = 0;

	/* One pass for offsets, the longest label and the charset. */
	while (q->name[pos] != 0) {
		unsigned len = q->name[pos];

		off[n++] = (uint8_t)pos;
		if (len > max_label)
			max_label = len;
		for (unsigned i = 1; i <= len; i++)
			charset_bad |= !charset[q->name[pos + i]];
		pos += 1 + len;
	}

	for (unsigned i = n; i-- > 0;) {
		node = edge_find(p, node, q->name + off[i]);
		if (node == DG_NONE)
			break;
		/* i labels of the question lie below this node's name. */
		for (uint32_t ei = p->nodes[node].entries; ei != DG_NONE;
		     ei = p->entries[ei].next) {
			const struct dg_entry *e = &p->entries[ei];

			if (listed == NULL || listed->node != node ||
			    e->depth > listed->depth)
				listed = e;
			if (i > e->depth)
				continue;
			covering = e;
			if (entry_allows_type(p, e, q->qtype)) {
				allowing = e;
				allowing_depth = i;
			}
		}
	}

	v->allow = false;
	v->entry = NULL;
	v->name_allowed = covering != NULL;
	v->depth = 0;
	if (q->qclass != CLASS_IN) {
		v->reason = DG_REASON_CLASS;
	} else if ((!dg_typeset_has(&p->limits.default_types, q->qtype) &&
		    !dg_typeset_has(&p->entry_types, q->qtype)) ||
		   (covering != NULL && allowing == NULL)) {
		v->reason = DG_REASON_QTYPE;
		v->entry = covering;
	} else if (max_label > p->limits.max_label_length) {
		v->reason = DG_REASON_LABEL_LENGTH;
	} else if (n > 0 && pos - 1 > p->limits.max_name_length) {
		/* pos is the wire length less the root byte; the written form
		 * without the final dot is one shorter again. */
		v->reason = DG_REASON_NAME_LENGTH;
	} else if (charset_bad) {
		v->reason = DG_REASON_CHARSET;
	} else if (listed == NULL) {
		v->reason = DG_REASON_NOT_LISTED;
	} else if (covering == NULL) {
		v->reason = DG_REASON_TOO_DEEP;
		v->entry = listed;
	} else {
		v->allow = true;
		v->reason = DG_REASON_NONE;
		v->entry = allowing;
		v->depth = allowing_depth;
	}
}

bool dg_policy_allows(void *policy, const uint8_t *name, uint16_t qtype)
{
	struct dg_question q = { .name = name, .qtype = qtype, .qclass = 1 };
	struct dg_verdict v;

	dg_policy_decide(policy, &q, &v);
	return v.allow;
}
