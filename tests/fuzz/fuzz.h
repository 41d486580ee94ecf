/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz: what each fuzz target defines. Built with libFuzzer
 * (--with-fuzzer), libFuzzer's main runs it; otherwise replay.c's main
 * runs it over corpus files, which is how `make check` keeps every
 * committed input, crashes found once included, passing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle saw a wrong result: say which, with the input in hex, and
 * abort, so that libFuzzer keeps the input and a replay of it fails. */
static inline void fuzz_oracle_fail(const char *target, const char *what,
				    const uint8_t *in, size_t len)
{
	fprintf(stderr, "%s oracle: %s; the input:", target, what);
	for (size_t i = 0; i < len && i < 600; i++)
		fprintf(stderr, " %02x", in[i]);
	fprintf(stderr, "\n");
	abort();
}
