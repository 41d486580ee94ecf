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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
