/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main: options, then one of: run the resolver, --check, explain, import,
 * firewall.
 * Thin on purpose: everything it calls lives in a module of its own.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "diag.h"
#include "log.h"

static const char usage_text[] =
	"Usage: dnsgate [OPTIONS]                      run the resolver\n"
	"       dnsgate [OPTIONS] --check              validate, print the effective\n"
	"                                              configuration and allowlist\n"
	"       dnsgate [OPTIONS] explain [--client ADDR] [--listener ADDR:PORT]\n"
	"                        NAME [TYPE]           say whether NAME is allowed and\n"
	"                                              why (for a client at ADDR, or\n"
	"                                              asking on that listener: its\n"
	"                                              [group NAME]'s policy)\n"
	"       dnsgate import FILE...                 print a host list, Squid dstdomain\n"
	"                                              or tinyproxy filter as a zones file\n"
	"       dnsgate [OPTIONS] firewall --nft|--iptables\n"
	"                        [--target container|host] [--redirect] [--docker-dns]\n"
	"                        [--family 4|6]\n"
	"       dnsgate [OPTIONS] firewall --nft|--iptables --target docker-user\n"
	"                        --subnet CIDR [--subnet CIDR...] [--family 4|6]\n"
	"                                              print firewall rules that leave\n"
	"                                              the listeners the only resolver\n"
	"\n"
	"dnsgate answers only allowlisted names, denies everything else with\n"
	"NXDOMAIN, and never sends a denied query anywhere.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE     read FILE (INI); without it, the embedded default:\n"
	"                        listen on 127.0.0.1:5353, upstreams from\n"
	"                        /etc/resolv.conf, allowlist " DG_ZONESDIR "/default.zones\n"
	"      --listen ADDR[:PORT]    listen here, UDP and TCP (repeatable;\n"
	"                        replaces [server] listen)\n"
	"      --upstream ADDR[:PORT]  forward to this resolver (repeatable;\n"
	"                        replaces [upstream] servers)\n"
	"      --zones FILE      load this zones file (repeatable)\n"
	"      --allow ENTRY     allow ENTRY, zones syntax, e.g. '*.example.com' or\n"
	"                        'example.com depth=2 types=A,AAAA' (repeatable)\n"
	"                        --zones and --allow together replace the file's\n"
	"                        zones= and allow=\n"
	"      --query-log stderr|syslog|off|FILE   where the query log goes\n"
	"      --user USER       after binding, run as USER (replaces [server]\n"
	"                        user); the host firewall lets only USER reach\n"
	"                        port 53 and 853 elsewhere\n"
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
	"                        (repeatable; required)\n"
	"      --redirect        DNAT stray port-53 traffic to dnsgate instead of\n"
	"                        dropping it\n"
	"      --docker-dns      container: let the container reach Docker's\n"
	"                        embedded resolver, 127.0.0.11 (user-defined\n"
	"                        networks), when its dns: is dnsgate: it forwards\n"
	"                        from the container, where only dnsgate is reachable\n"
	"      --family 4|6      iptables: print only the IPv4 or the IPv6 half\n"
	"                        (default both, the IPv6 half after a line\n"
	"                        '# ip6tables-restore')\n"
	"\n"
	"  -h, --help            show this help\n"
	"  -V, --version         show the version\n"
	"\n"
	"Allowlist entries: NAME (that name only), *.NAME (NAME and one label\n"
	"below), NAME depth=N (NAME and up to N labels below); types=T1,T2\n"
	"narrows the query types; private=allow keeps private addresses.\n"
	"\n"
	"Signals: HUP reloads the configuration, USR1 reopens the query log\n"
	"file, INT and TERM stop.\n"
	"\n"
	"Exit status: 0 success (explain: allowed), 1 explain: denied,\n"
	"2 a bad option, configuration or input.\n";

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
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	/* Each repeatable option holds at most argc values. */
	const char **lists = calloc((size_t)argc * 4 + 4, sizeof(*lists));
	struct dg_prefix *subnets = calloc((size_t)argc + 1, sizeof(*subnets));
	struct dg_overrides ov = { 0 };
	struct dg_daemon_options daemon_opt = { .ov = &ov };
	const char *config_path = NULL;
	const char *command = NULL;
	const char *explain_client = NULL; /* explain --client */
	const char *explain_listener = NULL; /* explain --listener */
	struct dg_config *cfg = NULL;
	struct dg_diag d;
	struct dg_firewall_options fw = { .target = DG_FW_CONTAINER };
	int fw_backends = 0;  /* --nft and --iptables seen */
	bool fw_options = false;  /* any firewall option seen */
	bool check = false, firewall = false;
	int status = DG_EXIT_USAGE;
	int c, rc;

	if (lists == NULL || subnets == NULL) {
		dg_log(DG_LOG_ERR, "out of memory");
		return DG_EXIT_USAGE;
	}
	ov.listen = lists;
	ov.upstream = lists + argc + 1;
	ov.zones = lists + 2 * (argc + 1);
	ov.allow = lists + 3 * (argc + 1);
	fw.subnets = subnets;
	while ((c = getopt_long(argc, argv, "c:fhV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			daemon_opt.config_path = optarg;
			break;
		case OPT_PIDFILE:
			daemon_opt.pidfile = optarg;
			break;
		case OPT_CLIENT:
			explain_client = optarg;
			break;
		case OPT_LISTENER:
			explain_listener = optarg;
			break;
		case 'f':
			/* dnsgate never forks: the flag only says so. */
			break;
		case OPT_LISTEN:
			ov.listen[ov.n_listen++] = optarg;
			break;
		case OPT_UPSTREAM:
			ov.upstream[ov.n_upstream++] = optarg;
			break;
		case OPT_ZONES:
			ov.zones[ov.n_zones++] = optarg;
			break;
		case OPT_ALLOW:
			ov.allow[ov.n_allow++] = optarg;
			break;
		case OPT_QUERY_LOG:
			ov.query_log = optarg;
			break;
		case OPT_USER:
			ov.user = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_NFT:
		case OPT_IPTABLES:
			fw.backend = c == OPT_NFT ? DG_FW_NFT : DG_FW_IPTABLES;
			fw_backends++;
			fw_options = true;
			break;
		case OPT_TARGET:
			if (dg_firewall_target_from_str(optarg, &fw.target) != 0) {
				dg_log(DG_LOG_ERR, "firewall: unknown target "
						   "'%s' (known: container, docker-user, host)",
				       optarg);
				goto done;
			}
			fw_options = true;
			break;
		case OPT_REDIRECT:
			fw.redirect = true;
			fw_options = true;
			break;
		case OPT_DOCKER_DNS:
			fw.docker_dns = true;
			fw_options = true;
			break;
		case OPT_FAMILY:
			if (strcmp(optarg, "4") != 0 && strcmp(optarg, "6") != 0) {
				dg_log(DG_LOG_ERR, "firewall: --family is 4 "
						   "or 6, not '%s'", optarg);
				goto done;
			}
			fw.family = optarg[0] - '0';
			fw_options = true;
			break;
		case OPT_SUBNET:
			if (dg_prefix_parse(optarg, &subnets[fw.n_subnets]) != 0) {
				dg_log(DG_LOG_ERR, "firewall: --subnet: '%s' is "
						   "not a prefix (ADDR/LEN, no host bits "
						   "set)", optarg);
				goto done;
			}
			fw.n_subnets++;
			fw_options = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = DG_EXIT_OK;
			goto done;
		case 'V':
			printf("dnsgate %s\n", PACKAGE_VERSION);
			status = DG_EXIT_OK;
			goto done;
		default:
			dg_log(DG_LOG_ERR, "Try 'dnsgate --help'.");
			goto done;
		}
	}
	if (optind < argc)
		command = argv[optind++];

	if (command != NULL && strcmp(command, "import") == 0) {
		status = dg_cli_import(argv + optind, argc - optind, stdout,
				       stderr);
		goto done;
	}
	firewall = command != NULL && strcmp(command, "firewall") == 0;
	if (fw_options && !firewall) {
		dg_log(DG_LOG_ERR, "--nft, --iptables, --target, --redirect, "
				   "--docker-dns, --family and --subnet go with "
				   "the firewall command");
		goto done;
	}
	if (firewall && (fw_backends != 1 || optind < argc)) {
		dg_log(DG_LOG_ERR, "usage: dnsgate firewall --nft|--iptables "
				   "[--target container|host] [--redirect] [--docker-dns] "
				   "[--family 4|6]\n"
				   "       dnsgate firewall --nft|--iptables --target "
				   "docker-user --subnet CIDR... [--family 4|6]");
		goto done;
	}
	if (firewall && fw.target == DG_FW_DOCKER_USER && fw.n_subnets == 0) {
		dg_log(DG_LOG_ERR, "firewall: --target docker-user needs "
				   "--subnet CIDR (the sandbox networks; repeatable)");
		goto done;
	}
	if (firewall && fw.target == DG_FW_DOCKER_USER && fw.redirect) {
		dg_log(DG_LOG_ERR, "firewall: --redirect goes with --target "
				   "container or host");
		goto done;
	}
	if (firewall && fw.target != DG_FW_CONTAINER && fw.docker_dns) {
		dg_log(DG_LOG_ERR, "firewall: --docker-dns goes with --target "
				   "container (Docker's resolver is in the "
				   "container's namespace)");
		goto done;
	}
	if (firewall && fw.target != DG_FW_DOCKER_USER && fw.n_subnets > 0) {
		dg_log(DG_LOG_ERR, "firewall: --subnet goes with --target "
				   "docker-user (the container and host targets "
				   "cover their whole namespace)");
		goto done;
	}
	if (firewall && fw.family != 0 && fw.backend != DG_FW_IPTABLES) {
		dg_log(DG_LOG_ERR, "firewall: --family goes with --iptables "
				   "(one nft table holds both families)");
		goto done;
	}
	if ((explain_client != NULL || explain_listener != NULL) &&
	    (command == NULL || strcmp(command, "explain") != 0)) {
		dg_log(DG_LOG_ERR, "--client and --listener go with the "
				   "explain command");
		goto done;
	}
	if (command != NULL && !firewall && strcmp(command, "explain") != 0) {
		dg_log(DG_LOG_ERR,
		       "unknown command '%s'. Try 'dnsgate --help'.",
		       command);
		goto done;
	}
	if (command != NULL && !firewall &&
	    (argc - optind < 1 || argc - optind > 2)) {
		dg_log(DG_LOG_ERR, "usage: dnsgate explain NAME [TYPE]");
		goto done;
	}

	/* Serving and --check need somewhere to forward to; explain does not. */
	ov.need_upstream = command == NULL;
	dg_diag_init(&d, stderr);
	rc = dg_config_load(config_path, &ov, &d, &cfg);
	if (rc != 0) {
		if (rc == DG_ECONFIG)
			dg_log(DG_LOG_ERR, "%u error%s in the configuration",
			       d.errors, d.errors == 1 ? "" : "s");
		goto done;
	}
	if (firewall)
		status = dg_cli_firewall(cfg, &fw, stdout, stderr);
	else if (command != NULL)
		status = dg_cli_explain(cfg, argv[optind],
					argc - optind == 2 ? argv[optind + 1] : NULL,
					explain_client, explain_listener, stdout,
					stderr);
	else if (check)
		status = dg_cli_check(cfg, stdout);
	else
		status = dg_daemon_run(cfg, &daemon_opt);
done:
	dg_config_free(cfg);
	free(lists);
	free(subnets);
	return status;
}
