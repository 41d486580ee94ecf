/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main: options, then one of: run the resolver, --check, explain, import,
 * learn, firewall.
 * Thin on purpose: everything it calls lives in a module of its own.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "control_client.h"
#include "daemon.h"
#include "diag.h"
#include "log.h"
#include "verify.h"

static const char usage_text[] =
	"Usage: dnsgate [OPTIONS]                      run the resolver\n"
	"       dnsgate [OPTIONS] --check              validate, print the effective\n"
	"                                              configuration and allowlist\n"
	"       dnsgate [OPTIONS] explain [--client ADDR] [--listener ADDR:PORT]\n"
	"                        NAME [TYPE]           say whether NAME is allowed and\n"
	"                                              why (for a client at ADDR, or\n"
	"                                              asking on that listener: its\n"
	"                                              [group NAME]'s policy)\n"
	"       dnsgate import [--format F] [--depth N] FILE...\n"
	"                                              print lists for other tools as a\n"
	"                                              zones file; F: hosts, list,\n"
	"                                              adblock, harden-runner, cilium,\n"
	"                                              squid or tinyproxy (default:\n"
	"                                              detected per FILE); N: the depth\n"
	"                                              of a wildcard that meant every depth\n"
	"       dnsgate control [-c FILE] [--socket PATH] COMMAND...\n"
	"                                              ask the running dnsgate: status,\n"
	"                                              stats, reload, flush, show policy,\n"
	"                                              allow, revoke, list (dnsgate\n"
	"                                              control --help)\n"
	"       dnsgate learn [--collapse N] [--presets DIR] LOG...\n"
	"                                              print the zones file a workload's\n"
	"                                              query logs call for (dnsgate(8))\n"
	"       dnsgate [OPTIONS] firewall --nft|--iptables\n"
	"                        [--target container|host] [--redirect] [--docker-dns]\n"
	"                        [--allow-user USER...] [--family 4|6]\n"
	"                        [--egress [--group NAME]]\n"
	"       dnsgate [OPTIONS] firewall --nft|--iptables --target docker-user\n"
	"                        [--subnet CIDR...] [--family 4|6] [--egress]\n"
	"                                              print firewall rules that leave\n"
	"                                              the listeners the only resolver\n"
	"       dnsgate [OPTIONS] firewall --verify [--server ADDR[:PORT]]\n"
	"                        [--allowed NAME] [--denied NAME]\n"
	"                        [--resolver ADDR[:PORT]...] [--outside ADDR:PORT...]\n"
	"                        [--timeout MS]\n"
	"                                              check, from inside the sandbox,\n"
	"                                              that the rules in place work\n"
	"\n"
	"dnsgate answers only allowlisted names, denies everything else with\n"
	"NXDOMAIN, and never sends a denied query anywhere.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE     read FILE (INI); without it, " DG_SYSCONFDIR "/dnsgate/\n"
	"                        dnsgate.conf when it exists, else the embedded\n"
	"                        default: listen on 127.0.0.1:5353, upstreams from\n"
	"                        /etc/resolv.conf, allowlist " DG_ZONESDIR "/default.zones\n"
	"      --listen ADDR[:PORT]    listen here, UDP and TCP (repeatable;\n"
	"                        replaces [server] listen)\n"
	"      --upstream ADDR[:PORT]  forward to this resolver (repeatable;\n"
	"                        replaces [upstream] servers); DNS over TLS:\n"
	"                        tls://ADDR[:PORT]#NAME (NAME: its certificate's)\n"
	"      --zones FILE      load this zones file (repeatable)\n"
	"      --allow ENTRY     allow ENTRY, zones syntax, e.g. '*.example.com' or\n"
	"                        'example.com depth=2 types=A,AAAA' (repeatable)\n"
	"                        --zones and --allow together replace the file's\n"
	"                        zones= and allow=\n"
	"      --query-log stderr|syslog|off|FILE   where the query log goes\n"
	"      --user USER       after binding, run as USER (replaces [server]\n"
	"                        user); the host firewall lets only USER (and\n"
	"                        --allow-user) reach port 53 and 853 elsewhere\n"
	"      --check           validate and print the effective configuration\n"
	"      --pidfile FILE    write the process ID to FILE once listening, for\n"
	"                        kill -HUP $(cat FILE); removed at exit\n"
	"  -f, --foreground      run in the foreground (the default: dnsgate never\n"
	"                        forks; let systemd or a supervisor keep it)\n"
	"\n"
	"Firewall options (the firewall command only):\n"
	"      --nft, --iptables rules for nft -f -, or for iptables-restore\n"
	"                        --noflush and ip6tables-restore --noflush\n"
	"      --target container|docker-user|host  where the rules go:\n"
	"                        container (the sandbox's own network namespace;\n"
	"                        the default), docker-user (the host's forward\n"
	"                        path: Docker's DOCKER-USER chain, or an nft\n"
	"                        table hooked on forward) or host (this machine's\n"
	"                        output path; only dnsgate's user, [server] user\n"
	"                        or --user, reaches port 53 and 853 elsewhere)\n"
	"      --subnet CIDR     docker-user: a sandbox network (the whole subnet)\n"
	"                        whose forwarded DNS may reach only dnsgate\n"
	"                        (repeatable; default: every Docker bridge,\n"
	"                        docker0 and br-*, by interface)\n"
	"      --redirect        DNAT stray port-53 traffic to dnsgate instead of\n"
	"                        dropping it\n"
	"      --docker-dns      container: let the container reach Docker's\n"
	"                        embedded resolver, 127.0.0.11 (user-defined\n"
	"                        networks), when its dns: is dnsgate: it forwards\n"
	"                        from the container, where only dnsgate is reachable\n"
	"      --family 4|6      iptables: print only the IPv4 or the IPv6 half\n"
	"                        (default both, the IPv6 half after a line\n"
	"                        '# ip6tables-restore')\n"
	"      --egress          nft: also default-deny the sandbox's other egress\n"
	"                        but to the addresses dnsgate adds to its nft sets\n"
	"                        and [firewall] allow_cidrs (rejected, ICMP\n"
	"                        admin-prohibited), in the sets' table\n"
	"      --group NAME      --egress, container or host: the sandbox uses the\n"
	"                        sets of [group NAME] (default: [firewall]'s)\n"
	"      --allow-user USER host and container: USER reaches port 53 and 853\n"
	"                        anywhere too, as dnsgate's user does (a local\n"
	"                        forwarder dnsgate uses: systemd-resolve, dnsmasq,\n"
	"                        unbound; repeatable)\n"
	"      --verify          print no rules: check them from inside the\n"
	"                        sandbox's namespace (nsenter -t PID -n), one line\n"
	"                        a check; exit 0 when all pass, 1 otherwise\n"
	"      --server ADDR[:PORT]  verify: ask dnsgate there (default: the first\n"
	"                        listener)\n"
	"      --allowed NAME    verify: a name that must resolve (default: the\n"
	"                        policy's first plain name)\n"
	"      --denied NAME     verify: a name that must be denied (default: a\n"
	"                        random label under invalid.)\n"
	"      --resolver ADDR[:PORT]  verify: a resolver that must be unreachable,\n"
	"                        UDP and TCP (repeatable)\n"
	"      --outside ADDR:PORT  verify: a TCP destination that must be\n"
	"                        unreachable (repeatable; for --egress)\n"
	"      --timeout MS      verify: how long each check waits (default 2000)\n"
	"\n"
	"  -h, --help            show this help (after a command: its own)\n"
	"  -V, --version         show the version\n"
	"\n"
	"Allowlist entries: NAME (that name only), *.NAME (NAME and one label\n"
	"below), NAME depth=N (NAME and up to N labels below); types=T1,T2\n"
	"narrows the query types; private=allow keeps private addresses.\n"
	"\n"
	"Signals: HUP reloads the configuration, USR1 reopens the query log\n"
	"file, INT and TERM stop.\n"
	"\n"
	"Exit status: 0 success (explain: allowed), 1 explain: denied (firewall\n"
	"--verify: a check failed), 2 a bad option, configuration or input.\n";

/* `dnsgate COMMAND --help`: what that command alone needs said. */
static const struct command_help {
	const char *command;
	const char *text;
} command_help[] = {
	{ "explain",
	  "Usage: dnsgate [OPTIONS] explain [--client ADDR] [--listener ADDR:PORT]\n"
	  "                        NAME [TYPE]\n"
	  "\n"
	  "Say whether a query for NAME of TYPE (default A) is allowed, and which\n"
	  "entry or reason decides it. OPTIONS (-c, --allow, --zones, ...) choose\n"
	  "the configuration, as for running.\n"
	  "\n"
	  "      --client ADDR     as asked by a client at ADDR: its [group NAME]\n"
	  "      --listener ADDR:PORT  as asked on that listener: its [group NAME]\n"
	  "\n"
	  "Exit status: 0 allowed, 1 denied, 2 a bad option, configuration or name.\n" },
	{ "import",
	  "Usage: dnsgate import [--format F] [--depth N] FILE...\n"
	  "\n"
	  "Print the lists of other tools (FILE, or - for standard input) as a\n"
	  "zones file.\n"
	  "\n"
	  "      --format F        hosts, list, adblock, harden-runner, cilium,\n"
	  "                        squid or tinyproxy (default: detected per FILE)\n"
	  "      --depth N         the depth of a wildcard that meant every depth\n"
	  "                        (default 1)\n"
	  "\n"
	  "Exit status: 0 printed, 2 a bad option, line or file (nothing printed).\n" },
	{ "firewall",
	  "Usage: dnsgate [OPTIONS] firewall --nft|--iptables\n"
	  "                        [--target container|host] [--redirect] [--docker-dns]\n"
	  "                        [--allow-user USER...] [--family 4|6]\n"
	  "                        [--egress [--group NAME]]\n"
	  "       dnsgate [OPTIONS] firewall --nft|--iptables --target docker-user\n"
	  "                        [--subnet CIDR...] [--family 4|6] [--egress]\n"
	  "       dnsgate [OPTIONS] firewall --verify [--server ADDR[:PORT]]\n"
	  "                        [--allowed NAME] [--denied NAME]\n"
	  "                        [--resolver ADDR[:PORT]...] [--outside ADDR:PORT...]\n"
	  "                        [--timeout MS]\n"
	  "\n"
	  "Print firewall rules that leave the configured listeners the only\n"
	  "resolver; with --egress (nft), also a default-deny policy for the\n"
	  "sandbox's other egress that lets through only the addresses dnsgate\n"
	  "adds to its nft sets and [firewall] allow_cidrs. 'dnsgate --help'\n"
	  "describes each option; dnsgate(8) the targets.\n"
	  "\n"
	  "With --verify, print no rules but check the ones in place, run from\n"
	  "inside the sandbox's network namespace (nsenter -t PID -n dnsgate -c\n"
	  "CONF firewall --verify ...): an allowed name resolves through dnsgate,\n"
	  "a denied one is denied, each --resolver answers nothing and takes no\n"
	  "TCP connection, each --outside takes no TCP connection. One line a\n"
	  "check, 'ok' or 'FAIL'.\n"
	  "\n"
	  "Exit status: 0 printed (--verify: every check passed), 1 --verify: a\n"
	  "check failed, 2 a bad option or configuration.\n" },
};

enum {
	OPT_LISTEN = 256,
	OPT_UPSTREAM,
	OPT_ZONES,
	OPT_ALLOW,
	OPT_QUERY_LOG,
	OPT_USER,
	OPT_PIDFILE,
	OPT_CLIENT,
	OPT_LISTENER,
	OPT_CHECK,
	OPT_NFT,
	OPT_IPTABLES,
	OPT_TARGET,
	OPT_REDIRECT,
	OPT_DOCKER_DNS,
	OPT_FAMILY,
	OPT_SUBNET,
	OPT_ALLOW_USER,
	OPT_VERIFY,
	OPT_SERVER,
	OPT_ALLOWED,
	OPT_DENIED,
	OPT_RESOLVER,
	OPT_OUTSIDE,
	OPT_TIMEOUT,
	OPT_EGRESS,
	OPT_GROUP,
	OPT_FORMAT,
	OPT_DEPTH,
};

static const struct option options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "upstream", required_argument, NULL, OPT_UPSTREAM },
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "query-log", required_argument, NULL, OPT_QUERY_LOG },
	{ "user", required_argument, NULL, OPT_USER },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "client", required_argument, NULL, OPT_CLIENT },
	{ "listener", required_argument, NULL, OPT_LISTENER },
	{ "foreground", no_argument, NULL, 'f' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "nft", no_argument, NULL, OPT_NFT },
	{ "iptables", no_argument, NULL, OPT_IPTABLES },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "redirect", no_argument, NULL, OPT_REDIRECT },
	{ "docker-dns", no_argument, NULL, OPT_DOCKER_DNS },
	{ "family", required_argument, NULL, OPT_FAMILY },
	{ "subnet", required_argument, NULL, OPT_SUBNET },
	{ "allow-user", required_argument, NULL, OPT_ALLOW_USER },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "allowed", required_argument, NULL, OPT_ALLOWED },
	{ "denied", required_argument, NULL, OPT_DENIED },
	{ "resolver", required_argument, NULL, OPT_RESOLVER },
	{ "outside", required_argument, NULL, OPT_OUTSIDE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "egress", no_argument, NULL, OPT_EGRESS },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* What the command line asked for. */
struct args {
	/* Each repeatable option holds at most argc values. */
	/* --listen, --upstream, --zones, --allow, --allow-user, --resolver,
	 * --outside */
	const char **lists;
	struct dg_prefix *subnets; /* --subnet: fw.subnets */
	const char **allow_users; /* fw.allow_users */
	const char **resolvers, **outside; /* verify's */
	struct dg_overrides ov;
	struct dg_daemon_options daemon;
	const char *config_path;
	const char *command;
	const char *explain_client;   /* explain --client */
	const char *explain_listener; /* explain --listener */
	const char *import_format, *import_depth; /* import --format, --depth */
	struct dg_firewall_options fw;
	struct dg_verify_options verify;
	int fw_backends;  /* --nft and --iptables seen */
	bool fw_options;  /* any firewall option seen */
	bool fw_verify;   /* --verify */
	bool verify_options; /* an option of --verify's seen */
	bool check;
	bool help;
};

/* --help: the command's own help when one is named, else the whole.
 * @return the exit status. */
static int print_help(const char *command)
{
	for (size_t i = 0; command != NULL && i < DG_ARRAY_SIZE(command_help);
	     i++)
		if (strcmp(command, command_help[i].command) == 0) {
			fputs(command_help[i].text, stdout);
			return DG_EXIT_OK;
		}
	fputs(usage_text, stdout);
	return DG_EXIT_OK;
}

/* An option of firewall --verify's into a->verify. Addresses are read by
 * the check itself. @return 0, or -1 when its value is bad (said). */
static int verify_option(struct args *a, int c, const char *v)
{
	struct dg_verify_options *vo = &a->verify;
	unsigned long ms;

	a->verify_options = true;
	switch (c) {
	case OPT_SERVER:
		vo->server = v;
		return 0;
	case OPT_ALLOWED:
		vo->allowed = v;
		return 0;
	case OPT_DENIED:
		vo->denied = v;
		return 0;
	case OPT_RESOLVER:
		a->resolvers[vo->n_resolvers++] = v;
		return 0;
	case OPT_OUTSIDE:
		a->outside[vo->n_outside++] = v;
		return 0;
	default: /* OPT_TIMEOUT */
		if (!dg_parse_ulong(v, 1, 600000, &ms)) {
			dg_log(DG_LOG_ERR, "firewall: --timeout is a number of "
					   "milliseconds from 1 to 600000, not "
					   "'%s'", v);
			return -1;
		}
		vo->timeout_ms = (unsigned)ms;
		return 0;
	}
}

/* A firewall option into a->fw. @return 0, or -1 when its value is bad
 * (said). */
static int firewall_option(struct args *a, int c, const char *v)
{
	a->fw_options = true;
	if (c >= OPT_SERVER && c <= OPT_TIMEOUT)
		return verify_option(a, c, v);
	switch (c) {
	case OPT_NFT:
	case OPT_IPTABLES:
		a->fw.backend = c == OPT_NFT ? DG_FW_NFT : DG_FW_IPTABLES;
		a->fw_backends++;
		return 0;
	case OPT_TARGET:
		if (dg_firewall_target_from_str(v, &a->fw.target) == 0)
			return 0;
		dg_log(DG_LOG_ERR, "firewall: unknown target '%s' (known: "
				   "container, docker-user, host)", v);
		return -1;
	case OPT_REDIRECT:
		a->fw.redirect = true;
		return 0;
	case OPT_DOCKER_DNS:
		a->fw.docker_dns = true;
		return 0;
	case OPT_EGRESS:
		a->fw.egress = true;
		return 0;
	case OPT_GROUP:
		a->fw.group = v;
		return 0;
	case OPT_FAMILY:
		if (strcmp(v, "4") != 0 && strcmp(v, "6") != 0) {
			dg_log(DG_LOG_ERR, "firewall: --family is 4 or 6, not "
					   "'%s'", v);
			return -1;
		}
		a->fw.family = v[0] - '0';
		return 0;
	case OPT_ALLOW_USER:
		a->allow_users[a->fw.n_allow_users++] = v;
		return 0;
	case OPT_VERIFY:
		a->fw_verify = true;
		return 0;
	default: /* OPT_SUBNET */
		if (dg_prefix_parse(v, &a->subnets[a->fw.n_subnets]) != 0) {
			dg_log(DG_LOG_ERR, "firewall: --subnet: '%s' is not a "
					   "prefix (ADDR/LEN, no host bits set)", v);
			return -1;
		}
		a->fw.n_subnets++;
		return 0;
	}
}

/* The options into a, the command (if any) in a->command, its arguments
 * from argv[optind] on. @return -1 to go on, or the exit status (--help,
 * --version, a bad option: said). */
static int parse_options(int argc, char **argv, struct args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "c:fhV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config_path = a->daemon.config_path = optarg;
			break;
		case OPT_PIDFILE:
			a->daemon.pidfile = optarg;
			break;
		case OPT_CLIENT:
			a->explain_client = optarg;
			break;
		case OPT_LISTENER:
			a->explain_listener = optarg;
			break;
		case OPT_FORMAT:
			a->import_format = optarg;
			break;
		case OPT_DEPTH:
			a->import_depth = optarg;
			break;
		case 'f':
			/* dnsgate never forks: the flag only says so. */
			break;
		case OPT_LISTEN:
			a->ov.listen[a->ov.n_listen++] = optarg;
			break;
		case OPT_UPSTREAM:
			a->ov.upstream[a->ov.n_upstream++] = optarg;
			break;
		case OPT_ZONES:
			a->ov.zones[a->ov.n_zones++] = optarg;
			break;
		case OPT_ALLOW:
			a->ov.allow[a->ov.n_allow++] = optarg;
			break;
		case OPT_QUERY_LOG:
			a->ov.query_log = optarg;
			break;
		case OPT_USER:
			a->ov.user = optarg;
			break;
		case OPT_CHECK:
			a->check = true;
			break;
		case OPT_NFT: case OPT_IPTABLES: case OPT_TARGET:
		case OPT_REDIRECT: case OPT_DOCKER_DNS: case OPT_FAMILY:
		case OPT_SUBNET: case OPT_ALLOW_USER: case OPT_VERIFY:
		case OPT_SERVER: case OPT_ALLOWED: case OPT_DENIED:
		case OPT_RESOLVER: case OPT_OUTSIDE: case OPT_TIMEOUT:
		case OPT_EGRESS: case OPT_GROUP:
			if (firewall_option(a, c, optarg) != 0)
				return DG_EXIT_USAGE;
			break;
		case 'h':
			/* Printed once the command, which may come after
			 * --help, is known. */
			a->help = true;
			break;
		case 'V':
			printf("dnsgate %s\n", PACKAGE_VERSION);
			return DG_EXIT_OK;
		default:
			dg_log(DG_LOG_ERR, "Try 'dnsgate --help'.");
			return DG_EXIT_USAGE;
		}
	}
	if (optind < argc)
		a->command = argv[optind++];
	if (a->help)
		return print_help(a->command);
	return -1;
}

/* The firewall options make one set of rules. @return whether (what is
 * wrong was said). */
static bool firewall_options_ok(const struct args *a, bool extra_args)
{
	const struct dg_firewall_options *fw = &a->fw;
	const char *wrong = NULL;

	if (a->fw_verify && (a->fw_backends != 0 || extra_args ||
			     fw->target != DG_FW_CONTAINER || fw->redirect ||
			     fw->docker_dns || fw->family != 0 ||
			     fw->n_subnets > 0 || fw->n_allow_users > 0 ||
			     fw->egress || fw->group != NULL))
		wrong = "usage: dnsgate firewall --verify [--server ADDR[:PORT]] "
			"[--allowed NAME] [--denied NAME] [--resolver "
			"ADDR[:PORT]...] [--outside ADDR:PORT...] [--timeout MS]"
			"\n(--verify checks the rules in place: it takes none of "
			"the options that print them)";
	else if (a->fw_verify)
		return true;
	else if (a->verify_options)
		wrong = "firewall: --server, --allowed, --denied, --resolver, "
			"--outside and --timeout go with --verify";
	else if (a->fw_backends != 1 || extra_args)
		wrong = "usage: dnsgate firewall --nft|--iptables "
			"[--target container|host] [--redirect] [--docker-dns] "
			"[--allow-user USER...] [--family 4|6] "
			"[--egress [--group NAME]]\n"
			"       dnsgate firewall --nft|--iptables --target "
			"docker-user [--subnet CIDR...] [--family 4|6] "
			"[--egress]\n"
			"       dnsgate firewall --verify [OPTIONS]";
	else if (fw->egress && fw->backend != DG_FW_NFT)
		wrong = "firewall: --egress needs --nft: iptables cannot match "
			"the nftables sets dnsgate fills";
	else if (fw->group != NULL && !fw->egress)
		wrong = "firewall: --group goes with --egress (whose sets the "
			"sandbox uses)";
	else if (fw->group != NULL && fw->target == DG_FW_DOCKER_USER)
		wrong = "firewall: --group goes with --target container or "
			"host (docker-user tells the groups by their clients)";
	else if (fw->target == DG_FW_DOCKER_USER && fw->redirect)
		wrong = "firewall: --redirect goes with --target container or "
			"host";
	else if (fw->target != DG_FW_CONTAINER && fw->docker_dns)
		wrong = "firewall: --docker-dns goes with --target container "
			"(Docker's resolver is in the container's namespace)";
	else if (fw->target != DG_FW_DOCKER_USER && fw->n_subnets > 0)
		wrong = "firewall: --subnet goes with --target docker-user "
			"(the container and host targets cover their whole "
			"namespace)";
	else if (fw->target == DG_FW_DOCKER_USER && fw->n_allow_users > 0)
		wrong = "firewall: --allow-user goes with --target host or "
			"container (docker-user matches forwarded packets, "
			"which have no local user)";
	else if (fw->family != 0 && fw->backend != DG_FW_IPTABLES)
		wrong = "firewall: --family goes with --iptables (one nft "
			"table holds both families)";
	if (wrong != NULL)
		dg_log(DG_LOG_ERR, "%s", wrong);
	return wrong == NULL;
}

/* The options go with the command, which takes n_args arguments.
 * @return whether (what is wrong was said). */
static bool command_ok(const struct args *a, int n_args)
{
	bool firewall = a->command != NULL &&
			strcmp(a->command, "firewall") == 0;
	bool explain = a->command != NULL &&
		       strcmp(a->command, "explain") == 0;

	if (a->import_format != NULL || a->import_depth != NULL) {
		dg_log(DG_LOG_ERR, "--format and --depth go with the import "
				   "command");
		return false;
	}
	if (a->fw_options && !firewall) {
		dg_log(DG_LOG_ERR, "--nft, --iptables, --target, --redirect, "
				   "--docker-dns, --family, --subnet, --allow-user, "
				   "--egress, --group and --verify (and its options) "
				   "go with the firewall command");
		return false;
	}
	if (firewall)
		return firewall_options_ok(a, n_args > 0);
	if ((a->explain_client != NULL || a->explain_listener != NULL) &&
	    !explain) {
		dg_log(DG_LOG_ERR, "--client and --listener go with the "
				   "explain command");
		return false;
	}
	if (a->command != NULL && !explain) {
		dg_log(DG_LOG_ERR, "unknown command '%s'. Try 'dnsgate --help'.",
		       a->command);
		return false;
	}
	if (explain && (n_args < 1 || n_args > 2)) {
		dg_log(DG_LOG_ERR, "usage: dnsgate explain NAME [TYPE]");
		return false;
	}
	return true;
}

/* Load the configuration and do what the command line asked with it;
 * args: the command's arguments. @return the exit status. */
static int run(struct args *a, char **args, int n_args)
{
	struct dg_config *cfg = NULL;
	struct dg_diag d;
	int rc, status;

	/* Serving and --check need somewhere to forward to; explain does not. */
	a->ov.need_upstream = a->command == NULL;
	if (a->config_path == NULL)
		a->config_path = a->daemon.config_path =
			dg_config_default_path();
	/* The tests' stand-in for /etc/resolv.conf (dnsgate.8 ENVIRONMENT). */
	a->ov.resolv_conf = getenv("DNSGATE_RESOLV_CONF");
	dg_diag_init(&d, stderr);
	rc = dg_config_load(a->config_path, &a->ov, &d, &cfg);
	if (rc != 0) {
		if (rc == DG_ECONFIG)
			dg_log(DG_LOG_ERR, "%u error%s in the configuration",
			       d.errors, d.errors == 1 ? "" : "s");
		return DG_EXIT_USAGE;
	}
	if (a->command != NULL && strcmp(a->command, "firewall") == 0 &&
	    a->fw_verify)
		status = dg_verify_run(cfg, &a->verify, stdout, stderr);
	else if (a->command != NULL && strcmp(a->command, "firewall") == 0)
		status = dg_cli_firewall(cfg, &a->fw, stdout, stderr);
	else if (a->command != NULL)
		status = dg_cli_explain(cfg, args[0],
					n_args == 2 ? args[1] : NULL,
					a->explain_client, a->explain_listener,
					stdout, stderr);
	else if (a->check)
		status = dg_cli_check(cfg, stdout);
	else
		status = dg_daemon_run(cfg, &a->daemon);
	dg_config_free(cfg);
	return status;
}

int main(int argc, char **argv)
{
	struct args a = { .fw = { .target = DG_FW_CONTAINER } };
	int status;

	/* learn reads logs, no configuration, and has options of its own. */
	if (argc > 1 && strcmp(argv[1], "learn") == 0)
		return dg_cli_learn(argc - 1, argv + 1, stdout, stderr);
	/* control asks the daemon, and reads only its socket's path. */
	if (argc > 1 && strcmp(argv[1], "control") == 0)
		return dg_cli_control(argc - 1, argv + 1, stdout, stderr);
	a.lists = calloc((size_t)argc * 7 + 7, sizeof(*a.lists));
	a.subnets = calloc((size_t)argc + 1, sizeof(*a.subnets));
	if (a.lists == NULL || a.subnets == NULL) {
		dg_log(DG_LOG_ERR, "out of memory");
		status = DG_EXIT_USAGE;
		goto done;
	}
	a.daemon.ov = &a.ov;
	a.ov.listen = a.lists;
	a.ov.upstream = a.lists + argc + 1;
	a.ov.zones = a.lists + 2 * (argc + 1);
	a.ov.allow = a.lists + 3 * (argc + 1);
	a.fw.allow_users = a.allow_users = a.lists + 4 * (argc + 1);
	a.verify.resolvers = a.resolvers = a.lists + 5 * (argc + 1);
	a.verify.outside = a.outside = a.lists + 6 * (argc + 1);
	a.fw.subnets = a.subnets;
	status = parse_options(argc, argv, &a);
	if (status >= 0)
		goto done;
	if (a.command != NULL && strcmp(a.command, "import") == 0)
		status = dg_cli_import(argv + optind, argc - optind,
				       a.import_format, a.import_depth, stdout,
				       stderr);
	else if (!command_ok(&a, argc - optind))
		status = DG_EXIT_USAGE;
	else
		status = run(&a, argv + optind, argc - optind);
done:
	free(a.lists);
	free(a.subnets);
	return status;
}
