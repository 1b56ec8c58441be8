#!/usr/bin/env python3
"""gen_hcall_corpus.py — write the seed corpus of tests/fuzz/fuzz_hcall.c into
tests/fuzz/corpus/hcall/ (run from the source root). A file is a list of records:
u8 who (0 root VP 0, 1 child VP 0), u64 input value, u16 in_off, u16 out_off, u16 n, n bytes.
The fake machine: the child is partition 2; root pages from 9 MiB on are unused."""
import os
import struct

OUT = "tests/fuzz/corpus/hcall"


def hin(code, fast=0, rep=0, start=0):
    return code | (fast << 16) | (rep << 32) | (start << 48)


def rec(who, value, payload=b"", in_off=0, out_off=0x1000):
    return struct.pack("<BQHHH", who, value, in_off, out_off, len(payload)) + payload


ROOT, CHILD = 0, 1
FREE_PFN = 0x900            # 9 MiB: root RAM nobody uses
name = b"seed".ljust(24, b"\0")
create = struct.pack("<QQ", 0, 0) + name            # flags, proximity, name
seeds = {
    "get_partition_id": rec(ROOT, hin(0x46)) + rec(CHILD, hin(0x46)),
    "create_partition": rec(ROOT, hin(0x40), create) + rec(CHILD, hin(0x40), create),
    "deposit_rep": rec(ROOT, hin(0x48, rep=3), struct.pack("<QQQQ", 2, FREE_PFN, FREE_PFN + 1,
                                                            FREE_PFN + 1)),
    "deposit_rep_continuation": rec(ROOT, hin(0x48, rep=40),
                                    struct.pack("<Q", 2) +
                                    b"".join(struct.pack("<Q", FREE_PFN + 8 + i)
                                             for i in range(40))),
    "withdraw": rec(ROOT, hin(0x49, rep=4), struct.pack("<Q", 2)),
    "map_unmap": rec(ROOT, hin(0x4B, rep=2), struct.pack("<QQII", 2, 0x10, 3, 0) +
                     struct.pack("<QQ", FREE_PFN + 60, FREE_PFN + 61)) +
                 rec(ROOT, hin(0x4C, rep=2), struct.pack("<QQII", 2, 0x10, 0, 0)),
    "create_vp_start": rec(ROOT, hin(0x4E), struct.pack("<QI4xQQ", 2, 1, 0, 0)) +
                       rec(ROOT, hin(0x99), struct.pack("<QI4x", 2, 1) + bytes(224)),
    "vp_registers": rec(ROOT, hin(0x50, rep=3), struct.pack("<QIB3xIII", 2, 0, 0, 0x20000,
                                                            0x20010, 0x40000)) +
                    rec(ROOT, hin(0x51, rep=1), struct.pack("<QIB3x", 2, 0, 0) +
                        struct.pack("<IIQQQ", 0x20010, 0, 0, 0x100000, 0)),
    "properties": rec(ROOT, hin(0x44), struct.pack("<QII", 2, 0x10000, 0)) +
                  rec(ROOT, hin(0x45), struct.pack("<QIIQ", 2, 0x80000001, 0, 4)),
    "ports": rec(ROOT, hin(0x95), struct.pack("<QIIQIIIIQQ", 1, 0x100, 0, 2, 1, 0, 3, 0, 0,
                                              0)) +
             rec(ROOT, hin(0x96), struct.pack("<QIIQIIII", 2, 0x1000, 0, 1, 0x100, 0, 1, 0) +
                 bytes(24) + bytes(8)) +
             rec(CHILD, hin(0x5C), struct.pack("<IIII", 0x1000, 0, 0x100, 16) + bytes(240)) +
             rec(CHILD, hin(0x5D, fast=1), in_off=0, out_off=0),
    "post_foreign": rec(CHILD, hin(0x5C), struct.pack("<IIII", 0x1001, 0, 1, 240) + bytes(240)),
    "flush": rec(CHILD, hin(0x02), struct.pack("<QQQ", 0, 3, 0)) +
             rec(CHILD, hin(0x03, rep=2), struct.pack("<QQQQQ", 0, 0, 1, 0x1000, 0x5003)),
    "ipi_spin": rec(CHILD, hin(0x0B), struct.pack("<IIQ", 0x40, 0, 1)) +
                rec(CHILD, hin(0x08), struct.pack("<II", 100, 0)),
    "misaligned": rec(ROOT, hin(0x46), in_off=0xFFC, out_off=0x1FFD) +
                  rec(CHILD, hin(0x48, rep=1), b"\x02" + bytes(15), in_off=0x3FF8),
    "reserved_bits": rec(ROOT, 0xFFFFFFFFFFFFFFFF) + rec(CHILD, 0x8000000000000046),
    "delete_then_child": rec(ROOT, hin(0x43), struct.pack("<Q", 2)) + rec(CHILD, hin(0x46)) +
                         rec(ROOT, hin(0x40), create) + rec(CHILD, hin(0x46)),
    "finalize": rec(ROOT, hin(0x42), struct.pack("<Q", 2)) +
                rec(ROOT, hin(0x4E), struct.pack("<QI4xQQ", 2, 2, 0, 0)),
}
os.makedirs(OUT, exist_ok=True)
for n, data in seeds.items():
    with open(os.path.join(OUT, n), "wb") as f:
        f.write(data)
