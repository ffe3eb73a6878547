/* engine.c - the table of engines (see engine.h). */
#include "monitor/cli/engine.h"

#include <string.h>

const struct engine *engine_find(const char *name)
{
	if (!strcmp(name, "bt"))
		return &bt_engine;
	if (!strcmp(name, "kvm"))
		return &kvm_engine;
	return NULL;
}
