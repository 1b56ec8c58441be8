/* elf64.h — validation of an untrusted ELF64 x86-64 executable and iteration of its PT_LOAD
 * segments (krt/elf64.c; ELF-64 Object File Format 1.5, System V gABI "Program Header").
 * Included by krt/krt.h.
 *
 * Invariants: krt_elf64_open checks the whole image once — the identification, ET_EXEC,
 * EM_X86_64, the program header table and every PT_LOAD segment (file bytes inside the image,
 * filesz <= memsz, no address wrap-around), and that the entry point lies in a PT_LOAD segment —
 * so after it returns KRT_ELF_OK, krt_elf64_next_load only hands out segments whose
 * [offset, offset + filesz) lies inside the bytes given. No function reads outside
 * [data, data + len); the image may be unaligned.
 */
#ifndef KRT_ELF64_H
#define KRT_ELF64_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum krt_elf_err {
    KRT_ELF_OK = 0,
    KRT_ELF_TRUNCATED,      /* shorter than the ELF header */
    KRT_ELF_MAGIC,          /* no \177ELF */
    KRT_ELF_CLASS,          /* not ELFCLASS64 */
    KRT_ELF_DATA,           /* not little-endian */
    KRT_ELF_VERSION,        /* e_ident[EI_VERSION] or e_version not 1 */
    KRT_ELF_TYPE,           /* not ET_EXEC */
    KRT_ELF_MACHINE,        /* not EM_X86_64 */
    KRT_ELF_PHDR,           /* program header table malformed or outside the file */
    KRT_ELF_SEGMENT,        /* a PT_LOAD segment malformed or outside the file */
    KRT_ELF_NO_LOAD,        /* no PT_LOAD segment */
    KRT_ELF_ENTRY,          /* entry point not inside a PT_LOAD segment */
};

struct krt_elf64 {
    const uint8_t *data;
    size_t len;
    uint64_t entry;         /* e_entry (virtual) */
    uint64_t entry_paddr;   /* e_entry translated through the segment that contains it */
    uint64_t phoff;
    uint16_t phnum;
    uint16_t nload;         /* PT_LOAD segments */
};

struct krt_elf64_seg {
    uint64_t offset, filesz, memsz;
    uint64_t vaddr, paddr;
    uint32_t flags;         /* PF_X 1, PF_W 2, PF_R 4 */
    uint64_t align;
};

#define KRT_ELF_PF_X 1u
#define KRT_ELF_PF_W 2u
#define KRT_ELF_PF_R 4u

/* Validate (data, len). Returns KRT_ELF_OK and fills *e, or an error code and a one-line message
 * in err (if errlen > 0; NUL-terminated, truncated to errlen). */
int krt_elf64_open(struct krt_elf64 *e, const void *data, size_t len, char *err, size_t errlen);

/* The next PT_LOAD segment in program-header order: *cursor starts at 0. Returns 1 with *seg
 * filled, 0 when there are no more. Only for an image krt_elf64_open accepted. */
int krt_elf64_next_load(const struct krt_elf64 *e, unsigned *cursor, struct krt_elf64_seg *seg);

#ifdef __cplusplus
}
#endif

#endif
