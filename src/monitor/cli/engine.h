/*
 * engine.h - the CPU engines a machine can run on.
 *
 * Each engine lives in its own directory (src/translator/ for bt,
 * src/kvm/ for kvm) and exports one struct engine (machine.h); the choice
 * between them is made here, at the top, so no lower room names one.
 */
#ifndef BT86_ENGINE_H
#define BT86_ENGINE_H

#include "monitor/machine/machine.h"

extern const struct engine bt_engine;  /* src/translator/bt_engine.c */
extern const struct engine kvm_engine; /* src/kvm/kvm.c */

/* engine_find: the engine named name ("bt", "kvm"), or NULL. */
const struct engine *engine_find(const char *name);

#endif
