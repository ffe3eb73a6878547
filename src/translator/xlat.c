/* PLACEHOLDER: replaced by the translation viewer. */
#include "translator/xlat.h"
#include "monitor/util.h"
int xlat_main(int argc, char **argv)
{
	util_error("xlat is not built yet");
	return 2;
}
