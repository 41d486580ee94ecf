/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nftset: see nftset.h.
 */
#include "nftset.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <uv.h>

#include "log.h"

/* One read of the kernel's errors. */
#define NFTSET_READ 8192
/* A set's errors are reported at most once a minute. */
#define NFTSET_REPORT_MS 60000

/* The sets of [firewall] (slot 0, group NULL) or of one group. */
struct slot {
	char *group;
	/* [0] for A records, [1] for AAAA; table NULL: no set. */
	struct dg_nftset_name sets[2];
};

/* A set's number in the sequence numbers and the reports. */
static unsigned set_index(size_t slot, unsigned family6)
{
	return (unsigned)slot * 2 + family6;
}

/* Reports go at most once a minute for each set, and for sending. */
#define REPORT_SEND DG_NFTSET_SEQ_SETS

struct dg_nftset {
	uv_poll_t poll;
	struct mnl_socket *nl;
	struct slot *slots; /* [0]: [firewall]'s, then the groups' with sets */
	size_t n_slots;
	uint64_t reported_ms[DG_NFTSET_SEQ_SETS + 1];
	uint64_t unreported[DG_NFTSET_SEQ_SETS + 1]; /* since the last report */
	struct dg_nftset_stats stats;
	struct dg_nftset_batch batch; /* the open one */
};

/*
 * which: the set the kernel refused an element of (set_index), or
 * REPORT_SEND. At most one line a period per worker, and per process:
 * every worker meets a missing set at once, and one line says it. A worker
 * kept silent counts on and tells its count when its turn comes.
 */
static void report(struct dg_nftset *s, unsigned which, int err)
{
	static struct dg_log_once once[DG_NFTSET_SEQ_SETS + 1];
	uint64_t now = uv_now(s->poll.loop);
	char name[DG_NFTSET_NAME_STRLEN];
	bool said;

	/* The batch's own messages carry 0, which may be no set. */
	if (which != REPORT_SEND &&
	    (which / 2 >= s->n_slots ||
	     s->slots[which / 2].sets[which % 2].table == NULL))
		return;
	s->unreported[which]++;
	if (s->reported_ms[which] != 0 &&
	    now - s->reported_ms[which] < NFTSET_REPORT_MS)
		return;
	if (which == REPORT_SEND)
		said = dg_log_once(&once[which], now / NFTSET_REPORT_MS + 1,
				   DG_LOG_WARN,
				   "nft sets: a batch was not sent: %s (%llu "
				   "since the last report)",
				   strerror(err),
				   (unsigned long long)s->unreported[which]);
	else
		said = dg_log_once(
			&once[which], now / NFTSET_REPORT_MS + 1, DG_LOG_WARN,
			"nft set %s: an element was refused: %s%s (%llu since "
			"the last report)",
			dg_nftset_name_format(&s->slots[which / 2].sets[which % 2],
					      name, sizeof(name)),
			strerror(err),
			err == ENOENT ? "; create the set, with flags timeout" : "",
			(unsigned long long)s->unreported[which]);
	if (!said)
		return;
	s->reported_ms[which] = now;
	s->unreported[which] = 0;
}

/* Send what was queued: one batch, one transaction. Never blocks: when
 * the socket buffer is full the batch is dropped and counted. */
static void flush(struct dg_nftset *s)
{
	size_t n_elems;
	size_t len = dg_nftset_batch_end(&s->batch, &n_elems);

	if (len == 0)
		return;
	if (mnl_socket_sendto(s->nl, s->batch.buf, len) < 0) {
		s->stats.dropped += n_elems;
		report(s, REPORT_SEND, errno);
	} else {
		s->stats.added += n_elems;
	}
}

/* Queue addr (family AF_INET or AF_INET6) in slot's set for ttl seconds;
 * a full batch is sent at once. */
static void add(struct dg_nftset *s, size_t slot, int family,
		const uint8_t *addr, uint32_t ttl)
{
	unsigned set = family == AF_INET6;
	const struct dg_nftset_name *name = &s->slots[slot].sets[set];
	uint64_t timeout_ms = (uint64_t)(ttl > 0 ? ttl : 1) * 1000;

	if (name->table == NULL)
		return;
	/* Twice at most: a full batch is sent, and the element goes in the
	 * next one. */
	for (int i = 0; i < 2; i++) {
		if (dg_nftset_batch_add(&s->batch, name, set_index(slot, set),
					addr, set ? 16 : 4, timeout_ms))
			return;
		flush(s);
	}
	s->stats.dropped++;
}

/* The slot of g's answers, or -1 for none: a group that had no sets at
 * start takes [firewall]'s, unless it has sets now (a reload's, which wait
 * for a restart): its answers are not another's. */
static ptrdiff_t slot_of(const struct dg_nftset *s, const struct dg_group *g)
{
	if (g == NULL)
		return 0;
	for (size_t i = 1; i < s->n_slots; i++)
		if (strcmp(s->slots[i].group, g->name) == 0)
			return (ptrdiff_t)i;
	if (g->nft_set[0].table != NULL || g->nft_set[1].table != NULL)
		return -1;
	return 0;
}

void dg_nftset_add_answer(struct dg_nftset *s, const struct dg_group *g,
			  unsigned min_ttl, const struct dg_answer *a)
{
	ptrdiff_t slot = slot_of(s, g);
	struct dg_rr rr;
	size_t pos = 0;

	if (slot < 0)
		return;
	while (dg_answer_next(a, &pos, &rr)) {
		uint32_t ttl = rr.ttl > min_ttl ? rr.ttl : min_ttl;

		if (rr.type == DG_RR_TYPE_A && rr.rdlen == 4)
			add(s, (size_t)slot, AF_INET, rr.rdata, ttl);
		else if (rr.type == DG_RR_TYPE_AAAA && rr.rdlen == 16)
			add(s, (size_t)slot, AF_INET6, rr.rdata, ttl);
	}
	flush(s);
}

/* The kernel's errors: one NLMSG_ERROR for each message it refused. */
static void on_readable(uv_poll_t *poll, int status, int events)
{
	struct dg_nftset *s = poll->data;
	_Alignas(struct nlmsghdr) uint8_t in[NFTSET_READ];

	/* Bounded: what one wakeup reads, the next continues. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = mnl_socket_recvfrom(s->nl, in, sizeof(in));
		const struct nlmsghdr *nlh;
		int len;

		if (n < 0 && errno == ENOBUFS) {
			/* The kernel dropped errors it had for us. */
			s->stats.errors++;
			continue;
		}
		if (n <= 0)
			return;
		nlh = (const struct nlmsghdr *)in;
		len = (int)n;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) ||
			    e->error == 0)
				continue;
			s->stats.errors++;
			report(s, dg_nftset_seq_set(e->msg.nlmsg_seq),
			       -e->error);
		}
	}
}

static void slots_free(struct dg_nftset *s)
{
	for (size_t i = 0; i < s->n_slots; i++) {
		free(s->slots[i].group);
		dg_nftset_name_clear(&s->slots[i].sets[0]);
		dg_nftset_name_clear(&s->slots[i].sets[1]);
	}
	free(s->slots);
}

static int slot_copy(struct slot *dst, const char *group,
		     const struct dg_nftset_name *sets)
{
	if (group != NULL && (dst->group = strdup(group)) == NULL)
		return DG_ENOMEM;
	for (int i = 0; i < 2; i++) {
		if (sets[i].table == NULL)
			continue;
		dst->sets[i].family = sets[i].family;
		dst->sets[i].table = strdup(sets[i].table);
		dst->sets[i].set = strdup(sets[i].set);
		if (dst->sets[i].table == NULL || dst->sets[i].set == NULL)
			return DG_ENOMEM;
	}
	return 0;
}

/* [firewall]'s sets in slot 0, then each group's that has any. */
static int slots_copy(struct dg_nftset *s, const struct dg_config *cfg)
{
	s->slots = calloc(cfg->n_groups + 1, sizeof(*s->slots));
	if (s->slots == NULL)
		return DG_ENOMEM;
	s->n_slots = 1;
	if (slot_copy(&s->slots[0], NULL, cfg->nft_set) != 0)
		return DG_ENOMEM;
	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct dg_group *g = &cfg->groups[i];

		if (dg_config_nft_sets(cfg, g) == cfg->nft_set)
			continue;
		if (set_index(s->n_slots, 1) >= DG_NFTSET_SEQ_SETS)
			return DG_EMALFORMED;
		if (slot_copy(&s->slots[s->n_slots++], g->name, g->nft_set) != 0)
			return DG_ENOMEM;
	}
	return 0;
}

int dg_nftset_open(uv_loop_t *loop, const struct dg_config *cfg,
		   struct dg_nftset **out)
{
	struct dg_nftset *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return DG_ENOMEM;
	rc = slots_copy(s, cfg);
	if (rc != 0)
		goto fail;
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s->nl == NULL || mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = uv_poll_init(loop, &s->poll, mnl_socket_get_fd(s->nl));
	if (rc != 0)
		goto fail;
	s->poll.data = s;
	rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
	if (rc != 0) {
		/* The handle is initialised: only its close callback frees. */
		dg_nftset_close(s);
		return rc;
	}
	*out = s;
	return 0;
fail:
	if (s->nl != NULL)
		mnl_socket_close(s->nl);
	slots_free(s);
	free(s);
	return rc;
}

void dg_nftset_stats(const struct dg_nftset *s, struct dg_nftset_stats *out)
{
	*out = s->stats;
}

static void on_closed(uv_handle_t *h)
{
	struct dg_nftset *s = h->data;

	mnl_socket_close(s->nl);
	slots_free(s);
	free(s);
}

void dg_nftset_close(struct dg_nftset *s)
{
	if (s == NULL)
		return;
	/* Nothing waits in the batch: every answer flushed its own. */
	uv_close((uv_handle_t *)&s->poll, on_closed);
}
