/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon: see daemon.h.
 */
#include "daemon.h"

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <uv.h>

#include "board.h"
#include "control.h"
#include "log.h"
#include "name.h"
#include "server.h"
#include "upstream.h"
#include "wire.h"

/*
 * A worker beyond the first ([server] workers): a server on a loop of its
 * own, run by a thread of its own. The main loop asks it to reload, reopen
 * the log or stop through `wake`; the requests wait under `lock`.
 */
struct worker {
	uv_loop_t loop;
	uv_async_t wake;
	uv_thread_t thread;
	bool running; /* the thread was started */
	unsigned index;
	struct dg_server *server;
	uv_mutex_t lock;
	struct dg_config *reload; /* a reference of its own; NULL: none */
	struct dg_overlay *overlay; /* the same; NULL: none */
	bool reopen, stop;
	/* Flush the caches: all, or flush_name's answers. */
	bool flush, flush_all;
	uint8_t flush_name[DG_NAME_MAXLEN];
	uint64_t event; /* the daemon's events when last asked */
};

struct daemon {
	uv_loop_t loop;
	const struct dg_daemon_options *opt;
	/* References of the daemon's own: the configuration dnsgate started
	 * with, whose sockets, upstreams and user run until it stops, and
	 * the one in force, the start one or the last a reload swapped in. */
	struct dg_config *start, *cfg;
	uv_signal_t sigint, sigterm, sighup, sigusr1;
	struct dg_server *server; /* worker 0's, on this loop */
	struct worker *workers;   /* workers 1..n_workers */
	size_t n_workers;
	struct dg_board *board;
	struct dg_control *control; /* NULL: no [control] socket */
	int stop_signal;
	/* SIGHUPs and SIGUSR1s so far: what a worker reports about one is
	 * said once (dg_log_once), however many workers meet it. */
	uint64_t events;
};

/*
 * Tell systemd (Type=notify) how we are: READY=1, RELOADING=1, STOPPING=1.
 * The protocol is one datagram to $NOTIFY_SOCKET, documented as stable
 * for others to speak (sd_notify(3)); speaking it here spares a library
 * and a configure switch. Never blocks: a full socket loses the message.
 */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* an abstract socket */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
		     (const struct sockaddr *)&sun,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

/* RELOADING=1 wants the monotonic time with it (systemd 253). */
static void notify_reloading(void)
{
	char msg[64];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
			 (unsigned long long)ts.tv_nsec / 1000);
	notify(msg);
}

static void close_signals(struct daemon *d)
{
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	uv_close((uv_handle_t *)&d->sigusr1, NULL);
}

/* Every worker reopens the same file, and fails the same way: said once
 * per SIGUSR1, by whichever thread fails first. */
static void report_reopen_failure(int rc, uint64_t event)
{
	static struct dg_log_once once;

	dg_log_once(&once, event, DG_LOG_WARN,
		    "SIGUSR1: cannot reopen the query log: %s; writing to the "
		    "old one", uv_strerror(rc));
}

/* In a worker's thread: do what the main loop asked. */
static void on_wake(uv_async_t *wake)
{
	/* Only memory fails a worker's reload: when one is short, the
	 * others are too, and one line says what the rest would repeat. */
	static struct dg_log_once reload_failed;
	struct worker *w = wake->data;
	struct dg_config *cfg;
	struct dg_overlay *ov;
	bool reopen, stop, flush, flush_all;
	uint8_t flush_name[DG_NAME_MAXLEN];
	uint64_t event;
	int rc;

	uv_mutex_lock(&w->lock);
	cfg = w->reload;
	ov = w->overlay;
	reopen = w->reopen;
	stop = w->stop;
	event = w->event;
	flush = w->flush;
	flush_all = w->flush_all;
	memcpy(flush_name, w->flush_name, sizeof(flush_name));
	w->reload = NULL;
	w->overlay = NULL;
	w->reopen = w->flush = w->flush_all = false;
	uv_mutex_unlock(&w->lock);
	if (stop) {
		dg_config_free(cfg);
		dg_overlay_unref(ov);
		if (w->server != NULL)
			dg_server_stop(w->server);
		w->server = NULL;
		uv_close((uv_handle_t *)&w->wake, NULL);
		return;
	}
	if (cfg != NULL && (rc = dg_server_reload(w->server, cfg)) != 0)
		dg_log_once(&reload_failed, event, DG_LOG_WARN,
			    "reload: worker %u: %s; it still serves the "
			    "previous configuration",
			    w->index, uv_strerror(rc));
	dg_config_free(cfg);
	if (ov != NULL)
		dg_server_set_overlay(w->server, ov);
	dg_overlay_unref(ov);
	/* After a reload: a flush asked before it finds empty caches. */
	if (flush)
		dg_server_flush(w->server, flush_all ? NULL : flush_name);
	if (reopen && (rc = dg_server_reopen_log(w->server)) != 0)
		report_reopen_failure(rc, event);
}

static void worker_main(void *arg)
{
	struct worker *w = arg;

	uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* Workers 1..N-1: each a loop and a server, bound after worker 0's
 * sockets (the order steers clients). Not running yet: the threads start
 * after the switch of user, so they inherit it. */
static int workers_open(struct daemon *d, struct dg_config *cfg)
{
	size_t n = cfg->workers - 1;
	int rc;

	d->workers = calloc(n, sizeof(*d->workers));
	if (d->workers == NULL)
		return UV_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct worker *w = &d->workers[i];

		w->index = (unsigned)i + 1;
		if ((rc = uv_loop_init(&w->loop)) != 0)
			return rc;
		if ((rc = uv_mutex_init(&w->lock)) != 0) {
			(void)uv_loop_close(&w->loop);
			return rc;
		}
		uv_async_init(&w->loop, &w->wake, on_wake);
		w->wake.data = w;
		d->n_workers++;
		rc = dg_server_start(&w->loop, cfg, d->board, w->index,
				     &w->server);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int workers_run(struct daemon *d)
{
	for (size_t i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];
		int rc = uv_thread_create(&w->thread, worker_main, w);

		if (rc != 0)
			return rc;
		w->running = true;
	}
	return 0;
}

/* After they were told to stop: wait for each, and free. A worker whose
 * thread never started finishes its closing on this thread. */
static int workers_join(struct daemon *d)
{
	int status = 0;

	for (size_t i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];

		if (w->running)
			uv_thread_join(&w->thread);
		else
			uv_run(&w->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&w->loop) != 0) {
			dg_log(DG_LOG_ERR, "worker %u: the event loop did not "
					   "close cleanly", w->index);
			status = 1;
		}
		uv_mutex_destroy(&w->lock);
		dg_config_free(w->reload);
		dg_overlay_unref(w->overlay);
	}
	free(d->workers);
	return status;
}

/* Ask every other worker: cfg (a reference each, taken here) to reload,
 * or to reopen the log, or to stop; as part of the latest event. */
static void tell_workers(struct daemon *d, struct dg_config *cfg, bool reopen,
			 bool stop)
{
	for (size_t i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];

		if (cfg != NULL)
			dg_config_ref(cfg);
		uv_mutex_lock(&w->lock);
		if (w->reload != NULL)
			dg_config_free(w->reload);
		w->reload = cfg;
		w->reopen |= reopen;
		w->stop |= stop;
		w->event = d->events;
		uv_mutex_unlock(&w->lock);
		uv_async_send(&w->wake);
	}
}

/* Every worker serves ov from now on. */
static void publish_overlay(void *arg, struct dg_overlay *ov)
{
	struct daemon *d = arg;

	dg_server_set_overlay(d->server, ov);
	for (size_t i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];

		dg_overlay_ref(ov);
		uv_mutex_lock(&w->lock);
		dg_overlay_unref(w->overlay);
		w->overlay = ov;
		uv_mutex_unlock(&w->lock);
		uv_async_send(&w->wake);
	}
}

/* Every worker empties its caches, of name's answers or all. Two
 * flushes of different names before a worker wakes become one of all. */
static void flush_caches(void *arg, const uint8_t *name)
{
	struct daemon *d = arg;

	dg_server_flush(d->server, name);
	for (size_t i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];

		uv_mutex_lock(&w->lock);
		if (name == NULL ||
		    (w->flush && !dg_name_equal(w->flush_name, name)))
			w->flush_all = true;
		else
			memcpy(w->flush_name, name, dg_name_length(name));
		w->flush = true;
		uv_mutex_unlock(&w->lock);
		uv_async_send(&w->wake);
	}
}

static void close_control(struct daemon *d)
{
	if (d->server != NULL)
		dg_server_set_control(d->server, NULL);
	dg_control_close(d->control);
	d->control = NULL;
}

static void on_stop_signal(uv_signal_t *sig, int signum)
{
	struct daemon *d = sig->data;

	if (d->server == NULL)
		return;
	d->stop_signal = signum;
	notify("STOPPING=1");
	close_control(d);
	tell_workers(d, NULL, false, true);
	dg_server_stop(d->server);
	d->server = NULL;
	close_signals(d);
}

/* logrotate moved the query log: write to a new file of that name. */
static void on_usr1(uv_signal_t *sig, int signum)
{
	struct daemon *d = sig->data;
	int rc;

	if (d->server == NULL)
		return;
	d->events++;
	tell_workers(d, NULL, true, false);
	rc = dg_server_reopen_log(d->server);
	if (rc != 0)
		report_reopen_failure(rc, d->events);
	else
		dg_log(DG_LOG_DEBUG, "SIGUSR1: reopened the query log");
}

/*
 * One warning for each policy that audits, at start and at each reload:
 * a sandbox whose policy denies nothing must not look like one that is
 * confined.
 */
static void warn_audit(const struct dg_config *cfg)
{
	static const char what[] = "nothing is denied; what the allowlist or "
				   "a budget would deny is forwarded, "
				   "answered and logged as would-deny";

	if (dg_config_audits(cfg, NULL))
		dg_log(DG_LOG_WARN, "[policy] mode = audit: %s", what);
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (dg_config_audits(cfg, &cfg->groups[i]))
			dg_log(DG_LOG_WARN, "[group %s] mode = audit: %s",
			       cfg->groups[i].name, what);
}

/* Read everything again; swap only a configuration without errors.
 * @return 0, or -1 with why filled (and said). */
static int reload(struct daemon *d, char *why, size_t size)
{
	struct dg_config *cfg = NULL;
	struct dg_diag diag;
	int rc;

	d->events++;
	notify_reloading();
	dg_log(DG_LOG_DEBUG, "SIGHUP: reading %s",
	       d->opt->config_path != NULL ? d->opt->config_path
					   : "the embedded default");
	dg_diag_init(&diag, stderr);
	rc = dg_config_load(d->opt->config_path, d->opt->ov, &diag, &cfg);
	if (rc == 0) {
		dg_config_warn_restart_only(d->start, cfg, stderr);
		rc = dg_server_reload(d->server, cfg);
	}
	if (rc == 0) {
		/* Before the workers reload, so that what they say about it
		 * is weighed at the new level. */
		dg_log_set_level(cfg->log_level);
		tell_workers(d, cfg, false, false);
		dg_config_free(d->cfg);
		d->cfg = cfg;
	} else {
		dg_config_free(cfg);
		dg_server_count_reload_failure(d->server);
		if (rc == DG_ECONFIG)
			snprintf(why, size, "%u error%s in the configuration; "
					    "still serving the previous one",
				 diag.errors, diag.errors == 1 ? "" : "s");
		else
			snprintf(why, size, "%s; still serving the previous "
					    "configuration",
				 uv_strerror(rc));
		dg_log(DG_LOG_WARN, "reload: %s", why);
		notify("READY=1");
		return -1;
	}
	dg_log(DG_LOG_INFO, "reloaded %s: %zu allowlist entries",
	       d->opt->config_path != NULL ? d->opt->config_path
					   : "the embedded default",
	       dg_policy_count(cfg->policy));
	warn_audit(cfg);
	/* The temporary entries stay, checked again under the new limits. */
	dg_control_config_changed(d->control);
	notify("READY=1");
	return 0;
}

static void on_hup(uv_signal_t *sig, int signum)
{
	struct daemon *d = sig->data;
	char why[256];

	if (d->server != NULL)
		(void)reload(d, why, sizeof(why));
}

static int control_reload(void *arg, char *why, size_t size)
{
	return reload(arg, why, size);
}

static int control_stats(void *arg, FILE *out)
{
	struct daemon *d = arg;

	return dg_server_write_metrics(d->server, out);
}

static void control_status(void *arg, FILE *out)
{
	struct daemon *d = arg;
	char text[DG_ADDR_STRLEN];

	fprintf(out, "config %s\nworkers %u\n",
		d->cfg->path != NULL ? d->cfg->path : "the embedded default",
		d->start->workers);
	for (size_t i = 0; i < d->start->listen.n; i++) {
		dg_addr_format(&d->start->listen.v[i], text, sizeof(text));
		fprintf(out, "listen %s\n", text);
	}
	for (size_t i = 0; i < d->start->servers.n; i++) {
		dg_addr_format(&d->start->servers.v[i], text, sizeof(text));
		fprintf(out, "upstream %s\n", text);
	}
	fprintf(out, "entries %zu\n", dg_policy_count(d->cfg->policy));
}

static const struct dg_config *control_config(void *arg)
{
	const struct daemon *d = arg;

	return d->cfg;
}

static void control_log(void *arg, const struct dg_qlog_control *c)
{
	struct daemon *d = arg;

	dg_server_log_control(d->server, c);
}

/*
 * The control socket, as root still: root:GROUP where GROUP is the one of
 * the user dnsgate becomes (user: NULL, staying as it is: its own).
 */
static int open_control(struct daemon *d, const struct dg_config *cfg,
			const char *user)
{
	const struct dg_control_hooks hooks = {
		.reload = control_reload,
		.flush = flush_caches,
		.publish = publish_overlay,
		.stats = control_stats,
		.status = control_status,
		.config = control_config,
		.log = control_log,
		.arg = d,
	};
	struct passwd *pw = user != NULL ? getpwnam(user) : NULL;
	gid_t gid = pw != NULL ? pw->pw_gid : getegid();
	int rc;

	if (cfg->control_socket == NULL)
		return 0;
	rc = dg_control_open(&d->loop, cfg->control_socket, geteuid() == 0,
			     gid, &hooks, &d->control);
	if (rc == 0)
		dg_server_set_control(d->server, dg_control_counters(d->control));
	return rc;
}

/* CAP_NET_ADMIN alone, effective and permitted, after setuid kept it. */
static int keep_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[CAP_NET_ADMIN / 32].effective = 1u << (CAP_NET_ADMIN % 32);
	data[CAP_NET_ADMIN / 32].permitted = 1u << (CAP_NET_ADMIN % 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

/*
 * After binding port 53 nothing needs root, but for one thing: adding to
 * nft sets, where the kernel checks CAP_NET_ADMIN of the sender on every
 * batch. With [firewall] nft_set that capability is kept, and no other.
 */
static int drop_privileges(const char *user, bool net_admin)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		dg_log(DG_LOG_ERR, "user '%s' does not exist", user);
		return -1;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if ((net_admin && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) ||
	    setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || (net_admin && keep_net_admin() != 0)) {
		dg_log(DG_LOG_ERR, "cannot switch to user '%s'%s: %s", user,
		       net_admin ? " keeping CAP_NET_ADMIN" : "",
		       strerror(errno));
		return -1;
	}
	if (net_admin)
		(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	dg_log(DG_LOG_DEBUG, "running as user '%s'%s", user,
	       net_admin ? ", keeping CAP_NET_ADMIN" : "");
	return 0;
}

/*
 * The user to switch to: [server] user (or --user; "root" stays root);
 * without one, root switches to "dnsgate" when that user exists, since a
 * resolver parsing hostile packets has no use for every capability.
 * DNSGATE_DEFAULT_USER names another (the tests: what they see must not
 * depend on the machine having a user dnsgate).
 * @return NULL to stay as we are.
 */
static const char *run_as(const struct dg_config *cfg)
{
	const char *name = getenv("DNSGATE_DEFAULT_USER");

	if (cfg->user != NULL)
		return cfg->user;
	if (geteuid() != 0)
		return NULL;
	if (name == NULL || *name == '\0')
		name = "dnsgate";
	if (getpwnam(name) != NULL) {
		dg_log(DG_LOG_INFO, "no [server] user: running as user '%s'",
		       name);
		return name;
	}
	dg_log(DG_LOG_WARN, "running as root with every capability: no "
			    "[server] user is set and there is no user "
			    "'%s'. Create it (useradd --system %s) or set "
			    "[server] user (user = root to keep root)",
	       name, name);
	return NULL;
}

static void on_walk_report(uv_handle_t *h, void *arg)
{
	dg_log(DG_LOG_ERR, "handle left open at exit: %s",
	       uv_handle_type_name(uv_handle_get_type(h)));
}

/* " A, B, C" */
static void put_addrs(FILE *f, const struct dg_addrs *addrs)
{
	char text[DG_ADDR_STRLEN];

	for (size_t i = 0; i < addrs->n; i++) {
		dg_addr_format(&addrs->v[i], text, sizeof(text));
		fprintf(f, "%s %s", i ? "," : "", text);
	}
}

/*
 * A name to try in the start-up hint: the first entry whose own name the
 * listener's policy allows for A (www.example.com would be denied by most
 * allowlists, and a first dig that fails teaches the wrong thing).
 * @return false when no entry's name is allowed for A (an empty list, or
 * entries narrowed to other types: no hint then).
 */
static bool hint_name(const struct dg_config *cfg, const struct dg_addr *a,
		      char *out, size_t size)
{
	const struct dg_policy *p = dg_config_policy_for(cfg, NULL, a, NULL);
	uint8_t name[DG_NAME_MAXLEN];
	struct dg_question q = { .name = name, .qtype = DG_RR_TYPE_A,
				 .qclass = 1 /* IN */ };
	struct dg_verdict v;

	for (size_t i = 0; i < dg_policy_count(p); i++) {
		dg_policy_entry_name(p, dg_policy_entry(p, i), name);
		dg_policy_decide(p, &q, &v);
		if (v.allow) {
			dg_name_to_str(name, out, size);
			return true;
		}
	}
	return false;
}

/* The start-up line, built whole first: dg_log writes one message at a
 * time, and the lists are as long as the configuration makes them. */
static void announce(const struct dg_config *cfg)
{
	char text[DG_ADDR_STRLEN];
	char *line = NULL;
	size_t len = 0;
	FILE *f;

	if (!dg_log_enabled(DG_LOG_INFO))
		return;
	f = open_memstream(&line, &len);
	if (f == NULL) {
		dg_log(DG_LOG_ERR, "cannot say where dnsgate listens: %s",
		       strerror(errno));
		return;
	}
	fputs("listening on", f);
	put_addrs(f, &cfg->listen);
	fputs(" (udp, tcp); forwarding to", f);
	put_addrs(f, &cfg->servers);
	fprintf(f, "; %zu allowlist entries", dg_policy_count(cfg->policy));
	if (cfg->workers > 1)
		fprintf(f, "; %u workers", cfg->workers);
	fprintf(f, "; configuration: %s",
		cfg->path != NULL ? cfg->path : "the embedded default");
	if (fclose(f) == 0)
		dg_log(DG_LOG_INFO, "%s", line);
	else
		dg_log(DG_LOG_ERR, "cannot say where dnsgate listens: %s",
		       strerror(errno));
	free(line);
	if (cfg->listen.n > 0) {
		const struct dg_addr *a = &cfg->listen.v[0];
		char host[DG_ADDR_STRLEN];
		char name[DG_NAME_STRLEN];

		dg_addr_format(a, text, sizeof(text));
		/* dig wants the address and the port apart. */
		snprintf(host, sizeof(host), "%.*s",
			 (int)(strrchr(text, ':') - text), text);
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		if (hint_name(cfg, a, name, sizeof(name)))
			dg_log(DG_LOG_INFO, "try: dig @%s -p %u %s", host,
			       dg_addr_port(a), name);
		else if (dg_policy_count(dg_config_policy_for(cfg, NULL, a,
							      NULL)) == 0)
			dg_log(DG_LOG_INFO, "the allowlist is empty: every "
					    "query is denied");
	}
}

/*
 * Every fetch holds a socket and every TCP client one, so the caps can
 * need more descriptors than the usual soft limit of 1024 (systemd's and
 * a shell's): raise it to what they may take, the hard limit too when we
 * may (root), as Unbound does. Short of it, say so once; past the limit a
 * fetch gets SERVFAIL and a TCP client waits, nothing worse.
 */
static void raise_fd_limit(const struct dg_config *cfg)
{
	/* Per worker: its fetches, TCP clients, the sockets its upstream
	 * keeps ready (two families), listening and upstream sockets,
	 * timers' and the loop's own; then the metrics, the log. */
	rlim_t need = (rlim_t)cfg->workers *
			      (cfg->max_inflight + cfg->max_tcp_clients +
			       2 * DG_UPSTREAM_POOL + 32) +
		      64;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
		return;
	if (lim.rlim_cur < need) {
		struct rlimit both = { need, need };
		bool above_hard = lim.rlim_max != RLIM_INFINITY &&
				  lim.rlim_max < need;

		/* Past the hard limit only root may go; others, up to it. */
		if (!above_hard || setrlimit(RLIMIT_NOFILE, &both) != 0) {
			lim.rlim_cur = above_hard ? lim.rlim_max : need;
			(void)setrlimit(RLIMIT_NOFILE, &lim);
		}
		if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
			return;
	}
	if (lim.rlim_cur >= need)
		dg_log(DG_LOG_DEBUG, "open files are limited to %llu, over the "
				     "%llu the caps may take",
		       (unsigned long long)lim.rlim_cur,
		       (unsigned long long)need);
	else
		dg_log(DG_LOG_WARN,
		       "warning: open files are limited to %llu, under the "
		       "%llu that [upstream] max_inflight and [server] "
		       "max_tcp_clients may take; past it a query gets "
		       "SERVFAIL (raise LimitNOFILE= or ulimit -n, or lower "
		       "the caps)",
		       (unsigned long long)lim.rlim_cur,
		       (unsigned long long)need);
}

/* The process ID for `kill -HUP $(cat FILE)`. @return 0 or -1 (said). */
static int write_pidfile(const char *path)
{
	FILE *f = dg_open_for_writing(path, false);

	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
	    fclose(f) != 0) {
		dg_log(DG_LOG_ERR, "cannot write the pid file %s: %s", path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* The handles exist from the start, so every way out closes the same
 * ones; they are started once dnsgate serves. */
static void signals_init(struct daemon *d)
{
	uv_signal_t *sigs[] = { &d->sigint, &d->sigterm, &d->sighup,
				&d->sigusr1 };

	for (size_t i = 0; i < DG_ARRAY_SIZE(sigs); i++) {
		uv_signal_init(&d->loop, sigs[i]);
		sigs[i]->data = d;
	}
}

/*
 * Worker 0's server on the main loop, then the other workers' (bound after
 * it: the order of the sockets steers clients), the pid file, the switch
 * of user, and last the worker threads, which inherit that user.
 * @return 0, or a libuv error (said); *pidfile_written tells the caller
 * what to remove.
 */
static int start_serving(struct daemon *d, struct dg_config *cfg,
			 bool *pidfile_written)
{
	bool nft = dg_config_has_nft_sets(cfg);
	const char *user;
	int rc;

	if (cfg->workers > 1 &&
	    (d->board = dg_board_new(cfg->workers, cfg->sets.addrs.n)) == NULL)
		return UV_ENOMEM;
	if ((rc = dg_server_start(&d->loop, cfg, d->board, 0, &d->server)) != 0)
		return rc;
	if (cfg->workers > 1 && (rc = workers_open(d, cfg)) != 0) {
		dg_log(DG_LOG_ERR, "cannot start %u workers: %s", cfg->workers,
		       uv_strerror(rc));
		return rc;
	}
	if (d->opt->pidfile != NULL) {
		*pidfile_written = write_pidfile(d->opt->pidfile) == 0;
		if (!*pidfile_written)
			return UV_EIO;
	}
	user = run_as(cfg);
	if ((rc = open_control(d, cfg, user)) != 0)
		return rc;
	if (user != NULL && drop_privileges(user, nft) != 0)
		return UV_EPERM;
	if ((rc = workers_run(d)) != 0)
		dg_log(DG_LOG_ERR, "cannot start a worker thread: %s",
		       uv_strerror(rc));
	return rc;
}

int dg_daemon_run(struct dg_config *cfg, const struct dg_daemon_options *opt)
{
	struct daemon d = { .opt = opt, .start = cfg, .cfg = cfg };
	bool pidfile_written = false;
	int rc, status = 0;

	/* Before anything is said: the messages from here on are weighed at
	 * the configured level. */
	dg_log_set_level(cfg->log_level);
	/* A client closing its TCP connection must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit(cfg);
	/* glibc serves a block of 128 KiB or more with mmap until the first
	 * such block is freed, then raises that threshold to the freed
	 * block's size. A reload frees the budget's 2.9 MiB and the caches'
	 * bucket arrays, so from then on they came from the heap, between
	 * small answers that pin them: the soak's RSS climbed 60% over six
	 * reloads. A fixed threshold keeps them mapped, and freed whole.
	 * Only the sanitizers' malloc refuses it, and it has its own ways. */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	rc = uv_loop_init(&d.loop);
	if (rc != 0) {
		dg_log(DG_LOG_ERR, "cannot start the event loop: %s",
		       uv_strerror(rc));
		return 1;
	}
	/* One reference for d.start, one for d.cfg. */
	dg_config_ref(cfg);
	dg_config_ref(cfg);
	signals_init(&d);
	rc = start_serving(&d, cfg, &pidfile_written);
	if (rc != 0) {
		close_control(&d);
		tell_workers(&d, NULL, false, true);
		if (d.server != NULL)
			dg_server_stop(d.server);
		d.server = NULL;
		close_signals(&d);
		status = 1;
	} else {
		uv_signal_start(&d.sigint, on_stop_signal, SIGINT);
		uv_signal_start(&d.sigterm, on_stop_signal, SIGTERM);
		uv_signal_start(&d.sighup, on_hup, SIGHUP);
		uv_signal_start(&d.sigusr1, on_usr1, SIGUSR1);
		announce(cfg);
		warn_audit(cfg);
		notify("READY=1");
	}
	uv_run(&d.loop, UV_RUN_DEFAULT);
	if (workers_join(&d) != 0)
		status = 1;
	dg_board_free(d.board);
	dg_config_free(d.cfg);
	dg_config_free(d.start);
	/* After a switch of user the folder may not let us: then it stays,
	 * naming a process that is gone, as Unbound's does. */
	if (pidfile_written && unlink(opt->pidfile) != 0 && errno != ENOENT)
		dg_log(DG_LOG_WARN, "cannot remove the pid file %s: %s",
		       opt->pidfile, strerror(errno));
	if (uv_loop_close(&d.loop) != 0) {
		uv_walk(&d.loop, on_walk_report, NULL);
		dg_log(DG_LOG_ERR, "the event loop did not close cleanly");
		return 1;
	}
	if (d.stop_signal != 0)
		dg_log(DG_LOG_INFO, "stopped by signal %d", d.stop_signal);
	return status;
}
