/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * firewall: see firewall.h.
 *
 * Both backends say the same thing in the same order: first the listeners
 * (accept / RETURN), then the drops. Accepting on the destination as it is
 * now, after any DNAT, lets --redirect's translated packets through; the
 * drop on the original destination port catches a DNAT done by someone else
 * (Docker's embedded resolver) that moved the port away from 53. That drop
 * looks at packets in the original direction only: a listener on this host
 * (target host) sends its replies on a connection whose original port is
 * 53 too.
 *
 * A listener on a wildcard address (0.0.0.0, ::) is reached only through a
 * local address, so it is matched as "leaves through lo" on its port: never
 * as "any address", which would let every resolver on that port through.
 *
 * Forged sources (DESIGN.md "Trust boundaries"): a sandbox with CAP_NET_RAW
 * writes any source address into a raw socket's packets, and dnsgate's
 * budgets and CIDR groups key on that address. Target container drops, in
 * the output hook that raw IP sockets pass through too, every packet whose
 * source is not an address of the namespace itself (AF_PACKET frames leave
 * below netfilter: only dropping NET_RAW, or the docker-user target on the
 * host, stops those). Target docker-user drops, from a Docker bridge, every
 * packet the host would not route back through that bridge (strict reverse
 * path), before routing: on the way to the host and through it alike.
 */
#include "firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <linux/netfilter.h>

/* The ports dropped unless they lead to a listener: DNS, DoT and DoQ,
 * mDNS, LLMNR. */
#define DG_FW_PORTS_NFT "{ 53, 853, 5353, 5355 }"
#define DG_FW_PORTS_IPT "53,853,5353,5355"
static const unsigned dropped_ports[] = { 53, 853, 5353, 5355 };

/* Docker's embedded resolver, in every container on a user-defined
 * network. */
#define DG_FW_DOCKER_DNS "127.0.0.11"

static const char chain[] = "DNSGATE";
static const char user_chain[] = "DNSGATE-USER";

/* Docker's bridges: docker0 and one br-<network id> a user-defined
 * network; nft and iptables spell the wildcard differently. */
static const char *const bridges_nft[] = { "docker0", "br-*" };
static const char *const bridges_ipt[] = { "docker0", "br-+" };

/* ICMPv6 that RFC 4862 (DAD) and RFC 3810 (MLD) send from :: before an
 * address is usable: not forged, and no DNS. */
#define DG_FW_UNSPEC_ICMP6_NFT \
	"{ nd-neighbor-solicit, mld-listener-report, mld2-listener-report }"
static const unsigned unspec_icmp6[] = { 135, 131, 143 };

int dg_firewall_target_from_str(const char *s, enum dg_firewall_target *out)
{
	if (strcmp(s, "container") == 0) {
		*out = DG_FW_CONTAINER;
		return 0;
	}
	if (strcmp(s, "docker-user") == 0) {
		*out = DG_FW_DOCKER_USER;
		return 0;
	}
	if (strcmp(s, "host") == 0) {
		*out = DG_FW_HOST;
		return 0;
	}
	return DG_EMALFORMED;
}

/* A listener as the rules need it: bare address text, port, wildcard. */
struct listener {
	int family; /* 4 or 6 */
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	bool wildcard;
};

static void listener_get(const struct dg_addr *a, struct listener *l)
{
	static const uint8_t any6[16];

	l->port = dg_addr_port(a);
	if (a->u.sa.sa_family == AF_INET) {
		l->family = 4;
		l->wildcard = a->u.in4.sin_addr.s_addr == htonl(INADDR_ANY);
		inet_ntop(AF_INET, &a->u.in4.sin_addr, l->addr, sizeof(l->addr));
	} else {
		l->family = 6;
		l->wildcard = memcmp(&a->u.in6.sin6_addr, any6, 16) == 0;
		inet_ntop(AF_INET6, &a->u.in6.sin6_addr, l->addr,
			  sizeof(l->addr));
	}
}

static bool family_has_listener(const struct dg_config *cfg, int family)
{
	struct listener l;

	for (size_t i = 0; i < cfg->listen.n; i++) {
		listener_get(&cfg->listen.v[i], &l);
		if (l.family == family)
			return true;
	}
	return false;
}

static bool user_allowed(const struct dg_firewall_options *opt,
			 const char *user)
{
	for (size_t i = 0; i < opt->n_allow_users; i++)
		if (strcmp(opt->allow_users[i], user) == 0)
			return true;
	return false;
}

/*
 * systemd-resolved on the host: its stub, 127.0.0.53, is a resolver like
 * any other to these rules, and it also answers over D-Bus and varlink
 * (resolvectl, nss-resolve), which no port rule sees. So either it asks
 * dnsgate (then it adds no path of its own) or it is dnsgate's upstream,
 * and then every local process reaches its upstreams through it.
 */
static void write_resolved_note(const struct dg_firewall_options *opt,
				FILE *out)
{
	fprintf(out, "# systemd-resolved runs here (/run/systemd/resolve, or "
		     "127.0.0.53 in resolv.conf).\n"
		     "# Any local process can still ask it over D-Bus or "
		     "varlink (resolvectl,\n"
		     "# nss-resolve), without port 53: no port rule closes "
		     "that. Point it at dnsgate\n"
		     "# only (DNS=127.0.0.1 in resolved.conf, dnsgate then "
		     "not forwarding to it) or\n"
		     "# stop it.");
	if (user_allowed(opt, "systemd-resolve"))
		fprintf(out, " With --allow-user systemd-resolve it reaches its "
			     "upstreams, and so\n# does every local process "
			     "through it.\n");
	else
		fprintf(out, " If dnsgate forwards to 127.0.0.53, add "
			     "--allow-user systemd-resolve\n# (its user), or "
			     "it reaches no upstream.\n");
}

static void write_header(const struct dg_config *cfg,
			 const struct dg_firewall_options *opt, FILE *out)
{
	char text[DG_ADDR_STRLEN];

	static const char *const targets[] = {
		[DG_FW_CONTAINER] = "container (the sandbox's own network namespace)",
		[DG_FW_DOCKER_USER] = "docker-user (the host's forward path, "
				      "and its way in from Docker's bridges)",
		[DG_FW_HOST] = "host (this machine's own output path)",
	};

	fprintf(out, "# dnsgate companion firewall, target %s, %s%s\n",
		targets[opt->target],
		opt->backend == DG_FW_NFT ? "nftables" : "iptables",
		opt->redirect ? ", stray port 53 redirected to dnsgate" : "");
	fprintf(out, "# generated from %s\n",
		cfg->path != NULL ? cfg->path
				  : "the embedded default and the command line");
	fprintf(out, "# DNS allowed only to:");
	for (size_t i = 0; i < cfg->listen.n; i++) {
		dg_addr_format(&cfg->listen.v[i], text, sizeof(text));
		fprintf(out, " %s", text);
	}
	if (opt->target == DG_FW_DOCKER_USER) {
		fprintf(out, "\n# Every other packet forwarded from");
		for (size_t i = 0; i < opt->n_subnets; i++) {
			dg_prefix_format(&opt->subnets[i], text, sizeof(text));
			fprintf(out, " %s", text);
		}
		if (opt->n_subnets == 0)
			fprintf(out, " any Docker bridge (docker0, br-*, by "
				     "interface:\n# networks created later "
				     "too)");
		fprintf(out, "\n# to port 53, 853, 5353 or 5355 (UDP or TCP) "
			     "is dropped; other sources are not touched.\n"
			     "# From any Docker bridge (docker0, br-*), a "
			     "packet whose source this host would not\n"
			     "# route back through that bridge is forged: "
			     "dropped before routing, so to this\n"
			     "# host and through it.\n");
		return;
	}
	if (opt->target == DG_FW_HOST)
		fprintf(out, "\n# and, from user %s (dnsgate's own), to port 53 "
			     "and 853 anywhere.", cfg->user);
	for (size_t i = 0; i < opt->n_allow_users; i++)
		fprintf(out, "\n# and, from user %s (--allow-user), to port 53 "
			     "and 853 anywhere.", opt->allow_users[i]);
	if (opt->docker_dns)
		fprintf(out, "\n# and to Docker's embedded resolver "
			     DG_FW_DOCKER_DNS ":53, which forwards to the "
			     "container's dns:\n# servers from this namespace, "
			     "where these rules leave it dnsgate alone.");
	if (opt->target == DG_FW_CONTAINER)
		fprintf(out, "\n# First, a packet whose source is not an address "
			     "of this namespace is forged\n# (a raw socket): "
			     "dropped. So is every packet to " DG_FW_DOCKER_DNS
			     "%s.",
			opt->docker_dns ? " that Docker's\n# own DNAT of "
					  "port 53 did not bring there"
					: " (no --docker-dns)");
	fprintf(out, "\n# Every other packet to port 53, 853, 5353 or 5355 "
		     "(UDP or TCP, IPv4 or IPv6)\n# is %s.\n",
		opt->redirect ? "dropped, except port 53 of a family with a "
				"listener: DNATed to it"
			      : "dropped");
	if (opt->target == DG_FW_HOST && opt->systemd_resolved)
		write_resolved_note(opt, out);
}

/* One rule a listener: traffic to it gets `verdict`. */
static void nft_listener_rules(const struct dg_config *cfg, FILE *out,
			       const char *verdict)
{
	struct listener l;

	for (size_t i = 0; i < cfg->listen.n; i++) {
		listener_get(&cfg->listen.v[i], &l);
		if (l.wildcard)
			fprintf(out, "\t\tmeta nfproto ipv%d oifname \"lo\" "
				     "meta l4proto { tcp, udp } th dport %u "
				     "%s\n", l.family, l.port, verdict);
		else
			fprintf(out, "\t\t%s daddr %s meta l4proto { tcp, udp } "
				     "th dport %u %s\n",
				l.family == 4 ? "ip" : "ip6", l.addr, l.port,
				verdict);
	}
}

/*
 * --docker-dns: the container reaches Docker's embedded resolver,
 * 127.0.0.11, through Docker's own DNAT of port 53 (to a random port), so
 * by the port before that DNAT; it forwards to the container's dns: servers
 * from the container's namespace, where these same rules let it reach only
 * dnsgate.
 */
static void nft_docker_dns(const struct dg_firewall_options *opt, FILE *out,
			   const char *verdict)
{
	if (opt->docker_dns)
		for (int p = 0; p < 2; p++)
			fprintf(out, "\t\tip daddr " DG_FW_DOCKER_DNS " meta "
				     "l4proto %s ct original proto-dst 53 %s\n",
				p == 0 ? "udp" : "tcp", verdict);
}

/* The users that reach their upstreams, on port 53 (DNS) or 853 (DoT):
 * on target host dnsgate's own, then each --allow-user. */
static const char *exception_user(const struct dg_config *cfg,
				  const struct dg_firewall_options *opt,
				  size_t i)
{
	if (opt->target == DG_FW_HOST) {
		if (i == 0)
			return cfg->user;
		i--;
	}
	return i < opt->n_allow_users ? opt->allow_users[i] : NULL;
}

/* In the filter chain and the nat one, after the listeners. `own`:
 * dnsgate's own user among them, unless a rule before accepts it whole. */
static void nft_exceptions(const struct dg_config *cfg,
			   const struct dg_firewall_options *opt, FILE *out,
			   const char *verdict, bool own)
{
	const char *user;

	for (size_t i = 0; (user = exception_user(cfg, opt, i)) != NULL; i++)
		if (own || i > 0 || opt->target != DG_FW_HOST)
			fprintf(out, "\t\tmeta skuid \"%s\" meta l4proto "
				     "{ tcp, udp } th dport { 53, 853 } %s\n",
				user, verdict);
}

/*
 * Target container, first in the filter chain. A source that is not local
 * is forged: fib looks it up among this namespace's addresses (127/8 and
 * ::1 included), so loopback traffic and the queries to dnsgate, which
 * leave from the sandbox's own address, pass. Then 127.0.0.11 by port 53
 * before Docker's DNAT only: a query sent straight to the resolver's real
 * port (in /proc/net/udp) would pass every rule on port 53.
 */
static void nft_sandbox_rules(const struct dg_firewall_options *opt,
			      FILE *out)
{
	fprintf(out, "\t\tip6 saddr :: icmpv6 type " DG_FW_UNSPEC_ICMP6_NFT
		     " accept\n"
		     "\t\tfib saddr type != local drop\n");
	nft_docker_dns(opt, out, "accept");
	fprintf(out, "\t\tip daddr " DG_FW_DOCKER_DNS " drop\n");
}

static void ipt_exceptions(const struct dg_config *cfg,
			   const struct dg_firewall_options *opt, FILE *out)
{
	const char *user;

	for (size_t i = 0; (user = exception_user(cfg, opt, i)) != NULL; i++)
		for (int p = 0; p < 2; p++)
			fprintf(out, "-A %s -m owner --uid-owner %s -p %s -m "
				     "multiport --dports 53,853 -j RETURN\n",
				chain, user, p == 0 ? "udp" : "tcp");
}

static void ipt_docker_dns(const struct dg_firewall_options *opt, int family,
			   FILE *out)
{
	if (opt->docker_dns && family == 4)
		for (int p = 0; p < 2; p++)
			fprintf(out, "-A %s -d " DG_FW_DOCKER_DNS "/32 -p %s -m "
				     "conntrack --ctorigdstport 53 -j RETURN\n",
				chain, p == 0 ? "udp" : "tcp");
}

/* nft_sandbox_rules, for iptables: addrtype LOCAL is fib's type local. */
static void ipt_sandbox_rules(const struct dg_firewall_options *opt,
			      int family, FILE *out)
{
	if (family == 6)
		for (size_t i = 0; i < DG_ARRAY_SIZE(unspec_icmp6); i++)
			fprintf(out, "-A %s -s ::/128 -p ipv6-icmp -m icmp6 "
				     "--icmpv6-type %u -j RETURN\n",
				chain, unspec_icmp6[i]);
	fprintf(out, "-A %s -m addrtype ! --src-type LOCAL -j DROP\n", chain);
	ipt_docker_dns(opt, family, out);
	if (family == 4)
		fprintf(out, "-A %s -d " DG_FW_DOCKER_DNS "/32 -j DROP\n",
			chain);
}

/* The nat chain: a listener's own traffic stays, other port 53 goes to the
 * first listener of its family. Priority -100 is dstnat, a name nft 1.0
 * accepts only for prerouting. */
static void nft_redirect(const struct dg_config *cfg,
			 const struct dg_firewall_options *opt, FILE *out)
{
	struct listener l;
	bool done[2] = { false, false };

	fprintf(out, "\tchain nat_output {\n"
		     "\t\ttype nat hook output priority -100; policy accept;\n");
	nft_listener_rules(cfg, out, "return");
	nft_exceptions(cfg, opt, out, "return", true);
	nft_docker_dns(opt, out, "return");
	for (size_t i = 0; i < cfg->listen.n; i++) {
		listener_get(&cfg->listen.v[i], &l);
		if (done[l.family == 6])
			continue;
		done[l.family == 6] = true;
		for (int p = 0; p < 2; p++) {
			const char *proto = p == 0 ? "udp" : "tcp";

			if (l.wildcard)
				fprintf(out, "\t\tmeta nfproto ipv%d %s dport 53 "
					     "redirect to :%u\n",
					l.family, proto, l.port);
			else if (l.family == 4)
				fprintf(out, "\t\tmeta nfproto ipv4 %s dport 53 "
					     "dnat ip to %s:%u\n",
					proto, l.addr, l.port);
			else
				fprintf(out, "\t\tmeta nfproto ipv6 %s dport 53 "
					     "dnat ip6 to [%s]:%u\n",
					proto, l.addr, l.port);
		}
	}
	fprintf(out, "\t}\n");
}

static void write_nft(const struct dg_config *cfg,
		      const struct dg_firewall_options *opt, FILE *out)
{
	fprintf(out, "#\n"
		     "# Apply: nft -f - (again to replace: the table is "
		     "created empty, deleted, then\n"
		     "# written whole, so it exists once).\n"
		     "# Remove: nft delete table inet dnsgate\n");
	for (int f = 4; f <= 6; f += 2)
		if (!family_has_listener(cfg, f))
			fprintf(out, "# No IPv%d listener: all IPv%d DNS is "
				     "dropped.\n", f, f);
	fprintf(out, "table inet dnsgate {}\n"
		     "delete table inet dnsgate\n"
		     "table inet dnsgate {\n"
		     "\tchain output {\n"
		     "\t\ttype filter hook output priority filter; "
		     "policy accept;\n");
	if (opt->target == DG_FW_CONTAINER)
		nft_sandbox_rules(opt, out);
	nft_listener_rules(cfg, out, "accept");
	nft_exceptions(cfg, opt, out, "accept", true);
	fprintf(out, "\t\tmeta l4proto { tcp, udp } th dport " DG_FW_PORTS_NFT
		     " drop\n"
		     "\t\t# the port before a DNAT: Docker's 127.0.0.11:53 "
		     "goes to a random port;\n"
		     "\t\t# original direction only: a local listener's "
		     "replies pass\n");
	/* One protocol and one port a rule: nft 1.0 has no type for
	 * proto-dst under a set of protocols, nor for a set of ports, and
	 * then neither prints nor (for the set) orders the bytes right. */
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; i < DG_ARRAY_SIZE(dropped_ports); i++)
			fprintf(out, "\t\tmeta l4proto %s ct direction original "
				     "ct original proto-dst %u drop\n",
				p == 0 ? "udp" : "tcp", dropped_ports[i]);
	fprintf(out, "\t}\n");
	if (opt->redirect)
		nft_redirect(cfg, opt, out);
	fprintf(out, "}\n");
}

/* `-d ADDR/LEN` or `-o lo`: where a listener of this family is reached. */
static void ipt_dest(const struct listener *l, FILE *out)
{
	if (l->wildcard)
		fprintf(out, "-o lo");
	else
		fprintf(out, "-d %s/%d", l->addr, l->family == 4 ? 32 : 128);
}

/* Each listener of this family: its traffic returns (is let through). */
static void ipt_listener_rules(const struct dg_config *cfg, int family,
			       FILE *out)
{
	static const char *const protos[] = { "udp", "tcp" };
	struct listener l;

	for (size_t i = 0; i < cfg->listen.n; i++) {
		listener_get(&cfg->listen.v[i], &l);
		if (l.family != family)
			continue;
		for (int p = 0; p < 2; p++) {
			fprintf(out, "-A %s ", chain);
			ipt_dest(&l, out);
			fprintf(out, " -p %s -m %s --dport %u -j RETURN\n",
				protos[p], protos[p], l.port);
		}
	}
}

static void write_ipt_family(const struct dg_config *cfg,
			     const struct dg_firewall_options *opt, int family,
			     FILE *out)
{
	static const char *const protos[] = { "udp", "tcp" };
	struct listener first = { 0 };
	bool have = false;

	fprintf(out, "*filter\n:%s - [0:0]\n-F %s\n", chain, chain);
	for (size_t i = 0; i < cfg->listen.n && !have; i++) {
		listener_get(&cfg->listen.v[i], &first);
		have = first.family == family;
	}
	if (opt->target == DG_FW_CONTAINER)
		ipt_sandbox_rules(opt, family, out);
	ipt_listener_rules(cfg, family, out);
	ipt_exceptions(cfg, opt, out);
	for (int p = 0; p < 2; p++)
		fprintf(out, "-A %s -p %s -m multiport --dports "
			     DG_FW_PORTS_IPT " -j DROP\n", chain, protos[p]);
	/* --ctorigdstport takes one port (or a range): one rule each. */
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; i < DG_ARRAY_SIZE(dropped_ports); i++)
			fprintf(out, "-A %s -p %s -m conntrack --ctdir ORIGINAL "
				     "--ctorigdstport %u -j DROP\n",
				chain, protos[p], dropped_ports[i]);
	fprintf(out, "COMMIT\n");
	if (!opt->redirect || !have)
		return;

	fprintf(out, "*nat\n:%s - [0:0]\n-F %s\n", chain, chain);
	ipt_listener_rules(cfg, family, out);
	ipt_exceptions(cfg, opt, out);
	ipt_docker_dns(opt, family, out);
	for (int p = 0; p < 2; p++) {
		fprintf(out, "-A %s -p %s -m %s --dport 53 ", chain, protos[p],
			protos[p]);
		if (first.wildcard)
			fprintf(out, "-j REDIRECT --to-ports %u\n", first.port);
		else if (family == 4)
			fprintf(out, "-j DNAT --to-destination %s:%u\n",
				first.addr, first.port);
		else
			fprintf(out, "-j DNAT --to-destination [%s]:%u\n",
				first.addr, first.port);
	}
	fprintf(out, "COMMIT\n");
}

static void write_ipt(const struct dg_config *cfg,
		      const struct dg_firewall_options *opt, FILE *out)
{
	const char *tables = opt->redirect ? "filter and nat" : "filter";

	/*
	 * Restore format has no "add unless present", so the jump from
	 * OUTPUT is not in it: the chain is flushed and refilled on every
	 * apply, and the jump is added by a check-then-insert, once.
	 */
	fprintf(out, "#\n"
		     "# For iptables-restore --noflush (IPv4) and "
		     "ip6tables-restore --noflush (IPv6;\n"
		     "# --family 4|6 prints one half alone). The %s chain "
		     "(%s) is flushed and\n"
		     "# refilled on every apply; then jump to it from OUTPUT "
		     "once, only if absent:\n"
		     "#   iptables -C OUTPUT -j %s 2>/dev/null || "
		     "iptables -I OUTPUT 1 -j %s\n",
		chain, tables, chain, chain);
	if (opt->redirect)
		fprintf(out, "#   iptables -t nat -C OUTPUT -j %s 2>/dev/null || "
			     "iptables -t nat -I OUTPUT 1 -j %s\n",
			chain, chain);
	fprintf(out, "# (ip6tables likewise). Remove:\n"
		     "#   iptables -D OUTPUT -j %s; iptables -F %s; "
		     "iptables -X %s\n", chain, chain, chain);
	if (opt->redirect)
		fprintf(out, "#   iptables -t nat -D OUTPUT -j %s; iptables -t nat "
			     "-F %s; iptables -t nat -X %s\n",
			chain, chain, chain);
	fprintf(out, "# (ip6tables likewise).\n");
	for (int f = 4; f <= 6; f += 2) {
		if (opt->family != 0 && opt->family != f)
			continue;
		if (opt->family == 0 && f == 6)
			fprintf(out, "# ip6tables-restore\n");
		if (!family_has_listener(cfg, f))
			fprintf(out, "# No IPv%d listener: all IPv%d DNS is "
				     "dropped.\n", f, f);
		write_ipt_family(cfg, opt, f, out);
	}
}

/*
 * Target docker-user. The DNS rules see forwarded packets only, so a
 * listener on a wildcard address (dnsgate on the host itself) is reached
 * through INPUT and needs no rule here; a listener in a container or on
 * another host is forwarded to and is allowed by address and port. Only
 * packets from the --subnet prefixes (without any: from a Docker bridge,
 * by interface) are matched: the host's other traffic is not this
 * target's business.
 *
 * Those prefixes mean something only if a container cannot forge its
 * source. So, before routing (raw priority, both for the host's INPUT,
 * where a dnsgate on the bridge address listens, and for FORWARD), a packet
 * from a Docker bridge must come from an address the host routes back
 * through that same bridge: strict reverse-path filtering. It needs no
 * list: each bridge's own connected routes say which sources are its own,
 * for every Docker network, those made later included. A container can
 * still take another address of its own bridge's subnets (a neighbour's);
 * no IP rule on the host can tell the two apart.
 */

/* nft: the reverse-path chain, in the docker-user table. ip6t_rpfilter
 * lets :: through itself (DAD, MLD); nft's fib is told to. */
static void nft_du_rpfilter(FILE *out)
{
	fprintf(out, "\tchain prerouting {\n"
		     "\t\ttype filter hook prerouting priority raw; "
		     "policy accept;\n"
		     "\t\tip6 saddr :: icmpv6 type " DG_FW_UNSPEC_ICMP6_NFT
		     " accept\n");
	for (size_t i = 0; i < DG_ARRAY_SIZE(bridges_nft); i++)
		fprintf(out, "\t\tiifname \"%s\" fib saddr . iif oif missing "
			     "drop\n", bridges_nft[i]);
	fprintf(out, "\t}\n");
}

/* iptables: rpfilter is valid only in raw and mangle PREROUTING, so the
 * chain of that name in raw holds it, jumped to from raw PREROUTING. */
static void ipt_du_rpfilter(FILE *out)
{
	fprintf(out, "*raw\n:%s - [0:0]\n-F %s\n", user_chain, user_chain);
	for (size_t i = 0; i < DG_ARRAY_SIZE(bridges_ipt); i++)
		fprintf(out, "-A %s -i %s -m rpfilter --invert -j DROP\n",
			user_chain, bridges_ipt[i]);
	fprintf(out, "COMMIT\n");
}

static bool family_has_subnet(const struct dg_firewall_options *opt,
			      int family)
{
	sa_family_t af = family == 4 ? AF_INET : AF_INET6;

	for (size_t i = 0; i < opt->n_subnets; i++)
		if (opt->subnets[i].family == af)
			return true;
	return false;
}

static bool family_has_forward_listener(const struct dg_config *cfg,
					int family)
{
	struct listener l;

	for (size_t i = 0; i < cfg->listen.n; i++) {
		listener_get(&cfg->listen.v[i], &l);
		if (l.family == family && !l.wildcard)
			return true;
	}
	return false;
}

/* The lines every docker-user form shares: what each family gets. */
static void du_family_notes(const struct dg_config *cfg,
			    const struct dg_firewall_options *opt, FILE *out)
{
	struct listener l;

	for (size_t i = 0; i < cfg->listen.n; i++) {
		listener_get(&cfg->listen.v[i], &l);
		if (l.wildcard)
			fprintf(out, "# Listener %s port %u is a wildcard: "
				     "reached on this host (INPUT), not "
				     "forwarded; no rule.\n", l.addr, l.port);
	}
	for (int f = 4; f <= 6; f += 2) {
		if (opt->n_subnets > 0 && !family_has_subnet(opt, f))
			fprintf(out, "# No IPv%d --subnet: no IPv%d DNS "
				     "rules.\n", f, f);
		else if (!family_has_forward_listener(cfg, f))
			fprintf(out, "# No forwarded IPv%d listener: all DNS "
				     "from the IPv%d %s is dropped.\n",
				f, f, opt->n_subnets > 0 ? "subnets"
							 : "Docker bridges");
	}
}

/* The sources the docker-user rules cover: the --subnet prefixes, or,
 * with none, every Docker bridge by interface. */
static size_t du_n_sources(const struct dg_firewall_options *opt)
{
	return opt->n_subnets > 0 ? opt->n_subnets : DG_ARRAY_SIZE(bridges_nft);
}

/* Source i as a match, nft (`ip saddr NET`, `iifname "br-*"`) or iptables
 * (`-s NET`, `-i br-+`), into buf. @return its family, 4 or 6, or 0 for
 * a bridge: both. */
static int du_source(const struct dg_firewall_options *opt, size_t i,
		     bool nft, char *buf, size_t size)
{
	char net[DG_ADDR_STRLEN];
	const struct dg_prefix *p;

	if (opt->n_subnets == 0) {
		snprintf(buf, size, nft ? "iifname \"%s\"" : "-i %s",
			 nft ? bridges_nft[i] : bridges_ipt[i]);
		return 0;
	}
	p = &opt->subnets[i];
	dg_prefix_format(p, net, sizeof(net));
	if (nft)
		snprintf(buf, size, "%s saddr %s",
			 p->family == AF_INET ? "ip" : "ip6", net);
	else
		snprintf(buf, size, "-s %s", net);
	return p->family == AF_INET ? 4 : 6;
}

/* Room for a du_source match. */
#define DU_SOURCE_LEN (DG_ADDR_STRLEN + 16)

static void write_nft_docker_user(const struct dg_config *cfg,
				  const struct dg_firewall_options *opt,
				  FILE *out)
{
	char src[DU_SOURCE_LEN];
	struct listener l;

	fprintf(out, "#\n"
		     "# Apply: nft -f - (again to replace: the table is "
		     "created empty, deleted, then\n"
		     "# written whole, so it exists once). Docker's own rules "
		     "are iptables: this\n"
		     "# table hooks forward before them (priority filter - 10); "
		     "an accept here\n"
		     "# still leaves the packet to Docker's rules. Forged "
		     "sources: hook prerouting,\n"
		     "# priority raw.\n"
		     "# Remove: nft delete table inet dnsgate_docker\n");
	du_family_notes(cfg, opt, out);
	fprintf(out, "table inet dnsgate_docker {}\n"
		     "delete table inet dnsgate_docker\n"
		     "table inet dnsgate_docker {\n");
	nft_du_rpfilter(out);
	fprintf(out, "\tchain forward {\n"
		     "\t\ttype filter hook forward priority filter - 10; "
		     "policy accept;\n");
	for (size_t s = 0; s < du_n_sources(opt); s++) {
		int family = du_source(opt, s, true, src, sizeof(src));

		for (size_t i = 0; i < cfg->listen.n; i++) {
			listener_get(&cfg->listen.v[i], &l);
			if ((family != 0 && l.family != family) || l.wildcard)
				continue;
			fprintf(out, "\t\t%s %s daddr %s meta l4proto "
				     "{ tcp, udp } th dport %u accept\n",
				src, l.family == 4 ? "ip" : "ip6", l.addr,
				l.port);
		}
		fprintf(out, "\t\t%s meta l4proto { tcp, udp } "
			     "th dport " DG_FW_PORTS_NFT " drop\n", src);
		/* A DNAT on the host (a published port) may have moved the
		 * port: the original one counts too. */
		for (int q = 0; q < 2; q++)
			for (size_t i = 0; i < DG_ARRAY_SIZE(dropped_ports); i++)
				fprintf(out, "\t\t%s meta l4proto %s ct "
					     "direction original ct original "
					     "proto-dst %u drop\n",
					src, q == 0 ? "udp" : "tcp",
					dropped_ports[i]);
	}
	fprintf(out, "\t}\n}\n");
}

static void write_ipt_docker_user(const struct dg_config *cfg,
				  const struct dg_firewall_options *opt,
				  FILE *out)
{
	static const char *const protos[] = { "udp", "tcp" };
	char net[DU_SOURCE_LEN];
	struct listener l;

	fprintf(out, "#\n"
		     "# For iptables-restore --noflush (IPv4) and "
		     "ip6tables-restore --noflush (IPv6;\n"
		     "# --family 4|6 prints one half alone). The %1$s chains "
		     "(raw: forged\n"
		     "# sources; filter: DNS) are flushed and refilled on every "
		     "apply; then jump to\n"
		     "# them from raw PREROUTING and from DOCKER-USER (Docker "
		     "creates that chain)\n"
		     "# once, only if absent:\n"
		     "#   iptables -t raw -C PREROUTING -j %1$s 2>/dev/null || "
		     "iptables -t raw -I PREROUTING 1 -j %1$s\n"
		     "#   iptables -C DOCKER-USER -j %1$s 2>/dev/null || "
		     "iptables -I DOCKER-USER 1 -j %1$s\n"
		     "# (ip6tables likewise). Remove:\n"
		     "#   iptables -t raw -D PREROUTING -j %1$s; iptables -t raw "
		     "-F %1$s; iptables -t raw -X %1$s\n"
		     "#   iptables -D DOCKER-USER -j %1$s; iptables -F %1$s; "
		     "iptables -X %1$s\n"
		     "# (ip6tables likewise). A listener returns to "
		     "DOCKER-USER: Docker's rules still apply.\n",
		user_chain);
	du_family_notes(cfg, opt, out);
	for (int f = 4; f <= 6; f += 2) {
		if (opt->family != 0 && opt->family != f)
			continue;
		if (opt->family == 0 && f == 6)
			fprintf(out, "# ip6tables-restore\n");
		ipt_du_rpfilter(out);
		/* Declared and flushed even with no subnet of this family:
		 * a re-apply without it must not leave the old rules. */
		fprintf(out, "*filter\n:%s - [0:0]\n-F %s\n", user_chain,
			user_chain);
		for (size_t s = 0; s < du_n_sources(opt); s++) {
			int family = du_source(opt, s, false, net, sizeof(net));

			if (family != 0 && family != f)
				continue;
			for (size_t i = 0; i < cfg->listen.n; i++) {
				listener_get(&cfg->listen.v[i], &l);
				if (l.family != f || l.wildcard)
					continue;
				for (int q = 0; q < 2; q++)
					fprintf(out, "-A %s %s -d %s/%d -p %s -m "
						     "%s --dport %u -j RETURN\n",
						user_chain, net, l.addr,
						f == 4 ? 32 : 128, protos[q],
						protos[q], l.port);
			}
			for (int q = 0; q < 2; q++)
				fprintf(out, "-A %s %s -p %s -m multiport "
					     "--dports " DG_FW_PORTS_IPT
					     " -j DROP\n",
					user_chain, net, protos[q]);
			for (int q = 0; q < 2; q++)
				for (size_t i = 0; i < DG_ARRAY_SIZE(dropped_ports);
				     i++)
					fprintf(out, "-A %s %s -p %s -m conntrack "
						     "--ctdir ORIGINAL --ctorigdstport "
						     "%u -j DROP\n",
						user_chain, net, protos[q],
						dropped_ports[i]);
		}
		fprintf(out, "COMMIT\n");
	}
}

/*
 * --egress (nft only). The rules live next to the sets dnsgate fills, in
 * their table: the DNS tables are deleted and written whole on every
 * apply, which would empty the sets. So the sets are declared with `add`
 * (applying again keeps their addresses, as dnsgate's timeouts left them)
 * and the egress chains are flushed and refilled (applying again replaces
 * the rules, never piles them up).
 *
 * Which set a packet may reach follows how dnsgate picked the group whose
 * sets got the answer (dg_config_policy_for): on the forward path, by
 * source, the longest clients prefix winning, so a group's rule leaves out
 * the longer prefixes of other groups inside its own. A group that is
 * picked by listener only cannot be told apart by source: on docker-user
 * the header names it. In the container or on the host the sandbox is the
 * whole namespace: --group says whose sets it uses.
 */

static const char egress_output[] = "egress_output";
static const char egress_forward[] = "egress_forward";
static const char egress_sandbox[] = "egress_sandbox";

/* Router solicitation and neighbour discovery: without them IPv6 stops
 * working on the link; nothing of them leaves it. */
#define DG_FW_ND_NFT \
	"{ nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert }"

/* A set of cfg: [firewall]'s (g NULL) or group g's, A (i 0) or AAAA. */
struct egress_set {
	const struct dg_nftset_name *name;
	const struct dg_group *g;
	unsigned i;
	unsigned line;
};

/* Set n of cfg's, in key order; false past the last. Sets a group does
 * not have are skipped. */
static bool egress_set_at(const struct dg_config *cfg, size_t n,
			  struct egress_set *out)
{
	for (size_t k = 0; k <= cfg->n_groups; k++) {
		const struct dg_group *g = k == 0 ? NULL : &cfg->groups[k - 1];
		const struct dg_nftset_name *sets = g ? g->nft_set : cfg->nft_set;
		const unsigned *lines = g ? g->nft_set_line : cfg->nft_set_line;

		for (unsigned i = 0; i < 2; i++) {
			if (sets[i].table == NULL || n-- > 0)
				continue;
			*out = (struct egress_set){ &sets[i], g, i, lines[i] };
			return true;
		}
	}
	return false;
}

static const char *config_file(const struct dg_config *cfg)
{
	return cfg->path != NULL ? cfg->path : "the embedded default";
}

int dg_firewall_check(const struct dg_config *cfg,
		      const struct dg_firewall_options *opt, FILE *err)
{
	char name[DG_NFTSET_NAME_STRLEN];
	struct egress_set first, e;

	if (!opt->egress)
		return 0;
	if (!egress_set_at(cfg, 0, &first)) {
		fprintf(err, "dnsgate: firewall: --egress needs nft sets "
			     "([firewall] nft_set, nft_set6, or a group's) "
			     "in %s: it lets through what dnsgate adds to "
			     "them\n", config_file(cfg));
		return DG_EMALFORMED;
	}
	for (size_t n = 0; egress_set_at(cfg, n, &e); n++) {
		const char *key = e.i == 0 ? "nft_set" : "nft_set6";
		const char *section = e.g ? "group " : "firewall";

		dg_nftset_name_format(e.name, name, sizeof(name));
		if (e.name->family != NFPROTO_INET)
			fprintf(err, "dnsgate: firewall: %s:%u: [%s%s] %s: "
				     "--egress needs an inet table, not '%s'\n",
				config_file(cfg), e.line, section,
				e.g ? e.g->name : "", key, name);
		else if (strcmp(e.name->table, first.name->table) != 0)
			fprintf(err, "dnsgate: firewall: %s:%u: [%s%s] %s: "
				     "'%s' is not in table inet %s (line %u): "
				     "--egress needs every set in one table\n",
				config_file(cfg), e.line, section,
				e.g ? e.g->name : "", key, name,
				first.name->table, first.line);
		else if (strcmp(e.name->table, "dnsgate") == 0 ||
			 strcmp(e.name->table, "dnsgate_docker") == 0)
			fprintf(err, "dnsgate: firewall: %s:%u: [%s%s] %s: "
				     "table inet %s is the DNS rules', deleted "
				     "on every apply: name another\n",
				config_file(cfg), e.line, section,
				e.g ? e.g->name : "", key, e.name->table);
		else
			continue;
		return DG_EMALFORMED;
	}
	if (opt->group != NULL && dg_config_group(cfg, opt->group) == NULL) {
		fprintf(err, "dnsgate: firewall: --group: %s has no [group "
			     "%s]\n", config_file(cfg), opt->group);
		return DG_EMALFORMED;
	}
	return 0;
}

/* Is inner a longer prefix inside outer? */
static bool prefix_within(const struct dg_prefix *inner,
			  const struct dg_prefix *outer)
{
	unsigned whole = outer->len / 8, rest = outer->len % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (inner->family != outer->family || inner->len <= outer->len)
		return false;
	if (memcmp(inner->bytes, outer->bytes, whole) != 0)
		return false;
	return rest == 0 ||
	       (inner->bytes[whole] & mask) == (outer->bytes[whole] & mask);
}

/* `{ P, P }`: the prefixes of v of family af (there is one at least). */
static void put_prefixes(FILE *out, const struct dg_prefix *v, size_t n,
			 sa_family_t af)
{
	char text[DG_ADDR_STRLEN];
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].family != af)
			continue;
		dg_prefix_format(&v[i], text, sizeof(text));
		fprintf(out, "%s%s", done++ == 0 ? "{ " : ", ", text);
	}
	fprintf(out, " }");
}

static size_t count_family(const struct dg_prefix *v, size_t n,
			   sa_family_t af)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += v[i].family == af;
	return c;
}

/* Does a source in p, a prefix of another group, escape g (NULL: the
 * sources in no group)? It does when p lies inside one of g's own: the
 * longer prefix wins. */
static bool taken_from(const struct dg_group *g, const struct dg_prefix *p)
{
	if (g == NULL)
		return true;
	for (size_t i = 0; i < g->n_clients; i++)
		if (prefix_within(p, &g->clients[i]))
			return true;
	return false;
}

/* `ip saddr != { … } `: the sources of family af that other groups take
 * from g (g NULL: every group's), if any. */
static void nft_not_others(const struct dg_config *cfg,
			   const struct dg_group *g, sa_family_t af,
			   FILE *out)
{
	char text[DG_ADDR_STRLEN];
	size_t done = 0;

	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct dg_group *h = &cfg->groups[i];

		for (size_t j = 0; h != g && j < h->n_clients; j++) {
			if (h->clients[j].family != af ||
			    !taken_from(g, &h->clients[j]))
				continue;
			dg_prefix_format(&h->clients[j], text, sizeof(text));
			if (done++ == 0)
				fprintf(out, "%s saddr != { ",
					af == AF_INET ? "ip" : "ip6");
			else
				fprintf(out, ", ");
			fprintf(out, "%s", text);
		}
	}
	if (done > 0)
		fprintf(out, " } ");
}

/* docker-user: the sets of g's clients (g NULL: of the sources in no
 * group) are accepted for them alone. */
static void nft_group_sets(const struct dg_config *cfg,
			   const struct dg_group *g, FILE *out)
{
	const struct dg_nftset_name *sets =
		g != NULL ? dg_config_nft_sets(cfg, g) : cfg->nft_set;

	for (unsigned i = 0; i < 2; i++) {
		sa_family_t af = i == 0 ? AF_INET : AF_INET6;
		const char *ip = i == 0 ? "ip" : "ip6";

		if (sets[i].table == NULL)
			continue;
		if (g != NULL && count_family(g->clients, g->n_clients, af) == 0)
			continue;
		fprintf(out, "\t\t");
		if (g != NULL) {
			fprintf(out, "%s saddr ", ip);
			put_prefixes(out, g->clients, g->n_clients, af);
			fprintf(out, " ");
		}
		nft_not_others(cfg, g, af, out);
		fprintf(out, "%s daddr @%s accept\n", ip, sets[i].set);
	}
}

/* The rules of the egress chain, after what only one target has. */
static void nft_egress_tail(const struct dg_config *cfg,
			    const struct dg_firewall_options *opt, FILE *out)
{
	const struct dg_group *g = NULL;

	if (opt->target == DG_FW_DOCKER_USER) {
		for (size_t i = 0; i < cfg->n_groups; i++)
			nft_group_sets(cfg, &cfg->groups[i], out);
		nft_group_sets(cfg, NULL, out);
	} else {
		const struct dg_nftset_name *sets;

		if (opt->group != NULL)
			g = dg_config_group(cfg, opt->group);
		sets = dg_config_nft_sets(cfg, g);
		for (unsigned i = 0; i < 2; i++)
			if (sets[i].table != NULL)
				fprintf(out, "\t\t%s daddr @%s accept\n",
					i == 0 ? "ip" : "ip6", sets[i].set);
	}
	for (int f = 4; f <= 6; f += 2) {
		sa_family_t af = f == 4 ? AF_INET : AF_INET6;

		if (count_family(cfg->allow_cidrs, cfg->n_allow_cidrs, af) == 0)
			continue;
		fprintf(out, "\t\t%s daddr ", f == 4 ? "ip" : "ip6");
		put_prefixes(out, cfg->allow_cidrs, cfg->n_allow_cidrs, af);
		fprintf(out, " accept\n");
	}
	fprintf(out, "\t\treject with icmpx type admin-prohibited\n");
}

/* What the policy does, for the header. */
static void egress_header(const struct dg_config *cfg,
			  const struct dg_firewall_options *opt,
			  const char *table, FILE *out)
{
	char text[DG_ADDR_STRLEN];
	bool du = opt->target == DG_FW_DOCKER_USER;

	fprintf(out, "#\n# Egress (--egress), in table inet %s with the sets "
		     "dnsgate fills.\n", table);
	if (du)
		fprintf(out, "# Every other packet forwarded from the sandbox "
			     "(matched as the DNS rules\n# match it) is "
			     "rejected, ICMP admin-prohibited, so tools fail at "
			     "once.\n# Let through: replies (established, "
			     "related), ICMPv6 neighbour discovery,\n# DNS to "
			     "the listeners, for a group's clients the addresses "
			     "in its sets\n# (the [firewall] sets for sources "
			     "in no group with sets of its own),\n");
	else
		fprintf(out, "# Every other packet this namespace sends is "
			     "rejected, ICMP admin-prohibited,\n# so tools "
			     "fail at once. Let through: replies (established, "
			     "related),\n# loopback, ICMPv6 neighbour discovery, "
			     "DNS to the listeners,\n# %s%s%sthe addresses in "
			     "the sets of %s%s,\n",
			cfg->user != NULL ? "user " : "",
			cfg->user != NULL ? cfg->user : "",
			cfg->user != NULL ? " (dnsgate's own), " : "",
			opt->group != NULL ? "group " : "",
			opt->group != NULL ? opt->group
					   : "[firewall] (no --group)");
	fprintf(out, "# and [firewall] allow_cidrs:");
	for (size_t i = 0; i < cfg->n_allow_cidrs; i++) {
		dg_prefix_format(&cfg->allow_cidrs[i], text, sizeof(text));
		fprintf(out, " %s", text);
	}
	fprintf(out, "%s.\n", cfg->n_allow_cidrs == 0 ? " none" : "");
	if (!du)
		return;
	fprintf(out, "# Traffic to this host itself (INPUT) is not touched.\n");
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (cfg->groups[i].n_clients == 0)
			fprintf(out, "# [group %s] has no clients: not usable "
				     "here (its sandbox is not told by\n# "
				     "source).\n", cfg->groups[i].name);
}

/* Declare the set (add: what it holds stays) unless an earlier one was
 * the same. */
static void nft_declare_set(const struct dg_config *cfg, size_t n,
			    const struct egress_set *e, FILE *out)
{
	struct egress_set prev;

	for (size_t m = 0; m < n && egress_set_at(cfg, m, &prev); m++)
		if (strcmp(prev.name->set, e->name->set) == 0)
			return;
	fprintf(out, "add set inet %s %s { type %s; flags timeout; }\n",
		e->name->table, e->name->set,
		e->i == 0 ? "ipv4_addr" : "ipv6_addr");
}

static void write_nft_egress(const struct dg_config *cfg,
			     const struct dg_firewall_options *opt, FILE *out)
{
	bool du = opt->target == DG_FW_DOCKER_USER;
	const char *hooked = du ? egress_forward : egress_output;
	struct egress_set e;
	const char *table;
	char src[DU_SOURCE_LEN];

	if (!egress_set_at(cfg, 0, &e))
		return;
	table = e.name->table;
	egress_header(cfg, opt, table, out);
	fprintf(out, "# Apply with the rules above (the sets are declared with "
		     "add, so they keep\n# their addresses; the chains are "
		     "flushed and refilled). Remove:\n"
		     "#   nft delete chain inet %s %s\n", table, hooked);
	if (du)
		fprintf(out, "#   nft delete chain inet %s %s\n", table,
			egress_sandbox);
	fprintf(out, "add table inet %s\n", table);
	for (size_t n = 0; egress_set_at(cfg, n, &e); n++)
		nft_declare_set(cfg, n, &e, out);
	fprintf(out, "add chain inet %s %s { type filter hook %s priority "
		     "filter%s; policy accept; }\n",
		table, hooked, du ? "forward" : "output", du ? " - 10" : "");
	fprintf(out, "flush chain inet %s %s\n", table, hooked);
	if (du)
		fprintf(out, "add chain inet %s %s\n"
			     "flush chain inet %s %s\n",
			table, egress_sandbox, table, egress_sandbox);
	fprintf(out, "table inet %s {\n", table);
	if (du) {
		fprintf(out, "\tchain %s {\n", egress_forward);
		for (size_t s = 0; s < du_n_sources(opt); s++) {
			du_source(opt, s, true, src, sizeof(src));
			fprintf(out, "\t\t%s jump %s\n", src, egress_sandbox);
		}
		fprintf(out, "\t}\n");
	}
	fprintf(out, "\tchain %s {\n"
		     "\t\tct state established,related accept\n",
		du ? egress_sandbox : egress_output);
	if (!du)
		fprintf(out, "\t\toifname \"lo\" accept\n");
	fprintf(out, "\t\ticmpv6 type " DG_FW_ND_NFT " accept\n");
	/* Forwarded, a wildcard listener's `oifname "lo"` never matches:
	 * the sandbox reaches it on this host, where INPUT is not ours. */
	nft_listener_rules(cfg, out, "accept");
	if (!du && cfg->user != NULL)
		fprintf(out, "\t\tmeta skuid \"%s\" accept\n", cfg->user);
	/* --allow-user's forwarders still reach their upstreams; dnsgate's
	 * own user is accepted whole just above. */
	if (!du)
		nft_exceptions(cfg, opt, out, "accept", false);
	nft_egress_tail(cfg, opt, out);
	fprintf(out, "\t}\n}\n");
}

int dg_firewall_write(const struct dg_config *cfg,
		      const struct dg_firewall_options *opt, FILE *out)
{
	if (opt->target == DG_FW_HOST && cfg->user == NULL)
		return DG_EMALFORMED;
	write_header(cfg, opt, out);
	if (opt->target == DG_FW_DOCKER_USER && opt->backend == DG_FW_NFT)
		write_nft_docker_user(cfg, opt, out);
	else if (opt->target == DG_FW_DOCKER_USER)
		write_ipt_docker_user(cfg, opt, out);
	else if (opt->backend == DG_FW_NFT)
		write_nft(cfg, opt, out);
	else
		write_ipt(cfg, opt, out);
	if (opt->egress && opt->backend == DG_FW_NFT)
		write_nft_egress(cfg, opt, out);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
