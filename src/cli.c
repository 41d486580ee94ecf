/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli: see cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <string.h>

#include "diag.h"
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

int dg_cli_firewall(const struct dg_config *cfg,
		    const struct dg_firewall_options *opt, FILE *out, FILE *err)
{
	if (opt->target == DG_FW_HOST && cfg->user == NULL) {
		fprintf(err, "dnsgate: firewall: --target host needs the user "
			     "dnsgate runs as ([server] user or --user): only "
			     "that user may reach port 53 and 853 elsewhere\n");
		return DG_EXIT_USAGE;
	}
	if (dg_firewall_write(cfg, opt, out) != 0) {
		fprintf(err, "dnsgate: firewall: cannot write the rules: %s\n",
			strerror(errno));
		return DG_EXIT_USAGE;
	}
	return DG_EXIT_OK;
}
