/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture: diagnostics (diag.h) written to memory, for the unit tests that
 * check what a file, a key or an entry is told. Header-only: each test is
 * one translation unit.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

struct capture {
	FILE *f;
	char *buf;
	size_t len;
	struct dg_diag d;
};

static inline void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (c->f == NULL) {
		perror("open_memstream");
		exit(99);
	}
	dg_diag_init(&c->d, c->f);
}

/* What was printed so far, without the last newline. */
static inline const char *cap_text(struct capture *c)
{
	fflush(c->f);
	if (c->len > 0 && c->buf[c->len - 1] == '\n')
		c->buf[c->len - 1] = '\0';
	return c->buf;
}

static inline void cap_close(struct capture *c)
{
	fclose(c->f);
	free(c->buf);
}
