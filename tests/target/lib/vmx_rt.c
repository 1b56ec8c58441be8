/* vmx_rt.c — kernel start of the 64-bit VMX test kernels, entered from vmx_entry.S in IA-32e
 * mode: COM1 as the console (com1.c, as the 32-bit kernels), the 64-bit GDT/TSS/IDT of trap64.c
 * (host exceptions reach trap_dispatch; trap_catch() catches them), main(), then the debug-exit
 * port with main's return value, so `hvsim run` exits with status (ret << 1) | 1. */
#include "trap64.h"
#include "vmx_lib.h"

__attribute__((noreturn)) void vmx_kernel_start(void);

__attribute__((noreturn)) void vmx_kernel_start(void)
{
    com1_init();
    tconsole_set(com1_putc);
    sys64_init();
    target_exit(main());
}
