/* mb2_boot.c — the Multiboot2 boot protocol as the kernel sees it (Multiboot2 Specification 2.0,
 * "I386 machine state", "Boot information format"), run by tests/target/mb2_boot.cfg.
 *
 * The header (lib/mb2_entry.S) requests, as required, the command line, boot loader name,
 * modules, basic memory information and memory map, and page-aligned modules. Checked: EAX magic
 * and the entry state; the information's alignment, total_size, reserved field, every tag's
 * alignment and bounds, the end tag; each requested tag present (once, except modules), with
 * its contents against the .cfg and the module files; the memory map's entry_size and version.
 * The expectations below must match mb2_boot.cfg.
 */
#include "lib/kernel.h"
#include "lib/test.h"
#include "mb_checks.h"

#define RAM_SIZE (48ull << 20)                     /* mem = 48M */
static const char want_cmdline[] = "mb2_boot loglevel=7  init=/sbin/init # kept";

/* A string of a tag: NUL-terminated within the tag's size. */
static const char *tag_str(const struct mb2_tag *t, uint32_t fixed)
{
    const char *s = (const char *)t + fixed;
    for (uint32_t i = fixed; i < t->size; i++, s++)
        if (*s == 0)
            return (const char *)t + fixed;
    return 0;
}

int main(void)
{
    t_begin("mb2_boot");
    kidt_init();
    mbc_entry_state(MB2_BOOT_MAGIC);
    t_eq("header: this kernel carries a Multiboot2 header", mb_entry.version, 2);

    uint32_t base = mb_entry.ebx;
    const struct mb2_info_header *h = phys_ptr(base);
    tprintf("# info at 0x%x, total_size %u\n", base, h->total_size);
    t_eq("info: 8-byte aligned", base & 7, 0);
    t_eq("info: reserved field is 0", h->reserved, 0);
    t_check(h->total_size >= 16 && base + h->total_size <= RAM_SIZE,
            "info: total_size covers at least the end tag, inside RAM", "total_size %u",
            h->total_size);

    uint32_t end = base + h->total_size, p = base + 8;
    unsigned count[32] = { 0 };
    int aligned = 1, bounded = 1, end_ok = 0, strings_ok = 1;
    const char *cmdline = 0, *loader = 0;
    const struct mb2_tag_meminfo *mi = 0;
    const struct mb2_tag_mmap *mm = 0;
    struct mod_found m[MB_TEST_MODULES];
    unsigned n_mods = 0;
    while (p + 8 <= end) {
        const struct mb2_tag *t = phys_ptr(p);
        if (p & 7)
            aligned = 0;
        if (t->size < 8 || t->size > end - p) {
            bounded = 0;
            break;
        }
        tprintf("# tag type %u size %u at +0x%x\n", t->type, t->size, p - base);
        if (t->type < 32)
            count[t->type]++;
        if (t->type == MB2_TAG_END) {
            end_ok = t->size == 8 && p + 8 == end;
            break;
        }
        switch (t->type) {
        case MB2_TAG_CMDLINE:
            if (!(cmdline = tag_str(t, 8)))
                strings_ok = 0;
            break;
        case MB2_TAG_LOADER_NAME:
            if (!(loader = tag_str(t, 8)))
                strings_ok = 0;
            break;
        case MB2_TAG_MODULE: {
            const struct mb2_tag_module *tm = (const void *)t;
            const char *s = t->size >= 17 ? tag_str(t, 16) : 0;
            if (!s)
                strings_ok = 0;
            if (n_mods < MB_TEST_MODULES)
                m[n_mods] = (struct mod_found){ tm->mod_start, tm->mod_end, s ? s : "" };
            n_mods++;
            break;
        }
        case MB2_TAG_BASIC_MEMINFO:
            mi = (const void *)t;
            break;
        case MB2_TAG_MMAP:
            mm = (const void *)t;
            break;
        }
        p = (p + t->size + 7) & ~7u;
    }
    t_check(aligned, "tags: every tag starts 8-byte aligned", "one does not");
    t_check(bounded, "tags: every tag lies inside total_size, size >= 8", "tag at +0x%x",
            p - base);
    t_check(end_ok, "tags: an end tag (type 0, size 8) ends the information exactly",
            "walk ended at +0x%x of %u", p - base, h->total_size);
    t_check(strings_ok, "tags: strings are NUL-terminated inside their tag", "one is not");
    t_eq("tags: one command line tag", count[MB2_TAG_CMDLINE], 1);
    t_eq("tags: one boot loader name tag", count[MB2_TAG_LOADER_NAME], 1);
    t_eq("tags: one basic memory information tag", count[MB2_TAG_BASIC_MEMINFO], 1);
    t_eq("tags: one memory map tag", count[MB2_TAG_MMAP], 1);

    if (cmdline)
        mbc_string("cmdline: equals the .cfg's append", cmdline, want_cmdline);
    mbc_loader_name(loader);
    if (mi) {
        t_eq("basic meminfo: tag size 16", mi->size, 16);
        mbc_meminfo(mi->mem_lower, mi->mem_upper, RAM_SIZE);
    }
    if (mm) {
        uint32_t body = mm->size - 16;
        t_check(mm->size >= 16 && mm->entry_size >= 24 && mm->entry_size % 8 == 0 &&
                body % mm->entry_size == 0, "mmap: entry_size >= 24, a multiple of 8, divides "
                "the tag", "size %u entry_size %u", mm->size, mm->entry_size);
        t_eq("mmap: entry_version 0", mm->entry_version, 0);
        struct mmap_ent e[16];
        unsigned n = 0;
        int reserved_zero = 1;
        if (mm->entry_size >= 24)
            for (uint32_t o = 0; o + mm->entry_size <= body && n < 16; o += mm->entry_size) {
                const struct mb2_mmap_entry *me =
                    (const void *)((const char *)mm + 16 + o);
                e[n++] = (struct mmap_ent){ me->base_addr, me->length, me->type };
                if (me->reserved)
                    reserved_zero = 0;
                tprintf("# mmap: base 0x%llx length 0x%llx type %u\n",
                        (unsigned long long)me->base_addr, (unsigned long long)me->length,
                        me->type);
            }
        t_check(reserved_zero, "mmap: reserved fields are 0", "one is not");
        mbc_mmap(e, n, RAM_SIZE);
    }
    struct region info = { base, end, "boot information" };
    mbc_modules(m, n_mods, &info, 1, RAM_SIZE);
    mbc_a20(m, n_mods < MB_TEST_MODULES ? n_mods : MB_TEST_MODULES, &info, 1, RAM_SIZE);
    return t_finish();
}
