/* loader.c - pick the loader for the image given on the command line (see
 * loader.h). */
#include "monitor/boot/loader.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "firmware/firmware.h"
#include "monitor/x86/cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int loader_read_file(const char *path, const char *what, uint64_t max, uint8_t **buf, size_t *len)
{
	int err = util_read_file(path, max, buf, len);

	if (err == -EFBIG && max % MiB == 0)
		util_error("%s %s is too large: %zu bytes, at most %llu MiB", what, path, *len,
			   (unsigned long long)(max / MiB));
	else if (err == -EFBIG)
		util_error("%s %s is too large: %zu bytes, at most %llu", what, path, *len,
			   (unsigned long long)max);
	else if (err < 0)
		util_error("cannot read %s %s: %s", what, path, strerror(-err));
	return err;
}

/* loader_load_kernel: read m->cfg.kernel and hand it to the loader whose
 * probe accepts it. */
static int loader_load_kernel(struct machine *m)
{
	const char *path = m->cfg.kernel;
	uint8_t *img;
	size_t len;
	int err = loader_read_file(path, "kernel", loader_kernel_max(m->ram.size), &img, &len);

	if (err < 0)
		return err;
	if (multiboot_probe(img, len)) {
		err = multiboot_load(m, img, len);
	} else if (linux_probe(img, len)) {
		err = linux_load(m, img, len);
	} else {
		util_error("%s: not a multiboot kernel or a Linux bzImage", path);
		err = -EINVAL;
	}
	free(img);
	return err;
}

int loader_probe_file(const char *path, uint64_t max)
{
	uint8_t *img;
	size_t len;
	int err = loader_read_file(path, "kernel", max, &img, &len);

	if (err < 0)
		return err;
	if (!multiboot_probe(img, len) && !linux_probe(img, len)) {
		util_error("%s: not a multiboot kernel or a Linux bzImage", path);
		err = -EINVAL;
	}
	free(img);
	return err;
}

int loader_load(struct machine *m)
{
	int err;

	fwcfg_install(m);
	if (m->cfg.bios) {
		uint8_t *img;
		size_t len;

		acpi_fw_cfg(m); /* for the BIOS to place */
		err = loader_read_file(m->cfg.bios, "firmware image", BIOS_MAX, &img, &len);
		if (err < 0)
			return err;
		err = bios_load(m, img, len);
		free(img);
	} else if (m->cfg.kernel) {
		/* the tables first: a kernel loaded over them wins */
		err = acpi_install(m);
		if (err == 0)
			err = bda_install(m);
		if (err == 0) {
			uint32_t r[4];

			cpu_cpuid(&m->vcpu, 1, 0, r);
			err = mptable_install(m, r[3]);
		}
		if (err == 0)
			err = loader_load_kernel(m);
	} else {
		util_error("nothing to boot: give -kernel or -bios");
		err = -EINVAL;
	}
	if (err == 0 && m->engine && m->engine->invalidate)
		m->engine->invalidate(m, 0, m->ram.size);
	return err;
}
