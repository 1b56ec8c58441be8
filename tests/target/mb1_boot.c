/* mb1_boot.c — the Multiboot (v1) boot protocol as the kernel sees it (Multiboot Specification
 * 0.6.96, 3.2 machine state, 3.3 boot information), run by tests/target/mb1_boot.cfg.
 *
 * The header (lib/mb1_entry.S) asks for page-aligned modules and memory information. Checked:
 * EAX magic and the entry state (CR0, EFLAGS, flat segments, A20); the info flags; mem_lower /
 * mem_upper and the memory map against the configured RAM; the command line and the module
 * strings against the .cfg; each module's size and CRC-32; alignment and overlaps of modules,
 * kernel and boot information; the boot loader name.
 * The expectations below must match mb1_boot.cfg.
 */
#include "lib/kernel.h"
#include "lib/test.h"
#include "mb_checks.h"

#define RAM_SIZE (32ull << 20)                     /* mem = 32M */
static const char want_cmdline[] =                 /* append = "..." (config quoting: \" is ") */
    "mb1_boot  console=ttyS0,115200 root=/dev/ram0 # kept \"quoted\"";

static struct region info[8 + MB_TEST_MODULES];
static unsigned n_info;

static void add_region(uint32_t lo, uint32_t len, const char *what)
{
    if (n_info < sizeof info / sizeof info[0])
        info[n_info++] = (struct region){ lo, lo + len, what };
}

static uint32_t str_size(uint32_t addr)
{
    return addr ? strlen(phys_ptr(addr)) + 1 : 0;
}

int main(void)
{
    t_begin("mb1_boot");
    kidt_init();
    mbc_entry_state(MB1_BOOT_MAGIC);
    t_eq("header: this kernel carries a Multiboot v1 header", mb_entry.version, 1);

    const struct mb1_info *mbi = phys_ptr(mb_entry.ebx);
    uint32_t f = mbi->flags;
    tprintf("# info at 0x%x, flags 0x%x\n", mb_entry.ebx, f);
    t_check(f & MB1_INFO_MEM, "flags: mem_lower/mem_upper valid (header flag 1 asked for them)",
            "flags 0x%x", f);
    t_check(f & MB1_INFO_MMAP, "flags: memory map present", "flags 0x%x", f);
    t_check(f & MB1_INFO_CMDLINE, "flags: command line present (the .cfg gives one)", "flags 0x%x",
            f);
    t_check(f & MB1_INFO_MODS, "flags: modules present", "flags 0x%x", f);
    t_check(f & MB1_INFO_LOADER_NAME, "flags: boot loader name present", "flags 0x%x", f);
    t_check((f & (MB1_INFO_AOUT_SYMS | MB1_INFO_ELF_SHDR)) !=
            (MB1_INFO_AOUT_SYMS | MB1_INFO_ELF_SHDR), "flags: bits 4 and 5 not both set",
            "flags 0x%x", f);
    t_check(!(f & (MB1_INFO_VBE | MB1_INFO_FRAMEBUFFER)), "flags: no video information (header "
            "flag 2 clear)", "flags 0x%x", f);
    add_region(mb_entry.ebx, (f & (MB1_INFO_VBE | MB1_INFO_FRAMEBUFFER)) ? 116 : 88,
               "information structure");

    if (f & MB1_INFO_MEM)
        mbc_meminfo(mbi->mem_lower, mbi->mem_upper, RAM_SIZE);

    if (f & MB1_INFO_MMAP) {
        struct mmap_ent e[16];
        unsigned n = 0;
        uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
        int sizes_ok = 1;
        while (p < end && n < 16) {
            const struct mb1_mmap_entry *me = phys_ptr(p);
            if (me->size < 20) {
                sizes_ok = 0;
                break;
            }
            e[n++] = (struct mmap_ent){ me->base_addr, me->length, me->type };
            tprintf("# mmap: base 0x%llx length 0x%llx type %u\n",
                    (unsigned long long)me->base_addr, (unsigned long long)me->length, me->type);
            p += me->size + 4;
        }
        t_check(sizes_ok && p == end, "mmap: entry sizes >= 20 walk exactly mmap_length bytes",
                "stopped at 0x%x, buffer 0x%x-0x%x", p, mbi->mmap_addr, end);
        add_region(mbi->mmap_addr, mbi->mmap_length, "memory map");
        mbc_mmap(e, n, RAM_SIZE);
    }

    if (f & MB1_INFO_CMDLINE) {
        mbc_string("cmdline: equals the .cfg's append", phys_ptr(mbi->cmdline), want_cmdline);
        add_region(mbi->cmdline, str_size(mbi->cmdline), "command line");
    }
    if (f & MB1_INFO_LOADER_NAME) {
        mbc_loader_name(phys_ptr(mbi->boot_loader_name));
        add_region(mbi->boot_loader_name, str_size(mbi->boot_loader_name), "boot loader name");
    }

    struct mod_found m[MB_TEST_MODULES];
    unsigned n = 0;
    if (f & MB1_INFO_MODS) {
        const struct mb1_module *mods = phys_ptr(mbi->mods_addr);
        add_region(mbi->mods_addr, mbi->mods_count * 16, "module structures");
        int reserved_zero = 1;
        for (unsigned i = 0; i < mbi->mods_count && i < MB_TEST_MODULES; i++) {
            m[n++] = (struct mod_found){ mods[i].mod_start, mods[i].mod_end,
                                         phys_ptr(mods[i].string) };
            add_region(mods[i].string, str_size(mods[i].string), "module string");
            if (mods[i].reserved)
                reserved_zero = 0;
        }
        t_check(reserved_zero, "modules: reserved fields are 0", "one is not");
        mbc_modules(m, mbi->mods_count > MB_TEST_MODULES ? mbi->mods_count : n, info, n_info,
                    RAM_SIZE);
    }
    mbc_a20(m, n, info, n_info, RAM_SIZE);
    return t_finish();
}
