/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics: a small HTTP/1.1 server on the libuv loop that answers
 * GET /metrics with the text of metrics_text.h, and the health probes
 * GET /healthz (the event loops run) and GET /ready (dnsgate can serve):
 * 200 "ok", or 503 and the reason in one line. As small as a scrape
 * needs: one request a connection (Connection: close), a request head of
 * at most 4 KiB, 5 s to send it, 64 connections at once; anything else
 * gets 400, 404 or 405 and the connection is closed.
 */
#pragma once

#include "addr.h"
#include "metrics_text.h"
#include "util.h"

struct uv_loop_s;

/* Fill v for a scrape; v's pointers must stay valid until the next call. */
typedef void (*dg_metrics_view_cb)(void *arg, struct dg_metrics_view *v);

enum dg_metrics_check {
	DG_METRICS_LIVE,  /* GET /healthz */
	DG_METRICS_READY, /* GET /ready */
};

/* true: healthy; false: why holds the reason (one line, no newline). */
typedef bool (*dg_metrics_check_cb)(void *arg, enum dg_metrics_check check,
				    char *why, size_t size);

struct dg_metrics_hooks {
	dg_metrics_view_cb view;
	dg_metrics_check_cb check;
	void *arg; /* theirs */
};

struct dg_metrics;

/*
 * Listen on addr (TCP) on loop; each request asks hooks (copied) for the
 * figures or the verdict. @return 0, or a libuv error (the address in
 * use, say).
 */
DG_NODISCARD int dg_metrics_open(struct uv_loop_s *loop,
				 const struct dg_addr *addr,
				 const struct dg_metrics_hooks *hooks,
				 struct dg_metrics **out);

/* Close the listener and every connection; freed once they are closed.
 * NULL is allowed. */
void dg_metrics_close(struct dg_metrics *m);
