/*
 * cli.h - the bt86 command line, in QEMU's spelling.
 *
 *   bt86 [-accel bt|kvm] [-m MB] -kernel FILE [-initrd FILE[,FILE...]]
 *        [-append CMDLINE] [-bios FILE] [-serial stdio|file:PATH|none]
 *        [-debugcon stdio|file:PATH|none] [-no-reboot] [--stats]
 *        [--trace SPEC] [--help]
 *
 * Every option may also be written with two dashes, and "--opt=value" is
 * "--opt value".  The parser never exits the process: it returns a result
 * and, on error, one line of text for the caller to print.
 */
#ifndef BT86_CLI_H
#define BT86_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "monitor/machine/machine.h"

#define CLI_DEFAULT_RAM_MB 128
#define CLI_MIN_RAM_MB	   2

enum cli_result {
	CLI_RUN,   /* cfg is complete: boot it */
	CLI_HELP,  /* --help: print cli_usage() and exit 0 */
	CLI_ERROR, /* err holds one line (no "bt86:" prefix, no newline) */
};

/* cli_defaults: the configuration before any option (-accel bt, -m 128,
 * serial on stdio, debugcon off). */
void cli_defaults(struct machine_config *cfg);

/* cli_parse: parse argv[1..argc) into *cfg (pointers into argv are kept).
 * Checks what can be checked without loading: known options, arguments
 * present, numbers and ranges, the engine name, that input files exist and
 * are readable, exactly one of -kernel/-bios. */
enum cli_result cli_parse(int argc, char **argv, struct machine_config *cfg, char *err,
			  size_t errlen);

/* cli_usage: the --help text, exit statuses included. */
void cli_usage(FILE *f);

#endif
