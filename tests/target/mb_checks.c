/* mb_checks.c — checks shared by the Multiboot v1 and Multiboot2 boot tests (see mb_checks.h).
 *
 * Sources of the expected values: Multiboot 0.6.96 3.2-3.3 and Multiboot2 2.0 ("I386 machine
 * state", "Boot information format"); the PC memory layout (640 KiB conventional memory, the legacy
 * area 0xA0000-0xFFFFF, extended memory from 1 MiB); the .cfg files (RAM size, command line,
 * modules); the module files' sizes and CRC-32 values computed on the host with Python's zlib
 * (docs/TESTING.md).
 */
#include "mb_checks.h"

#include "lib/kernel.h"
#include "lib/test.h"

const struct mod_expect mb_test_modules[MB_TEST_MODULES] = {
    { "data/hello.txt", "lang=en, two words", 167, 0xaabcfde7u },
    { "data/pattern.bin", "", 5000, 0xc4135dcbu },
    { "data/empty.bin", "x", 0, 0x00000000u },
};

/* ---- entry state ------------------------------------------------------------------------ */

/* Read the dword at SEG:off, through an explicit segment override. */
#define SEG_READ(seg, off)                                                                   \
    ({                                                                                       \
        uint32_t v_;                                                                         \
        __asm__ volatile("movl %%" seg ":(%1), %0" : "=r"(v_) : "r"(off) : "memory");       \
        v_;                                                                                  \
    })
#define SEG_WRITE(seg, off, v)                                                               \
    __asm__ volatile("movl %0, %%" seg ":(%1)" :: "r"(v), "r"(off) : "memory")

static volatile uint32_t probe_word;

/* A data segment (spec: 32-bit read/write, offset 0, limit 0xFFFFFFFF): a value written through
 * DS reads back through SEG at the same offset (base 0, readable), a value written through SEG
 * reads back through DS (writable), and offsets 0 and 0xFFFFFFFC are within the limit (an
 * expand-up segment with limit 0xFFFFFFFF; a fault here is reported by the IDT as FAIL). */
#define CHECK_DATA_SEG(seg)                                                                  \
    do {                                                                                     \
        uint32_t off = (uint32_t)(uintptr_t)&probe_word;                                     \
        probe_word = 0x5eed1234u;                                                            \
        uint32_t r1 = SEG_READ(seg, off);                                                    \
        SEG_WRITE(seg, off, 0xa5a5c3c3u);                                                    \
        uint32_t r2 = probe_word;                                                            \
        (void)SEG_READ(seg, 0u);                                                             \
        (void)SEG_READ(seg, 0xfffffffcu);                                                    \
        t_check(r1 == 0x5eed1234u && r2 == 0xa5a5c3c3u,                                      \
                "entry: " seg " is flat read/write (base 0, offsets 0 and 0xFFFFFFFC valid)",  \
                "read 0x%x (want 0x5eed1234), wrote through " seg " and DS read 0x%x", r1, r2); \
    } while (0)

void mbc_entry_state(uint32_t want_magic)
{
    t_eq("entry: EAX holds the boot magic", mb_entry.eax, want_magic);
    t_check((mb_entry.cr0 & 1) == 1, "entry: CR0.PE = 1", "CR0 0x%x", mb_entry.cr0);
    t_check(!(mb_entry.cr0 & 0x80000000u), "entry: CR0.PG = 0", "CR0 0x%x", mb_entry.cr0);
    t_check(!(mb_entry.eflags & (1u << 9)), "entry: EFLAGS.IF = 0", "EFLAGS 0x%x",
            mb_entry.eflags);
    t_check(!(mb_entry.eflags & (1u << 17)), "entry: EFLAGS.VM = 0", "EFLAGS 0x%x",
            mb_entry.eflags);
    /* The recorded selectors are what the segment registers still hold (nothing reloaded). */
    uint16_t ds, es, fs, gs, ss;
    __asm__ volatile("mov %%ds, %0; mov %%es, %1; mov %%fs, %2; mov %%gs, %3; mov %%ss, %4"
                     : "=m"(ds), "=m"(es), "=m"(fs), "=m"(gs), "=m"(ss));
    t_check(read_cs() == mb_entry.cs && ds == mb_entry.ds && es == mb_entry.es &&
            fs == mb_entry.fs && gs == mb_entry.gs && ss == mb_entry.ss,
            "entry: selectors recorded", "CS %x DS %x ES %x FS %x GS %x SS %x", read_cs(), ds,
            es, fs, gs, ss);
    t_check((mb_entry.cs & 7) == 0 && mb_entry.cs >= 8, "entry: CPL 0, CS a non-null GDT "
            "selector", "CS 0x%x", mb_entry.cs);

    /* CS: 32-bit read/execute, offset 0, limit 0xFFFFFFFF. The kernel runs at its link address,
     * so EIP = linear address (base 0); a read through CS sees the same bytes as DS (readable);
     * offset 0xFFFFFFFC is within the limit. */
    uint32_t eip;
    __asm__ volatile("call 1f\n1: pop %0" : "=r"(eip));
    uint32_t code_off = (uint32_t)(uintptr_t)&mbc_entry_state;
    uint32_t via_cs = SEG_READ("cs", code_off);
    uint32_t via_ds = *(volatile uint32_t *)phys_ptr(code_off);
    (void)SEG_READ("cs", 0xfffffffcu);
    t_check(eip > (uint32_t)(uintptr_t)__image_start && eip < (uint32_t)(uintptr_t)__image_end &&
            via_cs == via_ds, "entry: CS is flat read/execute (base 0, readable, 4 GiB limit)",
            "EIP 0x%x (image 0x%x-0x%x), CS read 0x%x, DS read 0x%x", eip,
            (uint32_t)(uintptr_t)__image_start, (uint32_t)(uintptr_t)__image_end, via_cs, via_ds);
    CHECK_DATA_SEG("ds");
    CHECK_DATA_SEG("es");
    CHECK_DATA_SEG("fs");
    CHECK_DATA_SEG("gs");
    CHECK_DATA_SEG("ss");
}

/* ---- memory ------------------------------------------------------------------------------ */

void mbc_meminfo(uint32_t mem_lower, uint32_t mem_upper, uint64_t ram)
{
    /* mem_lower: conventional memory from 0, at most 640 KiB; with RAM > 1 MiB a PC has all of
     * it. mem_upper: memory from 1 MiB up to the first hole = RAM - 1 MiB (no hole below RAM's
     * end in a machine with less than 3 GiB). */
    t_eq("mem_lower = 640 KiB", mem_lower, 640);
    t_eq("mem_upper = (RAM - 1 MiB) / 1 KiB", mem_upper, (uint32_t)((ram - 0x100000) >> 10));
}

void mbc_mmap(const struct mmap_ent *e, unsigned n, uint64_t ram)
{
    uint64_t avail = 0;
    int sorted = 1, inside = 1, legacy_free = 1, nonempty = 1;
    for (unsigned i = 0; i < n; i++) {
        uint64_t end = e[i].base + e[i].len;
        if (e[i].len == 0)
            nonempty = 0;
        if (i && e[i].base < e[i - 1].base + e[i - 1].len)
            sorted = 0;                    /* out of order or overlapping */
        if (e[i].type == 1) {
            avail += e[i].len;
            if (end > ram)
                inside = 0;
            if (e[i].base < 0x100000 && end > 0xa0000)
                legacy_free = 0;
        }
    }
    t_check(n >= 2, "mmap: at least two entries", "%u entries", n);
    t_check(nonempty, "mmap: no empty entry", "an entry has length 0");
    t_check(sorted, "mmap: entries sorted by address and disjoint", "they are not");
    t_check(inside, "mmap: available RAM ends within the configured RAM", "it does not");
    t_check(legacy_free, "mmap: 640 KiB-1 MiB (VGA, ROMs) is not available", "it is");
    t_eq("mmap: available total = RAM - 384 KiB", avail, ram - 0x60000);
    /* the first entry is conventional memory at 0, the extended memory starts at 1 MiB */
    int low = 0, high = 0;
    for (unsigned i = 0; i < n; i++) {
        if (e[i].type == 1 && e[i].base == 0 && e[i].len == 0xa0000)
            low = 1;
        if (e[i].type == 1 && e[i].base == 0x100000 && e[i].len == ram - 0x100000)
            high = 1;
    }
    t_check(low, "mmap: [0, 640 KiB) available", "no such entry");
    t_check(high, "mmap: [1 MiB, RAM end) available", "no such entry");
}

/* ---- strings ----------------------------------------------------------------------------- */

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

void mbc_string(const char *name, const char *got, const char *want)
{
    t_check(got && str_eq(got, want), name, "got \"%s\", want \"%s\"", got ? got : "(none)",
            want);
}

void mbc_loader_name(const char *s)
{
    t_check(s && s[0], "boot loader name present", "got \"%s\"", s ? s : "(none)");
    if (s)
        tprintf("# boot loader name: %s\n", s);
}

/* A module string is "PATH ARGS" or "PATH", PATH being the file as the .cfg names it (a module
 * given on the command line shows its path as given), so it is the file or ends with "/" + file. */
static int mod_string_ok(const char *s, const struct mod_expect *w)
{
    uint32_t ls = strlen(s), lf = strlen(w->file), la = strlen(w->args);
    uint32_t tail = lf + (la ? 1 + la : 0);
    if (ls < tail)
        return 0;
    const char *t = s + ls - tail;
    if (t != s && t[-1] != '/')
        return 0;
    if (memcmp(t, w->file, lf))
        return 0;
    return la ? t[lf] == ' ' && str_eq(t + lf + 1, w->args) : t[lf] == 0;
}

static int overlaps(uint32_t a_lo, uint32_t a_hi, uint32_t b_lo, uint32_t b_hi)
{
    return a_lo < b_hi && b_lo < a_hi;
}

void mbc_modules(const struct mod_found *m, unsigned n, const struct region *info, unsigned n_info,
                 uint64_t ram)
{
    if (!t_eq("modules: count", n, MB_TEST_MODULES))
        return;
    uint32_t k_lo = (uint32_t)(uintptr_t)__image_start, k_hi = (uint32_t)(uintptr_t)__image_end;
    for (unsigned i = 0; i < n; i++) {
        const struct mod_expect *w = &mb_test_modules[i];
        tprintf("# module %u: [0x%x, 0x%x) \"%s\"\n", i, m[i].start, m[i].end, m[i].string);
        t_check((m[i].start & 0xfff) == 0, "module: page-aligned start", "module %u at 0x%x", i,
                m[i].start);
        t_check(m[i].end >= m[i].start && m[i].end - m[i].start == w->size, "module: size",
                "module %u (%s): got %u bytes, want %u", i, w->file, m[i].end - m[i].start,
                w->size);
        uint32_t c = crc32(phys_ptr(m[i].start), m[i].end - m[i].start);
        t_check(c == w->crc, "module: CRC-32 of the contents", "module %u (%s): got 0x%08x, "
                "want 0x%08x", i, w->file, c, w->crc);
        t_check(m[i].string && mod_string_ok(m[i].string, w), "module: string is PATH [ARGS]",
                "module %u: got \"%s\", want \".../%s%s%s\"", i, m[i].string, w->file,
                w->args[0] ? " " : "", w->args);
        int ok = m[i].end <= ram && m[i].start >= 0x100000;
        int ovl = overlaps(m[i].start, m[i].end, k_lo, k_hi);
        for (unsigned j = 0; j < n; j++)
            if (j != i && overlaps(m[i].start, m[i].end, m[j].start, m[j].end))
                ovl = 1;
        for (unsigned j = 0; j < n_info; j++)
            if (overlaps(m[i].start, m[i].end, info[j].lo, info[j].hi))
                ovl = 1;
        t_check(ok && !ovl, "module: in available RAM, overlapping nothing",
                "module %u [0x%x, 0x%x): %s", i, m[i].start, m[i].end,
                ok ? "overlaps the kernel, a module or the boot information" : "outside RAM");
    }
    int info_ok = 1;
    for (unsigned j = 0; j < n_info; j++) {
        int in_ram = info[j].hi <= ram && (info[j].hi <= 0xa0000 || info[j].lo >= 0x100000);
        if (!in_ram || overlaps(info[j].lo, info[j].hi, k_lo, k_hi)) {
            info_ok = 0;
            t_check(0, "boot information: in available RAM, outside the kernel",
                    "%s at [0x%x, 0x%x), kernel [0x%x, 0x%x)", info[j].what, info[j].lo,
                    info[j].hi, k_lo, k_hi);
        }
    }
    if (info_ok)
        t_check(1, "boot information: in available RAM, outside the kernel", "%s", "");
}

/* ---- A20 --------------------------------------------------------------------------------- */

void mbc_a20(const struct mod_found *m, unsigned n, const struct region *info, unsigned n_info,
             uint64_t ram)
{
    uint32_t top = (uint32_t)(uintptr_t)__image_end;
    for (unsigned i = 0; i < n; i++)
        if (m[i].end > top)
            top = m[i].end;
    for (unsigned j = 0; j < n_info; j++)
        if (info[j].hi > top)
            top = info[j].hi;
    /* X: 2 MiB-aligned (address bit 20 clear), above everything; X + 1 MiB differs from X only
     * in bit 20, so with A20 masked both would be the same byte. */
    uint32_t x = (top + 0x1fffff) & ~0x1fffffu;
    if (!t_check(x + 0x100000 + 4 <= ram, "A20: free RAM for the alias test", "top 0x%x", top))
        return;
    volatile uint32_t *lo = phys_ptr(x), *hi = phys_ptr(x + 0x100000);
    *lo = 0x11111111u;
    *hi = 0x22222222u;
    t_check(*lo == 0x11111111u && *hi == 0x22222222u, "A20: X and X + 1 MiB are different memory",
            "at 0x%x: 0x%x, at 0x%x: 0x%x", x, *lo, x + 0x100000, *hi);
}
