/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nftset: see nftset.h.
 *
 * The messages are the ones `nft add element` sends: NEWSETELEM with
 * NLM_F_CREATE but not NLM_F_EXCL, so adding an address that is already
 * there succeeds and (Linux 6.x) renews its timeout.
 */
#include "nftset.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <uv.h>
/* After <netinet/in.h> (through uv.h): linux/in.h steps aside for it
 * only in that order. */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

/* One batch, and one read of the kernel's errors. */
#define NFTSET_BUF 8192
/* A set's errors are reported at most once a minute. */
#define NFTSET_REPORT_MS 60000
#define NFTSET_NAME_MAX 255 /* NFT_NAME_MAXLEN, without its NUL */

static const struct {
	const char *name;
	uint8_t family;
} families[] = {
	{ "inet", NFPROTO_INET },
	{ "ip", NFPROTO_IPV4 },
	{ "ip6", NFPROTO_IPV6 },
};

static bool identifier_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NFTSET_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") == n;
}

int dg_nftset_name_parse(const char *text, int addr_family,
			 struct dg_nftset_name *out, const char **why)
{
	char *copy = strdup(text), *save = NULL;
	char *word[4];
	int n = 0, rc = DG_EMALFORMED;
	bool known = false;

	memset(out, 0, sizeof(*out));
	if (copy == NULL)
		return DG_ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w != NULL && n < 4;
	     w = strtok_r(NULL, " \t", &save))
		word[n++] = w;
	if (n != 3) {
		*why = "is not FAMILY TABLE SET (e.g. inet dnsgate_egress allowed)";
		goto done;
	}
	for (size_t i = 0; i < DG_ARRAY_SIZE(families); i++) {
		if (strcmp(word[0], families[i].name) == 0) {
			out->family = families[i].family;
			known = true;
		}
	}
	if (!known) {
		*why = "has a family that is not inet, ip or ip6";
		goto done;
	}
	if ((addr_family == AF_INET && out->family == NFPROTO_IPV6) ||
	    (addr_family == AF_INET6 && out->family == NFPROTO_IPV4)) {
		*why = addr_family == AF_INET
			       ? "is an ip6 table, which cannot hold IPv4 addresses"
			       : "is an ip table, which cannot hold IPv6 addresses";
		goto done;
	}
	if (!identifier_valid(word[1]) || !identifier_valid(word[2])) {
		*why = "has a table or set name that is not 1 to 255 letters, "
		       "digits or _ . - /";
		goto done;
	}
	out->table = strdup(word[1]);
	out->set = strdup(word[2]);
	rc = out->table != NULL && out->set != NULL ? 0 : DG_ENOMEM;
	if (rc != 0)
		dg_nftset_name_clear(out);
done:
	free(copy);
	return rc;
}

void dg_nftset_name_clear(struct dg_nftset_name *n)
{
	free(n->table);
	free(n->set);
	memset(n, 0, sizeof(*n));
}

const char *dg_nftset_name_format(const struct dg_nftset_name *n, char *buf,
				  size_t size)
{
	const char *family = "?";

	for (size_t i = 0; i < DG_ARRAY_SIZE(families); i++)
		if (families[i].family == n->family)
			family = families[i].name;
	snprintf(buf, size, "%s %s %s", family, n->table, n->set);
	return buf;
}

/* The header every nfnetlink message starts with. */
static struct nlmsghdr *put_header(uint8_t *buf, size_t size, uint16_t type,
				   uint16_t flags, uint8_t family,
				   uint16_t res_id, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

size_t dg_nftset_put_batch(uint8_t *buf, size_t size, bool begin,
			   uint32_t seq)
{
	struct nlmsghdr *nlh = put_header(
		buf, size, begin ? NFNL_MSG_BATCH_BEGIN : NFNL_MSG_BATCH_END, 0,
		AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq);

	return nlh != NULL ? nlh->nlmsg_len : 0;
}

size_t dg_nftset_put_elem(uint8_t *buf, size_t size,
			  const struct dg_nftset_name *set, const uint8_t *addr,
			  size_t addr_len, uint64_t timeout_ms, uint32_t seq)
{
	uint64_t timeout = htobe64(timeout_ms);
	struct nlattr *list, *elem, *key;
	struct nlmsghdr *nlh = put_header(
		buf, size, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM,
		NLM_F_CREATE, set->family, 0, seq);

	if (nlh == NULL ||
	    !mnl_attr_put_strz_check(nlh, size, NFTA_SET_ELEM_LIST_TABLE,
				     set->table) ||
	    !mnl_attr_put_strz_check(nlh, size, NFTA_SET_ELEM_LIST_SET,
				     set->set) ||
	    (list = mnl_attr_nest_start_check(
		     nlh, size, NFTA_SET_ELEM_LIST_ELEMENTS)) == NULL ||
	    (elem = mnl_attr_nest_start_check(nlh, size, NFTA_LIST_ELEM)) ==
		    NULL ||
	    (key = mnl_attr_nest_start_check(nlh, size, NFTA_SET_ELEM_KEY)) ==
		    NULL ||
	    !mnl_attr_put_check(nlh, size, NFTA_DATA_VALUE, addr_len, addr))
		return 0;
	mnl_attr_nest_end(nlh, key);
	if (!mnl_attr_put_check(nlh, size, NFTA_SET_ELEM_TIMEOUT,
				sizeof(timeout), &timeout))
		return 0;
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	return nlh->nlmsg_len;
}

struct dg_nftset {
	uv_poll_t poll;
	struct mnl_socket *nl;
	uint32_t portid;
	/* [0] for A records, [1] for AAAA; table NULL: no set. */
	struct dg_nftset_name sets[2];
	/* Reports, at most once a minute for each of: the A set, the AAAA
	 * set, sending. */
	uint64_t reported_ms[3];
	uint64_t unreported[3]; /* problems since the last report */
	/* Sequence numbers: a message's set is its low bit, so an error
	 * names the set it is about. */
	uint32_t seq;
	size_t len; /* bytes of the open batch; 0: none open */
	size_t n_elems;
	struct dg_nftset_stats stats;
	_Alignas(struct nlmsghdr) uint8_t buf[NFTSET_BUF];
};

/* The room a batch keeps for its end message. */
static const size_t end_len = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

static uint32_t next_seq(struct dg_nftset *s, int set)
{
	s->seq += 2;
	return s->seq | (uint32_t)set;
}

/* which: 0 or 1, the set the kernel refused an element of; 2, sending. */
static void report(struct dg_nftset *s, int which, int err)
{
	uint64_t now = uv_now(s->poll.loop);
	char name[2 * NFTSET_NAME_MAX + 16];

	s->unreported[which]++;
	if (s->reported_ms[which] != 0 &&
	    now - s->reported_ms[which] < NFTSET_REPORT_MS)
		return;
	if (which == 2)
		fprintf(stderr, "dnsgate: nft sets: a batch was not sent: %s "
				"(%llu since the last report)\n",
			strerror(err), (unsigned long long)s->unreported[which]);
	else
		fprintf(stderr, "dnsgate: nft set %s: an element was refused: "
				"%s%s (%llu since the last report)\n",
			dg_nftset_name_format(&s->sets[which], name, sizeof(name)),
			strerror(err),
			err == ENOENT ? "; create the set, with flags timeout" : "",
			(unsigned long long)s->unreported[which]);
	s->reported_ms[which] = now;
	s->unreported[which] = 0;
}

void dg_nftset_flush(struct dg_nftset *s)
{
	size_t n_elems = s->n_elems;

	if (n_elems == 0) {
		s->len = 0;
		return;
	}
	s->len += dg_nftset_put_batch(s->buf + s->len, sizeof(s->buf) - s->len,
				      false, next_seq(s, 0));
	if (mnl_socket_sendto(s->nl, s->buf, s->len) < 0) {
		s->stats.dropped += n_elems;
		report(s, 2, errno);
	} else {
		s->stats.added += n_elems;
	}
	s->len = 0;
	s->n_elems = 0;
}

void dg_nftset_add(struct dg_nftset *s, int family, const uint8_t *addr,
		   uint32_t ttl)
{
	int set = family == AF_INET6;
	size_t room, n;

	if (s->sets[set].table == NULL)
		return;
	/* Twice at most: a full batch is sent, and the element goes in the
	 * next one. */
	for (int i = 0; i < 2; i++) {
		if (s->len == 0)
			s->len = dg_nftset_put_batch(s->buf, sizeof(s->buf), true,
						     next_seq(s, 0));
		room = sizeof(s->buf) - end_len - s->len;
		n = dg_nftset_put_elem(s->buf + s->len, room, &s->sets[set], addr,
				       set ? 16 : 4,
				       (uint64_t)(ttl > 0 ? ttl : 1) * 1000,
				       next_seq(s, set));
		if (n > 0) {
			s->len += n;
			s->n_elems++;
			return;
		}
		dg_nftset_flush(s);
	}
	s->stats.dropped++;
}

/* The kernel's errors: one NLMSG_ERROR for each message it refused. */
static void on_readable(uv_poll_t *poll, int status, int events)
{
	struct dg_nftset *s = poll->data;
	_Alignas(struct nlmsghdr) uint8_t in[NFTSET_BUF];

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
			report(s, (int)(e->msg.nlmsg_seq & 1), -e->error);
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
	s->portid = mnl_socket_get_portid(s->nl);
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
	dg_nftset_flush(s);
	uv_close((uv_handle_t *)&s->poll, on_closed);
}
