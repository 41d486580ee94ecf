/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config: the INI configuration (DESIGN.md "Configuration") read with
 * inih, the command-line overrides, the embedded default, and the policy
 * they describe (zones files and inline entries loaded through zones.c).
 *
 * Every default is set in one place, config_init_defaults() in config.c
 * (the policy's own limits in dg_policy_new()). Every problem is reported
 * through dg_diag as `FILE:LINE: key: problem` and loading goes on, so one
 * run shows them all; a config with any error is not returned.
 *
 * inih is fed through our own line reader: it numbers lines for the
 * messages, rejects lines longer than inih's buffer (inih would cut them
 * silently), and strips leading blanks so an indented key is never taken
 * for a continuation of the previous value.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "addr.h"
#include "diag.h"
#include "forward.h"
#include "localdata.h"
#include "log.h"
#include "nftset_msg.h"
#include "policy.h"

#define DG_DEFAULT_CONFIG_PORT 53

enum dg_deny_rcode { DG_DENY_NXDOMAIN = 3, DG_DENY_REFUSED = 5 };
enum dg_cname_mode { DG_CNAME_PASS, DG_CNAME_STRICT };
/* [policy] mode and [group] mode. Audit answers what enforce would deny
 * and logs it as would-deny; INHERIT (a group's only): the [policy] one. */
enum dg_mode { DG_MODE_INHERIT, DG_MODE_ENFORCE, DG_MODE_AUDIT };

/* Strings with the line each came from (0: the command line). */
struct dg_strings {
	char **v;
	unsigned *lines;
	size_t n, cap;
};

/*
 * A [group NAME] section: the queries it covers get its policy instead of
 * the global one. It covers every query that arrives on one of its listen
 * addresses, whatever the source, and on the other listeners the queries
 * whose source lies in its clients prefixes (dg_config_policy_for).
 */
struct dg_group {
	char *name;
	unsigned line;
	/* Listeners of its own: what a sandbox reaches is pinned by the
	 * firewall, so it cannot borrow another group's, as it can a source
	 * address. Each address belongs to one group at most. */
	struct dg_addrs listen;
	struct dg_prefix *clients;
	size_t n_clients, cap_clients;
	struct dg_strings zones;
	struct dg_strings allow;
	unsigned new_names_per_minute_total; /* 0: the [policy] one */
	enum dg_mode mode;                   /* INHERIT: the [policy] one */
	/* Its own nft sets, A ([0]) and AAAA ([1]); table NULL: none. A group
	 * with either takes its answers there and never to [firewall]'s. */
	struct dg_nftset_name nft_set[2];
	unsigned nft_set_line[2]; /* where each was set; 0: not set */
	/* Its zones and allow lines, under the global [policy] limits. */
	struct dg_policy *policy;
};

/* The most event loops [server] workers may ask for. */
#define DG_MAX_WORKERS 64

/* A loaded configuration. Owns everything it points to, the policy too. */
struct dg_config {
	/* One per holder: worker threads share a reloaded configuration,
	 * and the last of them to let it go frees it (dg_config_free). */
	atomic_uint refs;
	char *path; /* the file read; NULL for the embedded default */

	/* [server]; listen holds every address a socket is opened on: the
	 * first n_server_listen are [server] listen (or --listen), then each
	 * group's listen address not among them. */
	struct dg_addrs listen;
	size_t n_server_listen;
	char *user; /* NULL: keep the user that started dnsgate */
	unsigned tcp_idle_timeout_ms;
	unsigned max_tcp_clients;
	unsigned max_udp_size;
	unsigned workers; /* event loops, one thread each, SO_REUSEPORT */
	unsigned client_rate_limit; /* UDP queries a second a client; 0: off */

	/* [upstream] */
	struct dg_addrs servers; /* all plain or all tls:// */
	bool servers_from_resolv_conf;
	char *tls_ca_file; /* NULL: the system's CAs */
	unsigned upstream_timeout_ms;
	unsigned max_inflight;
	unsigned max_waiting; /* client queries waiting on upstreams */

	/* [policy]; the limits and the entries live in `policy`. */
	struct dg_strings zones; /* as written, before globbing */
	struct dg_strings allow; /* inline lists as written */
	enum dg_deny_rcode deny_rcode;
	enum dg_cname_mode cname;
	bool ede; /* denials carry an Extended DNS Error (RFC 8914) */
	enum dg_mode mode; /* never INHERIT */
	unsigned new_names_per_minute;       /* per client and entry */
	unsigned new_names_per_minute_total; /* per entry, every client */
	unsigned min_ttl, max_ttl;
	struct dg_policy *policy;

	/* [cache] */
	unsigned cache_max_entries;
	unsigned negative_ttl;

	/* [log] */
	char *query_log; /* "stderr", "syslog", "off" or a file */
	bool log_allowed;
	unsigned deny_log_rate; /* denial lines a second a client; 0: all */
	enum dg_log_level log_level;

	/* [metrics] */
	bool metrics_enabled;
	struct dg_addr metrics_listen;
	unsigned ready_window; /* s: /ready wants an upstream answer within */

	/* [control] */
	char *control_socket; /* NULL: no control socket */

	/* [firewall]: the sets A ([0]) and AAAA ([1]) answers are added to;
	 * table NULL: none. */
	struct dg_nftset_name nft_set[2];
	unsigned nft_set_line[2]; /* where each was set; 0: not set */
	/* The least timeout of a set element, whatever the record's TTL:
	 * applications reconnect after the TTL the client saw expired. */
	unsigned nft_set_min_ttl;
	/* Destinations `firewall --egress` lets through without an answer. */
	struct dg_prefix *allow_cidrs;
	size_t n_allow_cidrs, cap_allow_cidrs;

	struct dg_group *groups;
	size_t n_groups, cap_groups;

	/* [local]: the lines as written, and their records. */
	struct dg_strings local_lines;
	struct dg_localdata local;

	/* [forward ZONE] sections, restart-only like [upstream] servers;
	 * sets: [upstream]'s servers, then each forward zone's. */
	struct dg_forward *forwards;
	size_t n_forwards, cap_forwards;
	struct dg_server_sets sets;
};

/* Command-line settings; each list, when given, replaces the file's. */
struct dg_overrides {
	const char **listen;
	size_t n_listen;
	const char **upstream;
	size_t n_upstream;
	/* --zones and --allow together replace both zones= and allow=, so
	 * the command line alone says what is allowed. */
	const char **zones;
	size_t n_zones;
	const char **allow;
	size_t n_allow;
	const char *query_log;
	const char *user;
	/* Where to find upstreams when none are configured. */
	const char *resolv_conf;
	/* Refuse a configuration without upstreams (serving, --check). */
	bool need_upstream;
};

/*
 * Load `path` (NULL: the embedded default), apply the overrides, load the
 * zones and build the policy.
 * @return 0 and a config in *out (free with dg_config_free), DG_ECONFIG
 * when d counted errors, or DG_ENOMEM.
 */
DG_NODISCARD int dg_config_load(const char *path,
				const struct dg_overrides *ov,
				struct dg_diag *d, struct dg_config **out);

/*
 * What to read without -c: the installed DG_SYSCONFDIR/dnsgate/dnsgate.conf,
 * or $DNSGATE_DEFAULT_CONFIG when set (so the tests never read the
 * machine's); NULL when that file does not exist: the embedded default.
 */
const char *dg_config_default_path(void);

/* Does the list hold x (dg_addr_equal)? */
bool dg_addrs_has(const struct dg_addrs *a, const struct dg_addr *x);

/* Another holder of cfg (a worker thread); each holder frees once. */
void dg_config_ref(struct dg_config *cfg);
/* Drop one holder's reference; the last one frees. NULL is allowed. */
void dg_config_free(struct dg_config *cfg);

/*
 * The policy for a query from `client` that arrived on the listener
 * `listener` (either NULL: unknown, as for explain without --client or
 * --listener): that of the group whose listen holds the listener, whatever
 * the client; else that of the group whose clients prefix holds the
 * client, the longest such prefix winning; else the global one. The listener is matched by
 * address, so the answer never depends on the order of the groups. *group
 * is set to the group, or NULL.
 */
const struct dg_policy *dg_config_policy_for(const struct dg_config *cfg,
					     const struct dg_addr *client,
					     const struct dg_addr *listener,
					     const struct dg_group **group);

/*
 * new_names_per_minute_total of policy i: 0 the global one, i + 1 group
 * i (a group without its own takes the global value).
 */
unsigned dg_config_total_for(const struct dg_config *cfg, size_t i);

/* Does the policy of group g (NULL: the global one) audit rather than
 * enforce? A group without a mode of its own takes [policy] mode. */
bool dg_config_audits(const struct dg_config *cfg, const struct dg_group *g);

/* The sets answers to policy group g (NULL: no group) go to: g's own
 * when it has either, else [firewall]'s. */
const struct dg_nftset_name *dg_config_nft_sets(const struct dg_config *cfg,
						const struct dg_group *g);

/* The group of cfg named name, or NULL. */
const struct dg_group *dg_config_group(const struct dg_config *cfg,
				       const char *name);

/* Does any set ([firewall]'s or a group's) take answers? */
bool dg_config_has_nft_sets(const struct dg_config *cfg);

/* How many policies, the global one and the groups', audit. */
size_t dg_config_audit_count(const struct dg_config *cfg);

/*
 * What a reload to cfg cannot change (sockets, the user, the workers, the
 * upstreams, the log, metrics and nft set sinks: opened at start), against
 * `old`, the configuration dnsgate started with and still runs those by:
 * one line to out for each such key that differs, naming it as
 * `[section] key` (`[group NAME] key`), saying it waits for the next
 * start. A key that differs is named at every reload until a restart.
 * Called once per reload, by the daemon, whatever the number of workers.
 */
void dg_config_warn_restart_only(const struct dg_config *old,
				 const struct dg_config *cfg, FILE *out);

/* The effective configuration and allowlist, as `--check` prints it. */
void dg_config_print(const struct dg_config *cfg, FILE *out);

/* "nxdomain", "strict", "info", … */
const char *dg_log_level_name(enum dg_log_level level);

/* A key of the configuration, for the tests. */
struct dg_config_key {
	const char *section; /* "server", …; "group" for [group NAME] */
	const char *name;
	bool restart; /* a change waits for the next start */
};

/* Key i into *out; false past the last. */
bool dg_config_key(size_t i, struct dg_config_key *out);
