/* mb2_entry.S — the Multiboot2 header and entry of the 32-bit test kernels.
 *
 * Header (Multiboot2 2.0, "OS image format"): 8-aligned within the first 32768 bytes of the image
 * (section .multiboot comes first in kernel32.ld): magic, architecture 0 (i386 protected mode),
 * header_length, checksum such that the four fields sum to 0 (mod 2^32); then 8-aligned tags:
 *   information request (type 1, flags 0: required): command line (1), boot loader name (2),
 *     modules (3), basic memory information (4), memory map (6);
 *   module alignment (type 6, size 8): modules must be page-aligned;
 *   end (type 0, size 8).
 * Entry ("I386 machine state"): records which protocol this is and jumps to kentry (kentry.S).
 */
    .section .multiboot, "a"
    .balign 8
    .globl  mb2_header
mb2_header:
    .long   0xE85250D6
    .long   0
    .long   mb2_header_end - mb2_header
    .long   -(0xE85250D6 + 0 + (mb2_header_end - mb2_header))
    .balign 8
1:  .short  1, 0                        /* information request, required */
    .long   2f - 1b
    .long   1, 2, 3, 4, 6
2:  .balign 8
    .short  6, 0                        /* module alignment */
    .long   8
    .balign 8
    .short  0, 0                        /* end */
    .long   8
mb2_header_end:

    .section .text.entry, "ax"
    .code32
    .globl  _start
_start:
    movl    $2, mb_entry + 32           /* changes no register and no flag */
    jmp     kentry
    .section .note.GNU-stack, "", @progbits
