/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * diag: see diag.h.
 */
#include "diag.h"

#include <stdarg.h>

void dg_diag_init(struct dg_diag *d, FILE *out)
{
	d->out = out;
	d->errors = 0;
	d->warnings = 0;
}

DG_PRINTF(5, 0)
static void report(struct dg_diag *d, const char *file, unsigned line,
		   const char *kind, const char *fmt, va_list ap)
{
	if (d->out == NULL)
		return;
	if (line > 0)
		fprintf(d->out, "%s:%u: %s", file, line, kind);
	else
		fprintf(d->out, "%s: %s", file, kind);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
}

void dg_diag_error(struct dg_diag *d, const char *file, unsigned line,
		   const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	report(d, file, line, "", fmt, ap);
	va_end(ap);
}

void dg_diag_warn(struct dg_diag *d, const char *file, unsigned line,
		  const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	report(d, file, line, "warning: ", fmt, ap);
	va_end(ap);
}
