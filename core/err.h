/* SPDX-License-Identifier: MIT */
/*
 * The error idiom of core/ (STYLE.md "Errors"; crun's libcrun_error_t, without the heap).
 * A function that can fail returns int: >= 0 on success (a positive value is a success that
 * says how, such as PIO_WAIT), -errno on failure. Where errno cannot tell a person what to do
 * (which path, which mount, what the runtime printed), it also writes one sentence into the
 * caller's struct err, at the place that knows, once. The caller decides what the failure is
 * to its own caller: a handler picks the ttrpc code and answers with the sentence
 * (call_error(call, code, "%s", e.msg), op_fail), an applet prints it and exits.
 */
#ifndef SHIMBOX_CORE_ERR_H
#define SHIMBOX_CORE_ERR_H

#define ERR_MSG_MAX 512

struct err {
	char msg[ERR_MSG_MAX]; /* NUL-terminated, cut to fit */
};

/* Writes the sentence (replacing what e held). */
void err_msg(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
