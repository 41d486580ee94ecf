/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_client: see control_client.h.
 */
#include "control_client.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "control_cmd.h"

/* A reload reads every zones file again: give it time. */
#define ANSWER_TIMEOUT_MS 30000

static const char help_text[] =
	"Usage: dnsgate control [-c FILE] [--socket PATH] COMMAND...\n"
	"\n"
	"Ask the running dnsgate, through its [control] socket:\n"
	"  status                 version, uptime, configuration, workers,\n"
	"                         listeners\n"
	"  stats                  the figures of /metrics, `name value` lines\n"
	"  reload                 read the configuration again (as SIGHUP)\n"
	"  flush [NAME]           empty every worker's cache, or NAME's answers\n"
	"  show policy [GROUP]    the effective entries with where each comes\n"
	"                         from (FILE:LINE, or control ID)\n"
	"  allow ENTRY [for DURATION] [group G | client ADDR]\n"
	"                         allow a zones line (api.example.com,\n"
	"                         '*.example.org depth=2 types=A') for DURATION\n"
	"                         (30s, 10m, 2h, 1d; default 1h, at most 1d), for\n"
	"                         the [policy]'s clients, one group's, or one\n"
	"                         source address; answers `ok ID`\n"
	"  revoke ID              end a temporary entry now\n"
	"  list                   the temporary entries: ID, entry, scope, time\n"
	"                         left\n"
	"\n"
	"  -c, --config FILE      the configuration whose [control] socket to use\n"
	"                         (default: " DG_SYSCONFDIR "/dnsgate/dnsgate.conf)\n"
	"      --socket PATH      this socket instead\n"
	"\n"
	"Exit status: 0 answered, 1 an error answer, 2 could not ask (no socket\n"
	"configured, nothing listening, permission denied, a bad option).\n";

struct found {
	char *socket;
	bool off;
};

static int on_ini(void *arg, const char *section, const char *key,
		  const char *value)
{
	struct found *f = arg;

	if (strcmp(section, "control") != 0 || strcmp(key, "socket") != 0)
		return 1;
	free(f->socket);
	f->socket = NULL;
	f->off = *value == '\0' || strcasecmp(value, "off") == 0;
	if (!f->off && (f->socket = strdup(value)) == NULL)
		return 0;
	return 1;
}

/* [control] socket of the configuration. Only that key is read: the rest
 * (zones files a user of the group may not read) is the daemon's. */
static char *configured_socket(const char *config, FILE *err)
{
	const char *path = config != NULL ? config : dg_config_default_path();
	struct found f = { NULL, false };

	if (path == NULL) {
		fprintf(err, "dnsgate: control: no configuration file (the "
			     "embedded default has no control socket): use "
			     "-c FILE or --socket PATH\n");
		return NULL;
	}
	if (ini_parse(path, on_ini, &f) < 0) {
		fprintf(err, "dnsgate: control: cannot read %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	if (f.socket == NULL)
		fprintf(err, "dnsgate: control: %s has no [control] socket: "
			     "set one (and restart dnsgate) or use --socket "
			     "PATH\n",
			path);
	return f.socket;
}

/* The command line: the words joined by blanks, and a newline. */
static char *join(int argc, char **argv)
{
	size_t len = 1;
	char *line;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	line = malloc(len);
	if (line == NULL)
		return NULL;
	line[0] = '\0';
	for (int i = 0; i < argc; i++) {
		strcat(line, argv[i]);
		strcat(line, i + 1 < argc ? " " : "\n");
	}
	return line;
}

static int dial(const char *path, FILE *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(err, "dnsgate: control: %s: the path is too long\n",
			path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(err, "dnsgate: control: cannot connect to %s: %s%s\n",
			path, strerror(errno),
			errno == EACCES ? " (root, dnsgate's user and its "
					  "group may)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send line, read the answer whole. @return it (NUL-ended), or NULL. */
static char *exchange(int fd, const char *line, FILE *err)
{
	size_t len = strlen(line), have = 0, cap = 4096;
	char *buf = malloc(cap);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	int send_errno = 0;

	if (buf == NULL)
		return NULL;
	/* A peer the daemon refuses is told so as it connects, and the
	 * daemon may have closed before the line went: read it anyway. */
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		send_errno = errno;
	(void)shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n;

		if (poll(&p, 1, ANSWER_TIMEOUT_MS) <= 0) {
			fprintf(err, "dnsgate: control: no answer\n");
			goto fail;
		}
		if (have + 1 >= cap) {
			char *bigger = realloc(buf, cap * 2);

			if (bigger == NULL)
				goto fail;
			buf = bigger;
			cap *= 2;
		}
		n = recv(fd, buf + have, cap - have - 1, 0);
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR) {
			fprintf(err, "dnsgate: control: %s\n", strerror(errno));
			goto fail;
		}
		if (n > 0)
			have += (size_t)n;
	}
	if (have == 0 && send_errno != 0) {
		fprintf(err, "dnsgate: control: cannot send: %s\n",
			strerror(send_errno));
		goto fail;
	}
	buf[have] = '\0';
	return buf;
fail:
	free(buf);
	return NULL;
}

int dg_cli_control(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *socket_path = NULL;
	char *owned = NULL, *line = NULL, *answer = NULL;
	int c, fd = -1, status = DG_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'h':
			fputs(help_text, out);
			return DG_EXIT_OK;
		default:
			fprintf(err, "Try 'dnsgate control --help'.\n");
			return DG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(err, "dnsgate: control: which command? Try 'dnsgate "
			     "control --help'.\n");
		return DG_EXIT_USAGE;
	}
	if (socket_path == NULL &&
	    (socket_path = owned = configured_socket(config, err)) == NULL)
		return DG_EXIT_USAGE;
	line = join(argc - optind, argv + optind);
	if (line == NULL || strlen(line) > DG_CONTROL_LINE_MAX) {
		fprintf(err, "dnsgate: control: %s\n",
			line == NULL ? "out of memory"
				     : "the command is too long");
		goto done;
	}
	if ((fd = dial(socket_path, err)) < 0 ||
	    (answer = exchange(fd, line, err)) == NULL)
		goto done;
	if (strncmp(answer, "error:", 6) == 0) {
		fputs(answer, err);
		status = DG_EXIT_DENY;
	} else {
		fputs(answer, out);
		status = DG_EXIT_OK;
	}
done:
	if (fd >= 0)
		close(fd);
	free(answer);
	free(line);
	free(owned);
	return status;
}
