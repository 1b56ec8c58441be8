#!/usr/bin/env python3
"""gen_loader_corpus.py — write the seed corpus of tests/fuzz/fuzz_loader.c into
tests/fuzz/corpus/loader/ (run from the source root). Each file is a kernel image followed by one
selector byte (its value modulo 3: 0 auto, 1 Multiboot v1, 2 Multiboot2)."""
import os
import struct

OUT = "tests/fuzz/corpus/loader"
M32 = 0xFFFFFFFF


def elf32(paddr, seg, memsz, entry, machine=3, cls=1):
    eh = b"\x7fELF" + bytes([cls, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, entry, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    ph = struct.pack("<IIIIIIII", 1, 84, paddr, paddr, len(seg), memsz, 7, 16)
    return eh + ph + seg


def mb1(flags, bad=False):
    return struct.pack("<III", 0x1BADB002, flags, (-(0x1BADB002 + flags) + (1 if bad else 0)) & M32)


def mb2(tags, arch=0):
    body = b"".join(tags) + struct.pack("<HHI", 0, 0, 8)
    length = 16 + len(body)
    csum = (-(0xE85250D6 + arch + length)) & M32
    return struct.pack("<IIII", 0xE85250D6, arch, length, csum) + body


CODE = bytes([0xB8, 0, 0, 0, 0, 0xF4])   # mov eax, 0; hlt
files = {
    "v1-ok": elf32(0x100000, mb1(3) + CODE, 0x1000, 0x10000C) + b"\x01",
    "v1-auto": elf32(0x100000, mb1(0) + CODE, 0x1000, 0x10000C) + b"\x00",
    "v1-badsum": elf32(0x100000, mb1(3, True) + CODE, 0x1000, 0x10000C) + b"\x01",
    "v1-flags": elf32(0x100000, mb1(0x8) + CODE, 0x1000, 0x10000C) + b"\x01",
    "v1-aout-raw": mb1(0x10003) + bytes(20) + CODE + b"\x01",
    "v1-hole": elf32(0xB8000, mb1(3) + CODE, 0x1000, 0xB800C) + b"\x01",
    "v1-outside": elf32(0x3FF000, mb1(3) + CODE, 0x2000, 0x3FF00C) + b"\x01",
    "v1-entry-out": elf32(0x100000, mb1(3) + CODE, 0x1000, 0x200000) + b"\x01",
    "v1-elf64class": elf32(0x100000, mb1(3) + CODE, 0x1000, 0x10000C, cls=2) + b"\x01",
    "v1-truncated": elf32(0x100000, mb1(3) + CODE, 0x1000, 0x10000C)[:90],
    "v1-beyond": elf32(0x100000, bytes(8200) + mb1(3) + CODE, 0x3000, 0x100000) + b"\x01",
    "v2-ok": elf32(0x100000, bytes(4) + mb2([]) + CODE, 0x1000, 0x100000) + b"\x02",
    "v2-entry": elf32(0x100000, bytes(4) + mb2([struct.pack("<HHII", 3, 0, 12, 0x100020),
                                                 bytes(4)]) + CODE, 0x1000, 0x100000) + b"\x02",
    "v2-request": elf32(0x100000, bytes(4) + mb2([struct.pack("<HHIII", 1, 0, 16, 6, 8)])
                        + CODE, 0x1000, 0x100000) + b"\x02",
    "v2-fb": elf32(0x100000, bytes(4) + mb2([struct.pack("<HHIIII", 5, 0, 20, 80, 25, 0),
                                              bytes(4)]) + CODE, 0x1000, 0x100000) + b"\x02",
    "v2-badtag": elf32(0x100000, bytes(4) + mb2([struct.pack("<HHI", 77, 0, 0xFFFFFFF0)])
                       + CODE, 0x1000, 0x100000) + b"\x02",
    "v2-arch": elf32(0x100000, bytes(4) + mb2([], arch=4) + CODE, 0x1000, 0x100000) + b"\x02",
    "notelf": b"#!/bin/sh\necho hello\n" + b"\x00",
    "empty": b"",
}
os.makedirs(OUT, exist_ok=True)
for name, data in files.items():
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(data)
