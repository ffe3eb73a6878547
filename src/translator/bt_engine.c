/* PLACEHOLDER: replaced by the binary-translation engine. */
#include "monitor/engine.h"
#include "monitor/util.h"
#include <errno.h>
static int bt_init(struct machine *m)
{
	util_error("the bt engine is not built yet");
	return -ENOSYS;
}
const struct engine bt_engine = {.name = "bt", .init = bt_init};
