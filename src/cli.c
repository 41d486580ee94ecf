/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli: see cli.h.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "learn.h"
#include "name.h"
#include "policy.h"
#include "import.h"
#include "zones.h"

int dg_cli_check(const struct dg_config *cfg, FILE *out)
{
	dg_config_print(cfg, out);
	return DG_EXIT_OK;
}

/* explain's --client or --listener: an address, or say why not. */
static int explain_addr(const char *flag, const char *text,
			struct dg_addr *out, FILE *err)
{
	if (dg_addr_parse(text, 53, out) == 0)
		return 0;
	fprintf(err, "dnsgate: explain: %s: '%s' is not an address\n", flag,
		text);
	return DG_EXIT_USAGE;
}

int dg_cli_explain(const struct dg_config *cfg, const char *name,
		   const char *type, const char *client, const char *listener,
		   FILE *out, FILE *err)
{
	const struct dg_policy *policy = cfg->policy;
	const struct dg_group *group = NULL;
	struct dg_addr client_addr, listener_addr;
	uint8_t wire[DG_NAME_MAXLEN];
	const char *why = NULL;
	struct dg_question q = { .name = wire, .qtype = 1, .qclass = 1 };
	struct dg_verdict v;
	char entry[DG_ENTRY_STRLEN];
	size_t fz;

	if (dg_zones_name_from_str(name, wire, &why) != 0) {
		fprintf(err, "dnsgate: explain: bad name '%s': %s\n", name, why);
		return DG_EXIT_USAGE;
	}
	if (type != NULL && dg_zones_type_from_str(type, &q.qtype) != 0) {
		fprintf(err, "dnsgate: explain: unknown type '%s'\n", type);
		return DG_EXIT_USAGE;
	}
	if (client != NULL &&
	    explain_addr("--client", client, &client_addr, err) != 0)
		return DG_EXIT_USAGE;
	if (listener != NULL) {
		if (explain_addr("--listener", listener, &listener_addr, err) != 0)
			return DG_EXIT_USAGE;
		/* One no socket is opened on would fall back to the
		 * client's group: a mistyped port must not look like an
		 * answer. */
		if (!dg_addrs_has(&cfg->listen, &listener_addr)) {
			fprintf(err, "dnsgate: explain: --listener: '%s' is not "
				     "a listen address of the configuration\n",
				listener);
			return DG_EXIT_USAGE;
		}
	}
	if (client != NULL || listener != NULL)
		policy = dg_config_policy_for(cfg,
					      client ? &client_addr : NULL,
					      listener ? &listener_addr : NULL,
					      &group);
	dg_policy_decide(policy, &q, &v);
	if (v.allow)
		fprintf(out, "allow");
	else
		fprintf(out, "deny %s", dg_reason_name(v.reason));
	if (v.entry != NULL) {
		dg_zones_format_entry(policy, v.entry, entry, sizeof(entry));
		fprintf(out, " (entry %s)", entry);
	}
	if (client != NULL || listener != NULL)
		fprintf(out, group != NULL ? " [group %s]" : " [no group]",
			group != NULL ? group->name : "");
	/* Where an allowed question is answered from, as the daemon
	 * picks it: local records first, else the longest forward zone. */
	fz = dg_forward_set(cfg->forwards, cfg->n_forwards, wire);
	if (v.allow && dg_localdata_has(&cfg->local, wire))
		fprintf(out, " [local]");
	else if (v.allow && fz > 0)
		fprintf(out, " [forward %s]", cfg->forwards[fz - 1].name);
	fputc('\n', out);
	return v.allow ? DG_EXIT_OK : DG_EXIT_DENY;
}

/* import's --format and --depth. @return 0, or DG_EXIT_USAGE (said). */
static int import_options(const char *format, const char *depth,
			  enum dg_import_format *f, unsigned *n, FILE *err)
{
	unsigned long v;

	*f = DG_IMPORT_AUTO;
	*n = 0;
	if (format != NULL && dg_import_format_from_str(format, f) != 0) {
		fprintf(err, "dnsgate: import: --format: unknown format '%s' "
			     "(known: hosts, list, adblock, harden-runner, "
			     "cilium, squid, tinyproxy)\n",
			format);
		return DG_EXIT_USAGE;
	}
	if (depth != NULL) {
		if (!dg_parse_ulong(depth, 1, DG_NAME_MAXLABELS, &v)) {
			fprintf(err, "dnsgate: import: --depth: '%s' is not a "
				     "number from 1 to %d\n",
				depth, DG_NAME_MAXLABELS);
			return DG_EXIT_USAGE;
		}
		*n = (unsigned)v;
	}
	return 0;
}

int dg_cli_import(char *const *files, int n, const char *format,
		  const char *depth, FILE *out, FILE *err)
{
	struct dg_import *imp = NULL;
	enum dg_import_format f;
	unsigned every_depth;
	struct dg_diag d;
	int status = DG_EXIT_OK;

	dg_diag_init(&d, err);
	if (n == 0) {
		fprintf(err, "dnsgate: import: name at least one FILE (or - "
			     "for standard input)\n");
		return DG_EXIT_USAGE;
	}
	if (import_options(format, depth, &f, &every_depth, err) != 0)
		return DG_EXIT_USAGE;
	imp = dg_import_new(f, every_depth);
	if (imp == NULL)
		goto nomem;
	for (int i = 0; i < n; i++) {
		bool is_stdin = strcmp(files[i], "-") == 0;
		FILE *in = is_stdin ? stdin : fopen(files[i], "r");
		int rc;

		if (in == NULL) {
			dg_diag_error(&d, files[i], 0, "cannot read: %s",
				      strerror(errno));
			status = DG_EXIT_USAGE;
			continue;
		}
		rc = dg_import_read(imp, in, is_stdin ? "<stdin>" : files[i],
				    &d);
		if (!is_stdin)
			fclose(in);
		if (rc == DG_ENOMEM)
			goto nomem;
		if (rc != 0)
			status = DG_EXIT_USAGE;
	}
	/* All or nothing: `import list > x.zones` must not leave a file
	 * that looks complete but lacks the lines that failed. */
	if (status == DG_EXIT_OK)
		dg_import_write(imp, out);
	else
		fprintf(err, "dnsgate: import: %u error%s; nothing printed\n",
			d.errors, d.errors == 1 ? "" : "s");
	dg_import_free(imp);
	return status;
nomem:
	fprintf(err, "dnsgate: import: out of memory\n");
	dg_import_free(imp);
	return DG_EXIT_USAGE;
}

/* --allow-user names a user of this system, by name or uid: a typo must
 * not print rules that let nobody through (iptables-restore would take an
 * unknown number). Only such names reach the rules' text. */
static bool user_exists(const char *user)
{
	unsigned long uid;

	if (getpwnam(user) != NULL)
		return true;
	return dg_parse_ulong(user, 0, UINT32_MAX - 1, &uid) &&
	       getpwuid((uid_t)uid) != NULL;
}

/*
 * systemd-resolved is in use here: it made its runtime directory, or
 * resolv.conf names its stub. Looked for under DNSGATE_SYSROOT, the tests'
 * stand-in for / (dnsgate.8 ENVIRONMENT), when that is set.
 */
static bool resolved_present(void)
{
	const char *root = getenv("DNSGATE_SYSROOT");
	char *path = NULL, *line = NULL;
	size_t cap = 0;
	char word[16], addr[16];
	struct stat st;
	bool found = false;
	FILE *in;

	if (root == NULL)
		root = "";
	if (asprintf(&path, "%s/run/systemd/resolve", root) < 0)
		return false;
	found = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	free(path);
	if (found || asprintf(&path, "%s/etc/resolv.conf", root) < 0)
		return found;
	in = fopen(path, "r");
	free(path);
	while (in != NULL && !found && getline(&line, &cap, in) > 0)
		found = sscanf(line, " %15s %15s", word, addr) == 2 &&
			strcmp(word, "nameserver") == 0 &&
			strcmp(addr, "127.0.0.53") == 0;
	free(line);
	if (in != NULL)
		fclose(in);
	return found;
}

int dg_cli_firewall(const struct dg_config *cfg,
		    const struct dg_firewall_options *opt, FILE *out, FILE *err)
{
	struct dg_firewall_options o = *opt;

	if (opt->target == DG_FW_HOST && cfg->user == NULL) {
		fprintf(err, "dnsgate: firewall: --target host needs the user "
			     "dnsgate runs as ([server] user or --user): only "
			     "that user may reach port 53 and 853 elsewhere\n");
		return DG_EXIT_USAGE;
	}
	for (size_t i = 0; i < opt->n_allow_users; i++)
		if (!user_exists(opt->allow_users[i])) {
			fprintf(err, "dnsgate: firewall: --allow-user: no user "
				     "'%s' on this system\n",
				opt->allow_users[i]);
			return DG_EXIT_USAGE;
		}
	/* Looked for here, not in the pure writer, which only says it. */
	o.systemd_resolved = opt->target == DG_FW_HOST && resolved_present();
	if (dg_firewall_check(cfg, &o, err) != 0)
		return DG_EXIT_USAGE;
	if (dg_firewall_write(cfg, &o, out) != 0) {
		fprintf(err, "dnsgate: firewall: cannot write the rules: %s\n",
			strerror(errno));
		return DG_EXIT_USAGE;
	}
	return DG_EXIT_OK;
}

/* The presets to learn against: every DIR/NAME.zones but default.zones,
 * which is a first-run example (example.com), no preset. Sorted by name,
 * so the first that covers a name is always the same one. */
struct presets {
	struct dg_learn_preset *list;
	size_t n;
};

static int preset_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 6 && e->d_name[0] != '.' &&
	       strcmp(e->d_name + n - 6, ".zones") == 0 &&
	       strcmp(e->d_name, "default.zones") != 0;
}

static void presets_free(struct presets *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free((char *)ps->list[i].name);
		dg_policy_free((struct dg_policy *)ps->list[i].policy);
	}
	free(ps->list);
}

/* Load the presets of dir into ps. @return 0, or -1 (said on d). */
static int presets_load(const char *dir, struct presets *ps,
			struct dg_diag *d)
{
	struct dirent **files = NULL;
	int n = scandir(dir, &files, preset_file, alphasort);
	int rc = 0;

	if (n < 0) {
		dg_diag_error(d, dir, 0, "cannot read the presets: %s",
			      strerror(errno));
		return -1;
	}
	ps->list = calloc((size_t)n + 1, sizeof(*ps->list));
	for (int i = 0; i < n; i++) {
		struct dg_learn_preset *p = &ps->list[ps->n];
		char *path = NULL;
		struct dg_policy *policy = NULL;

		if (rc == 0 && ps->list != NULL &&
		    asprintf(&path, "%s/%s", dir, files[i]->d_name) >= 0 &&
		    (policy = dg_policy_new()) != NULL &&
		    dg_zones_load_file(policy, path, d, NULL, 0) == 0 &&
		    (p->name = strndup(files[i]->d_name,
				       strlen(files[i]->d_name) - 6)) != NULL) {
			p->policy = policy;
			ps->n++;
		} else {
			if (rc == 0 && d->errors == 0)
				dg_diag_error(d, dir, 0, "out of memory");
			dg_policy_free(policy);
			rc = -1;
		}
		free(path);
		free(files[i]);
	}
	free(files);
	return rc;
}

/*
 * Feed one log to l. A bad line is an error (FILE:LINE), but a last line
 * with no newline is what a crash mid-write leaves: a warning, skipped, so
 * a log cut short still teaches what it holds. @return 0, or -1 when a
 * line was bad or the file unreadable (said), DG_ENOMEM.
 */
static int learn_file(struct dg_learn *l, const char *file, struct dg_diag *d,
		      uint64_t *skipped)
{
	FILE *in = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int rc = 0;

	if (in == NULL) {
		dg_diag_error(d, file, 0, "cannot read: %s", strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, in)) > 0) {
		bool whole = line[len - 1] == '\n';
		const char *why = NULL;
		int r = dg_learn_add_line(l, line, (size_t)len - whole, &why);

		lineno++;
		if (r == DG_ENOMEM) {
			rc = DG_ENOMEM;
			break;
		}
		if (r == DG_LEARN_SKIPPED) {
			(*skipped)++;
		} else if (r != 0 && !whole) {
			dg_diag_warn(d, file, lineno, "an incomplete last line "
				     "(%s; cut short by a crash?), skipped", why);
			(*skipped)++;
		} else if (r != 0) {
			dg_diag_error(d, file, lineno, "%s", why);
			rc = -1;
		}
	}
	if (ferror(in)) {
		dg_diag_error(d, file, 0, "cannot read: %s", strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(in);
	return rc;
}

static const char learn_usage[] =
	"usage: dnsgate learn [--collapse N] [--presets DIR] LOG...\n";
static const char learn_help[] =
	"Usage: dnsgate learn [--collapse N] [--presets DIR] LOG...\n"
	"\n"
	"Print a zones file made from query logs (a run's query_log with\n"
	"log_allowed = yes): what the workload asked, for a person to review\n"
	"before enforcing it. It reads no configuration.\n"
	"\n"
	"      --collapse N      siblings collapse into *.PARENT from N distinct\n"
	"                        names under one parent (default 8; 0: never)\n"
	"      --presets DIR     the shipped presets to compare with (default\n"
	"                        " DG_ZONESDIR ")\n"
	"\n"
	"Exit status: 0 printed, 2 a bad option, line or file (nothing printed).\n";

int dg_cli_learn(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "collapse", required_argument, NULL, 'n' },
		{ "presets", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dg_learn_options opt = { .collapse = DG_LEARN_COLLAPSE_DEFAULT };
	const char *presets_dir = DG_ZONESDIR;
	struct presets ps = { NULL, 0 };
	struct dg_learn *l = NULL;
	struct dg_hash_key key;
	struct dg_diag d;
	uint64_t skipped = 0;
	unsigned long v;
	const char *oom = "dnsgate: learn: out of memory\n";
	int c, status = DG_EXIT_USAGE;

	dg_diag_init(&d, err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n' && dg_parse_ulong(optarg, 0, 1000000, &v)) {
			opt.collapse = (unsigned)v;
		} else if (c == 'p') {
			presets_dir = optarg;
		} else if (c == 'h') {
			fputs(learn_help, out);
			return DG_EXIT_OK;
		} else {
			if (c == 'n')
				fprintf(err, "dnsgate: learn: --collapse takes "
					     "a number of names (0: never)\n");
			fputs(learn_usage, err);
			return DG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(learn_usage, err);
		return DG_EXIT_USAGE;
	}
	dg_hash_key_random(&key);
	l = dg_learn_new(&key);
	if (l == NULL)
		goto fail;
	if (presets_load(presets_dir, &ps, &d) != 0)
		goto quiet;
	for (int i = optind; i < argc; i++)
		if (learn_file(l, argv[i], &d, &skipped) == DG_ENOMEM)
			goto fail;
	if (d.errors > 0) {
		fprintf(err, "dnsgate: learn: %u bad line%s or file%s, no zones "
			     "written\n", d.errors, d.errors == 1 ? "" : "s",
			d.errors == 1 ? "" : "s");
		goto quiet;
	}
	opt.presets = ps.list;
	opt.n_presets = ps.n;
	c = dg_learn_write(l, &opt, out);
	if (c == DG_ENOMEM)
		goto fail;
	if (c != 0 || fflush(out) != 0) {
		fprintf(err, "dnsgate: learn: cannot write the zones\n");
		goto quiet;
	}
	if (skipped > 0)
		fprintf(err, "dnsgate: learn: %llu line%s skipped (no query, or cut "
			     "short)\n",
			(unsigned long long)skipped, skipped == 1 ? "" : "s");
	status = DG_EXIT_OK;
	oom = NULL;
fail:
	if (oom != NULL)
		fputs(oom, err);
quiet:
	presets_free(&ps);
	dg_learn_free(l);
	return status;
}
