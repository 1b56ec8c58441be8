// elf_builder.h — build small ELF executables in memory for unit tests (loader, machine).
#ifndef HVSIM_TESTS_ELF_BUILDER_H
#define HVSIM_TESTS_ELF_BUILDER_H

#include <elf.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Seg {
    uint64_t paddr, vaddr;
    std::vector<uint8_t> bytes;
    uint64_t memsz;
};

// Build an ELF64 executable image: header, program headers, then the segment bytes.
inline std::vector<uint8_t> make_elf64(const std::vector<Seg> &segs, uint64_t entry,
                                uint16_t machine = EM_X86_64, uint16_t type = ET_EXEC)
{
    size_t off = sizeof(Elf64_Ehdr) + segs.size() * sizeof(Elf64_Phdr);
    std::vector<uint8_t> out(off);
    Elf64_Ehdr eh{};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = type;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = segs.empty() ? 0 : sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = (uint16_t)segs.size();
    memcpy(out.data(), &eh, sizeof eh);
    for (size_t k = 0; k < segs.size(); k++) {
        Elf64_Phdr ph{};
        ph.p_type = PT_LOAD;
        ph.p_flags = PF_R | PF_W | PF_X;
        ph.p_offset = out.size();
        ph.p_vaddr = segs[k].vaddr;
        ph.p_paddr = segs[k].paddr;
        ph.p_filesz = segs[k].bytes.size();
        ph.p_memsz = segs[k].memsz;
        ph.p_align = 16;
        memcpy(out.data() + sizeof(Elf64_Ehdr) + k * sizeof(Elf64_Phdr), &ph, sizeof ph);
        out.insert(out.end(), segs[k].bytes.begin(), segs[k].bytes.end());
    }
    return out;
}

inline std::vector<uint8_t> make_elf32(uint32_t paddr, const std::vector<uint8_t> &bytes,
                                uint32_t memsz, uint32_t entry)
{
    std::vector<uint8_t> out(sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr));
    Elf32_Ehdr eh{};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = sizeof(Elf32_Ehdr);
    eh.e_ehsize = sizeof(Elf32_Ehdr);
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = 1;
    memcpy(out.data(), &eh, sizeof eh);
    Elf32_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_offset = (uint32_t)out.size();
    ph.p_vaddr = ph.p_paddr = paddr;
    ph.p_filesz = (uint32_t)bytes.size();
    ph.p_memsz = memsz;
    memcpy(out.data() + sizeof(Elf32_Ehdr), &ph, sizeof ph);
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}

// Write bytes to a new temporary file; returns its path.
inline std::string write_temp(const std::vector<uint8_t> &bytes)
{
    char path[] = "/tmp/hvsim-test-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return "";
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    return path;
}

} // namespace

#endif
