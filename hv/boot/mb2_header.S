/* mb2_header.S — the hypervisor's Multiboot2 header (Multiboot2 Specification 2.0, 3.1).
 *
 * Fields (3.1.2): magic 0xE85250D6, architecture 0 (i386 protected mode), header_length,
 * checksum = -(magic + architecture + header_length) mod 2^32. Tags (3.1.3), each 8-byte aligned:
 * an information request (type 1, 3.1.4) for the command line (1), modules (3) and the memory
 * map (6) — types every Multiboot2 loader writes and hvsim writes (docs/BOOT.md) — and the end
 * tag (type 0, size 8). No address tag: the loader uses the ELF program headers, and enters at
 * e_entry (hv_start, hv/boot/entry.S).
 * Invariant: placed first in the image by hv/hv.ld (.multiboot2), inside the first 32 KiB.
 */
#define MB2_MAGIC 0xE85250D6
#define MB2_ARCH_I386 0

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long   MB2_MAGIC
    .long   MB2_ARCH_I386
    .long   mb2_header_end - mb2_header
    .long   -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* information request: type 1, flags 0 (required), size 8 + 4 * 3 */
    .balign 8
    .word   1, 0
    .long   8 + 4 * 3
    .long   1, 3, 6
    /* end tag */
    .balign 8
    .word   0, 0
    .long   8
mb2_header_end:
    .section .note.GNU-stack, "", @progbits
