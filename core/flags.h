/* SPDX-License-Identifier: MIT */
/*
 * Command-line flags in the syntax of Go's flag package, for the applets: -f or --f, -f=v or
 * -f v, booleans take no separate value (-f=false to clear), "--" ends the flags, and parsing
 * stops at the first word that is not a flag.
 */
#ifndef SHIMBOX_CORE_FLAGS_H
#define SHIMBOX_CORE_FLAGS_H

#include "err.h"
#include <stddef.h>
#include <stdint.h>

enum { FLAG_STR, FLAG_BOOL, FLAG_U32 };

/* dst: const char ** (FLAG_STR), int * (FLAG_BOOL) or uint32_t * (FLAG_U32). */
struct flag {
	const char *name;
	int type;
	void *dst;
};

enum { FLAGS_ERROR = -1, FLAGS_HELP = -2 };

/*
 * Parses argv[*i..argc) into the destinations; a later occurrence of a flag wins. On return *i
 * indexes the first word that is not a flag (argc at the end; past a "--").
 * Returns 0, FLAGS_HELP for -h/-help/--help, or FLAGS_ERROR with Go's message in err
 * ("flag provided but not defined: -x", "flag needs an argument: -x",
 * "invalid value \"v\" for flag -x: ...").
 */
int flags_parse(const struct flag *defs, size_t n, int argc, char **argv, int *i, struct err *err) __attribute__((warn_unused_result));

#endif
