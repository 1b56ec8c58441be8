// test_sha256.cc — SHA-256 against the FIPS 180-4 example vectors (NIST "Example Algorithm
// Implementations", SHA256.pdf): "abc", the 448-bit message, the empty string, and one million
// 'a' fed in uneven pieces.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "sim/sha256.h"
}

static std::string hash(const std::string &m)
{
    sha256 s;
    sha256_init(&s);
    sha256_update(&s, m.data(), m.size());
    uint8_t d[32];
    sha256_final(&s, d);
    char hex[65];
    sha256_hex(d, hex);
    return hex;
}

TEST(Sha256, Fips180Vectors)
{
    EXPECT_EQ(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAInPieces)
{
    sha256 s;
    sha256_init(&s);
    std::string chunk(997, 'a');
    size_t left = 1000000;
    while (left) {
        size_t k = left < chunk.size() ? left : chunk.size();
        sha256_update(&s, chunk.data(), k);
        left -= k;
    }
    uint8_t d[32];
    sha256_final(&s, d);
    char hex[65];
    sha256_hex(d, hex);
    EXPECT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
