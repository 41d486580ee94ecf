/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nftset: see nftset.h.
 */
#include "nftset.h"

#include <errno.h>
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

struct dg_nftset {
	uv_poll_t poll;
	struct mnl_socket *nl;
	/* [0] for A records, [1] for AAAA; table NULL: no set. */
	struct dg_nftset_name sets[2];
	/* Reports, at most once a minute for each of: the A set, the AAAA
	 * set, sending. */
	uint64_t reported_ms[3];
	uint64_t unreported[3]; /* problems since the last report */
	struct dg_nftset_stats stats;
	struct dg_nftset_batch batch; /* the open one */
};

/*
 * which: 0 or 1, the set the kernel refused an element of; 2, sending.
 * At most one line a period per worker, and per process: every worker
 * meets a missing set at once, and one line says it. A worker kept
 * silent counts on and tells its count when its turn comes.
 */
static void report(struct dg_nftset *s, int which, int err)
{
	static struct dg_log_once once[3];
	uint64_t now = uv_now(s->poll.loop);
	char name[DG_NFTSET_NAME_STRLEN];
	bool said;

	s->unreported[which]++;
	if (s->reported_ms[which] != 0 &&
	    now - s->reported_ms[which] < NFTSET_REPORT_MS)
		return;
	if (which == 2)
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
			dg_nftset_name_format(&s->sets[which], name, sizeof(name)),
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
		report(s, 2, errno);
	} else {
		s->stats.added += n_elems;
	}
}

/* Queue addr (family AF_INET or AF_INET6) for ttl seconds; a full batch is
 * sent at once. */
static void add(struct dg_nftset *s, int family, const uint8_t *addr,
		uint32_t ttl)
{
	unsigned set = family == AF_INET6;
	uint64_t timeout_ms = (uint64_t)(ttl > 0 ? ttl : 1) * 1000;

	if (s->sets[set].table == NULL)
		return;
	/* Twice at most: a full batch is sent, and the element goes in the
	 * next one. */
	for (int i = 0; i < 2; i++) {
		if (dg_nftset_batch_add(&s->batch, &s->sets[set], set, addr,
					set ? 16 : 4, timeout_ms))
			return;
		flush(s);
	}
	s->stats.dropped++;
}

void dg_nftset_add_answer(struct dg_nftset *s, const struct dg_answer *a)
{
	struct dg_rr rr;
	size_t pos = 0;

	while (dg_answer_next(a, &pos, &rr)) {
		if (rr.type == DG_RR_TYPE_A && rr.rdlen == 4)
			add(s, AF_INET, rr.rdata, rr.ttl);
		else if (rr.type == DG_RR_TYPE_AAAA && rr.rdlen == 16)
			add(s, AF_INET6, rr.rdata, rr.ttl);
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
			report(s, (int)dg_nftset_seq_set(e->msg.nlmsg_seq),
			       -e->error);
		}
	}
}

int dg_nftset_open(uv_loop_t *loop, const struct dg_nftset_name *v4,
		   const struct dg_nftset_name *v6, struct dg_nftset **out)
{
	const struct dg_nftset_name *names[2] = { v4, v6 };
	struct dg_nftset *s = calloc(1, sizeof(*s));
	int rc = DG_ENOMEM;

	if (s == NULL)
		return DG_ENOMEM;
	for (int i = 0; i < 2; i++) {
		if (names[i] == NULL || names[i]->table == NULL)
			continue;
		s->sets[i].family = names[i]->family;
		s->sets[i].table = strdup(names[i]->table);
		s->sets[i].set = strdup(names[i]->set);
		if (s->sets[i].table == NULL || s->sets[i].set == NULL)
			goto fail;
	}
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
	dg_nftset_name_clear(&s->sets[0]);
	dg_nftset_name_clear(&s->sets[1]);
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
	dg_nftset_name_clear(&s->sets[0]);
	dg_nftset_name_clear(&s->sets[1]);
	free(s);
}

void dg_nftset_close(struct dg_nftset *s)
{
	if (s == NULL)
		return;
	/* Nothing waits in the batch: every answer flushed its own. */
	uv_close((uv_handle_t *)&s->poll, on_closed);
}
