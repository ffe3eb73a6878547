/*
 * xlat.c - `bt86 xlat`: guest instructions and their translation side by
 * side, the first thing to open to see what the translator does.
 *
 *   bt86 xlat --bytes "31 c0 03 44 8e fc" [--eip ADDR] [--count N]
 *   bt86 xlat -kernel FILE --at ADDR [--count N]
 *
 * The guest code is put into the RAM of a small machine (flat protected
 * mode, CPL 0), translated block by block by the real block builder with
 * the real callout rules, and printed: each guest instruction (Zydis,
 * Intel syntax) with how it was translated (copied / rewritten / branch /
 * callout and why), then its host code (Capstone, x86-64).  Nothing runs.
 */
#include "monitor/cli/xlat.h"
#include "translator/bt.h"
#include "monitor/boot/loader.h"
#include "monitor/base/util.h"

#include <capstone/capstone.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define XLAT_MAX_INSNS 4096

/* How each translated guest instruction came out, by its EIP order. */
struct xlat_rec {
	uint32_t eip;
	enum bt_how how;
	const char *why;
};

struct xlat {
	struct xlat_rec rec[BT_MAX_INSNS];
	unsigned n;
	csh cs;
	ZydisFormatter fmt;
};

/* xlat_note: builder callback: remember how the instruction was done. */
static void xlat_note(void *opaque, const struct bt_ctx *x)
{
	struct xlat *xl = opaque;

	if (xl->n < BT_MAX_INSNS)
		xl->rec[xl->n++] = (struct xlat_rec){x->eip, x->how, x->why};
}

static enum callout_result xlat_no_exec(struct vcpu *v, const struct callout_site *s)
{
	die("xlat never runs guest code");
}

static int xlat_no_raise(struct vcpu *v, int vector, bool has_err, uint32_t err)
{
	return -1;
}

/* parse_hex: "31 c0 03..." or "31c003..." -> bytes; -1 on bad input. */
static int parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t cap = strlen(s) / 2 + 1, n = 0;
	uint8_t *b = malloc(cap);

	if (!b)
		return -1;
	while (*s) {
		if (isspace((unsigned char)*s) || *s == ',') {
			s++;
			continue;
		}
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1])) {
			free(b);
			return -1;
		}
		char h[3] = {s[0], s[1], 0};
		b[n++] = (uint8_t)strtoul(h, NULL, 16);
		s += 2;
	}
	*out = b;
	*len = n;
	return n ? 0 : -1;
}

static const char *how_name(enum bt_how h)
{
	switch (h) {
	case HOW_COPY:
		return "copied";
	case HOW_REWRITE:
		return "rewritten";
	case HOW_BRANCH:
		return "branch";
	default:
		return "callout";
	}
}

/* jump_name: what "jmp [r12+disp]" leads to. */
static const char *jump_name(uint8_t disp)
{
	switch (disp) {
	case BTC_FN_DIRECT:
		return "bt_exit_direct (dispatcher, then chained)";
	case BTC_FN_IND:
		return "bt_exit_indirect (lookup miss)";
	case BTC_FN_CALL:
		return "bt_callout_entry (monitor)";
	default:
		return "?";
	}
}

/* print_host: disassemble host bytes [from, to) of blk, annotating exit
 * stubs and callout sites. */
static void print_host(struct xlat *xl, const struct bt_block *blk, unsigned from, unsigned to)
{
	cs_insn *ci;
	size_t n = cs_disasm(xl->cs, blk->host + from, to - from, from, 0, &ci);

	for (size_t i = 0; i < n; i++) {
		char hex[64] = "";
		for (int k = 0; k < ci[i].size && k < 14; k++)
			snprintf(hex + 3 * k, sizeof(hex) - 3 * k, "%02x ", ci[i].bytes[k]);
		char note[64] = "";
		for (unsigned e = 0; e < blk->n_exits; e++)
			if (blk->exits[e].stub == blk->host + ci[i].address)
				snprintf(note, sizeof(note), "  ; exit -> guest %#x",
					 blk->exits[e].target);
		if (ci[i].address == 0)
			snprintf(note, sizeof(note), "  ; block entry: poll page");
		else if (!note[0] && ci[i].bytes[0] == 0x49 && ci[i].bytes[1] == 0xbb)
			snprintf(note, sizeof(note), "  ; r11 = callout site");
		else if (ci[i].size == 8 && ci[i].bytes[0] == 0x41 && ci[i].bytes[1] == 0xff)
			snprintf(note, sizeof(note), "  ; -> %s", jump_name(ci[i].bytes[4]));
		printf("            +%-4u %-30s %s %s%s\n", (unsigned)ci[i].address, hex,
		       ci[i].mnemonic, ci[i].op_str, note);
	}
	if (n)
		cs_free(ci, n);
}

/* print_block: the listing of one block, up to budget instructions and
 * none at or past end (the end of --bytes); returns instructions shown. */
static unsigned print_block(struct xlat *xl, struct bt *bt, const struct bt_block *blk,
			    unsigned budget, uint32_t end)
{
	printf("block at %#x: %u guest instructions (%u bytes) -> %u host bytes\n", blk->eip,
	       blk->n_insns, blk->guest_len, blk->host_len);
	unsigned i;
	for (i = 0; i < blk->n_insns && i < budget && blk->insn_eip[i] < end; i++) {
		uint32_t eip = blk->insn_eip[i];
		const uint8_t *p = ram_ptr(&bt->m->ram, eip, 1);
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		char text[96] = "(undecodable)", hex[48] = "";
		size_t avail = MIN(15, bt->m->ram.size - eip);
		unsigned len = 1;
		if (ZYAN_SUCCESS(
			ZydisDecoderDecodeFull(bt_decoder(bt, blk->mode), p, avail, &in, ops))) {
			ZydisFormatterFormatInstruction(&xl->fmt, &in, ops,
							in.operand_count_visible, text,
							sizeof(text), eip, NULL);
			len = in.length;
		}
		for (unsigned k = 0; k < len && k < 10; k++)
			snprintf(hex + 3 * k, sizeof(hex) - 3 * k, "%02x ", p[k]);
		const struct xlat_rec *r = NULL;
		for (unsigned k = 0; k < xl->n; k++)
			if (xl->rec[k].eip == eip)
				r = &xl->rec[k];
		printf("  %08x  %-30s %-34s [%s%s%s]\n", eip, hex, text, r ? how_name(r->how) : "?",
		       r && r->why && *r->why ? ": " : "", r && r->why ? r->why : "");
		print_host(xl, blk, blk->host_off[i], blk->host_off[i + 1]);
	}
	if (i < blk->n_insns && blk->insn_eip[i] >= end)
		printf("  %-8s  (the block goes on past the given bytes)\n", "");
	if (i == blk->n_insns && blk->host_off[i] < blk->host_len) {
		printf("  %-8s  exit stubs\n", "");
		print_host(xl, blk, blk->host_off[i], blk->host_len);
	}
	printf("\n");
	return i;
}

/* xlat_list: translate from eip on and print count guest instructions. */
static int xlat_list(struct machine *m, uint32_t eip, uint32_t end, unsigned count)
{
	static const struct bt_hooks hooks = {
	    .exec = xlat_no_exec, .needed = callout_needed, .raise = xlat_no_raise};
	struct xlat *xl = calloc(1, sizeof(*xl));
	struct bt *bt;

	if (!xl || bt_create(m, &hooks, &bt) < 0)
		return 1;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &xl->cs) != CS_ERR_OK)
		die("capstone cannot open x86-64");
	ZydisFormatterInit(&xl->fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	bt->on_insn = xlat_note;
	bt->on_insn_opaque = xl;
	printf("guest (32-bit, Zydis)%48s host (x86-64, Capstone)\n", "");
	printf(
	    "legend: copied = same bytes (+ GS/0x67 on memory operands), rewritten = re-encoded\n"
	    "        or expanded, branch = block exit (chainable stub / inline lookup),\n"
	    "        callout = runs in the monitor (why)\n\n");
	while (count > 0 && eip < end) {
		const char *err = NULL;
		xl->n = 0;
		struct bt_block *blk = bt_translate(bt, eip, bt_mode(&m->vcpu), 0, 0, &err);
		if (!blk) {
			printf("%#x: %s\n", eip, err);
			break;
		}
		unsigned shown = print_block(xl, bt, blk, count, end);
		count -= MIN(count, shown);
		eip = blk->eip + blk->guest_len;
	}
	cs_close(&xl->cs);
	bt_destroy(bt);
	free(xl);
	return 0;
}

static int usage(const char *msg)
{
	util_error("xlat: %s", msg);
	fprintf(stderr, "usage: bt86 xlat --bytes \"HEX...\" [--eip ADDR] [--count N]\n"
			"       bt86 xlat -kernel FILE --at ADDR [--count N]\n");
	return EXIT_STATUS_USAGE;
}

/* parse_u32: a number (C syntax); false if it is not one. */
static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || !*s || *end || x > 0xffffffffull)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* xlat_main: parse options, set up RAM, list. */
int xlat_main(int argc, char **argv)
{
	const char *bytes = NULL, *kernel = NULL;
	uint32_t eip = 0x100000, count = 32, end = 0xffffffff;
	bool have_at = false;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		while (*o == '-')
			o++;
		if (i + 1 >= argc)
			return usage("missing value after an option");
		const char *val = argv[++i];
		if (!strcmp(o, "bytes"))
			bytes = val;
		else if (!strcmp(o, "kernel"))
			kernel = val;
		else if (!strcmp(o, "eip") || !strcmp(o, "at")) {
			if (!parse_u32(val, &eip))
				return usage("bad address");
			have_at = true;
		} else if (!strcmp(o, "count")) {
			if (!parse_u32(val, &count) || !count || count > XLAT_MAX_INSNS)
				return usage("bad --count");
		} else
			return usage("unknown option");
	}
	if (!!bytes == !!kernel)
		return usage("give either --bytes or -kernel");
	if (kernel && !have_at)
		return usage("-kernel needs --at ADDR");
	struct machine *m = calloc(1, sizeof(*m));
	if (!m || ram_init(&m->ram, 256 * MiB) < 0)
		return usage("cannot allocate guest RAM");
	m->vcpu.machine = m;
	vcpu_set_flat32(&m->vcpu, 8, 16);
	int rc = 0;
	if (bytes) {
		uint8_t *b;
		size_t n;
		if (parse_hex(bytes, &b, &n) < 0)
			return usage("--bytes wants hex bytes like \"31 c0 c3\"");
		if (ram_write(&m->ram, eip, b, n) < 0)
			return usage("--eip puts the bytes outside the 256 MiB of RAM");
		free(b);
		end = eip + (uint32_t)n;
	} else {
		uint8_t *img;
		size_t len;
		if (loader_read_file(kernel, "kernel", UINT32_MAX, &img, &len) < 0)
			return EXIT_STATUS_USAGE;
		if (multiboot_probe(img, len) != 1)
			return usage("the kernel is not a multiboot image");
		if (multiboot_load(m, img, len) < 0)
			return EXIT_STATUS_USAGE;
		free(img);
	}
	rc = xlat_list(m, eip, end, count);
	ram_destroy(&m->ram);
	free(m);
	return rc;
}
