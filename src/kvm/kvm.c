/* PLACEHOLDER: replaced by the KVM engine. */
#include "monitor/engine.h"
#include "monitor/util.h"
#include <errno.h>
static int kvm_init(struct machine *m)
{
	util_error("the kvm engine is not built yet");
	return -ENOSYS;
}
const struct engine kvm_engine = {.name = "kvm", .init = kvm_init};
