/* Unit tests for src/util/crypto.c: SHA-256, HMAC-SHA256 (RFC 4231), hex,
 * constant-time equality, randomness and URL-safe base64. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>
#include "util/crypto.h"

static void crypto_t_hmac_hex(const void *key, size_t keylen, const char *data, char hex[65])
{
	unsigned char mac[32];
	crypto_hmac_sha256(key, keylen, data, strlen(data), mac);
	crypto_hex(mac, sizeof mac, hex);
}

/* Deterministic xorshift64 so failures are reproducible. */
static uint64_t crypto_t_rng = 0x9E3779B97F4A7C15ull;
static unsigned char crypto_t_byte(void)
{
	crypto_t_rng ^= crypto_t_rng << 13;
	crypto_t_rng ^= crypto_t_rng >> 7;
	crypto_t_rng ^= crypto_t_rng << 17;
	return (unsigned char)(crypto_t_rng >> 24);
}

/* Reference: OpenSSL's standard base64, then '+/' -> '-_' and '=' dropped. */
static size_t crypto_t_ref_b64url(const unsigned char *in, size_t len, char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (int i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return (size_t)n;
}

Test(crypto, sha256_known_vectors)
{
	char hex[65];
	crypto_sha256_hex("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex("", 0, hex);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	crypto_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	cr_assert_eq(strlen(hex), 64);
}

Test(crypto, hmac_sha256_rfc4231)
{
	char hex[65];
	/* Test case 1. */
	unsigned char key1[20];
	memset(key1, 0x0b, sizeof key1);
	crypto_t_hmac_hex(key1, sizeof key1, "Hi There", hex);
	cr_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 2. */
	crypto_t_hmac_hex("Jefe", 4, "what do ya want for nothing?", hex);
	cr_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a key longer than the block size is hashed first. */
	unsigned char key6[131];
	memset(key6, 0xaa, sizeof key6);
	crypto_t_hmac_hex(key6, sizeof key6, "Test Using Larger Than Block-Size Key - Hash Key First", hex);
	cr_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

Test(crypto, hex)
{
	const unsigned char in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof in + 1];
	memset(out, 'x', sizeof out);
	crypto_hex(in, sizeof in, out);
	cr_assert_str_eq(out, "00017f80abff");
	crypto_hex(in, 0, out);
	cr_assert_str_eq(out, "");
}

Test(crypto, equal)
{
	cr_assert(crypto_equal("abcdef", 6, "abcdef", 6));
	cr_assert_not(crypto_equal("abcdef", 6, "abcdeg", 6), "last byte differs");
	cr_assert_not(crypto_equal("abcdef", 6, "bbcdef", 6), "first byte differs");
	cr_assert_not(crypto_equal("abcdef", 6, "abcde", 5), "lengths differ");
	cr_assert_not(crypto_equal("abcde", 5, "abcdef", 6), "lengths differ");
	cr_assert(crypto_equal("", 0, "", 0));
	cr_assert_not(crypto_equal("a", 1, "", 0));
	unsigned char a[32], b[32];
	memset(a, 0x5a, sizeof a);
	memcpy(b, a, sizeof b);
	cr_assert(crypto_equal(a, sizeof a, b, sizeof b));
	b[16] ^= 0x01;
	cr_assert_not(crypto_equal(a, sizeof a, b, sizeof b), "a single flipped bit");
}

Test(crypto, random)
{
	unsigned char a[32], b[32], zero[32] = { 0 };
	cr_assert(crypto_random(a, sizeof a));
	cr_assert(crypto_random(b, sizeof b));
	cr_assert_neq(memcmp(a, zero, sizeof a), 0);
	cr_assert_neq(memcmp(a, b, sizeof a), 0, "two 256-bit draws are equal");
	cr_assert(crypto_random(a, 0));
}

Test(crypto, b64url_rfc4648_vectors)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
		char out[16];
		size_t n = crypto_b64url_encode((const unsigned char *)plain[i], strlen(plain[i]), out);
		cr_assert_eq(n, strlen(enc[i]));
		cr_assert_str_eq(out, enc[i]);
		unsigned char dec[16];
		long d = crypto_b64url_decode(enc[i], strlen(enc[i]), dec);
		cr_assert_eq(d, (long)strlen(plain[i]));
		cr_assert_eq(memcmp(dec, plain[i], (size_t)d), 0);
	}
}

Test(crypto, b64url_uses_url_alphabet)
{
	const unsigned char in[] = { 0xfb, 0xff, 0xbf };
	char out[8];
	cr_assert_eq(crypto_b64url_encode(in, 2, out), 3);
	cr_assert_str_eq(out, "-_8");
	cr_assert_eq(crypto_b64url_encode(in, 3, out), 4);
	cr_assert_str_eq(out, "-_-_");
	unsigned char dec[8];
	cr_assert_eq(crypto_b64url_decode("-_-_", 4, dec), 3);
	cr_assert_eq(memcmp(dec, in, 3), 0);
}

Test(crypto, b64url_round_trip_random_lengths)
{
	for (int round = 0; round < 20; round++) {
		for (size_t len = 0; len <= 64; len++) {
			unsigned char in[64], dec[64 + 3];
			char out[4 * 22 + 1], ref[4 * 22 + 1];
			if (round == 0) {
				cr_assert(crypto_random(in, len));
			} else {
				for (size_t i = 0; i < len; i++)
					in[i] = crypto_t_byte();
			}
			size_t n = crypto_b64url_encode(in, len, out);
			cr_assert_eq(n, (len * 4 + 2) / 3, "len=%zu", len);
			cr_assert_eq(strlen(out), n);
			cr_assert_eq(crypto_t_ref_b64url(in, len, ref), n);
			cr_assert_str_eq(out, ref, "len=%zu", len);
			long d = crypto_b64url_decode(out, n, dec);
			cr_assert_eq(d, (long)len, "len=%zu", len);
			cr_assert_eq(memcmp(dec, in, len), 0, "len=%zu", len);
		}
	}
}

Test(crypto, b64url_decode_accepts_padding)
{
	unsigned char dec[8];
	cr_assert_eq(crypto_b64url_decode("Zg==", 4, dec), 1);
	cr_assert_eq(dec[0], 'f');
	cr_assert_eq(crypto_b64url_decode("Zm8=", 4, dec), 2);
	cr_assert_eq(memcmp(dec, "fo", 2), 0);
	/* Only the first len bytes are read. */
	cr_assert_eq(crypto_b64url_decode("Zm9vYmFy", 4, dec), 3);
	cr_assert_eq(memcmp(dec, "foo", 3), 0);
}

Test(crypto, b64url_decode_rejects)
{
	unsigned char dec[16];
	cr_assert_eq(crypto_b64url_decode("Zm9+", 4, dec), -1, "'+' is not URL-safe base64");
	cr_assert_eq(crypto_b64url_decode("Zm9/", 4, dec), -1, "'/' is not URL-safe base64");
	cr_assert_eq(crypto_b64url_decode("Z", 1, dec), -1, "length 1 mod 4");
	cr_assert_eq(crypto_b64url_decode("Zm9vY", 5, dec), -1, "length 1 mod 4");
	cr_assert_eq(crypto_b64url_decode("Zm9vYmFyZ", 9, dec), -1, "length 1 mod 4");
	cr_assert_eq(crypto_b64url_decode("Zm=v", 4, dec), -1, "'=' inside");
	cr_assert_eq(crypto_b64url_decode("Zm9 ", 4, dec), -1, "space");
	cr_assert_eq(crypto_b64url_decode("Zm9\n", 4, dec), -1, "newline");
	cr_assert_eq(crypto_b64url_decode("Zm.v", 4, dec), -1, "dot");
	cr_assert_eq(crypto_b64url_decode("Zm\xc3\xa9", 4, dec), -1, "non-ASCII");
	cr_assert_eq(crypto_b64url_decode("", 0, dec), 0, "empty is valid and empty");
}
