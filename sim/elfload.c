/* elfload.c — ELF executable loader (see elfload.h).
 *
 * Two passes over the program headers: the first validates every PT_LOAD segment against the file
 * size and the RAM size, the second copies; so a bad file leaves RAM untouched.
 */
#include "sim/elfload.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/bus.h"
#include "sim/loaderr.h"

int elf_read_file(const char *path, unsigned char **data, size_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return load_error(err, errlen, path, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return load_error(err, errlen, path, "not a regular file");
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return load_error(err, errlen, path, "out of host memory (%zu bytes)", n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) {
            free(buf);
            close(fd);
            return load_error(err, errlen, path, "read error: %s", r ? strerror(errno) : "short read");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *size = n;
    return 0;
}

/* Open an in-memory ELF image and check identification, class, machine and type. */
static Elf *open_elf(const void *data, size_t size, const char *name, GElf_Ehdr *eh, int *bits,
                     char *err, size_t errlen)
{
    const unsigned char *p = data;
    if (size < 4 || memcmp(p, ELFMAG, SELFMAG) != 0) {
        load_error(err, errlen, name, "not an ELF file (no \\177ELF magic)");
        return NULL;
    }
    if (size < EI_NIDENT) {
        load_error(err, errlen, name, "truncated: %zu bytes, shorter than the ELF identification", size);
        return NULL;
    }
    if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64) {
        load_error(err, errlen, name, "unknown ELF class %u", p[EI_CLASS]);
        return NULL;
    }
    if (p[EI_DATA] != ELFDATA2LSB) {
        load_error(err, errlen, name, "not little-endian (EI_DATA %u); x86 programs are LSB", p[EI_DATA]);
        return NULL;
    }
    size_t ehsize = p[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (size < ehsize) {
        load_error(err, errlen, name, "truncated: %zu bytes, shorter than the ELF header (%zu)", size,
             ehsize);
        return NULL;
    }
    if (elf_version(EV_CURRENT) == EV_NONE) {
        load_error(err, errlen, name, "libelf initialisation failed: %s", elf_errmsg(-1));
        return NULL;
    }
    Elf *e = elf_memory((char *)(uintptr_t)data, size);
    if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, eh)) {
        load_error(err, errlen, name, "corrupt ELF header: %s", elf_errmsg(-1));
        if (e)
            elf_end(e);
        return NULL;
    }
    if (p[EI_CLASS] == ELFCLASS64 && eh->e_machine == EM_X86_64) {
        *bits = 64;
    } else if (p[EI_CLASS] == ELFCLASS32 && eh->e_machine == EM_386) {
        *bits = 32;
    } else {
        load_error(err, errlen, name, "ELF%d for machine %u is not supported: expected ELF64 x86-64 "
             "(EM_X86_64) or ELF32 i386 (EM_386)", p[EI_CLASS] == ELFCLASS64 ? 64 : 32,
             eh->e_machine);
        elf_end(e);
        return NULL;
    }
    if (eh->e_type != ET_EXEC) {
        load_error(err, errlen, name, "not a static executable (e_type %u, expected ET_EXEC=2); link "
             "with -static -no-pie", eh->e_type);
        elf_end(e);
        return NULL;
    }
    return e;
}

/* Validate one PT_LOAD segment against the file and RAM. */
static int check_segment(const GElf_Phdr *ph, size_t k, size_t fsize, uint64_t ram_size,
                         const char *name, char *err, size_t errlen)
{
    if (ph->p_filesz > ph->p_memsz)
        return load_error(err, errlen, name, "segment %zu: p_filesz 0x%llx exceeds p_memsz 0x%llx", k,
                    (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
    if (ph->p_offset > fsize || ph->p_filesz > fsize - ph->p_offset)
        return load_error(err, errlen, name, "truncated: segment %zu needs file bytes [0x%llx, 0x%llx) "
                    "but the file has 0x%zx bytes", k, (unsigned long long)ph->p_offset,
                    (unsigned long long)(ph->p_offset + ph->p_filesz), fsize);
    if (ph->p_paddr > ram_size || ph->p_memsz > ram_size - ph->p_paddr)
        return load_error(err, errlen, name, "segment %zu at physical [0x%llx, 0x%llx) lies outside RAM "
                    "[0, 0x%llx); give more memory with --mem", k,
                    (unsigned long long)ph->p_paddr,
                    (unsigned long long)(ph->p_paddr + ph->p_memsz),
                    (unsigned long long)ram_size);
    return 0;
}

/* Zero [pa, pa+len) through the bus, so decode-cache hooks see it. */
static void zero_ram(struct bus *b, uint64_t pa, uint64_t len)
{
    static const unsigned char zeros[4096];
    while (len) {
        uint64_t n = len < sizeof zeros ? len : sizeof zeros;
        bus_copy_to(b, pa, zeros, n);   /* range checked by check_segment */
        pa += n;
        len -= n;
    }
}

/* Pass 1: open and validate every PT_LOAD segment; on success the caller owns *ep (elf_end). */
static int check(const void *data, size_t size, const char *name, uint64_t ram_size,
                 struct elf_image *img, Elf **ep, size_t *nphp, char *err, size_t errlen)
{
    GElf_Ehdr eh;
    int bits;
    Elf *e = open_elf(data, size, name, &eh, &bits, err, errlen);
    if (!e)
        return -1;
    size_t nph;
    if (elf_getphdrnum(e, &nph) != 0) {
        elf_end(e);
        return load_error(err, errlen, name, "corrupt program header count: %s", elf_errmsg(-1));
    }
    memset(img, 0, sizeof *img);
    img->bits = bits;
    img->entry = eh.e_entry;
    img->lo = UINT64_MAX;
    bool entry_ok = false;
    GElf_Phdr ph;
    for (size_t k = 0; k < nph; k++) {
        if (!gelf_getphdr(e, (int)k, &ph)) {
            elf_end(e);
            return load_error(err, errlen, name, "truncated program header table (entry %zu): %s", k,
                        elf_errmsg(-1));
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (check_segment(&ph, k, size, ram_size, name, err, errlen)) {
            elf_end(e);
            return -1;
        }
        if (!entry_ok && eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz) {
            entry_ok = true;
            img->entry_pa = ph.p_paddr + (eh.e_entry - ph.p_vaddr);
        }
        img->n_load++;
        if (ph.p_paddr < img->lo)
            img->lo = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz > img->hi)
            img->hi = ph.p_paddr + ph.p_memsz;
    }
    if (img->n_load == 0) {
        elf_end(e);
        return load_error(err, errlen, name, "no loadable (PT_LOAD) segment");
    }
    if (!entry_ok) {
        elf_end(e);
        return load_error(err, errlen, name, "entry point 0x%llx is not inside any loaded segment",
                    (unsigned long long)eh.e_entry);
    }
    *ep = e;
    *nphp = nph;
    return 0;
}

int elf_check_mem(const void *data, size_t size, const char *name, uint64_t ram_size,
                  struct elf_image *img, char *err, size_t errlen)
{
    Elf *e;
    size_t nph;
    if (check(data, size, name, ram_size, img, &e, &nph, err, errlen))
        return -1;
    elf_end(e);
    return 0;
}

int elf_load_mem(struct bus *b, const void *data, size_t size, const char *name,
                 struct elf_image *img, char *err, size_t errlen)
{
    Elf *e;
    size_t nph;
    if (check(data, size, name, b->ram_size, img, &e, &nph, err, errlen))
        return -1;
    /* pass 2: copy and zero bss */
    const unsigned char *raw = data;
    GElf_Phdr ph;
    for (size_t k = 0; k < nph; k++) {
        gelf_getphdr(e, (int)k, &ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        bus_copy_to(b, ph.p_paddr, raw + ph.p_offset, ph.p_filesz);
        zero_ram(b, ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz);
    }
    elf_end(e);
    return 0;
}

int elf_load(struct bus *b, const char *path, struct elf_image *img, char *err, size_t errlen)
{
    unsigned char *data;
    size_t size;
    if (elf_read_file(path, &data, &size, err, errlen))
        return -1;
    int r = elf_load_mem(b, data, size, path, img, err, errlen);
    free(data);
    return r;
}

int elf_symbol(const char *path, const char *sym, uint64_t *value, char *err, size_t errlen)
{
    unsigned char *data;
    size_t size;
    if (elf_read_file(path, &data, &size, err, errlen))
        return -1;
    GElf_Ehdr eh;
    int bits;
    int r = -1;
    Elf *e = open_elf(data, size, path, &eh, &bits, err, errlen);
    if (!e) {
        free(data);
        return -1;
    }
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) != NULL && r != 0) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t n = d ? d->d_size / sh.sh_entsize : 0;
        for (size_t k = 0; k < n; k++) {
            GElf_Sym s;
            const char *nm;
            if (!gelf_getsym(d, (int)k, &s) ||
                !(nm = elf_strptr(e, sh.sh_link, s.st_name)) || strcmp(nm, sym) != 0)
                continue;
            *value = s.st_value;
            r = 0;
            break;
        }
    }
    elf_end(e);
    free(data);
    if (r)
        load_error(err, errlen, path, "symbol '%s' not found (stripped file?)", sym);
    return r;
}
