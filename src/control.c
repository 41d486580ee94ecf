/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control: the control socket and its commands. See control.h.
 */
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "list.h"
#include "log.h"
#include "name.h"
#include "zones.h"

/* A person types one command and waits: a few at once is plenty, and a
 * peer that sends nothing is gone after IDLE_MS. */
#define MAX_CONNS 16
#define IDLE_MS 5000
/* Supplementary groups looked at for a peer's membership. */
#define MAX_GROUPS 256

struct dg_control {
	uv_loop_t *loop;
	uv_pipe_t listener;
	uv_timer_t expiry;
	char *path;
	gid_t gid;
	struct dg_control_hooks hooks;
	struct dg_grants grants;
	struct dg_control_counters counters;
	struct dg_list conns;
	uint64_t started_ms;
	unsigned open_handles; /* listener and timer not yet closed */
	bool closing;
};

struct conn {
	struct dg_list_node node;
	struct dg_control *ctl;
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t write;
	uv_shutdown_t shutdown;
	unsigned open_handles;
	bool done;    /* the command was read (or refused) */
	bool written; /* and its answer sent */
	bool eof;     /* the peer has said all it will */
	char *out; /* the answer */
	size_t out_len;
	size_t len;
	char buf[DG_CONTROL_LINE_MAX + 1];
};

static void maybe_free(struct dg_control *c)
{
	if (!c->closing || c->open_handles > 0 || !dg_list_empty(&c->conns))
		return;
	dg_grants_deinit(&c->grants);
	free(c->path);
	free(c);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct conn *cn = h->data;
	struct dg_control *c = cn->ctl;

	if (--cn->open_handles > 0)
		return;
	dg_list_remove(&c->conns, &cn->node);
	free(cn->out);
	free(cn);
	maybe_free(c);
}

static void conn_close(struct conn *cn)
{
	if (uv_is_closing((uv_handle_t *)&cn->pipe))
		return;
	uv_close((uv_handle_t *)&cn->pipe, on_conn_handle_closed);
	uv_close((uv_handle_t *)&cn->timer, on_conn_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *cn = req->data;

	if (status != 0)
		conn_close(cn);
}

/*
 * The answer is out: close once the peer has finished too. Closing on a
 * peer's unread bytes would reset the connection, and the peer would lose
 * the answer (a refused one has sent its line already); so the rest of
 * what it sends is read and dropped until its end, within the timer.
 */
static void on_written(uv_write_t *req, int status)
{
	struct conn *cn = req->data;

	cn->written = true;
	if (status != 0 || cn->eof) {
		conn_close(cn);
		return;
	}
	cn->shutdown.data = cn;
	if (uv_shutdown(&cn->shutdown, (uv_stream_t *)&cn->pipe,
			on_shutdown) != 0)
		conn_close(cn);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

/* Send what out holds (the answer), then close. */
static void conn_answer(struct conn *cn, FILE *out)
{
	uv_buf_t buf;

	cn->done = true;
	if (!cn->eof && !uv_is_active((uv_handle_t *)&cn->pipe) &&
	    uv_read_start((uv_stream_t *)&cn->pipe, on_alloc, on_read) != 0)
		cn->eof = true;
	if (fclose(out) != 0 || cn->out == NULL) {
		conn_close(cn);
		return;
	}
	buf = uv_buf_init(cn->out, (unsigned)cn->out_len);
	cn->write.data = cn;
	if (uv_write(&cn->write, (uv_stream_t *)&cn->pipe, &buf, 1,
		     on_written) != 0)
		conn_close(cn);
}

/* One line to the peer, then close. */
static void conn_say(struct conn *cn, const char *line)
{
	FILE *out = open_memstream(&cn->out, &cn->out_len);

	if (out == NULL) {
		conn_close(cn);
		return;
	}
	fprintf(out, "%s\n", line);
	conn_answer(cn, out);
}

static uint64_t wall_ms(void)
{
	uv_timeval64_t tv;

	if (uv_gettimeofday(&tv) != 0)
		return 0;
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void log_change(struct dg_control *c, const char *action,
		       const struct dg_grant *gr, uint64_t seconds)
{
	char scope[DG_ADDR_STRLEN + 300];
	struct dg_qlog_control rec = {
		.time_ms = wall_ms(),
		.action = action,
		.id = gr->id,
		.entry = gr->text,
		.scope = scope,
		.seconds = seconds,
	};

	dg_grant_scope(gr, scope, sizeof(scope));
	c->hooks.log(c->hooks.arg, &rec);
	dg_log(DG_LOG_INFO, "control: %s %u: %s (%s)", action, gr->id,
	       gr->text, scope);
}

static void on_expiry(uv_timer_t *t);

/* The next expiry, or none. */
static void arm(struct dg_control *c)
{
	uint64_t next = dg_grants_next_expiry(&c->grants);
	uint64_t now = dg_clock_ms();

	if (next == UINT64_MAX) {
		uv_timer_stop(&c->expiry);
		return;
	}
	uv_timer_start(&c->expiry, on_expiry, next > now ? next - now : 0, 0);
}

/* The grants changed, or the configuration did: every worker gets them
 * anew. Short of memory the workers keep the old overlay, whose entries
 * still expire by themselves; a revoke then waits for the next change. */
static void publish(struct dg_control *c)
{
	struct dg_overlay *ov =
		dg_overlay_build(&c->grants, c->hooks.config(c->hooks.arg),
				 stderr);

	c->counters.temporary_entries = c->grants.n;
	arm(c);
	if (ov == NULL) {
		dg_log(DG_LOG_ERR, "control: out of memory: the workers keep "
				   "the previous temporary entries");
		return;
	}
	c->hooks.publish(c->hooks.arg, ov);
	dg_overlay_unref(ov);
}

static void on_expiry(uv_timer_t *t)
{
	struct dg_control *c = t->data;
	struct dg_grant gr;
	bool any = false;

	while (dg_grants_take_expired(&c->grants, dg_clock_ms(), &gr)) {
		log_change(c, "expire", &gr, 0);
		c->counters.expired++;
		dg_grant_deinit(&gr);
		any = true;
	}
	if (any)
		publish(c);
	else
		arm(c);
}

void dg_control_config_changed(struct dg_control *c)
{
	if (c != NULL)
		publish(c);
}

const struct dg_control_counters *dg_control_counters(
	const struct dg_control *c)
{
	return &c->counters;
}

/* Seconds left, rounded up: "expires in 0 s" would read as gone. */
static unsigned long long seconds_left(const struct dg_grant *gr,
				       uint64_t now)
{
	return gr->expires_ms > now ? (gr->expires_ms - now + 999) / 1000 : 0;
}

/* The entries of one policy, each with where it was written, then the
 * temporary ones of that scope (group NULL: the global policy's, and the
 * client-scoped ones). */
static void show_policy(struct dg_control *c, FILE *out,
			const struct dg_policy *p, const char *group)
{
	char text[DG_ENTRY_STRLEN], scope[DG_ADDR_STRLEN + 300];
	uint64_t now = dg_clock_ms();

	fprintf(out, group != NULL ? "[group %s]\n" : "[policy]\n",
		group != NULL ? group : "");
	for (size_t i = 0; i < dg_policy_count(p); i++) {
		const struct dg_entry *e = dg_policy_entry(p, i);

		dg_zones_format_entry(p, e, text, sizeof(text));
		if (e->line > 0)
			fprintf(out, "%s  # %s:%u\n", text,
				dg_policy_source(p, e->source), e->line);
		else
			fprintf(out, "%s  # %s\n", text,
				dg_policy_source(p, e->source));
	}
	for (size_t i = 0; i < c->grants.n; i++) {
		const struct dg_grant *gr = &c->grants.v[i];

		if ((group != NULL) != (gr->scope == DG_SCOPE_GROUP) ||
		    (group != NULL && strcmp(group, gr->group) != 0))
			continue;
		dg_grant_scope(gr, scope, sizeof(scope));
		fprintf(out, "%s  # control %u (expires in %llu s)%s%s\n",
			gr->text, gr->id, seconds_left(gr, now),
			gr->scope == DG_SCOPE_CLIENT ? ", " : "",
			gr->scope == DG_SCOPE_CLIENT ? scope : "");
	}
}

static void cmd_show(struct dg_control *c, const char *group, FILE *out)
{
	const struct dg_config *cfg = c->hooks.config(c->hooks.arg);
	const struct dg_group *g = NULL;

	if (group != NULL) {
		g = dg_config_group(cfg, group);
		if (g == NULL) {
			fprintf(out, "error: show policy: no [group %s]\n",
				group);
			return;
		}
		show_policy(c, out, g->policy, g->name);
		return;
	}
	show_policy(c, out, cfg->policy, NULL);
	for (size_t i = 0; i < cfg->n_groups; i++)
		show_policy(c, out, cfg->groups[i].policy, cfg->groups[i].name);
}

static void cmd_allow(struct dg_control *c, const struct dg_control_cmd *cmd,
		      FILE *out)
{
	struct dg_grant spec = {
		.text = (char *)cmd->arg,
		.scope = cmd->scope,
		.group = (char *)cmd->group,
		.client = cmd->client,
		.expires_ms = dg_clock_ms() + cmd->duration_ms,
	};
	char why[512];
	uint32_t id;
	int rc;

	rc = dg_grants_add(&c->grants, c->hooks.config(c->hooks.arg), &spec,
			   why, sizeof(why), &id);
	if (rc == DG_ENOMEM)
		snprintf(why, sizeof(why), "out of memory");
	if (rc != 0) {
		fprintf(out, "error: %s\n", why);
		return;
	}
	spec.id = id;
	log_change(c, "allow", &spec, cmd->duration_ms / 1000);
	publish(c);
	fprintf(out, "ok %u\n", id);
}

static void cmd_revoke(struct dg_control *c, uint32_t id, FILE *out)
{
	struct dg_grant gr = { .id = id };
	bool found = false;

	for (size_t i = 0; i < c->grants.n && !found; i++)
		if (c->grants.v[i].id == id) {
			gr = c->grants.v[i];
			found = true;
		}
	if (!found) {
		fprintf(out, "error: revoke: no temporary entry %u (see "
			     "'list')\n", id);
		return;
	}
	/* Logged while its strings are still the grants'. */
	log_change(c, "revoke", &gr, 0);
	(void)dg_grants_revoke(&c->grants, id);
	publish(c);
	fputs("ok\n", out);
}

static void cmd_list(struct dg_control *c, FILE *out)
{
	char scope[DG_ADDR_STRLEN + 300];
	uint64_t now = dg_clock_ms();

	for (size_t i = 0; i < c->grants.n; i++) {
		const struct dg_grant *gr = &c->grants.v[i];

		dg_grant_scope(gr, scope, sizeof(scope));
		fprintf(out, "%u\t%s\t%s\t%llus\n", gr->id, gr->text, scope,
			seconds_left(gr, now));
	}
}

/* The exposition's samples, without its # HELP and # TYPE lines. */
static void cmd_stats(struct dg_control *c, FILE *out)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL) {
		fputs("error: out of memory\n", out);
		return;
	}
	rc = c->hooks.stats(c->hooks.arg, f);
	if (fclose(f) != 0 || rc != 0) {
		fputs("error: out of memory\n", out);
		free(text);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			fprintf(out, "%s\n", line);
	free(text);
}

static void cmd_status(struct dg_control *c, FILE *out)
{
	fprintf(out, "version %s\nuptime %llu\n", PACKAGE_VERSION,
		(unsigned long long)(dg_clock_ms() - c->started_ms) / 1000);
	c->hooks.status(c->hooks.arg, out);
	fprintf(out, "temporary_entries %zu\n", c->grants.n);
}

static void cmd_flush(struct dg_control *c, const char *name, FILE *out)
{
	uint8_t wire[DG_NAME_MAXLEN];
	const char *why = NULL;

	if (name != NULL && dg_zones_name_from_str(name, wire, &why) != 0) {
		fprintf(out, "error: flush: bad name '%s': %s\n", name, why);
		return;
	}
	c->hooks.flush(c->hooks.arg, name != NULL ? wire : NULL);
	fputs("ok\n", out);
}

static void run(struct dg_control *c, char *line, FILE *out)
{
	struct dg_control_cmd cmd;
	char why[512];

	if (dg_control_parse(line, &cmd, why, sizeof(why)) != 0) {
		c->counters.commands[DG_CONTROL_BAD]++;
		fprintf(out, "error: %s\n", why);
		return;
	}
	c->counters.commands[cmd.verb]++;
	switch (cmd.verb) {
	case DG_CONTROL_STATUS:
		cmd_status(c, out);
		break;
	case DG_CONTROL_STATS:
		cmd_stats(c, out);
		break;
	case DG_CONTROL_RELOAD:
		if (c->hooks.reload(c->hooks.arg, why, sizeof(why)) != 0)
			fprintf(out, "error: reload: %s\n", why);
		else
			fputs("ok\n", out);
		break;
	case DG_CONTROL_FLUSH:
		cmd_flush(c, cmd.arg, out);
		break;
	case DG_CONTROL_SHOW:
		cmd_show(c, cmd.arg, out);
		break;
	case DG_CONTROL_ALLOW:
		cmd_allow(c, &cmd, out);
		break;
	case DG_CONTROL_REVOKE:
		cmd_revoke(c, cmd.id, out);
		break;
	case DG_CONTROL_LIST:
		cmd_list(c, out);
		break;
	case DG_CONTROL_BAD:
		break;
	}
}

static void conn_run(struct conn *cn)
{
	FILE *out = open_memstream(&cn->out, &cn->out_len);

	if (out == NULL) {
		conn_close(cn);
		return;
	}
	cn->buf[cn->len] = '\0';
	cn->buf[strcspn(cn->buf, "\n")] = '\0';
	run(cn->ctl, cn->buf, out);
	conn_answer(cn, out);
}

/* Once the command is read, what follows is read over it and dropped. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *cn = h->data;
	size_t at = cn->done ? 0 : cn->len;

	*buf = uv_buf_init(cn->buf + at, (unsigned)(DG_CONTROL_LINE_MAX - at));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *cn = s->data;

	if (cn->done) {
		if (nread < 0) {
			cn->eof = true;
			uv_read_stop(s);
			if (cn->written)
				conn_close(cn);
		}
		return;
	}
	if (nread == UV_EOF) {
		cn->eof = true;
		uv_read_stop(s);
		conn_run(cn);
		return;
	}
	if (nread < 0) {
		conn_close(cn);
		return;
	}
	if (memchr(cn->buf + cn->len, '\n', (size_t)nread) != NULL) {
		cn->len += (size_t)nread;
		conn_run(cn);
		return;
	}
	cn->len += (size_t)nread;
	if (cn->len >= DG_CONTROL_LINE_MAX) {
		cn->ctl->counters.commands[DG_CONTROL_BAD]++;
		conn_say(cn, "error: the command is longer than 1024 bytes");
	}
}

static void on_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

/* Is uid a member of gid, as the group database says? */
static bool in_group(uid_t uid, gid_t gid)
{
	gid_t groups[MAX_GROUPS];
	int n = MAX_GROUPS;
	struct passwd *pw = getpwuid(uid);

	if (pw == NULL || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Root, dnsgate's own user, or its group (the peer's or as a member). */
static bool peer_allowed(const struct dg_control *c, const struct ucred *cr)
{
	return cr->uid == 0 || cr->uid == geteuid() || cr->gid == c->gid ||
	       in_group(cr->uid, c->gid);
}

/* @return whether the peer may talk; else it was told, and logged. */
static bool check_peer(struct conn *cn)
{
	struct dg_control *c = cn->ctl;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&cn->pipe, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		dg_log(DG_LOG_WARN, "control: refused a peer whose "
				    "credentials are unknown: %s",
		       strerror(errno));
		c->counters.refused++;
		conn_say(cn, "error: permission denied");
		return false;
	}
	if (peer_allowed(c, &cr))
		return true;
	dg_log(DG_LOG_WARN, "control: refused a peer: pid %ld, uid %lu, gid "
			    "%lu (not root, dnsgate's user or its group)",
	       (long)cr.pid, (unsigned long)cr.uid, (unsigned long)cr.gid);
	c->counters.refused++;
	conn_say(cn, "error: permission denied: only root, dnsgate's user "
		     "and its group may use the control socket");
	return false;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct dg_control *c = server->data;
	struct conn *cn;

	if (status != 0)
		return;
	cn = calloc(1, sizeof(*cn));
	if (cn == NULL)
		return;
	cn->ctl = c;
	if (uv_pipe_init(c->loop, &cn->pipe, 0) != 0) {
		free(cn);
		return;
	}
	uv_timer_init(c->loop, &cn->timer);
	cn->pipe.data = cn->timer.data = cn;
	cn->open_handles = 2;
	dg_list_push_front(&c->conns, &cn->node);
	if (uv_accept(server, (uv_stream_t *)&cn->pipe) != 0) {
		conn_close(cn);
		return;
	}
	/* The timer bounds the answer's sending too: a peer that never
	 * reads it does not hold a connection. */
	uv_timer_start(&cn->timer, on_idle, IDLE_MS, 0);
	if (!check_peer(cn))
		return;
	if (c->conns.count > MAX_CONNS) {
		conn_say(cn, "error: busy: too many control connections");
		return;
	}
	if (uv_read_start((uv_stream_t *)&cn->pipe, on_alloc, on_read) != 0)
		conn_close(cn);
}

/* A socket file left by a dnsgate that is gone is removed; one that
 * answers belongs to a running one, and anything else is no socket of
 * ours. @return 0 or a libuv error. */
static int remove_stale(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return UV_EEXIST;
	if (strlen(path) >= sizeof(sun.sun_path))
		return UV_ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0)
		return UV_EADDRINUSE;
	return unlink(path) == 0 ? 0 : -errno;
}

static void on_ctl_handle_closed(uv_handle_t *h)
{
	struct dg_control *c = h->data;

	c->open_handles--;
	maybe_free(c);
}

/* The socket's folder (/run/dnsgate) where no service manager made it:
 * 0750, root:gid when dnsgate is root. @return 0 or a libuv error. */
static int make_folder(const char *path, bool owner_root, gid_t gid)
{
	char *dir = strdup(path);
	char *slash;
	int rc = 0;

	if (dir == NULL)
		return UV_ENOMEM;
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == 0) {
			if (owner_root && chown(dir, 0, gid) != 0)
				rc = -errno;
		} else if (errno != EEXIST) {
			rc = -errno;
		}
	}
	free(dir);
	return rc;
}

/* Bind with no bit for others from the start (no moment at 0777), then
 * root:gid when dnsgate is root. */
static int bind_socket(struct dg_control *c, const char *path,
		       bool owner_root)
{
	mode_t old;
	int rc;

	if ((rc = make_folder(path, owner_root, c->gid)) != 0 ||
	    (rc = remove_stale(path)) != 0)
		return rc;
	old = umask(0117);
	rc = uv_pipe_bind(&c->listener, path);
	umask(old);
	if (rc != 0)
		return rc;
	if (chmod(path, 0660) != 0 ||
	    (owner_root && chown(path, 0, c->gid) != 0))
		return -errno;
	return uv_listen((uv_stream_t *)&c->listener, MAX_CONNS, on_connection);
}

int dg_control_open(uv_loop_t *loop, const char *path, bool owner_root,
		    gid_t gid, const struct dg_control_hooks *hooks,
		    struct dg_control **out)
{
	struct dg_control *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return UV_ENOMEM;
	c->loop = loop;
	c->gid = gid;
	c->hooks = *hooks;
	c->started_ms = dg_clock_ms();
	dg_grants_init(&c->grants);
	c->path = strdup(path);
	if (c->path == NULL) {
		free(c);
		return UV_ENOMEM;
	}
	uv_pipe_init(loop, &c->listener, 0);
	uv_timer_init(loop, &c->expiry);
	c->listener.data = c->expiry.data = c;
	c->open_handles = 2;
	rc = bind_socket(c, path, owner_root);
	if (rc != 0) {
		dg_log(DG_LOG_ERR, "cannot open the control socket %s: %s",
		       path, uv_strerror(rc));
		dg_control_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void dg_control_close(struct dg_control *c)
{
	struct dg_list_node *n, *next;

	if (c == NULL)
		return;
	c->closing = true;
	for (n = c->conns.first; n != NULL; n = next) {
		next = n->next;
		conn_close(dg_list_entry(n, struct conn, node));
	}
	/* After a switch of user the folder may not let us: the next start
	 * replaces the socket left behind. */
	if (uv_is_active((uv_handle_t *)&c->listener))
		(void)unlink(c->path);
	uv_close((uv_handle_t *)&c->listener, on_ctl_handle_closed);
	uv_close((uv_handle_t *)&c->expiry, on_ctl_handle_closed);
}
