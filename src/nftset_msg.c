/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nftset_msg: see nftset_msg.h.
 */
#include "nftset_msg.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
/* After <netinet/in.h>: linux/in.h steps aside for it only in that
 * order. */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

/* The room a batch keeps for its end message. */
static const size_t end_len = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

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

	return n > 0 && n <= DG_NFTSET_NAME_MAX &&
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

static size_t put_batch(uint8_t *buf, size_t size, bool begin, uint32_t seq)
{
	struct nlmsghdr *nlh = put_header(
		buf, size, begin ? NFNL_MSG_BATCH_BEGIN : NFNL_MSG_BATCH_END, 0,
		AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq);

	return nlh != NULL ? nlh->nlmsg_len : 0;
}

static size_t put_elem(uint8_t *buf, size_t size,
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

static uint32_t next_seq(struct dg_nftset_batch *b, unsigned which)
{
	b->seq += DG_NFTSET_SEQ_SETS;
	return b->seq | which;
}

bool dg_nftset_batch_add(struct dg_nftset_batch *b,
			 const struct dg_nftset_name *set, unsigned which,
			 const uint8_t *addr, size_t addr_len,
			 uint64_t timeout_ms)
{
	size_t n;

	if (b->len == 0)
		b->len = put_batch(b->buf, sizeof(b->buf), true, next_seq(b, 0));
	n = put_elem(b->buf + b->len, sizeof(b->buf) - end_len - b->len, set,
		     addr, addr_len, timeout_ms, next_seq(b, which));
	if (n == 0)
		return false;
	b->len += n;
	b->n_elems++;
	return true;
}

size_t dg_nftset_batch_end(struct dg_nftset_batch *b, size_t *n_elems)
{
	size_t len = b->len;

	*n_elems = b->n_elems;
	b->len = 0;
	b->n_elems = 0;
	if (*n_elems == 0)
		return 0;
	return len + put_batch(b->buf + len, sizeof(b->buf) - len, false,
			       next_seq(b, 0));
}
