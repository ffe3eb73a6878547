/*
 * xlat.h - `bt86 xlat`: show guest instructions and their translation side
 * by side (Zydis for the guest, Capstone for the host), marking what was
 * copied, rewritten or turned into a callout.
 */
#ifndef BT86_XLAT_H
#define BT86_XLAT_H

/* xlat_main: the `bt86 xlat ...` subcommand; argv[0] is "xlat".  Returns the
 * process exit status (2 on usage errors, with one clear line). */
int xlat_main(int argc, char **argv);

#endif
