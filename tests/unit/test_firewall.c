/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_firewall: the generated text holds the rules that matter. Whether
 * they work is shown with real packets by tests/firewall/; here, that each
 * listener, family and option turns into the rule it should.
 */
#include <stdlib.h>
#include <string.h>

#include "firewall.h"
#include "tap.h"

/* The rules for these listeners, with these options. */
static char *gen_with(const char *const *listen, size_t n, const char *path,
		      const char *user, const struct dg_firewall_options *opt)
{
	struct dg_addr a[4];
	struct dg_config cfg = { .path = (char *)path, .user = (char *)user };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	for (size_t i = 0; i < n; i++)
		if (dg_addr_parse(listen[i], 53, &a[i]) != 0)
			return NULL;
	cfg.listen.v = a;
	cfg.listen.n = n;
	if (out == NULL || dg_firewall_write(&cfg, opt, out) != 0)
		return NULL;
	fclose(out);
	return text;
}

/* Target host when user is not NULL, else container. */
static char *gen_as(const char *const *listen, size_t n, const char *path,
		    enum dg_firewall_backend backend, bool redirect, int family,
		    const char *user)
{
	struct dg_firewall_options opt = { .backend = backend,
					   .target = user != NULL ? DG_FW_HOST
								  : DG_FW_CONTAINER,
					   .redirect = redirect,
					   .family = family };

	return gen_with(listen, n, path, user, &opt);
}

static char *gen(const char *const *listen, size_t n, const char *path,
		 enum dg_firewall_backend backend, bool redirect, int family)
{
	return gen_as(listen, n, path, backend, redirect, family, NULL);
}

/* The docker-user rules for these listeners and subnets. */
static char *gen_du(const char *const *listen, size_t n,
		    const char *const *subnet, size_t n_subnet,
		    enum dg_firewall_backend backend, int family)
{
	struct dg_addr a[4];
	struct dg_prefix p[4];
	struct dg_config cfg = { .path = (char *)"du.conf" };
	struct dg_firewall_options opt = { .backend = backend,
					   .target = DG_FW_DOCKER_USER,
					   .family = family,
					   .subnets = p,
					   .n_subnets = n_subnet };
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	for (size_t i = 0; i < n; i++)
		if (dg_addr_parse(listen[i], 53, &a[i]) != 0)
			return NULL;
	for (size_t i = 0; i < n_subnet; i++)
		if (dg_prefix_parse(subnet[i], &p[i]) != 0)
			return NULL;
	cfg.listen.v = a;
	cfg.listen.n = n;
	out = open_memstream(&text, &len);
	if (out == NULL || dg_firewall_write(&cfg, &opt, out) != 0)
		return NULL;
	fclose(out);
	return text;
}

static bool has(const char *text, const char *s)
{
	return text != NULL && strstr(text, s) != NULL;
}

static int count(const char *text, const char *s)
{
	int n = 0;

	for (const char *p = text; p != NULL && (p = strstr(p, s)) != NULL;
	     p += strlen(s))
		n++;
	return n;
}


/* A configuration loaded from text (written to a file of its own, so
 * messages name it and its lines); NULL when it does not load. */
static struct dg_config *load(const char *text)
{
	static char dir[] = "/tmp/test_firewall.XXXXXX";
	static char path[sizeof(dir) + 16];
	struct dg_config *cfg = NULL;
	struct dg_diag d;
	FILE *f;

	if (path[0] == '\0' && mkdtemp(dir) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/eg.conf", dir);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		return NULL;
	dg_diag_init(&d, stderr);
	if (dg_config_load(path, NULL, &d, &cfg) != 0)
		return NULL;
	remove(path);
	return cfg;
}

/* dg_firewall_check then dg_firewall_write of cfg with opt: the rules, or
 * (check refused) "ERR: " and what it said. */
static char *gen_cfg(const struct dg_config *cfg,
		     const struct dg_firewall_options *opt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL || cfg == NULL)
		return NULL;
	if (dg_firewall_check(cfg, opt, out) != 0) {
		fclose(out);
		/* Past "dnsgate: firewall: ", whatever the file's name. */
		memmove(text, "ERR: ", 5);
		return text;
	}
	if (dg_firewall_write(cfg, opt, out) != 0)
		return NULL;
	fclose(out);
	return text;
}

#define EGRESS_BASE \
	"[server]\nlisten = 127.0.0.1:53, [::1]:53\nuser = dg\n" \
	"[upstream]\nservers = 127.0.0.1:5300\n" \
	"[policy]\nallow = x.example\n"

static void test_egress(void)
{
	static const char conf[] = EGRESS_BASE
		"[firewall]\nnft_set = inet eg fw4\nnft_set6 = inet eg fw6\n"
		"allow_cidrs = 192.0.2.0/24, 2001:db8::/32\n"
		"[group a]\nclients = 10.1.0.0/16, fd00:a::/64\n"
		"nft_set = inet eg a4\nallow = a.example\n"
		"[group b]\nclients = 10.1.2.0/24\nallow = b.example\n"
		"[group l]\nlisten = 127.0.0.2:53\nallow = l.example\n";
	struct dg_config *cfg = load(conf);
	struct dg_firewall_options opt = { .backend = DG_FW_NFT,
					   .target = DG_FW_CONTAINER,
					   .egress = true };
	static const char *const fwd[] = { "fwd" };
	char *s;

	ok(cfg != NULL, "egress: the configuration loads");
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "table inet dnsgate {\n") &&
		   has(s, "add table inet eg\n"),
	   "container: the DNS table, then the sets' table");
	ok(s != NULL &&
		   has(s, "add set inet eg fw4 { type ipv4_addr; flags timeout; }\n") &&
		   has(s, "add set inet eg fw6 { type ipv6_addr; flags timeout; }\n") &&
		   has(s, "add set inet eg a4 { type ipv4_addr; flags timeout; }\n"),
	   "every set declared with add, its type and flags timeout");
	ok(s != NULL &&
		   has(s, "add chain inet eg egress_output { type filter hook "
			  "output priority filter; policy accept; }\n"
			  "flush chain inet eg egress_output\n"),
	   "the chain added, then flushed: a re-apply replaces its rules");
	ok(s != NULL &&
		   has(s, "\t\tct state established,related accept\n"
			  "\t\toifname \"lo\" accept\n"
			  "\t\ticmpv6 type { nd-router-solicit, "
			  "nd-neighbor-solicit, nd-neighbor-advert } accept\n"
			  "\t\tip daddr 127.0.0.1 meta l4proto { tcp, udp } "
			  "th dport 53 accept\n"
			  "\t\tip6 daddr ::1 meta l4proto { tcp, udp } "
			  "th dport 53 accept\n"
			  "\t\tip daddr 127.0.0.2 meta l4proto { tcp, udp } "
			  "th dport 53 accept\n"
			  "\t\tmeta skuid \"dg\" accept\n"
			  "\t\tip daddr @fw4 accept\n"
			  "\t\tip6 daddr @fw6 accept\n"
			  "\t\tip daddr { 192.0.2.0/24 } accept\n"
			  "\t\tip6 daddr { 2001:db8::/32 } accept\n"
			  "\t\treject with icmpx type admin-prohibited\n"),
	   "container: replies, lo, ND, listeners, user, sets, CIDRs, reject");
	ok(s != NULL && has(s, "# Egress (--egress), in table inet eg"),
	   "the header says what the policy does");
	free(s);

	opt.group = "a";
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "\t\tip daddr @a4 accept\n") &&
		   !has(s, "daddr @fw4") && !has(s, "daddr @fw6") &&
		   has(s, "the sets of group a"),
	   "--group a: its own set only");
	free(s);
	opt.group = "b";
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "\t\tip daddr @fw4 accept\n"),
	   "--group b, without sets of its own: [firewall]'s");
	free(s);
	opt.group = "nosuch";
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "ERR: ") && has(s, "has no [group nosuch]"),
	   "--group of no group: refused");
	free(s);

	opt.group = NULL;
	opt.target = DG_FW_HOST;
	opt.allow_users = fwd;
	opt.n_allow_users = 1;
	s = gen_cfg(cfg, &opt);
	ok(s != NULL &&
		   has(s, "\t\tmeta skuid \"dg\" accept\n"
			  "\t\tmeta skuid \"fwd\" meta l4proto { tcp, udp } "
			  "th dport { 53, 853 } accept\n"),
	   "host --egress: dnsgate's user whole, then --allow-user's ports");
	ok(s != NULL && count(s, "meta skuid \"dg\" meta l4proto") == 1,
	   "dnsgate's own port exception once, in the DNS table only");
	free(s);
	opt.allow_users = NULL;
	opt.n_allow_users = 0;

	opt.target = DG_FW_DOCKER_USER;
	s = gen_cfg(cfg, &opt);
	ok(s != NULL &&
		   has(s, "add chain inet eg egress_forward { type filter hook "
			  "forward priority filter - 10; policy accept; }\n") &&
		   has(s, "\t\tiifname \"docker0\" jump egress_sandbox\n"
			  "\t\tiifname \"br-*\" jump egress_sandbox\n"),
	   "docker-user without --subnet: every Docker bridge, by interface");
	ok(s != NULL && !has(s, "oifname \"lo\" accept\n\t\ticmpv6") &&
		   !has(s, "skuid"),
	   "docker-user: no loopback or user rule (forwarded packets)");
	ok(s != NULL &&
		   has(s, "\t\tip saddr { 10.1.0.0/16 } ip saddr != "
			  "{ 10.1.2.0/24 } ip daddr @a4 accept\n"),
	   "group a's set for its clients, but those a longer prefix takes");
	ok(s != NULL && !has(s, "ip6 saddr { fd00:a::/64 }"),
	   "no IPv6 rule for a group without an IPv6 set");
	ok(s != NULL &&
		   has(s, "\t\tip saddr { 10.1.2.0/24 } ip daddr @fw4 accept\n"),
	   "group b, without sets: [firewall]'s, for its clients");
	ok(s != NULL &&
		   has(s, "\t\tip saddr != { 10.1.0.0/16, 10.1.2.0/24 } "
			  "ip daddr @fw4 accept\n") &&
		   has(s, "\t\tip6 saddr != { fd00:a::/64 } ip6 daddr @fw6 "
			  "accept\n"),
	   "[firewall]'s sets for the sources in no group");
	ok(s != NULL && has(s, "# [group l] has no clients: not usable here"),
	   "a group without clients is named as not usable there");
	ok(s != NULL && has(s, "# Every other packet forwarded from any Docker "
			       "bridge (docker0, br-*, by interface:"),
	   "the header says the DNS rules match by interface");
	ok(s != NULL && count(s, "\t\tiifname \"br-*\" meta l4proto { tcp, "
				 "udp } th dport { 53, 853, 5353, 5355 } "
				 "drop\n") == 1,
	   "the DNS rules match by interface too");
	free(s);
	dg_config_free(cfg);

	cfg = load(EGRESS_BASE "[firewall]\nnft_set = inet eg fw4\n"
			       "[group a]\nclients = 10.0.0.0/8\n"
			       "allow = a.example\n"
			       "nft_set6 = inet other a6\n");
	opt.target = DG_FW_CONTAINER;
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "ERR: ") &&
		   has(s, "eg.conf:13: [group a] nft_set6: 'inet other a6' is "
			  "not in table inet eg (line 9): --egress needs every "
			  "set in one table\n"),
	   "a set in another table: refused, naming the file and line");
	free(s);
	dg_config_free(cfg);
	cfg = load(EGRESS_BASE "[firewall]\nnft_set = ip eg fw4\n");
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "eg.conf:9: [firewall] nft_set: --egress needs "
			       "an inet table, not 'ip eg fw4'\n"),
	   "a set in an ip table: refused");
	free(s);
	dg_config_free(cfg);
	cfg = load(EGRESS_BASE "[firewall]\nnft_set = inet dnsgate fw4\n");
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "table inet dnsgate is the DNS rules'"),
	   "the DNS rules' own table: refused (each apply deletes it)");
	free(s);
	dg_config_free(cfg);
	cfg = load(EGRESS_BASE);
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && has(s, "--egress needs nft sets"),
	   "no set at all: refused");
	free(s);
	opt.egress = false;
	s = gen_cfg(cfg, &opt);
	ok(s != NULL && !has(s, "ERR: ") && !has(s, "egress"),
	   "without --egress, no sets needed and no egress rules");
	free(s);
	dg_config_free(cfg);
}

int main(void)
{
	static const char *const v4[] = { "10.99.1.1", "10.99.1.2:5300" };
	static const char *const both[] = { "10.99.1.1", "[fd99:1::1]:53" };
	static const char *const wild[] = { "0.0.0.0:5353" };
	enum dg_firewall_target t;
	char *s;

	ok(dg_firewall_target_from_str("container", &t) == 0 &&
	   t == DG_FW_CONTAINER, "target container");
	ok(dg_firewall_target_from_str("docker-user", &t) == 0 &&
	   t == DG_FW_DOCKER_USER, "target docker-user");
	ok(dg_firewall_target_from_str("host", &t) == 0 && t == DG_FW_HOST,
	   "target host");
	ok(dg_firewall_target_from_str("docker", &t) != 0,
	   "an unknown target is refused");

	s = gen(v4, 2, "/etc/dnsgate/dnsgate.conf", DG_FW_NFT, false, 0);
	ok(has(s, "generated from /etc/dnsgate/dnsgate.conf"),
	   "nft: the header names the config");
	ok(has(s, "table inet dnsgate {}\ndelete table inet dnsgate\n"
		  "table inet dnsgate {\n"),
	   "nft: the table is created, deleted and rewritten (idempotent)");
	ok(has(s, "ip daddr 10.99.1.1 meta l4proto { tcp, udp } th dport 53 "
		  "accept"), "nft: the listener on 53 is allowed");
	ok(has(s, "ip daddr 10.99.1.2 meta l4proto { tcp, udp } th dport 5300 "
		  "accept"), "nft: a listener on another port, on that port");
	ok(has(s, "th dport { 53, 853, 5353, 5355 } drop"),
	   "nft: 53, 853, 5353, 5355 dropped otherwise");
	ok(has(s, "meta l4proto udp ct direction original ct original proto-dst 53 drop") &&
	   has(s, "meta l4proto tcp ct direction original ct original proto-dst 5355 drop"),
	   "nft: the port before a DNAT is dropped too");
	ok(has(s, "No IPv6 listener: all IPv6 DNS is dropped"),
	   "nft: a family without a listener is named as dropped");
	ok(!has(s, "nat_output"), "nft: no nat chain without --redirect");
	ok(has(s, "nft delete table inet dnsgate"), "nft: says how to remove");
	ok(has(s, "policy accept;\n\t\tip6 saddr :: icmpv6 type { "
		  "nd-neighbor-solicit, mld-listener-report, "
		  "mld2-listener-report } accept\n\t\tfib saddr type != local "
		  "drop\n"),
	   "nft: first, a source not local to the namespace is dropped "
	   "(DAD and MLD from :: aside)");
	ok(has(s, "fib saddr type != local drop\n\t\tip daddr 127.0.0.11 "
		  "drop\n\t\tip daddr 10.99.1.1"),
	   "nft: then 127.0.0.11, every port, before the listeners");
	ok(!has(s, "127.0.0.11 meta l4proto"),
	   "nft: without --docker-dns, not even its port 53");
	free(s);

	s = gen(both, 2, NULL, DG_FW_NFT, true, 0);
	ok(has(s, "the embedded default and the command line"),
	   "nft: no config file named as such");
	ok(has(s, "type nat hook output priority -100"),
	   "nft --redirect: a nat output chain");
	ok(has(s, "meta nfproto ipv4 udp dport 53 dnat ip to 10.99.1.1:53") &&
	   has(s, "meta nfproto ipv4 tcp dport 53 dnat ip to 10.99.1.1:53"),
	   "nft --redirect: IPv4 port 53 to the IPv4 listener");
	ok(has(s, "meta nfproto ipv6 udp dport 53 dnat ip6 to [fd99:1::1]:53"),
	   "nft --redirect: IPv6 port 53 to the IPv6 listener");
	ok(has(s, "ip6 daddr fd99:1::1 meta l4proto { tcp, udp } th dport 53 "
		  "return"), "nft --redirect: the listener's own traffic stays");
	free(s);

	s = gen(wild, 1, NULL, DG_FW_NFT, true, 0);
	ok(has(s, "meta nfproto ipv4 oifname \"lo\" meta l4proto { tcp, udp } "
		  "th dport 5353 accept"),
	   "nft: a wildcard listener is reached only through lo");
	ok(!has(s, "dnat"), "nft: a wildcard listener is redirected to, "
			    "not DNATed to 0.0.0.0");
	ok(has(s, "redirect to :5353"), "nft: redirect to the local port");
	free(s);

	s = gen(v4, 2, "x.conf", DG_FW_IPTABLES, false, 0);
	ok(has(s, "*filter\n:DNSGATE - [0:0]\n-F DNSGATE\n"),
	   "iptables: the chain is declared and flushed");
	is_int(count(s, "*filter"), 2, "iptables: both halves by default");
	ok(has(s, "# ip6tables-restore\n"), "iptables: the IPv6 half is marked");
	ok(has(s, "-A DNSGATE -d 10.99.1.1/32 -p udp -m udp --dport 53 -j RETURN"),
	   "iptables: the listener returns");
	ok(has(s, "-A DNSGATE -d 10.99.1.2/32 -p tcp -m tcp --dport 5300 -j "
		  "RETURN"), "iptables: a listener on another port");
	ok(has(s, "-A DNSGATE -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 853 -j DROP"),
	   "iptables: the port before a DNAT is dropped too");
	ok(has(s, "iptables -C OUTPUT -j DNSGATE 2>/dev/null || "
		  "iptables -I OUTPUT 1 -j DNSGATE"),
	   "iptables: says how the jump is kept single");
	ok(!has(s, "-A OUTPUT") && !has(s, "-I OUTPUT 1 -j DNSGATE\n*"),
	   "iptables: the restore text itself never adds a jump");
	ok(!has(s, "*nat"), "iptables: no nat table without --redirect");
	ok(count(s, "-F DNSGATE\n-A DNSGATE -m addrtype ! --src-type LOCAL -j "
		    "DROP\n") == 1 &&
	   has(s, "-A DNSGATE -m addrtype ! --src-type LOCAL -j DROP\n"
		  "-A DNSGATE -d 127.0.0.11/32 -j DROP\n-A DNSGATE -d "
		  "10.99.1.1/32"),
	   "iptables: IPv4 drops a forged source first, then 127.0.0.11");
	ok(has(s, "-F DNSGATE\n-A DNSGATE -s ::/128 -p ipv6-icmp -m icmp6 "
		  "--icmpv6-type 135 -j RETURN\n") &&
	   has(s, "--icmpv6-type 143 -j RETURN\n-A DNSGATE -m addrtype ! "
		  "--src-type LOCAL -j DROP\n-A DNSGATE -p udp"),
	   "iptables: IPv6 too, DAD and MLD from :: aside, no 127.0.0.11");
	free(s);

	s = gen(both, 2, "x.conf", DG_FW_IPTABLES, true, 6);
	is_int(count(s, "*filter"), 1, "iptables --family 6: one half");
	ok(!has(s, "-d 10.99.1.1"), "iptables --family 6: no IPv4 rule");
	ok(has(s, "-j DNAT --to-destination [fd99:1::1]:53"),
	   "iptables --redirect: DNAT to the IPv6 listener");
	free(s);

	s = gen(v4, 2, "x.conf", DG_FW_IPTABLES, true, 6);
	ok(has(s, "No IPv6 listener") && !has(s, "*nat"),
	   "iptables --redirect, no IPv6 listener: IPv6 dropped, no nat");
	free(s);

	/* docker-user: the host's forward path, scoped to --subnet. */
	{
		static const char *const du_listen[] = {
			"10.98.3.2", "[fd98:3::2]:5300", "0.0.0.0:5353"
		};
		static const char *const nets[] = { "10.98.1.0/24",
						    "fd98:1::/64",
						    "172.18.0.0/16" };
		static const char *const nets4[] = { "10.98.1.0/24" };

		s = gen_du(du_listen, 3, nets, 3, DG_FW_NFT, 0);
		ok(has(s, "target docker-user") &&
		   has(s, "generated from du.conf"),
		   "docker-user nft: the header names target and config");
		ok(has(s, "table inet dnsgate_docker {}\n"
			  "delete table inet dnsgate_docker\n"
			  "table inet dnsgate_docker {\n"),
		   "docker-user nft: its own table, created, deleted, rewritten");
		ok(has(s, "type filter hook forward priority filter - 10; "
			  "policy accept;"),
		   "docker-user nft: a forward chain before Docker's filter");
		ok(has(s, "ip saddr 10.98.1.0/24 ip daddr 10.98.3.2 meta l4proto "
			  "{ tcp, udp } th dport 53 accept"),
		   "docker-user nft: subnet to the IPv4 listener allowed");
		ok(has(s, "ip6 saddr fd98:1::/64 ip6 daddr fd98:3::2 meta l4proto "
			  "{ tcp, udp } th dport 5300 accept"),
		   "docker-user nft: the IPv6 subnet to the IPv6 listener, its port");
		ok(!has(s, "ip6 saddr fd98:1::/64 ip6 daddr 10.98") &&
		   !has(s, "ip saddr 10.98.1.0/24 ip daddr fd98"),
		   "docker-user nft: no rule mixes the families");
		ok(has(s, "ip saddr 172.18.0.0/16 meta l4proto { tcp, udp } th "
			  "dport { 53, 853, 5353, 5355 } drop") &&
		   has(s, "ip6 saddr fd98:1::/64 meta l4proto { tcp, udp } th "
			  "dport { 53, 853, 5353, 5355 } drop"),
		   "docker-user nft: each subnet's other DNS dropped");
		ok(has(s, "ip saddr 10.98.1.0/24 meta l4proto tcp ct direction "
			  "original ct original proto-dst 853 drop"),
		   "docker-user nft: the port before a host DNAT counts");
		ok(!has(s, "th dport 5353 accept") &&
		   has(s, "Listener 0.0.0.0 port 5353 is a wildcard"),
		   "docker-user nft: a wildcard listener gets no forward rule");
		is_int(count(s, " drop\n"), 3 * 9 + 2,
		       "docker-user nft: drops only for the three subnets, "
		       "and forged sources");
		ok(has(s, "\tchain prerouting {\n\t\ttype filter hook "
			  "prerouting priority raw; policy accept;\n") &&
		   has(s, "iifname \"docker0\" fib saddr . iif oif missing "
			  "drop\n\t\tiifname \"br-*\" fib saddr . iif oif "
			  "missing drop\n\t}\n\tchain forward"),
		   "docker-user nft: from docker0 and br-*, strict reverse "
		   "path, before routing");
		ok(has(s, "ip6 saddr :: icmpv6 type { nd-neighbor-solicit, "
			  "mld-listener-report, mld2-listener-report } accept\n"
			  "\t\tiifname \"docker0\""),
		   "docker-user nft: DAD and MLD from :: are not forged");
		ok(!has(s, "fib saddr type"),
		   "docker-user nft: not the container's local-source rule");
		ok(!has(s, "saddr 0.0.0.0") && !has(s, "hook output"),
		   "docker-user nft: nothing unscoped, no output chain");
		free(s);

		s = gen_du(du_listen, 2, nets4, 1, DG_FW_NFT, 0);
		ok(has(s, "No IPv6 --subnet: no IPv6 DNS rules."),
		   "docker-user nft: a family without a subnet is named");
		ok(!has(s, "ip6 saddr fd") && has(s, "iifname \"br-*\" fib"),
		   "docker-user nft: and gets no DNS rule, but the reverse "
		   "path still");
		free(s);

		s = gen_du(du_listen, 3, nets, 3, DG_FW_IPTABLES, 0);
		ok(has(s, "*filter\n:DNSGATE-USER - [0:0]\n-F DNSGATE-USER\n"),
		   "docker-user iptables: the named chain is declared and "
		   "flushed");
		is_int(count(s, "*filter"), 2,
		       "docker-user iptables: both halves by default");
		ok(has(s, "-A DNSGATE-USER -s 10.98.1.0/24 -d 10.98.3.2/32 -p udp "
			  "-m udp --dport 53 -j RETURN") &&
		   has(s, "-A DNSGATE-USER -s 10.98.1.0/24 -d 10.98.3.2/32 -p tcp "
			  "-m tcp --dport 53 -j RETURN"),
		   "docker-user iptables: the listener returns to DOCKER-USER");
		ok(has(s, "-A DNSGATE-USER -s fd98:1::/64 -d fd98:3::2/128 -p udp "
			  "-m udp --dport 5300 -j RETURN"),
		   "docker-user iptables: the IPv6 listener, its port");
		ok(has(s, "-A DNSGATE-USER -s 172.18.0.0/16 -p tcp -m multiport "
			  "--dports 53,853,5353,5355 -j DROP"),
		   "docker-user iptables: each subnet's other DNS dropped");
		ok(has(s, "-A DNSGATE-USER -s 10.98.1.0/24 -p udp -m conntrack "
			  "--ctdir ORIGINAL --ctorigdstport 53 -j DROP"),
		   "docker-user iptables: the port before a host DNAT counts");
		ok(has(s, "iptables -C DOCKER-USER -j DNSGATE-USER 2>/dev/null || "
			  "iptables -I DOCKER-USER 1 -j DNSGATE-USER"),
		   "docker-user iptables: says how the jump is kept single");
		ok(has(s, "iptables -D DOCKER-USER -j DNSGATE-USER; "
			  "iptables -F DNSGATE-USER; iptables -X DNSGATE-USER"),
		   "docker-user iptables: says how to remove");
		ok(!has(s, "-A DOCKER-USER") && !has(s, "-A FORWARD") &&
		   !has(s, "OUTPUT"),
		   "docker-user iptables: the restore text adds no jump");
		ok(!has(s, "-A DNSGATE-USER -p") && !has(s, "*nat"),
		   "docker-user iptables: every rule is scoped to a subnet");
		is_int(count(s, "*raw\n:DNSGATE-USER - [0:0]\n-F DNSGATE-USER\n"
				"-A DNSGATE-USER -i docker0 -m rpfilter --invert "
				"-j DROP\n-A DNSGATE-USER -i br-+ -m rpfilter "
				"--invert -j DROP\nCOMMIT\n*filter\n"), 2,
		       "docker-user iptables: both families, a raw chain drops "
		       "what docker0 and br-+ do not route back");
		ok(has(s, "iptables -t raw -C PREROUTING -j DNSGATE-USER "
			  "2>/dev/null || iptables -t raw -I PREROUTING 1 -j "
			  "DNSGATE-USER") &&
		   has(s, "iptables -t raw -D PREROUTING -j DNSGATE-USER; "
			  "iptables -t raw -F DNSGATE-USER; iptables -t raw -X "
			  "DNSGATE-USER"),
		   "docker-user iptables: says how to jump to it and remove it");
		ok(!has(s, "-A PREROUTING"),
		   "docker-user iptables: the restore text adds no raw jump");
		free(s);

		s = gen_du(du_listen, 2, nets4, 1, DG_FW_IPTABLES, 6);
		is_int(count(s, "*filter"), 1,
		       "docker-user iptables --family 6: one half");
		ok(has(s, "No IPv6 --subnet: no IPv6 DNS rules.") &&
		   has(s, "*filter\n:DNSGATE-USER - [0:0]\n-F DNSGATE-USER\n"
			  "COMMIT\n") && count(s, "-A DNSGATE-USER") == 2,
		   "docker-user iptables, no IPv6 subnet: the filter chain is "
		   "only flushed; the reverse path stays");
		free(s);

		s = gen_du(du_listen + 1, 1, nets4, 1, DG_FW_IPTABLES, 4);
		ok(has(s, "No forwarded IPv4 listener: all DNS from the IPv4 "
			  "subnets is dropped") &&
		   !has(s, "RETURN") && has(s, "-A DNSGATE-USER -s 10.98.1.0/24 "
					       "-p udp -m multiport"),
		   "docker-user iptables: a subnet with no listener of its "
		   "family: all dropped");
		free(s);
	}

	/* --docker-dns: 127.0.0.11 reached on its original port 53. */
	{
		static const char *const one[] = { "10.99.1.1" };
		struct dg_firewall_options opt = { .backend = DG_FW_NFT,
						   .target = DG_FW_CONTAINER,
						   .redirect = true,
						   .docker_dns = true };

		s = gen_with(one, 1, "d.conf", NULL, &opt);
		ok(count(s, "ip daddr 127.0.0.11 meta l4proto udp ct original "
			    "proto-dst 53 accept\n") == 1,
		   "docker-dns nft: 127.0.0.11 accepted by its original port");
		ok(has(s, "ip daddr 127.0.0.11 meta l4proto tcp ct original "
			  "proto-dst 53 return\n\t\tmeta nfproto ipv4 udp "
			  "dport 53 dnat"),
		   "docker-dns nft --redirect: Docker's DNAT is left alone");
		ok(has(s, "Docker's embedded resolver 127.0.0.11:53"),
		   "docker-dns: the header says so");
		ok(has(s, "fib saddr type != local drop\n"
			  "\t\tip daddr 127.0.0.11 meta l4proto udp ct original "
			  "proto-dst 53 accept\n\t\tip daddr 127.0.0.11 meta "
			  "l4proto tcp ct original proto-dst 53 accept\n\t\tip "
			  "daddr 127.0.0.11 drop\n"),
		   "docker-dns nft: 127.0.0.11 by port 53 before the DNAT, "
		   "any other port dropped");
		free(s);
		opt.backend = DG_FW_IPTABLES;
		opt.family = 4;
		s = gen_with(one, 1, "d.conf", NULL, &opt);
		ok(count(s, "-A DNSGATE -d 127.0.0.11/32 -p udp -m conntrack "
			    "--ctorigdstport 53 -j RETURN\n") == 2,
		   "docker-dns iptables: in filter and in nat");
		ok(has(s, "--src-type LOCAL -j DROP\n-A DNSGATE -d "
			  "127.0.0.11/32 -p udp -m conntrack --ctorigdstport 53 "
			  "-j RETURN\n-A DNSGATE -d 127.0.0.11/32 -p tcp -m "
			  "conntrack --ctorigdstport 53 -j RETURN\n-A DNSGATE -d "
			  "127.0.0.11/32 -j DROP\n"),
		   "docker-dns iptables: any other port to 127.0.0.11 dropped");
		ok(count(s, "127.0.0.11/32 -j DROP") == 1,
		   "docker-dns iptables: only in filter (nat cannot drop)");
		free(s);
		opt.family = 6;
		s = gen_with(one, 1, "d.conf", NULL, &opt);
		ok(s != NULL && has(s, "127.0.0.11") &&
		   !has(s, "-d 127.0.0.11"),
		   "docker-dns: in the IPv6 half, the header only");
		free(s);
	}

	/* Target host: the container rules plus dnsgate's own user. */
	s = gen_as(both, 2, "h.conf", DG_FW_NFT, true, 0, "dnsgate");
	ok(has(s, "target host (this machine's own output path)"),
	   "host: the header names the target");
	ok(has(s, "from user dnsgate (dnsgate's own), to port 53 and 853"),
	   "host: the header names the user");
	ok(has(s, "meta skuid \"dnsgate\" meta l4proto { tcp, udp } th dport "
		  "{ 53, 853 } accept\n\t\tmeta l4proto { tcp, udp } th dport "
		  "{ 53, 853, 5353, 5355 } drop"),
	   "host nft: the user's 53 and 853 accepted, just before the drops");
	ok(has(s, "meta skuid \"dnsgate\" meta l4proto { tcp, udp } th dport "
		  "{ 53, 853 } return\n\t\tmeta nfproto ipv4 udp dport 53 dnat"),
	   "host nft --redirect: the user's queries are not redirected");
	ok(has(s, "ip daddr 10.99.1.1 meta l4proto { tcp, udp } th dport 53 "
		  "accept"), "host nft: the listener is allowed");
	free(s);
	s = gen_as(both, 2, "h.conf", DG_FW_IPTABLES, true, 4, "dnsgate");
	ok(count(s, "-A DNSGATE -m owner --uid-owner dnsgate -p udp -m multiport "
		    "--dports 53,853 -j RETURN\n") == 2,
	   "host iptables: the user's UDP returns in filter and in nat");
	ok(has(s, "--uid-owner dnsgate -p tcp -m multiport --dports 53,853 "
		  "-j RETURN\n-A DNSGATE -p udp -m multiport --dports "
		  "53,853,5353,5355 -j DROP"),
	   "host iptables: before the drops");
	ok(has(s, "--uid-owner dnsgate -p tcp -m multiport --dports 53,853 "
		  "-j RETURN\n-A DNSGATE -p udp -m udp --dport 53 -j DNAT"),
	   "host iptables: before the DNAT");
	ok(!has(s, "addrtype") && !has(s, "127.0.0.11"),
	   "host iptables: no source or 127.0.0.11 rule (not a container)");
	free(s);
	s = gen_as(both, 2, "h.conf", DG_FW_NFT, false, 0, "dnsgate");
	ok(s != NULL && !has(s, "fib saddr") && !has(s, "daddr 127.0.0.11"),
	   "host nft: none either");
	free(s);
	s = gen(both, 2, "c.conf", DG_FW_NFT, true, 0);
	ok(s != NULL && !has(s, "skuid"), "container: no user exception");
	free(s);

	/* --allow-user: more users with the host user's exception. */
	{
		static const char *const users[] = { "systemd-resolve", "1001" };
		struct dg_firewall_options opt = { .backend = DG_FW_NFT,
						   .target = DG_FW_HOST,
						   .redirect = true,
						   .allow_users = users,
						   .n_allow_users = 2 };

		s = gen_with(both, 2, "h.conf", "dnsgate", &opt);
		ok(has(s, "th dport { 53, 853 } accept\n\t\tmeta skuid "
			  "\"systemd-resolve\" meta l4proto { tcp, udp } th "
			  "dport { 53, 853 } accept\n\t\tmeta skuid \"1001\" "
			  "meta l4proto { tcp, udp } th dport { 53, 853 } "
			  "accept\n\t\tmeta l4proto { tcp, udp } th dport "
			  "{ 53, 853, 5353, 5355 } drop"),
		   "allow-user nft: each user after dnsgate's, before the "
		   "drops");
		ok(count(s, "meta skuid \"systemd-resolve\" meta l4proto "
			    "{ tcp, udp } th dport { 53, 853 } return\n") == 1,
		   "allow-user nft --redirect: not redirected either");
		ok(has(s, "# and, from user systemd-resolve (--allow-user), to "
			  "port 53 and 853 anywhere.") &&
		   has(s, "from user 1001 (--allow-user)"),
		   "allow-user: the header names each user");
		ok(!has(s, "systemd-resolved runs here"),
		   "allow-user: no systemd-resolved note unless it was found");
		free(s);
		opt.backend = DG_FW_IPTABLES;
		opt.family = 4;
		s = gen_with(both, 2, "h.conf", "dnsgate", &opt);
		ok(count(s, "-A DNSGATE -m owner --uid-owner systemd-resolve -p "
			    "tcp -m multiport --dports 53,853 -j RETURN\n") == 2,
		   "allow-user iptables: in filter and in nat");
		ok(has(s, "--uid-owner dnsgate -p tcp -m multiport --dports "
			  "53,853 -j RETURN\n-A DNSGATE -m owner --uid-owner "
			  "systemd-resolve -p udp"),
		   "allow-user iptables: after dnsgate's own user");
		free(s);
		opt.backend = DG_FW_NFT;
		opt.target = DG_FW_CONTAINER;
		opt.family = 0;
		opt.n_allow_users = 1;
		s = gen_with(both, 2, "c.conf", "dnsgate", &opt);
		ok(has(s, "meta skuid \"systemd-resolve\"") &&
		   !has(s, "skuid \"dnsgate\""),
		   "allow-user container: the named user only, not [server] "
		   "user");
		ok(has(s, "fib saddr type != local drop\n") &&
		   strstr(s, "fib saddr") < strstr(s, "skuid"),
		   "allow-user container: after the forged-source drop");
		free(s);
	}

	/* systemd-resolved found: the header says what it means. */
	{
		static const char *const users[] = { "systemd-resolve" };
		struct dg_firewall_options opt = { .backend = DG_FW_NFT,
						   .target = DG_FW_HOST,
						   .systemd_resolved = true };

		s = gen_with(both, 2, "h.conf", "dnsgate", &opt);
		ok(has(s, "# systemd-resolved runs here") &&
		   has(s, "over D-Bus or varlink (resolvectl,") &&
		   has(s, "DNS=127.0.0.1 in resolved.conf"),
		   "resolved: named, with the D-Bus/varlink caveat and the fix");
		ok(has(s, "If dnsgate forwards to 127.0.0.53, add --allow-user "
			  "systemd-resolve"),
		   "resolved: without --allow-user, says to add it");
		ok(strstr(s, "systemd-resolved") < strstr(s, "table inet"),
		   "resolved: in the header, before the rules");
		free(s);
		opt.allow_users = users;
		opt.n_allow_users = 1;
		s = gen_with(both, 2, "h.conf", "dnsgate", &opt);
		ok(has(s, "With --allow-user systemd-resolve it reaches its "
			  "upstreams") && !has(s, "If dnsgate forwards"),
		   "resolved: with --allow-user, says what that opens");
		free(s);
		opt.target = DG_FW_CONTAINER;
		s = gen_with(both, 2, "c.conf", NULL, &opt);
		ok(s != NULL && !has(s, "systemd-resolved"),
		   "resolved: the host target's note only");
		free(s);
	}

	{
		struct dg_config cfg = { 0 };
		struct dg_firewall_options opt = { .target = DG_FW_HOST };
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);

		ok(out != NULL && dg_firewall_write(&cfg, &opt, out) ==
					  DG_EMALFORMED,
		   "host without a user: refused");
		if (out != NULL)
			fclose(out);
		ok(len == 0, "and nothing written");
		free(text);
	}

	test_egress();
	return done_testing();
}
