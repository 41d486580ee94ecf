/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * firewall: the companion rules (DESIGN.md "Companion firewall") as text,
 * from the configuration's listeners. Pure: writes only to the FILE* it is
 * given, so the unit tests read the text and the integration tests apply it
 * in network namespaces.
 *
 * Target `container`, for the sandbox's own network namespace (the output
 * path): DNS (UDP and TCP) only to the dnsgate listeners, address and port;
 * every other packet to port 53, 853 (DoT, DoQ), 5353 (mDNS) or 5355
 * (LLMNR) dropped, IPv4 and IPv6, whether that is its destination port now
 * or was before a DNAT (Docker's 127.0.0.11:53 becomes a random port). With
 * `redirect`, stray port-53 traffic is DNATed to the first listener of its
 * family instead; a family with no listener is still dropped. Before all
 * that: a packet whose source is not an address of the namespace is forged
 * and dropped, and so is every packet to 127.0.0.11 but, with `docker_dns`,
 * those Docker's DNAT of port 53 brought there.
 *
 * Target `docker-user`, for the host's forward path (Docker's DOCKER-USER
 * chain; for nft a table of its own hooked on forward before Docker's
 * iptables filter): packets forwarded from the given sandbox subnets, or
 * with none given from every Docker bridge by interface (docker0, br-*:
 * networks made later too), to port 53, 853, 5353 or 5355 go only to the
 * dnsgate listeners, address and port. Only those sources are touched; a
 * family with no subnet gets no DNS rules. And on prerouting, whatever
 * the subnets: a packet from a Docker bridge (docker0, br-*) whose source
 * the host does not route back through that bridge is forged and dropped
 * (for iptables, a raw-table chain).
 *
 * With `egress` (nft only), a second part in the table of the nft sets
 * dnsgate fills: default-deny for the sandbox's other egress (container
 * and host: the output path; docker-user: forwarded from the sandbox),
 * letting through established connections, loopback, ICMPv6 neighbour
 * discovery, the listeners, dnsgate's own user, the addresses in the sets
 * and [firewall] allow_cidrs; everything else rejected, admin-prohibited,
 * so tools fail at once rather than time out. The sets are only declared
 * (add): applying again keeps their addresses; the chains are flushed and
 * refilled.
 *
 * Target `host`, for a plain host where dnsgate runs as a user of its own
 * ([server] user): the container rules on the host's output path, plus one
 * exception, that user may reach port 53 and 853 anywhere (its upstreams).
 * Every other process reaches only the listeners; with `redirect`, its
 * stray port-53 traffic is DNATed to them, dnsgate's own never.
 *
 * `allow_users` (host and container): more users with that exception, a
 * local forwarder dnsgate uses (systemd-resolved, dnsmasq, unbound) or, in
 * a container, a dnsgate sharing the sandbox's namespace.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

enum dg_firewall_backend { DG_FW_NFT, DG_FW_IPTABLES };
enum dg_firewall_target { DG_FW_CONTAINER, DG_FW_DOCKER_USER, DG_FW_HOST };

struct dg_firewall_options {
	enum dg_firewall_backend backend;
	enum dg_firewall_target target;
	bool redirect;  /* DNAT stray port 53 to dnsgate instead of dropping */
	/* container only: let Docker's embedded resolver (127.0.0.11) be
	 * reached; its own queries to the dns: servers meet the same rules. */
	bool docker_dns;
	/* iptables only: 4 or 6 prints that half alone, ready for
	 * iptables-restore or ip6tables-restore; 0 prints both, the IPv6 half
	 * after a `# ip6tables-restore` line. */
	int family;
	/* docker-user only: the sandbox subnets, IPv4 and IPv6 mixed; none:
	 * every Docker bridge, by interface. The caller owns the array; it
	 * must outlive dg_firewall_write. */
	const struct dg_prefix *subnets;
	size_t n_subnets;
	/* host and container: users (names or uids, checked by the caller)
	 * that reach port 53 and 853 anywhere, as dnsgate's own user does on
	 * the host. The caller owns the array. */
	const char *const *allow_users;
	size_t n_allow_users;
	/* host: systemd-resolved was found (the caller looked): the header
	 * says what that means. */
	bool systemd_resolved;
	/* nft only: also a default-deny policy for the sandbox's other
	 * egress, letting through the addresses dnsgate adds to its sets. */
	bool egress;
	/* --egress, container and host: the group whose sets this sandbox's
	 * answers go to (NULL: none, [firewall]'s). */
	const char *group;
};

/* "container", "docker-user" or "host"; @return 0, or DG_EMALFORMED for an unknown target. */
DG_NODISCARD int dg_firewall_target_from_str(const char *s,
					     enum dg_firewall_target *out);

/*
 * Can the rules opt asks for be made from cfg? For --egress: every nft set
 * of cfg ([firewall]'s, each group's) in one inet table, not the one the
 * DNS rules replace whole, and --group naming a group of cfg. What is
 * wrong goes to err, one line, naming the file and line of the key.
 * @return 0, or DG_EMALFORMED.
 */
DG_NODISCARD int dg_firewall_check(const struct dg_config *cfg,
				   const struct dg_firewall_options *opt,
				   FILE *err);

/*
 * Write the rules for cfg's listeners to out, with a header naming the
 * configuration (cfg->path, or the embedded default and command line), the
 * target, and how to apply and remove them. Target host needs cfg->user.
 * @return 0, DG_EMALFORMED for target host without cfg->user, or -EIO when
 * writing to out failed.
 */
DG_NODISCARD int dg_firewall_write(const struct dg_config *cfg,
				   const struct dg_firewall_options *opt,
				   FILE *out);
