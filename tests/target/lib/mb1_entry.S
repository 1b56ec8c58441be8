/* mb1_entry.S — the Multiboot (v1) header and entry of the 32-bit test kernels.
 *
 * Header (Multiboot 0.6.96, 3.1.1-3.1.2): 4-aligned within the first 8192 bytes of the image
 * (section .multiboot comes first in kernel32.ld); flags: bit 0 modules page-aligned, bit 1
 * memory information required; checksum such that magic + flags + checksum = 0 (mod 2^32). No
 * address fields (bit 16): the loader uses the ELF headers.
 * Entry (3.2): records which protocol this is and jumps to kentry (kentry.S), which saves the
 * machine state before touching it.
 */
#define MB1_FLAGS 0x00000003

    .section .multiboot, "a"
    .balign 4
    .globl  mb1_header
mb1_header:
    .long   0x1BADB002
    .long   MB1_FLAGS
    .long   -(0x1BADB002 + MB1_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl  _start
_start:
    movl    $1, mb_entry + 32           /* changes no register and no flag */
    jmp     kentry
    .section .note.GNU-stack, "", @progbits
