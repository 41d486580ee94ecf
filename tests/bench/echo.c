/*
 * echo: the ceiling for bench_serve.sh. It answers every UDP datagram on
 * 127.0.0.1:PORT with the same bytes, the QR bit set, and does nothing else:
 * no parsing, no policy, no cache. Whatever rate dnsperf reaches against it
 * is what loopback UDP and dnsperf allow on this machine, so a real server
 * can be judged against that rather than against an absolute figure.
 *
 * recvmmsg/sendmmsg in batches of 64, as a fast server would, so that the
 * ceiling is not lowered by one system call a packet. Linux only; C11 and
 * libc, no other library. Stops on SIGTERM or SIGINT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFSZ 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static unsigned char buf[BATCH][BUFSZ];
	static struct sockaddr_in peer[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sin;
	struct sigaction sa;
	char *end;
	long port;
	int fd, n, i, sent, r, size;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PORT (answers on 127.0.0.1:PORT)\n", argv[0]);
		return 2;
	}
	port = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "echo: bad port: %s\n", argv[1]);
		return 2;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the wait */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("echo: socket");
		return 1;
	}
	/* Larger socket buffers, as the servers under test may have. */
	size = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
		perror("echo: bind");
		return 1;
	}

	while (!stop) {
		memset(in, 0, sizeof in);
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = BUFSZ;
			in[i].msg_hdr.msg_iov = &iov[i];
			in[i].msg_hdr.msg_iovlen = 1;
			in[i].msg_hdr.msg_name = &peer[i];
			in[i].msg_hdr.msg_namelen = sizeof peer[i];
		}
		/* Block for the first datagram, then take what else is queued. */
		n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("echo: recvmmsg");
			return 1;
		}
		memset(out, 0, sizeof out);
		for (i = 0; i < n; i++) {
			if (in[i].msg_len >= 3)
				buf[i][2] |= 0x80; /* QR: this is a response */
			iov[i].iov_len = in[i].msg_len;
			out[i].msg_hdr = in[i].msg_hdr;
		}
		/*
		 * sendmmsg stops at the first datagram that fails (a peer gone,
		 * ECONNREFUSED from an earlier ICMP): skip that one and go on.
		 */
		sent = 0;
		while (sent < n) {
			r = sendmmsg(fd, out + sent, (unsigned)(n - sent), 0);
			if (r > 0)
				sent += r;
			else if (r < 0 && errno == EINTR && !stop)
				continue;
			else
				sent++;
		}
	}
	close(fd);
	return 0;
}
