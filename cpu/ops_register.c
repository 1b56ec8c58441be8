/* ops_register.c — the handler registry (op_table) and the one place that fills it. */
#include "cpu/ops.h"

#include <stdbool.h>

struct op_desc op_table[X86_INS_ENDING];
const unsigned op_table_size = X86_INS_ENDING;

void ops_register_all(void)
{
    static bool done;
    if (done)
        return;
    done = true;
#define OPS_CALL(name) name##_register();
    OPS_FILES(OPS_CALL)
}
