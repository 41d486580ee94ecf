/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_nftset: set names as the configuration gives them, and the netlink
 * batches that add addresses, read back attribute by attribute, with no
 * socket: whole messages, sequence numbers naming the set, a full batch
 * refusing the next element. That the kernel takes them is shown by
 * tests/firewall/t_nftset.sh.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nftset_msg.h"
#include "tap.h"

static void test_names(void)
{
	struct dg_nftset_name n;
	const char *why = NULL;
	char text[64];

	ok(dg_nftset_name_parse("inet dnsgate_egress allowed", AF_INET, &n,
				&why) == 0 &&
		   n.family == NFPROTO_INET &&
		   strcmp(n.table, "dnsgate_egress") == 0 &&
		   strcmp(n.set, "allowed") == 0,
	   "inet TABLE SET");
	is_str(dg_nftset_name_format(&n, text, sizeof(text)),
	       "inet dnsgate_egress allowed", "formatted back");
	dg_nftset_name_clear(&n);
	ok(n.table == NULL && n.set == NULL, "cleared");
	ok(dg_nftset_name_parse("  ip6\tt  s6 ", AF_INET6, &n, &why) == 0 &&
		   n.family == NFPROTO_IPV6 && strcmp(n.set, "s6") == 0,
	   "ip6, blanks and tabs around the words");
	dg_nftset_name_clear(&n);
	ok(dg_nftset_name_parse("ip t s", AF_INET, &n, &why) == 0 &&
		   n.family == NFPROTO_IPV4,
	   "ip for IPv4");
	dg_nftset_name_clear(&n);
	ok(dg_nftset_name_parse("ip t s", AF_INET6, &n, &why) == DG_EMALFORMED &&
		   n.table == NULL,
	   "ip cannot hold IPv6 addresses");
	ok(dg_nftset_name_parse("ip6 t s", AF_INET, &n, &why) == DG_EMALFORMED,
	   "ip6 cannot hold IPv4 addresses");
	ok(dg_nftset_name_parse("inet t", AF_INET, &n, &why) == DG_EMALFORMED,
	   "two words");
	ok(dg_nftset_name_parse("inet t s x", AF_INET, &n, &why) ==
		   DG_EMALFORMED,
	   "four words");
	ok(dg_nftset_name_parse("arp t s", AF_INET, &n, &why) == DG_EMALFORMED,
	   "an unknown family");
	ok(dg_nftset_name_parse("inet t\"x s", AF_INET, &n, &why) ==
		   DG_EMALFORMED,
	   "a quote in a name");
	{
		char long_name[300];

		memset(long_name, 'a', sizeof(long_name));
		memcpy(long_name, "inet t ", 7);
		long_name[sizeof(long_name) - 1] = '\0';
		ok(dg_nftset_name_parse(long_name, AF_INET, &n, &why) ==
			   DG_EMALFORMED,
		   "a set name over 255 bytes");
	}
}

/* The attributes of one NEWSETELEM, as the kernel will read them. */
struct elem_seen {
	const char *table, *set;
	const uint8_t *key;
	uint16_t key_len;
	uint64_t timeout_ms;
	int n_elems;
};

static int on_key(const struct nlattr *a, void *data)
{
	struct elem_seen *e = data;

	if (mnl_attr_get_type(a) == NFTA_DATA_VALUE) {
		e->key = mnl_attr_get_payload(a);
		e->key_len = mnl_attr_get_payload_len(a);
	}
	return MNL_CB_OK;
}

static int on_elem(const struct nlattr *a, void *data)
{
	struct elem_seen *e = data;
	uint64_t t;

	switch (mnl_attr_get_type(a)) {
	case NFTA_SET_ELEM_KEY:
		mnl_attr_parse_nested(a, on_key, e);
		break;
	case NFTA_SET_ELEM_TIMEOUT:
		memcpy(&t, mnl_attr_get_payload(a), sizeof(t));
		e->timeout_ms = be64toh(t);
		break;
	}
	return MNL_CB_OK;
}

static int on_list(const struct nlattr *a, void *data)
{
	struct elem_seen *e = data;

	if (mnl_attr_get_type(a) == NFTA_LIST_ELEM) {
		e->n_elems++;
		mnl_attr_parse_nested(a, on_elem, e);
	}
	return MNL_CB_OK;
}

static int on_top(const struct nlattr *a, void *data)
{
	struct elem_seen *e = data;

	switch (mnl_attr_get_type(a)) {
	case NFTA_SET_ELEM_LIST_TABLE:
		e->table = mnl_attr_get_str(a);
		break;
	case NFTA_SET_ELEM_LIST_SET:
		e->set = mnl_attr_get_str(a);
		break;
	case NFTA_SET_ELEM_LIST_ELEMENTS:
		mnl_attr_parse_nested(a, on_list, e);
		break;
	}
	return MNL_CB_OK;
}

static void test_batch(void)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct dg_nftset_name set = { NFPROTO_INET, (char *)"egress",
				      (char *)"allowed6" };
	static struct dg_nftset_batch b;
	const struct nlmsghdr *nlh;
	const struct nfgenmsg *nfg;
	struct elem_seen e = { 0 };
	size_t len, n_elems;
	int left, msgs = 0;

	ok(dg_nftset_batch_add(&b, &set, 1, v6, 16, 300000), "an element added");
	len = dg_nftset_batch_end(&b, &n_elems);
	ok(len > 0 && len % 4 == 0, "a batch, aligned (%zu bytes)", len);
	is_int(n_elems, 1, "of one element");

	nlh = (const struct nlmsghdr *)b.buf;
	left = (int)len;
	is_int(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN, "the batch begins");
	is_int(dg_nftset_seq_set(nlh->nlmsg_seq), 0, "its own message: set 0");
	nfg = mnl_nlmsg_get_payload(nlh);
	is_int(ntohs(nfg->res_id), NFNL_SUBSYS_NFTABLES,
	       "a batch of the nftables subsystem");
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		msgs++;
		if (msgs != 2)
			continue;
		is_int(nlh->nlmsg_type,
		       (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM,
		       "then NEWSETELEM");
		ok((nlh->nlmsg_flags & NLM_F_CREATE) &&
			   !(nlh->nlmsg_flags & NLM_F_EXCL) &&
			   !(nlh->nlmsg_flags & NLM_F_ACK),
		   "create, not exclusive (a repeat renews), no ack asked");
		is_int(dg_nftset_seq_set(nlh->nlmsg_seq), 1,
		       "its sequence number names set 1");
		nfg = mnl_nlmsg_get_payload(nlh);
		is_int(nfg->nfgen_family, NFPROTO_INET, "the table's family");
		mnl_attr_parse(nlh, sizeof(*nfg), on_top, &e);
		is_str(e.table, "egress", "the table");
		is_str(e.set, "allowed6", "the set");
		is_int(e.n_elems, 1, "one element");
		ok(e.key_len == 16 && memcmp(e.key, v6, 16) == 0,
		   "the address as the key");
		ok(e.timeout_ms == 300000, "the timeout, in ms, big-endian");
	}
	is_int(msgs, 3, "three messages, all whole");
	nlh = (const struct nlmsghdr *)(b.buf + len - MNL_NLMSG_HDRLEN -
					MNL_ALIGN(sizeof(*nfg)));
	is_int(nlh->nlmsg_type, NFNL_MSG_BATCH_END, "the batch ends");
	is_int(dg_nftset_batch_end(&b, &n_elems), 0,
	       "ended again, empty: nothing to send");
	is_int(n_elems, 0, "and no element");
}

/* Elements go in until the buffer is full; the batch still ends whole. */
static void test_full(void)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	struct dg_nftset_name set = { NFPROTO_IPV4, (char *)"t", (char *)"s" };
	static struct dg_nftset_batch b;
	const struct nlmsghdr *nlh;
	size_t len, n_elems, added = 0;
	int left, msgs = 0;
	uint32_t last_seq = 0;
	bool ascending = true;

	while (added < DG_NFTSET_BATCH &&
	       dg_nftset_batch_add(&b, &set, 0, v4, 4, 1000))
		added++;
	ok(added > 10 && added < DG_NFTSET_BATCH,
	   "a full batch refuses the next element (%zu taken)", added);
	len = dg_nftset_batch_end(&b, &n_elems);
	is_int(n_elems, added, "every element taken is in it");
	ok(len <= DG_NFTSET_BATCH, "within its buffer, end message included");
	nlh = (const struct nlmsghdr *)b.buf;
	left = (int)len;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		ascending = ascending && nlh->nlmsg_seq > last_seq;
		last_seq = nlh->nlmsg_seq;
		msgs++;
	}
	is_int(left, 0, "the messages fill the batch exactly");
	is_int(msgs, added + 2, "begin, the elements, end");
	ok(ascending, "sequence numbers rise through the batch");
	ok(dg_nftset_batch_add(&b, &set, 0, v4, 4, 1000),
	   "after the end, the next element begins a new batch");
}

int main(void)
{
	test_names();
	test_batch();
	test_full();
	return done_testing();
}
