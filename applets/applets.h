/* SPDX-License-Identifier: MIT */
/* Applet entry points and the exit codes every applet uses. */
#ifndef SHIMBOX_APPLETS_H
#define SHIMBOX_APPLETS_H

enum { EXIT_USAGE = 100, EXIT_SYSTEM = 111 };

#define APPLET(c, name, summary) int c##_main(int argc, char **argv);
#include "applets.def"
#undef APPLET

extern const char shimbox_version[];
extern const char shimbox_revision[];

#endif
