/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay: main() for a fuzz target built without libFuzzer. Runs the
 * target once on each FILE, and on each file of each DIR; arguments that
 * start with '-' are libFuzzer's options and are ignored, so one command
 * line serves both builds. Prints how many inputs ran; a crash or a
 * sanitizer report is the failure.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* @return 0, or -1 when path could not be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	int rc = -1;

	if (f == NULL)
		goto fail;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	/* One byte more, so an empty file is no zero-size malloc. */
	buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto fail;
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	rc = 0;
fail:
	if (rc != 0)
		fprintf(stderr, "replay: cannot read %s\n", path);
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned inputs = 0, errors = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: no such file\n", argv[i]);
			errors++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			errors += run_file(argv[i]) != 0;
			inputs++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL) {
			errors++;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", argv[i],
				     e->d_name) >= (int)sizeof(path)) {
				errors++;
				continue;
			}
			errors += run_file(path) != 0;
			inputs++;
		}
		closedir(d);
	}
	printf("replay: %u inputs, %u unreadable\n", inputs, errors);
	return errors == 0 && inputs > 0 ? 0 : 1;
}
