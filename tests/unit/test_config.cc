// test_config.cc — the machine configuration file (sim/config.c, docs/CONFIG.md): every key,
// defaults equal to `hvsim run`'s, quoting and comments, relative-path resolution, each error
// with its file name and line number, the size parser, and the fuzz corpus.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <dirent.h>
#include <unistd.h>

#include "sim/config.h"
#include "traces/trace_schema.h"

namespace {

// Parse text (base directory "cfgdir"); the test owns *c and must config_free it.
int parse(const std::string &text, struct run_config *c, std::string *err = nullptr,
          const char *base = "cfgdir")
{
    char e[512] = "";
    int r = config_parse(text.data(), text.size(), "machine.cfg", base, c, e, sizeof e);
    if (err)
        *err = e;
    return r;
}

std::string parse_err(const std::string &text)
{
    struct run_config c;
    std::string err;
    EXPECT_EQ(parse(text, &c, &err), -1) << text;
    EXPECT_EQ(c.n_owned, 0);
    config_free(&c);
    return err;
}

TEST(Config, DefaultsAreThoseOfHvsimRun)
{
    struct run_config c;
    ASSERT_EQ(parse("", &c), 0);
    EXPECT_EQ(c.machine.ram_size, 128ull << 20);
    EXPECT_EQ(c.machine.cpus, 1);
    EXPECT_EQ(c.machine.kernel, nullptr);
    EXPECT_EQ(c.machine.cmdline, nullptr);
    EXPECT_EQ(c.machine.model_path, nullptr);
    EXPECT_EQ(c.machine.n_modules, 0);
    EXPECT_EQ(c.machine.serial, nullptr);
    EXPECT_EQ(c.machine.console, stdout);
    EXPECT_EQ(c.machine.date.year, 2000);
    EXPECT_EQ(c.machine.date.month, 1);
    EXPECT_EQ(c.machine.date.day, 1);
    EXPECT_EQ(c.machine.date.hour + c.machine.date.minute + c.machine.date.second, 0);
    EXPECT_FALSE(c.machine.strict);
    EXPECT_EQ(c.max_insns, UINT64_MAX);
    EXPECT_STREQ(c.serial, "stdio");
    EXPECT_EQ(c.set_mask, 0u);
    config_free(&c);
}

TEST(Config, EveryKey)
{
    struct run_config c;
    std::string err;
    ASSERT_EQ(parse("# comment\n"
                    "kernel  = build/tests/target/mb_ticks.kernel\n"
                    "module  = initrd.img, root=/dev/ram0      # FILE[,ARGS], repeatable\n"
                    "module  = /abs/second.bin\n"
                    "append  = console=ttyS0 quiet\n"
                    "mem     = 64MiB\n"
                    "cpus    = 1\n"
                    "serial  = out/com1.txt\n"
                    "cycle-model = cpu/models/default.model\n"
                    "max-insns = 500M\n"
                    "date    = 2024-02-29T23:59:58\n"
                    "strict  = yes\n",
                    &c, &err), 0) << err;
    EXPECT_STREQ(c.machine.kernel, "cfgdir/build/tests/target/mb_ticks.kernel");
    ASSERT_EQ(c.machine.n_modules, 2);
    EXPECT_STREQ(c.machine.modules[0], "cfgdir/initrd.img, root=/dev/ram0");
    EXPECT_STREQ(c.machine.modules[1], "/abs/second.bin");
    EXPECT_STREQ(c.machine.cmdline, "console=ttyS0 quiet");
    EXPECT_EQ(c.machine.ram_size, 64ull << 20);
    EXPECT_EQ(c.machine.cpus, 1);
    EXPECT_STREQ(c.serial, "cfgdir/out/com1.txt");
    EXPECT_STREQ(c.machine.model_path, "cfgdir/cpu/models/default.model");
    EXPECT_EQ(c.max_insns, 500ull << 20);
    EXPECT_EQ(c.machine.date.year, 2024);
    EXPECT_EQ(c.machine.date.month, 2);
    EXPECT_EQ(c.machine.date.day, 29);
    EXPECT_EQ(c.machine.date.hour, 23);
    EXPECT_EQ(c.machine.date.minute, 59);
    EXPECT_EQ(c.machine.date.second, 58);
    EXPECT_TRUE(c.machine.strict);
    EXPECT_EQ(c.set_mask, (unsigned)(CFG_KERNEL | CFG_MODULE | CFG_APPEND | CFG_MEM | CFG_CPUS |
                                     CFG_SERIAL | CFG_CYCLE_MODEL | CFG_MAX_INSNS | CFG_DATE |
                                     CFG_STRICT));
    config_free(&c);
    config_free(&c);    // twice is harmless
}

TEST(Config, SetMaskNamesOnlyTheKeysSet)
{
    struct run_config c;
    ASSERT_EQ(parse("mem=1G\nstrict=0\n", &c), 0);
    EXPECT_EQ(c.set_mask, (unsigned)(CFG_MEM | CFG_STRICT));
    EXPECT_EQ(c.machine.ram_size, 1ull << 30);
    EXPECT_FALSE(c.machine.strict);
    config_free(&c);
}

TEST(Config, Booleans)
{
    const char *yes[] = { "true", "yes", "1" }, *no[] = { "false", "no", "0" };
    for (const char *v : yes) {
        struct run_config c;
        ASSERT_EQ(parse(std::string("strict = ") + v, &c), 0) << v;
        EXPECT_TRUE(c.machine.strict) << v;
        config_free(&c);
    }
    for (const char *v : no) {
        struct run_config c;
        ASSERT_EQ(parse(std::string("strict = ") + v, &c), 0) << v;
        EXPECT_FALSE(c.machine.strict) << v;
        config_free(&c);
    }
}

TEST(Config, QuotingKeepsHashAndBlanks)
{
    struct run_config c;
    std::string err;
    ASSERT_EQ(parse("append = \"  a # not a comment \\\"q\\\" \\\\ \\n\"   # comment\r\n"
                    "serial = \"stdio\"", &c, &err), 0) << err;
    EXPECT_STREQ(c.machine.cmdline, "  a # not a comment \"q\" \\ \\n");
    EXPECT_STREQ(c.serial, "stdio");       // stdio is not a path: never resolved
    config_free(&c);
    ASSERT_EQ(parse("append = \"\"\n", &c), 0);
    EXPECT_STREQ(c.machine.cmdline, "");
    config_free(&c);
}

TEST(Config, CommentsBlankLinesAndSpacing)
{
    struct run_config c;
    ASSERT_EQ(parse("\n   \n\t# indented comment\n#kernel = nope\nkernel=k#c\n\tcpus\t=\t1\t\n",
                    &c), 0);
    EXPECT_STREQ(c.machine.kernel, "cfgdir/k");
    EXPECT_EQ(c.machine.cpus, 1);
    EXPECT_EQ(c.set_mask, (unsigned)(CFG_KERNEL | CFG_CPUS));
    config_free(&c);
}

TEST(Config, BuildDirectoryPaths)
{
    struct run_config c;
    config_set_build_dir("/home/u/hvsim/build");
    ASSERT_EQ(parse("kernel = @build/hv/hvsim-hv.elf\nmodule = @build/partitions/root/root.elf,x\n"
                    "module = images/a.bin\n", &c, nullptr, "/etc/vm"), 0);
    EXPECT_STREQ(c.machine.kernel, "/home/u/hvsim/build/hv/hvsim-hv.elf");
    EXPECT_STREQ(c.machine.modules[0], "/home/u/hvsim/build/partitions/root/root.elf,x");
    EXPECT_STREQ(c.machine.module_names[0], "@build/partitions/root/root.elf");
    EXPECT_STREQ(c.machine.modules[1], "/etc/vm/images/a.bin");
    EXPECT_STREQ(c.machine.module_names[1], "images/a.bin");
    config_free(&c);
    // without a build directory the path stays as written (opening it then names it)
    config_set_build_dir(nullptr);
    ASSERT_EQ(parse("kernel = @build/k.elf\n", &c, nullptr, nullptr), 0);
    EXPECT_STREQ(c.machine.kernel, "@build/k.elf");
    config_free(&c);
}

TEST(Config, RelativePathResolution)
{
    struct run_config c;
    ASSERT_EQ(parse("kernel = k.elf\nmodule = m,a,b\n", &c, nullptr, "/etc/vm/"), 0);
    EXPECT_STREQ(c.machine.kernel, "/etc/vm/k.elf");
    EXPECT_STREQ(c.machine.modules[0], "/etc/vm/m,a,b");
    // the module's string shows the path as written, not the host directory
    EXPECT_STREQ(c.machine.module_names[0], "m");
    config_free(&c);
    ASSERT_EQ(parse("kernel = k.elf\n", &c, nullptr, nullptr), 0);
    EXPECT_STREQ(c.machine.kernel, "k.elf");
    config_free(&c);
    ASSERT_EQ(parse("kernel = k.elf\n", &c, nullptr, ""), 0);
    EXPECT_STREQ(c.machine.kernel, "k.elf");
    config_free(&c);
}

TEST(Config, LoadResolvesAgainstTheFilesDirectory)
{
    char dir[] = "/tmp/hvsim-config-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/machine.cfg";
    FILE *f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("kernel = kern.elf\ncycle-model = /abs/m.model\nmem = lots\n", f);
    fclose(f);
    struct run_config c;
    char err[512];
    ASSERT_EQ(config_load(path.c_str(), &c, err, sizeof err), -1);
    EXPECT_EQ(std::string(err), path + ":3: mem: expected a size such as 64M or 1G, got 'lots'");
    f = fopen(path.c_str(), "w");
    fputs("kernel = kern.elf\ncycle-model = /abs/m.model\n", f);
    fclose(f);
    ASSERT_EQ(config_load(path.c_str(), &c, err, sizeof err), 0) << err;
    EXPECT_EQ(std::string(c.machine.kernel), std::string(dir) + "/kern.elf");
    EXPECT_STREQ(c.machine.model_path, "/abs/m.model");
    config_free(&c);
    unlink(path.c_str());
    rmdir(dir);
    EXPECT_EQ(config_load(path.c_str(), &c, err, sizeof err), -1);
    EXPECT_EQ(std::string(err).rfind(path + ": cannot open", 0), 0u) << err;
}

TEST(Config, ErrorsNameTheFileLineAndWhatWasExpected)
{
    EXPECT_EQ(parse_err("# c\n\nmem = lots\n"),
              "machine.cfg:3: mem: expected a size such as 64M or 1G, got 'lots'");
    EXPECT_EQ(parse_err("mem = 1000\n"),
              "machine.cfg:1: mem: expected at least 2M in whole 4K pages, got '1000'");
    EXPECT_EQ(parse_err("mem = 1M\n"),
              "machine.cfg:1: mem: expected at least 2M in whole 4K pages, got '1M'");
    EXPECT_EQ(parse_err("x\nbogus = 1\n"),
              "machine.cfg:1: expected 'key = value', but 'x' is not followed by '='");
    EXPECT_EQ(parse_err("\nbogus = 1\n"),
              "machine.cfg:2: unknown key 'bogus' (expected one of kernel, module, append, "
              "mem, cpus, serial, cycle-model, max-insns, date, strict, serial-in, serial-log, "
              "serial-replay, trace, trace-events)");
    EXPECT_EQ(parse_err("Kernel = a\n"),       // keys are case-sensitive
              "machine.cfg:1: unknown key 'Kernel' (expected one of kernel, module, append, "
              "mem, cpus, serial, cycle-model, max-insns, date, strict, serial-in, serial-log, "
              "serial-replay, trace, trace-events)");
    EXPECT_EQ(parse_err("kernel = a\n\nkernel = b\n"),
              "machine.cfg:3: kernel: set twice (first on line 1)");
    EXPECT_EQ(parse_err("strict = 1\nstrict = 1\n"),
              "machine.cfg:2: strict: set twice (first on line 1)");
    EXPECT_EQ(parse_err("kernel /boot/k\n"),
              "machine.cfg:1: expected 'key = value', but 'kernel' is not followed by '='");
    EXPECT_EQ(parse_err(" = x\n"), "machine.cfg:1: expected a key before '='");
    EXPECT_EQ(parse_err("append = \"abc # x\n"), "machine.cfg:1: append: unterminated quote");
    EXPECT_EQ(parse_err("append = \"abc\\\"\n"), "machine.cfg:1: append: unterminated quote");
    EXPECT_EQ(parse_err("append = \"a\" b\n"),
              "machine.cfg:1: append: expected the end of the line after the closing quote");
    EXPECT_EQ(parse_err("append = a\"b\"\n"),
              "machine.cfg:1: append: a quote must enclose the whole value");
    EXPECT_EQ(parse_err("kernel =\n"), "machine.cfg:1: kernel: expected a file name");
    EXPECT_EQ(parse_err("cycle-model = \"\"\n"),
              "machine.cfg:1: cycle-model: expected a file name");
    EXPECT_EQ(parse_err("serial = # nothing\n"),
              "machine.cfg:1: serial: expected 'stdio' or a file name");
    EXPECT_EQ(parse_err("module = ,root=/dev/ram0\n"),
              "machine.cfg:1: module: expected FILE[,ARGS], got ',root=/dev/ram0'");
    EXPECT_EQ(parse_err("cpus = 0\n"),
              "machine.cfg:1: cpus: expected a number of processors from 1 to 255, got '0'");
    EXPECT_EQ(parse_err("cpus = 2K\n"),
              "machine.cfg:1: cpus: expected a number of processors from 1 to 255, got '2K'");
    EXPECT_EQ(parse_err("max-insns = 0\n"),
              "machine.cfg:1: max-insns: expected a positive count such as 500M, got '0'");
    EXPECT_EQ(parse_err("max-insns = -5\n"),
              "machine.cfg:1: max-insns: expected a positive count such as 500M, got '-5'");
    EXPECT_EQ(parse_err("strict = maybe\n"),
              "machine.cfg:1: strict: expected true, false, yes, no, 1 or 0, got 'maybe'");
    EXPECT_EQ(parse_err("strict =\n"),
              "machine.cfg:1: strict: expected true, false, yes, no, 1 or 0, got ''");
    const char *bad_dates[] = { "2001-02-29T00:00:00", "1969-12-31T23:59:59",
                                "2000-01-01T24:00:00", "2000-01-01", "2000-01-01T00:00:00Z",
                                "20000-01-01T00:00:00", "2000-1-1 0:0:0", "" };
    for (const char *d : bad_dates)
        EXPECT_EQ(parse_err(std::string("date = ") + d + "\n"),
                  std::string("machine.cfg:1: date: expected YYYY-MM-DDTHH:MM:SS, a real date "
                              "from 1970 on, got '") + d + "'");
}

// COM1 input keys (sim/serial_in.h): serial-in is stdio or a file, serial-log and
// serial-replay are files; one input source; a log only records live (stdio) input.
TEST(Config, SerialInputKeys)
{
    struct run_config c;
    ASSERT_EQ(parse("", &c), 0);
    EXPECT_EQ(c.serial_in, nullptr);
    EXPECT_EQ(c.serial_log, nullptr);
    EXPECT_EQ(c.serial_replay, nullptr);
    config_free(&c);
    ASSERT_EQ(parse("serial-in = stdio\nserial-log = logs/today.log\n", &c), 0);
    EXPECT_STREQ(c.serial_in, "stdio");                 // not a path: never resolved
    EXPECT_STREQ(c.serial_log, "cfgdir/logs/today.log");
    EXPECT_EQ(c.set_mask, unsigned(CFG_SERIAL_IN | CFG_SERIAL_LOG));
    config_free(&c);
    EXPECT_EQ(c.serial_in, nullptr);
    ASSERT_EQ(parse("serial-in = input.txt\n", &c), 0);
    EXPECT_STREQ(c.serial_in, "cfgdir/input.txt");
    config_free(&c);
    ASSERT_EQ(parse("serial-replay = /abs/session.log\n", &c), 0);
    EXPECT_STREQ(c.serial_replay, "/abs/session.log");
    EXPECT_EQ(c.set_mask, unsigned(CFG_SERIAL_REPLAY));
    config_free(&c);
    ASSERT_EQ(parse("serial-log = only.log\n", &c), 0);   // the command line may add stdio
    EXPECT_STREQ(c.serial_log, "cfgdir/only.log");
    config_free(&c);

    EXPECT_EQ(parse_err("serial-in =\n"),
              "machine.cfg:1: serial-in: expected 'stdio' or a file name");
    EXPECT_EQ(parse_err("serial-log = \"\"\n"), "machine.cfg:1: serial-log: expected a file name");
    EXPECT_EQ(parse_err("serial-replay = # none\n"),
              "machine.cfg:1: serial-replay: expected a file name");
    EXPECT_EQ(parse_err("serial-in = a\nserial-in = b\n"),
              "machine.cfg:2: serial-in: set twice (first on line 1)");
    EXPECT_EQ(parse_err("serial-replay = r.log\n# x\nserial-in = stdio\n"),
              "machine.cfg:3: serial-in: serial-in (line 3) and serial-replay (line 1) both "
              "choose COM1's input; expected only one");
    EXPECT_EQ(parse_err("serial-in = stdio\nserial-replay = r.log\n"),
              "machine.cfg:2: serial-replay: serial-in (line 1) and serial-replay (line 2) both "
              "choose COM1's input; expected only one");
    EXPECT_EQ(parse_err("serial-log = x.log\nserial-in = input.txt\n"),
              "machine.cfg:2: serial-log: records live input, so it expects serial-in = stdio, "
              "not a file (line 2)");
    EXPECT_EQ(parse_err("serial-replay = r.log\n\n\nserial-log = x.log\n"),
              "machine.cfg:4: serial-log: records live input, so it expects serial-in = stdio, "
              "not serial-replay (line 1)");
}

TEST(Config, TooManyModules)
{
    std::string text;
    for (int k = 0; k < MB_MAX_MODULES; k++)
        text += "module = m" + std::to_string(k) + ",arg\n";
    struct run_config c;
    ASSERT_EQ(parse(text, &c), 0);
    EXPECT_EQ(c.machine.n_modules, MB_MAX_MODULES);
    EXPECT_STREQ(c.machine.modules[MB_MAX_MODULES - 1], "cfgdir/m63,arg");
    config_free(&c);
    EXPECT_EQ(parse_err("kernel = k\n" + text + "module = one-more\n"),
              "machine.cfg:" + std::to_string(MB_MAX_MODULES + 2) +
              ": module: more than 64 modules");
}

TEST(Config, LineLengthLimit)
{
    struct run_config c;
    std::string ok = "append = " + std::string(CONFIG_MAX_LINE - 9, 'x');
    ASSERT_EQ(ok.size(), (size_t)CONFIG_MAX_LINE);
    ASSERT_EQ(parse(ok + "\r\n", &c), 0);      // the line ending does not count
    EXPECT_EQ(strlen(c.machine.cmdline), (size_t)CONFIG_MAX_LINE - 9);
    config_free(&c);
    EXPECT_EQ(parse_err("\n" + ok + "x\n"), "machine.cfg:2: line longer than 4096 bytes");
    EXPECT_EQ(parse_err("# " + std::string(5000, 'c')),
              "machine.cfg:1: line longer than 4096 bytes");
}

TEST(Config, NulBytesAreErrors)
{
    EXPECT_EQ(parse_err(std::string("cpus = 1\nkernel = a\0b\n", 22)),
              "machine.cfg:2: NUL byte in the line");
    EXPECT_EQ(parse_err(std::string("# \0\n", 4)), "machine.cfg:1: NUL byte in the line");
}

TEST(Config, LastLineWithoutNewlineAndCrlf)
{
    struct run_config c;
    ASSERT_EQ(parse("cpus = 1\r\nmem = 4M", &c), 0);
    EXPECT_EQ(c.machine.ram_size, 4ull << 20);
    config_free(&c);
}

TEST(Config, ParseSize)
{
    struct { const char *s; uint64_t v; } ok[] = {
        { "0", 0 }, { "4096", 4096 }, { "64K", 64ull << 10 }, { "64k", 64ull << 10 },
        { "64M", 64ull << 20 }, { "64MiB", 64ull << 20 }, { "64MB", 64ull << 20 },
        { "2G", 2ull << 30 }, { "2g", 2ull << 30 }, { "512B", 512 }, { "0x1000", 4096 },
        { "0X10M", 16ull << 20 }, { "010", 10 }, { "18446744073709551615", UINT64_MAX },
        { "17179869183G", 17179869183ull << 30 },
    };
    for (auto &t : ok) {
        uint64_t v = 1;
        EXPECT_EQ(config_parse_size(t.s, &v), 0) << t.s;
        EXPECT_EQ(v, t.v) << t.s;
    }
    const char *bad[] = { "", "lots", "-1", "+1", " 1", "1 ", "1T", "1KK", "1Mi", "1iB",
                          "0x", "0xG", "18446744073709551616", "17179869184G", "1.5G" };
    for (const char *s : bad) {
        uint64_t v = 7;
        EXPECT_EQ(config_parse_size(s, &v), -1) << s;
        EXPECT_EQ(v, 7u) << s;
    }
}

TEST(Config, FuzzCorpusParsesWithoutCrashing)
{
    const char *srcdir = getenv("srcdir");
    std::string dir = std::string(srcdir ? srcdir : "..") + "/tests/fuzz/corpus/config";
    DIR *d = opendir(dir.c_str());
    ASSERT_NE(d, nullptr) << dir;
    int n = 0, ok = 0;
    while (struct dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        std::string path = dir + "/" + e->d_name;
        struct run_config c;
        char err[512] = "";
        int r = config_load(path.c_str(), &c, err, sizeof err);
        if (r == 0) {
            ok++;
            config_free(&c);
        } else {
            EXPECT_EQ(std::string(err).rfind(path + ":", 0), 0u) << err;
            EXPECT_EQ(c.n_owned, 0);
        }
        n++;
    }
    closedir(d);
    EXPECT_GE(n, 10);
    EXPECT_GE(ok, 3);   // full.cfg, empty.cfg, crlf-noeol.cfg
}

}  // namespace

// trace and trace-events (docs/CONFIG.md): the directory resolved against the file's directory,
// the categories as TRACE_CAT_* bits (input always added), bad lists refused with the key named.
TEST(Config, TraceKeys)
{
    struct run_config c;
    ASSERT_EQ(parse("", &c), 0);
    EXPECT_EQ(c.machine.trace_dir, nullptr);
    EXPECT_EQ(c.machine.trace_cats, (uint32_t)TRACE_CAT_DEFAULT);
    config_free(&c);
    ASSERT_EQ(parse("trace = out.trace\ntrace-events = vmx,io\n", &c), 0);
    EXPECT_STREQ(c.machine.trace_dir, "cfgdir/out.trace");
    EXPECT_EQ(c.machine.trace_cats, (uint32_t)(TRACE_CAT_VMX | TRACE_CAT_IO | TRACE_CAT_INPUT));
    EXPECT_EQ(c.set_mask, (uint32_t)(CFG_TRACE | CFG_TRACE_EVENTS));
    config_free(&c);
    ASSERT_EQ(parse("trace-events = all\n", &c), 0);
    EXPECT_EQ(c.machine.trace_cats, (uint32_t)TRACE_CAT_ALL);
    config_free(&c);
    EXPECT_NE(parse_err("trace-events = vmx,,io\n").find("trace-events"), std::string::npos);
    EXPECT_NE(parse_err("trace-events = exits\n").find("got 'exits'"), std::string::npos);
    EXPECT_NE(parse_err("trace =\n").find("trace: expected a directory"), std::string::npos);
}
