/* elf64.c — validation of an untrusted ELF64 x86-64 executable and iteration of its PT_LOAD
 * segments (see elf64.h for the invariants). Field offsets: ELF-64 Object File Format 1.5,
 * Figure 2 (Elf64_Ehdr) and Figure 6 (Elf64_Phdr).
 *
 * Plain C with no host dependency: compiled into the target images and into the host unit tests.
 * Every read goes through rd16/rd32/rd64 after a bounds check against len, with additions
 * checked for wrap-around before they are compared.
 */
#include "krt/krt.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PT_LOAD 1
#define ET_EXEC 2
#define EM_X86_64 62

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        krt_vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void read_phdr(const uint8_t *ph, uint32_t *type, struct krt_elf64_seg *s)
{
    *type = rd32(ph + 0);
    s->flags = rd32(ph + 4);
    s->offset = rd64(ph + 8);
    s->vaddr = rd64(ph + 16);
    s->paddr = rd64(ph + 24);
    s->filesz = rd64(ph + 32);
    s->memsz = rd64(ph + 40);
    s->align = rd64(ph + 48);
}

int krt_elf64_open(struct krt_elf64 *e, const void *data, size_t len, char *err, size_t errlen)
{
    const uint8_t *d = data;
    if (err && errlen)
        err[0] = '\0';
    if (!d || len < EHDR_SIZE)
        return fail(err, errlen, KRT_ELF_TRUNCATED,
                    "truncated: %zu bytes, shorter than the 64-byte ELF64 header", len);
    if (d[0] != 0x7f || d[1] != 'E' || d[2] != 'L' || d[3] != 'F')
        return fail(err, errlen, KRT_ELF_MAGIC, "not an ELF file (no \\177ELF magic)");
    if (d[4] != 2)
        return fail(err, errlen, KRT_ELF_CLASS, "ELF class %u, not ELFCLASS64", d[4]);
    if (d[5] != 1)
        return fail(err, errlen, KRT_ELF_DATA, "ELF data encoding %u, not little-endian", d[5]);
    if (d[6] != 1 || rd32(d + 20) != 1)
        return fail(err, errlen, KRT_ELF_VERSION, "ELF version %u/%u, not 1", d[6], rd32(d + 20));
    uint16_t type = rd16(d + 16), machine = rd16(d + 18);
    if (type != ET_EXEC)
        return fail(err, errlen, KRT_ELF_TYPE, "ELF type %u, not a static executable (ET_EXEC)",
                    type);
    if (machine != EM_X86_64)
        return fail(err, errlen, KRT_ELF_MACHINE, "ELF machine %u, not x86-64 (62)", machine);

    uint64_t entry = rd64(d + 24), phoff = rd64(d + 32);
    uint16_t phentsize = rd16(d + 54), phnum = rd16(d + 56);
    if (phnum == 0)
        return fail(err, errlen, KRT_ELF_NO_LOAD, "no program headers");
    if (phentsize != PHDR_SIZE)
        return fail(err, errlen, KRT_ELF_PHDR, "program header size %u, not %u", phentsize,
                    PHDR_SIZE);
    /* phnum <= 0xFFFF, so the table size cannot overflow; the sum can */
    uint64_t table = (uint64_t)phnum * PHDR_SIZE;
    if (phoff > len || table > len - phoff)
        return fail(err, errlen, KRT_ELF_PHDR,
                    "program headers [0x%llx, +0x%llx) lie outside the file of 0x%zx bytes",
                    (unsigned long long)phoff, (unsigned long long)table, len);

    uint16_t nload = 0;
    bool entry_found = false;
    uint64_t entry_paddr = 0;
    for (unsigned i = 0; i < phnum; i++) {
        uint32_t pt;
        struct krt_elf64_seg s;
        read_phdr(d + phoff + (uint64_t)i * PHDR_SIZE, &pt, &s);
        if (pt != PT_LOAD)
            continue;
        nload++;
        if (s.offset > len || s.filesz > len - s.offset)
            return fail(err, errlen, KRT_ELF_SEGMENT,
                        "truncated: segment %u needs file bytes [0x%llx, +0x%llx) but the file has "
                        "0x%zx bytes", i, (unsigned long long)s.offset,
                        (unsigned long long)s.filesz, len);
        if (s.filesz > s.memsz)
            return fail(err, errlen, KRT_ELF_SEGMENT,
                        "segment %u has p_filesz 0x%llx > p_memsz 0x%llx", i,
                        (unsigned long long)s.filesz, (unsigned long long)s.memsz);
        if (s.paddr + s.memsz < s.paddr || s.vaddr + s.memsz < s.vaddr)
            return fail(err, errlen, KRT_ELF_SEGMENT,
                        "segment %u wraps around the address space", i);
        if (!entry_found && entry >= s.vaddr && entry - s.vaddr < s.memsz) {
            entry_found = true;
            entry_paddr = s.paddr + (entry - s.vaddr);
        }
    }
    if (nload == 0)
        return fail(err, errlen, KRT_ELF_NO_LOAD, "no PT_LOAD segment");
    if (!entry_found)
        return fail(err, errlen, KRT_ELF_ENTRY,
                    "entry point 0x%llx is not inside a loadable segment",
                    (unsigned long long)entry);
    e->data = d;
    e->len = len;
    e->entry = entry;
    e->entry_paddr = entry_paddr;
    e->phoff = phoff;
    e->phnum = phnum;
    e->nload = nload;
    return KRT_ELF_OK;
}

int krt_elf64_next_load(const struct krt_elf64 *e, unsigned *cursor, struct krt_elf64_seg *seg)
{
    while (*cursor < e->phnum) {
        unsigned i = (*cursor)++;
        uint32_t pt;
        read_phdr(e->data + e->phoff + (uint64_t)i * PHDR_SIZE, &pt, seg);
        if (pt == PT_LOAD)
            return 1;
    }
    return 0;
}
