/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * verify: see verify.h.
 *
 * What counts as blocked: a resolver is blocked when a UDP query gets no
 * reply (dropped, or an ICMP error from a reject) and a TCP connection to
 * it fails; an outside destination when a TCP connection fails, whether
 * refused (a reject rule, or nothing listening: from inside the sandbox
 * the two look alike) or timed out. Anything that answers is a failure.
 */
#include "verify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "name.h"
#include "policy.h"
#include "zones.h"

static bool allows_a(const struct dg_policy *p, const uint8_t *wire)
{
	struct dg_question q = { .name = wire, .qtype = 1, .qclass = 1 };
	struct dg_verdict v;

	dg_policy_decide(p, &q, &v);
	return v.allow;
}

int dg_verify_allowed_name(const struct dg_policy *p, char *buf, size_t size)
{
	uint8_t name[DG_NAME_MAXLEN];

	if (size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < dg_policy_count(p); i++) {
		const struct dg_entry *e = dg_policy_entry(p, i);

		if (e->wildcard)
			continue;
		dg_policy_entry_name(p, e, name);
		if (!allows_a(p, name))
			continue;
		dg_name_to_str(name, buf, size);
		return 0;
	}
	return DG_EMALFORMED;
}

int dg_verify_denied_name(const struct dg_policy *p, uint64_t nonce,
			  char *buf, size_t size)
{
	uint8_t wire[DG_NAME_MAXLEN];
	const char *why = NULL;

	snprintf(buf, size, "dnsgate-verify-%016llx.invalid",
		 (unsigned long long)nonce);
	if (dg_zones_name_from_str(buf, wire, &why) != 0)
		return DG_EMALFORMED;
	return allows_a(p, wire) ? DG_EMALFORMED : 0;
}

/* The checks' shared state: where lines go, how long each waits, how many
 * failed. */
struct run {
	FILE *out;
	int timeout_ms;
	unsigned failed;
};

DG_PRINTF(3, 4)
static void say(struct run *r, bool pass, const char *fmt, ...)
{
	va_list ap;

	fputs(pass ? "ok   " : "FAIL ", r->out);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	if (!pass)
		r->failed++;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fd ready for events before deadline (now_ms)? @return 1, 0 when the
 * deadline passed, or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, (int)left);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

/* What a failed attempt met, in words. */
static const char *why(int rc)
{
	if (rc == DG_ETIMEOUT)
		return "timed out";
	/* What a drop in this namespace's output hook gives the sender. */
	if (rc == -EPERM)
		return "dropped here, EPERM";
	return strerror(-rc);
}

/*
 * Ask server for name, type A, over UDP, and wait for the reply that
 * belongs to the query (id, QR). @return 0 and the reply in *reply (the
 * caller frees it), DG_ETIMEOUT, DG_ENOMEM, or -errno (an ICMP error on
 * the connected socket: refused, unreachable, prohibited).
 */
static int udp_ask(const struct dg_addr *server, const char *name,
		   int timeout_ms, ldns_pkt **reply)
{
	int64_t deadline = now_ms() + timeout_ms;
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL;
	uint8_t buf[4096];
	size_t len;
	int fd = -1, rc;

	if (ldns_pkt_query_new_frm_str(&q, name, LDNS_RR_TYPE_A,
				       LDNS_RR_CLASS_IN, LDNS_RD) !=
	    LDNS_STATUS_OK)
		return DG_ENOMEM;
	ldns_pkt_set_random_id(q);
	if (ldns_pkt2wire(&wire, q, &len) != LDNS_STATUS_OK) {
		rc = DG_ENOMEM;
		goto done;
	}
	fd = socket(server->u.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, &server->u.sa, server->len) != 0 ||
	    send(fd, wire, len, 0) < 0) {
		rc = -errno;
		goto done;
	}
	for (;;) {
		ldns_pkt *p = NULL;
		ssize_t n;

		rc = wait_fd(fd, POLLIN, deadline);
		if (rc == 0)
			rc = DG_ETIMEOUT;
		if (rc <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (ldns_wire2pkt(&p, buf, (size_t)n) != LDNS_STATUS_OK)
			continue;
		if (ldns_pkt_id(p) == ldns_pkt_id(q) && ldns_pkt_qr(p)) {
			*reply = p;
			rc = 0;
			break;
		}
		ldns_pkt_free(p);
	}
done:
	if (fd >= 0)
		close(fd);
	free(wire);
	ldns_pkt_free(q);
	return rc;
}

/* A TCP connection to a, closed at once. @return 0 when it was
 * established, DG_ETIMEOUT, or -errno (refused, unreachable). */
static int tcp_connect(const struct dg_addr *a, int timeout_ms)
{
	int fd = socket(a->u.sa.sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t elen = sizeof(int);
	int rc, err = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, &a->u.sa, a->len) == 0)
		rc = 0;
	else if (errno != EINPROGRESS)
		rc = -errno;
	else if ((rc = wait_fd(fd, POLLOUT, now_ms() + timeout_ms)) == 0)
		rc = DG_ETIMEOUT;
	else if (rc > 0)
		rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0
			     ? -errno
			     : -err;
	close(fd);
	return rc;
}

static const char *rcode_name(ldns_pkt_rcode rcode)
{
	ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rcode);

	return t != NULL ? t->name : "an unknown rcode";
}

static size_t count_a(const ldns_pkt *p)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	size_t n = 0;

	for (size_t i = 0; an != NULL && i < ldns_rr_list_rr_count(an); i++)
		n += ldns_rr_get_type(ldns_rr_list_rr(an, i)) == LDNS_RR_TYPE_A;
	return n;
}

/* The allowed name resolves through dnsgate: NOERROR with an A record. */
static void check_allowed(struct run *r, const struct dg_addr *server,
			  const char *name, const char *how)
{
	char at[DG_ADDR_STRLEN];
	ldns_pkt *p = NULL;
	int rc = udp_ask(server, name, r->timeout_ms, &p);
	size_t n;

	dg_addr_format(server, at, sizeof(at));
	if (rc != 0) {
		say(r, false, "allowed %s%s: no answer from %s (%s)", name, how,
		    at, why(rc));
		return;
	}
	n = count_a(p);
	say(r, ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR && n > 0,
	    "allowed %s%s: %s, %zu A from %s", name, how,
	    rcode_name(ldns_pkt_get_rcode(p)), n, at);
	ldns_pkt_free(p);
}

/* The denied name gets the configured deny rcode from dnsgate. */
static void check_denied(struct run *r, const struct dg_addr *server,
			 const char *name, ldns_pkt_rcode want)
{
	char at[DG_ADDR_STRLEN];
	ldns_pkt *p = NULL;
	int rc = udp_ask(server, name, r->timeout_ms, &p);

	dg_addr_format(server, at, sizeof(at));
	if (rc != 0) {
		say(r, false, "denied %s: no answer from %s (%s)", name, at,
		    why(rc));
		return;
	}
	if (ldns_pkt_get_rcode(p) == want)
		say(r, true, "denied %s: %s from %s", name,
		    rcode_name(ldns_pkt_get_rcode(p)), at);
	else
		say(r, false, "denied %s: %s from %s, not %s", name,
		    rcode_name(ldns_pkt_get_rcode(p)), at, rcode_name(want));
	ldns_pkt_free(p);
}

/* Another resolver: no UDP reply, no TCP connection. */
static void check_resolver(struct run *r, const struct dg_addr *a,
			   const char *name)
{
	char at[DG_ADDR_STRLEN];
	ldns_pkt *p = NULL;
	int udp, tcp;

	dg_addr_format(a, at, sizeof(at));
	udp = udp_ask(a, name, r->timeout_ms, &p);
	if (udp == 0) {
		say(r, false, "resolver %s: answered %s for %s (the rules do "
			      "not block it)", at,
		    rcode_name(ldns_pkt_get_rcode(p)), name);
		ldns_pkt_free(p);
		return;
	}
	tcp = tcp_connect(a, r->timeout_ms);
	if (tcp == 0)
		say(r, false, "resolver %s: no UDP answer, but TCP connects "
			      "(the rules do not block it)", at);
	else
		say(r, true, "resolver %s: no UDP answer (%s), TCP connect "
			     "failed (%s)", at, why(udp), why(tcp));
}

/* A destination outside the egress sets: no TCP connection. */
static void check_outside(struct run *r, const struct dg_addr *a)
{
	char at[DG_ADDR_STRLEN];
	int rc = tcp_connect(a, r->timeout_ms);

	dg_addr_format(a, at, sizeof(at));
	if (rc == 0)
		say(r, false, "outside %s: TCP connects (the rules do not block "
			      "it)", at);
	else
		say(r, true, "outside %s: TCP connect failed (%s)", at, why(rc));
}

/* Where dnsgate is asked: --server, or the first listener, a wildcard
 * one through the loopback address of its family. */
static int server_addr(const struct dg_config *cfg, const char *text,
		       struct dg_addr *out)
{
	if (text != NULL)
		return dg_addr_parse(text, 53, out);
	if (cfg->listen.n == 0)
		return DG_EMALFORMED;
	*out = cfg->listen.v[0];
	if (out->u.sa.sa_family == AF_INET &&
	    out->u.in4.sin_addr.s_addr == htonl(INADDR_ANY))
		out->u.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (out->u.sa.sa_family == AF_INET6 &&
		 IN6_IS_ADDR_UNSPECIFIED(&out->u.in6.sin6_addr))
		out->u.in6.sin6_addr = in6addr_loopback;
	return 0;
}

/* Each text of list into addrs, a missing port default_port (0: none is
 * refused). @return 0, or DG_EXIT_USAGE (said on err). */
static int parse_addrs(const char *flag, const char *const *list, size_t n,
		       uint16_t default_port, struct dg_addr *addrs, FILE *err)
{
	for (size_t i = 0; i < n; i++)
		if (dg_addr_parse(list[i], default_port, &addrs[i]) != 0) {
			fprintf(err, "dnsgate: firewall: %s: '%s' is not an "
				     "address%s\n", flag, list[i],
				default_port == 0 ? " with a port (ADDR:PORT, "
						    "[V6ADDR]:PORT)"
						  : "");
			return 2;
		}
	return 0;
}

static uint64_t nonce(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	return (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
}

int dg_verify_run(const struct dg_config *cfg,
		  const struct dg_verify_options *opt, FILE *out, FILE *err)
{
	struct run r = { .out = out,
			 .timeout_ms = opt->timeout_ms != 0
					       ? (int)opt->timeout_ms
					       : DG_VERIFY_TIMEOUT_MS };
	char allowed[DG_NAME_STRLEN], denied[DG_NAME_STRLEN];
	uint8_t wire[DG_NAME_MAXLEN];
	const char *bad = NULL, *how = "";
	struct dg_addr server, *resolvers = NULL, *outside = NULL;
	bool have_allowed = true;
	int status = 2;

	resolvers = calloc(opt->n_resolvers + 1, sizeof(*resolvers));
	outside = calloc(opt->n_outside + 1, sizeof(*outside));
	if (resolvers == NULL || outside == NULL) {
		fprintf(err, "dnsgate: firewall: out of memory\n");
		goto done;
	}
	if (server_addr(cfg, opt->server, &server) != 0) {
		fprintf(err, "dnsgate: firewall: --server: '%s' is not an "
			     "address\n", opt->server != NULL ? opt->server : "");
		goto done;
	}
	if (parse_addrs("--resolver", opt->resolvers, opt->n_resolvers, 53,
			resolvers, err) != 0 ||
	    parse_addrs("--outside", opt->outside, opt->n_outside, 0, outside,
			err) != 0)
		goto done;
	if (opt->allowed != NULL &&
	    dg_zones_name_from_str(opt->allowed, wire, &bad) != 0) {
		fprintf(err, "dnsgate: firewall: --allowed: bad name '%s': "
			     "%s\n", opt->allowed, bad);
		goto done;
	}
	if (opt->denied != NULL &&
	    dg_zones_name_from_str(opt->denied, wire, &bad) != 0) {
		fprintf(err, "dnsgate: firewall: --denied: bad name '%s': %s\n",
			opt->denied, bad);
		goto done;
	}

	if (opt->allowed != NULL) {
		snprintf(allowed, sizeof(allowed), "%s", opt->allowed);
	} else if (dg_verify_allowed_name(cfg->policy, allowed,
					  sizeof(allowed)) == 0) {
		how = " (the policy's first plain name)";
	} else {
		have_allowed = false;
		say(&r, false, "allowed: the policy allows no plain name to "
			       "ask (give --allowed NAME)");
	}
	if (have_allowed)
		check_allowed(&r, &server, allowed, how);

	if (opt->denied != NULL)
		snprintf(denied, sizeof(denied), "%s", opt->denied);
	if (opt->denied == NULL &&
	    dg_verify_denied_name(cfg->policy, nonce(), denied,
				  sizeof(denied)) != 0)
		say(&r, false, "denied %s: the policy allows it (give --denied "
			       "NAME)", denied);
	else
		check_denied(&r, &server, denied,
			     (ldns_pkt_rcode)cfg->deny_rcode);

	for (size_t i = 0; i < opt->n_resolvers; i++)
		check_resolver(&r, &resolvers[i],
			       have_allowed ? allowed : "example.com");
	for (size_t i = 0; i < opt->n_outside; i++)
		check_outside(&r, &outside[i]);
	status = r.failed == 0 ? 0 : 1;
	if (fflush(out) != 0)
		status = 2;
done:
	free(resolvers);
	free(outside);
	return status;
}
