/* mb2.c — reading the Multiboot2 boot information at boot (boot.h hv_mb2_parse): the parser
 * (mb2_parse.c) over the identity-mapped information, its strings kept in the hypervisor's own
 * memory (so nothing kept depends on the information staying intact after the root starts), a
 * panic on malformed information, a log line for memory ranges that did not fit.
 * Invariants: the information must be 8-byte aligned (Multiboot2 spec 3.6.1); its extent is
 * recorded in hv_mb2_info_start/end (the pool avoids it).
 */
#include "hv/boot/boot.h"
#include "hv/boot/bootparse.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

struct hv_boot_info hv_boot;
uint64_t hv_mb2_info_start, hv_mb2_info_end;

static char strings[16384];

void hv_mb2_parse(uint64_t info)
{
    if (info == 0 || (info & 7))
        hv_panic("boot information at %#lx: not 8-byte aligned", (unsigned long)info);
    char err[160];
    uint32_t total = 0, dropped = 0;
    if (hv_mb2_parse_buf(hv_hpa_ptr(info), HV_MB2_INFO_MAX, &hv_boot, strings, sizeof strings,
                         &total, &dropped, err, sizeof err) != 0)
        hv_panic("%s", err);
    hv_mb2_info_start = info;
    hv_mb2_info_end = info + total;
    if (dropped)
        hv_log("hv: %u memory map ranges dropped: more than %zu\n", dropped,
               sizeof hv_boot.mmap / sizeof hv_boot.mmap[0]);
}
