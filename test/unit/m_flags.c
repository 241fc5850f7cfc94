/* SPDX-License-Identifier: MIT */
/* core/flags: Go flag syntax, the errors Go prints, and where parsing stops. */
#include "core/flags.h"
#include "core/sys.h"
#include "tap.h"

static const char *s_ns, *s_addr;
static int b_force;
static uint32_t u_pid;
static const struct flag defs[] = {
	{ "namespace", FLAG_STR, &s_ns },
	{ "address", FLAG_STR, &s_addr },
	{ "force", FLAG_BOOL, &b_force },
	{ "pid", FLAG_U32, &u_pid },
};

/* Parses a NULL-terminated argv (argv[0] is the program); returns flags_parse's result. */
static int parse(char **argv, int *i, char *err)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	s_ns = s_addr = NULL;
	b_force = 0;
	u_pid = 0;
	*i = 1;
	struct err e = { "" };
	int r = flags_parse(defs, ARRAY_LEN(defs), argc, argv, i, &e);
	memcpy(err, e.msg, sizeof(e.msg));
	return r;
}

#define ARGV(...) ((char *[]){ "prog", __VA_ARGS__, NULL })

int main(void)
{
	char err[ERR_MSG_MAX];
	int i, r;

	r = parse(ARGV("-namespace", "n1", "--address=/a=b", "-force", "--pid", "42"), &i, err);
	CHECK(r == 0 && i == 7 && strcmp(s_ns, "n1") == 0 && strcmp(s_addr, "/a=b") == 0 &&
	          b_force == 1 && u_pid == 42,
	      "-f v, --f=v (value keeps its '='), bool, --f v");
	r = parse(ARGV("-namespace=x", "-namespace", "y"), &i, err);
	CHECK(r == 0 && strcmp(s_ns, "y") == 0, "the last occurrence wins");
	r = parse(ARGV("-force=false", "-pid=0"), &i, err);
	CHECK(r == 0 && b_force == 0 && u_pid == 0, "-b=false clears a bool");
	r = parse(ARGV("-force=T"), &i, err);
	CHECK(r == 0 && b_force == 1, "-b=T is true, as in Go");
	r = parse(ARGV("-force", "false"), &i, err);
	CHECK(r == 0 && b_force == 1 && i == 2, "a bool takes no separate value: stops at 'false'");
	r = parse(ARGV("-force=maybe"), &i, err);
	CHECK(r == FLAGS_ERROR && strstr(err, "invalid boolean value \"maybe\""), "bad bool: %s",
	      err);

	r = parse(ARGV("--address", "A", "publish", "--namespace", "n"), &i, err);
	CHECK(r == 0 && i == 3 && strcmp(s_addr, "A") == 0 && s_ns == NULL,
	      "stops at the first non-flag word");
	i++;
	char **av = ARGV("--address", "A", "publish", "--namespace", "n");
	struct err e;
	r = flags_parse(defs, ARRAY_LEN(defs), 6, av, &i, &e);
	CHECK(r == 0 && i == 6 && strcmp(s_ns, "n") == 0, "and resumes after it");
	r = parse(ARGV("-force", "--", "-namespace", "x"), &i, err);
	CHECK(r == 0 && i == 3 && s_ns == NULL, "-- ends the flags");
	r = parse(ARGV("-", "x"), &i, err);
	CHECK(r == 0 && i == 1, "a lone - is a word, not a flag");

	r = parse(ARGV("-nope"), &i, err);
	CHECK(r == FLAGS_ERROR && strcmp(err, "flag provided but not defined: -nope") == 0, "%s",
	      err);
	r = parse(ARGV("--nope=1"), &i, err);
	CHECK(r == FLAGS_ERROR && strcmp(err, "flag provided but not defined: -nope") == 0,
	      "unknown --f=v: %s", err);
	r = parse(ARGV("---force"), &i, err);
	CHECK(r == FLAGS_ERROR, "three dashes are not a flag: %s", err);
	r = parse(ARGV("-namespace"), &i, err);
	CHECK(r == FLAGS_ERROR && strcmp(err, "flag needs an argument: -namespace") == 0, "%s",
	      err);
	r = parse(ARGV("-pid", "12x"), &i, err);
	CHECK(r == FLAGS_ERROR && strstr(err, "invalid value \"12x\" for flag -pid"), "%s", err);
	r = parse(ARGV("-pid", "-1"), &i, err);
	CHECK(r == FLAGS_ERROR, "negative numbers refused");
	r = parse(ARGV("-pid", "4294967296"), &i, err);
	CHECK(r == FLAGS_ERROR, "2^32 refused");
	r = parse(ARGV("-pid", "4294967295"), &i, err);
	CHECK(r == 0 && u_pid == 4294967295u, "2^32-1 accepted");
	r = parse(ARGV("-pid="), &i, err);
	CHECK(r == FLAGS_ERROR, "empty number refused");

	r = parse(ARGV("-h"), &i, err);
	CHECK(r == FLAGS_HELP, "-h asks for help");
	r = parse(ARGV("-namespace", "x", "--help"), &i, err);
	CHECK(r == FLAGS_HELP, "--help asks for help");
	r = parse(ARGV("-help"), &i, err);
	CHECK(r == FLAGS_HELP, "-help asks for help");
	return tap_done();
}
