/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config: configuration and zones text, as an operator (or whoever
 * writes the file an operator includes) may get them wrong. The input is
 * split at its first NUL: an INI configuration before it, a zones file
 * after it. Both are loaded as dnsgate loads them at start and on SIGHUP,
 * printed as --check prints them, and freed. The zones file replaces the
 * configuration's zones= (as --zones does), so no input names a file
 * outside the two given here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "config.h"
#include "diag.h"

/* Text in a memory file, named by a /proc path. @return its fd or -1. */
static int memory_file(const char *name, const uint8_t *data, size_t size,
		       char *path, size_t path_size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if ((size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    snprintf(path, path_size, "/proc/self/fd/%d", fd) >= (int)path_size) {
		close(fd);
		return -1;
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t cfg_size = nul != NULL ? (size_t)(nul - data) : size;
	char cfg_path[64], zones_path[64];
	const char *zones[1] = { zones_path };
	struct dg_overrides ov = { .zones = zones, .n_zones = 1 };
	struct dg_config *cfg = NULL;
	struct dg_diag d;
	FILE *sink = fopen("/dev/null", "w");
	int cfg_fd, zones_fd;

	if (sink == NULL)
		return 0;
	cfg_fd = memory_file("config", data, cfg_size, cfg_path,
			     sizeof(cfg_path));
	zones_fd = memory_file("zones", nul != NULL ? nul + 1 : data,
			       nul != NULL ? size - cfg_size - 1 : 0,
			       zones_path, sizeof(zones_path));
	if (cfg_fd >= 0 && zones_fd >= 0) {
		dg_diag_init(&d, sink);
		if (dg_config_load(cfg_path, &ov, &d, &cfg) == 0)
			dg_config_print(cfg, sink);
		dg_config_free(cfg);
	}
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (zones_fd >= 0)
		close(zones_fd);
	fclose(sink);
	return 0;
}
