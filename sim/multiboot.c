/* multiboot.c — Multiboot v1/v2 kernel loading: placement of kernel, modules, boot information and
 * GDT; the boot information in both formats; the entry state (see multiboot.h for the layout).
 *
 * Order of work: find the header, validate the ELF image (elf_check_mem), plan every block and
 * check it against RAM, the reserved 640 KiB-1 MiB area and 4 GiB, build the boot information in
 * a zeroed host buffer, and only then write RAM: kernel (elf_load_mem), modules, information.
 *
 * Memory map given to the kernel (v1 3.3 "mmap", v2 3.6.8), BIOS style:
 *   [0, 0xA0000) available, [0xA0000, 0x100000) reserved, [0x100000, RAM end) available.
 */
#include "sim/multiboot.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "sim/bus.h"
#include "sim/loaderr.h"
#include "sim/elfload.h"

#define PAGE 4096ull
#define GDT_BYTES PAGE          /* cpu_setup_gdt needs 0x168 bytes */
#define FOUR_GIB (1ull << 32)

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* ---- placement ----------------------------------------------------------------------------- */

struct planner {
    uint64_t cursor;        /* next free byte */
    uint64_t limit;         /* min(RAM size, 4 GiB) */
};

/* Reserve `len` bytes (rounded up to a page, at least one page) at the next page boundary,
 * skipping the reserved legacy area. 0 with *pa, or -1 if it does not fit. */
static int place(struct planner *p, uint64_t len, uint64_t *pa)
{
    uint64_t span = len ? align_up(len, PAGE) : PAGE;
    uint64_t at = align_up(p->cursor, PAGE);
    if (at < MB_HIGH_MEM_START && at + span > MB_LOW_MEM_END)
        at = MB_HIGH_MEM_START;
    if (span > p->limit || at > p->limit - span)
        return -1;
    *pa = at;
    p->cursor = at + span;
    return 0;
}

/* ---- memory map ---------------------------------------------------------------------------- */

struct region {
    uint64_t base, len;
    uint32_t type;
};

#define N_REGIONS 3

static void memory_map(uint64_t ram, struct region r[N_REGIONS])
{
    r[0] = (struct region){ 0, MB_LOW_MEM_END, MB_MEMORY_AVAILABLE };
    r[1] = (struct region){ MB_LOW_MEM_END, MB_HIGH_MEM_START - MB_LOW_MEM_END,
                            MB_MEMORY_RESERVED };
    r[2] = (struct region){ MB_HIGH_MEM_START, ram - MB_HIGH_MEM_START, MB_MEMORY_AVAILABLE };
}

static uint32_t mem_upper_kib(uint64_t ram)
{
    uint64_t kib = (ram - MB_HIGH_MEM_START) / 1024;
    return kib > UINT32_MAX ? UINT32_MAX : (uint32_t)kib;
}

/* ---- boot information builders ------------------------------------------------------------ */

struct info_in {
    const char *cmdline;
    const struct mb_blob *mods;
    int n_mods;
    const uint32_t (*mod_at)[2];    /* [k] = { start, end } */
    uint64_t ram;
    const uint8_t *rsdp;            /* the machine's ACPI RSDP in RAM, or NULL */
};

/* The ACPI RSDP as an OS finds it (ACPI 6.x 5.2.5.1): the signature "RSD PTR " on a 16-byte
 * boundary in the BIOS area 0xE0000-0xFFFFF, with a valid checksum over its first 20 bytes.
 * NULL if the machine has none (hvsim exec's machine, or RAM too small). */
static const uint8_t *find_rsdp(struct bus *b)
{
    for (uint64_t pa = 0xE0000; pa + MB2_RSDP_V2_SIZE <= 0x100000; pa += 16) {
        const uint8_t *p = bus_ram_ptr(b, pa, MB2_RSDP_V2_SIZE);
        if (!p || memcmp(p, "RSD PTR ", 8) != 0)
            continue;
        uint8_t sum = 0;
        for (int k = 0; k < MB2_RSDP_V1_SIZE; k++)
            sum = (uint8_t)(sum + p[k]);
        if (sum == 0)
            return p;
    }
    return NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);    /* hosts are little-endian x86-64 / aarch64; the guest is LE */
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* v1 (3.3): info | mmap | module structs | strings (cmdline, loader name, module strings).
 * buf NULL: only compute the size. */
static uint64_t build_v1(uint8_t *buf, uint32_t base, const struct info_in *in)
{
    uint64_t o_mmap = align_up(MB1_INFO_SIZE, 8);
    uint64_t o_mods = o_mmap + N_REGIONS * MB1_MMAP_ENTRY_SIZE;
    uint64_t o = o_mods + (uint64_t)in->n_mods * sizeof(struct mb1_module);
    uint64_t o_cmd = o;
    o += strlen(str_or_empty(in->cmdline)) + 1;
    uint64_t o_name = o;
    o += sizeof MB_LOADER_NAME;
    uint64_t o_str = o;
    for (int k = 0; k < in->n_mods; k++)
        o += strlen(str_or_empty(in->mods[k].string)) + 1;
    if (!buf)
        return o;
    put32(buf + offsetof(struct mb1_info, flags), MB1_INFO_MEMORY | MB1_INFO_CMDLINE |
          MB1_INFO_MODS | MB1_INFO_MEM_MAP | MB1_INFO_BOOT_LOADER_NAME);
    put32(buf + offsetof(struct mb1_info, mem_lower), (uint32_t)(MB_LOW_MEM_END / 1024));
    put32(buf + offsetof(struct mb1_info, mem_upper), mem_upper_kib(in->ram));
    put32(buf + offsetof(struct mb1_info, cmdline), base + (uint32_t)o_cmd);
    put32(buf + offsetof(struct mb1_info, mods_count), (uint32_t)in->n_mods);
    put32(buf + offsetof(struct mb1_info, mods_addr), base + (uint32_t)o_mods);
    put32(buf + offsetof(struct mb1_info, mmap_length), N_REGIONS * MB1_MMAP_ENTRY_SIZE);
    put32(buf + offsetof(struct mb1_info, mmap_addr), base + (uint32_t)o_mmap);
    put32(buf + offsetof(struct mb1_info, boot_loader_name), base + (uint32_t)o_name);
    struct region r[N_REGIONS];
    memory_map(in->ram, r);
    for (int k = 0; k < N_REGIONS; k++) {
        uint8_t *e = buf + o_mmap + (uint64_t)k * MB1_MMAP_ENTRY_SIZE;
        put32(e, MB1_MMAP_ENTRY_SIZE - 4);
        put64(e + 4, r[k].base);
        put64(e + 12, r[k].len);
        put32(e + 20, r[k].type);
    }
    strcpy((char *)buf + o_cmd, str_or_empty(in->cmdline));
    memcpy(buf + o_name, MB_LOADER_NAME, sizeof MB_LOADER_NAME);
    for (int k = 0; k < in->n_mods; k++) {
        uint8_t *m = buf + o_mods + (uint64_t)k * sizeof(struct mb1_module);
        put32(m + 0, in->mod_at[k][0]);
        put32(m + 4, in->mod_at[k][1]);
        put32(m + 8, base + (uint32_t)o_str);
        put32(m + 12, 0);
        const char *s = str_or_empty(in->mods[k].string);
        strcpy((char *)buf + o_str, s);
        o_str += strlen(s) + 1;
    }
    return o;
}

/* Append a v2 tag of `size` bytes at *o (8-aligned); returns its offset. */
static uint64_t tag(uint8_t *buf, uint64_t *o, uint32_t type, uint64_t size)
{
    uint64_t at = *o;
    if (buf) {
        put32(buf + at, type);
        put32(buf + at + 4, (uint32_t)size);
    }
    *o = align_up(at + size, 8);
    return at;
}

static void tag_string(uint8_t *buf, uint64_t *o, uint32_t type, const char *s)
{
    size_t n = strlen(s) + 1;
    uint64_t at = tag(buf, o, type, 8 + n);
    if (buf)
        memcpy(buf + at + 8, s, n);
}

/* v2 (3.6): total_size, reserved, then tags 1, 2, 3 (one per module), 4, 14 and 15 (when the
 * machine has ACPI tables), 6, 0. */
static uint64_t build_v2(uint8_t *buf, const struct info_in *in)
{
    uint64_t o = sizeof(struct mb2_info_header);
    tag_string(buf, &o, MB2_TAG_CMDLINE, str_or_empty(in->cmdline));
    tag_string(buf, &o, MB2_TAG_BOOT_LOADER_NAME, MB_LOADER_NAME);
    for (int k = 0; k < in->n_mods; k++) {
        const char *s = str_or_empty(in->mods[k].string);
        size_t n = strlen(s) + 1;
        uint64_t at = tag(buf, &o, MB2_TAG_MODULE, 16 + n);
        if (buf) {
            put32(buf + at + 8, in->mod_at[k][0]);
            put32(buf + at + 12, in->mod_at[k][1]);
            memcpy(buf + at + 16, s, n);
        }
    }
    uint64_t at = tag(buf, &o, MB2_TAG_BASIC_MEMINFO, sizeof(struct mb2_tag_basic_meminfo));
    if (buf) {
        put32(buf + at + 8, (uint32_t)(MB_LOW_MEM_END / 1024));
        put32(buf + at + 12, mem_upper_kib(in->ram));
    }
    if (in->rsdp) {
        /* 3.6.14/3.6.15: copies of the RSDP, the new one when its revision is 2 or more (as
         * GRUB gives them) */
        at = tag(buf, &o, MB2_TAG_ACPI_OLD, 8 + MB2_RSDP_V1_SIZE);
        if (buf)
            memcpy(buf + at + 8, in->rsdp, MB2_RSDP_V1_SIZE);
        if (in->rsdp[15] >= 2) {
            at = tag(buf, &o, MB2_TAG_ACPI_NEW, 8 + MB2_RSDP_V2_SIZE);
            if (buf)
                memcpy(buf + at + 8, in->rsdp, MB2_RSDP_V2_SIZE);
        }
    }
    at = tag(buf, &o, MB2_TAG_MMAP, sizeof(struct mb2_tag_mmap) + N_REGIONS * MB2_MMAP_ENTRY_SIZE);
    if (buf) {
        put32(buf + at + 8, MB2_MMAP_ENTRY_SIZE);
        put32(buf + at + 12, 0);
        struct region r[N_REGIONS];
        memory_map(in->ram, r);
        for (int k = 0; k < N_REGIONS; k++) {
            uint8_t *e = buf + at + 16 + (uint64_t)k * MB2_MMAP_ENTRY_SIZE;
            put64(e, r[k].base);
            put64(e + 8, r[k].len);
            put32(e + 16, r[k].type);
            put32(e + 20, 0);
        }
    }
    tag(buf, &o, MB2_TAG_END, 8);
    if (buf) {
        put32(buf, (uint32_t)o);
        put32(buf + 4, 0);
    }
    return o;
}

/* ---- loading ------------------------------------------------------------------------------- */

static bool is_elf(const void *data, size_t size)
{
    return size >= 4 && memcmp(data, "\177ELF", 4) == 0;
}

int mb_load_mem(struct bus *b, const struct mb_blob *kernel, const char *cmdline,
                const struct mb_blob *mods, int n_mods, enum mb_version want,
                struct mb_boot *mb, char *err, size_t errlen)
{
    const char *kname = kernel->name;
    memset(mb, 0, sizeof *mb);
    if (b->ram_size <= MB_HIGH_MEM_START)
        return load_error(err, errlen, kname, "RAM of 0x%llx bytes is too small for a Multiboot "
                    "kernel: it needs memory above 1 MiB; use --mem",
                    (unsigned long long)b->ram_size);
    if (n_mods < 0 || n_mods > MB_MAX_MODULES)
        return load_error(err, errlen, kname, "%d modules given; at most %d are supported", n_mods,
                    MB_MAX_MODULES);
    struct mb_header *h = &mb->hdr;
    if (mb_find_header(kernel->data, kernel->size, kname, want, h, err, errlen))
        return -1;
    if (!is_elf(kernel->data, kernel->size) && h->has_address)
        return load_error(err, errlen, kname, "not an ELF file, and loading a raw image with the "
                    "Multiboot%s address fields (the a.out kludge) is not supported",
                    h->version == 1 ? " flag-16" : "2 address-tag");
    struct elf_image img;
    if (elf_check_mem(kernel->data, kernel->size, kname, b->ram_size, &img, err, errlen))
        return -1;
    if (img.hi > FOUR_GIB)
        return load_error(err, errlen, kname, "segments end at physical 0x%llx, above 4 GiB, where a "
                    "32-bit Multiboot kernel cannot be loaded", (unsigned long long)img.hi);
    if (img.lo < MB_HIGH_MEM_START && img.hi > MB_LOW_MEM_END)
        return load_error(err, errlen, kname, "segments span physical [0x%llx, 0x%llx), which "
                    "overlaps the reserved legacy area [0xa0000, 0x100000)",
                    (unsigned long long)img.lo, (unsigned long long)img.hi);
    uint64_t entry = img.entry_pa;
    if (h->has_entry) {
        if (h->entry < img.lo || h->entry >= img.hi)
            return load_error(err, errlen, kname, "Multiboot2 entry address 0x%x is outside the "
                        "loaded image [0x%llx, 0x%llx)", h->entry, (unsigned long long)img.lo,
                        (unsigned long long)img.hi);
        entry = h->entry;
    }

    /* plan: modules, information, GDT */
    /* blocks end at or below 0xfffff000 so every end address fits the 32-bit fields */
    struct planner p = { img.hi, b->ram_size < FOUR_GIB - PAGE ? b->ram_size : FOUR_GIB - PAGE };
    uint32_t mod_at[MB_MAX_MODULES][2];
    for (int k = 0; k < n_mods; k++) {
        uint64_t pa;
        if (place(&p, mods[k].size, &pa))
            return load_error(err, errlen, mods[k].name, "module of 0x%zx bytes does not fit: the "
                        "next free page is 0x%llx and RAM%s ends at 0x%llx; use --mem",
                        mods[k].size, (unsigned long long)align_up(p.cursor, PAGE),
                        b->ram_size >= FOUR_GIB - PAGE ? " below 4 GiB" : "",
                        (unsigned long long)p.limit);
        mod_at[k][0] = (uint32_t)pa;
        mod_at[k][1] = (uint32_t)(pa + mods[k].size);
    }
    struct info_in in = { cmdline, mods, n_mods, (const uint32_t (*)[2])mod_at, b->ram_size,
                          find_rsdp(b) };
    uint64_t isize = h->version == 1 ? build_v1(NULL, 0, &in) : build_v2(NULL, &in);
    uint64_t info, gdt;
    if (place(&p, isize, &info) || place(&p, GDT_BYTES, &gdt))
        return load_error(err, errlen, kname, "no room for the boot information (0x%llx bytes) and "
                    "GDT after the kernel and modules: RAM ends at 0x%llx; use --mem",
                    (unsigned long long)isize, (unsigned long long)p.limit);
    /* Overlap check of the final plan (placement guarantees it; this keeps the invariant
     * explicit should placement ever change). */
    for (int k = 0; k < n_mods; k++)
        if (mod_at[k][0] < img.hi || (k && mod_at[k][0] < mod_at[k - 1][1]))
            return load_error(err, errlen, mods[k].name, "module overlaps the kernel or the module "
                        "before it");
    uint8_t *buf = calloc(1, isize);
    if (!buf)
        return load_error(err, errlen, kname, "out of host memory");
    if (h->version == 1)
        build_v1(buf, (uint32_t)info, &in);
    else
        build_v2(buf, &in);

    /* commit: nothing below can fail (all ranges checked) */
    if (elf_load_mem(b, kernel->data, kernel->size, kname, &img, err, errlen)) {
        free(buf);
        return -1;
    }
    for (int k = 0; k < n_mods; k++)
        if (mods[k].size)
            bus_copy_to(b, mod_at[k][0], mods[k].data, mods[k].size);
    bus_copy_to(b, info, buf, isize);
    free(buf);

    mb->version = h->version;
    mb->magic = h->version == 1 ? MB1_BOOTLOADER_MAGIC : MB2_BOOTLOADER_MAGIC;
    mb->info = (uint32_t)info;
    mb->info_size = (uint32_t)isize;
    mb->entry = (uint32_t)entry;
    mb->kernel_lo = img.lo;
    mb->kernel_hi = img.hi;
    mb->n_mods = n_mods;
    for (int k = 0; k < n_mods; k++) {
        mb->mods[k].start = mod_at[k][0];
        mb->mods[k].end = mod_at[k][1];
    }
    mb->gdt = (uint32_t)gdt;
    mb->free_base = p.cursor;
    return 0;
}

int mb_load(struct bus *b, const char *kernel_path, const char *cmdline,
            const char *const *module_specs, const char *const *module_names, int n_mods,
            enum mb_version want, struct mb_boot *mb, char *err, size_t errlen)
{
    if (n_mods < 0 || n_mods > MB_MAX_MODULES)
        return load_error(err, errlen, kernel_path, "%d modules given; at most %d are supported",
                    n_mods, MB_MAX_MODULES);
    struct mb_blob kernel = { kernel_path, NULL, 0, NULL };
    struct mb_blob mods[MB_MAX_MODULES];
    char *paths[MB_MAX_MODULES], *strings[MB_MAX_MODULES];
    unsigned char *data[MB_MAX_MODULES + 1];
    int n_read = 0, n_str = 0, r = -1;
    memset(mods, 0, sizeof mods);
    size_t ksize;
    if (elf_read_file(kernel_path, &data[0], &ksize, err, errlen))
        return -1;
    n_read = 1;
    kernel.data = data[0];
    kernel.size = ksize;
    for (int k = 0; k < n_mods; k++) {
        const char *spec = module_specs[k];
        const char *comma = strchr(spec, ',');
        size_t plen = comma ? (size_t)(comma - spec) : strlen(spec);
        if (plen == 0) {
            load_error(err, errlen, spec, "--module needs FILE[,ARGS]: the file name is empty");
            goto out;
        }
        const char *args = comma ? comma + 1 : "";
        paths[n_str] = strndup(spec, plen);
        const char *name = module_names && module_names[k] ? module_names[k] : NULL;
        size_t nlen = name ? strlen(name) : plen;
        strings[n_str] = malloc(nlen + 1 + strlen(args) + 1);
        if (!paths[n_str] || !strings[n_str]) {
            free(paths[n_str]);
            free(strings[n_str]);
            load_error(err, errlen, spec, "out of host memory");
            goto out;
        }
        if (*args)
            sprintf(strings[n_str], "%s %s", name ? name : paths[n_str], args);
        else
            strcpy(strings[n_str], name ? name : paths[n_str]);
        n_str++;
        size_t msize;
        if (elf_read_file(paths[k], &data[n_read], &msize, err, errlen))
            goto out;
        mods[k] = (struct mb_blob){ paths[k], data[n_read], msize, strings[k] };
        n_read++;
    }
    r = mb_load_mem(b, &kernel, cmdline, mods, n_mods, want, mb, err, errlen);
out:
    for (int k = 0; k < n_read; k++)
        free(data[k]);
    for (int k = 0; k < n_str; k++) {
        free(paths[k]);
        free(strings[k]);
    }
    return r;
}

int mb_enter(struct cpu *c, const struct mb_boot *mb)
{
    cpu_setup_flat32(c);                       /* PE=1, PG=0, flat CS 0x28 / data 0x10, RFLAGS 2 */
    if (cpu_setup_gdt(c, mb->gdt))
        return -1;
    for (int r = 0; r < 16; r++)
        c->gpr[r] = 0;
    c->gpr[R_RAX] = mb->magic;
    c->gpr[R_RBX] = mb->info;
    c->rip = mb->entry;
    return 0;
}
