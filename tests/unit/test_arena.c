/* Unit tests for src/util/arena.c. Run under ASan to also catch overruns,
 * overlapping allocations that write out of their block, and leaks. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/arena.h"

static bool arena_t_all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static char *arena_t_vsp(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *arena_t_vsp(arena_t *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vsprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

Test(arena, many_allocations_are_aligned_zeroed_and_disjoint)
{
	enum { N = 5000 };
	arena_t *a = arena_new();
	cr_assert_not_null(a);
	unsigned char **ptrs = calloc(N, sizeof *ptrs);
	size_t *sizes = calloc(N, sizeof *sizes);
	for (size_t i = 0; i < N; i++) {
		sizes[i] = (i * 37) % 700 + 1; /* 1..700 bytes, crossing many 16 KiB blocks */
		ptrs[i] = arena_alloc(a, sizes[i]);
		cr_assert_not_null(ptrs[i]);
		cr_assert_eq((uintptr_t)ptrs[i] % 16, 0, "allocation %zu (%zu bytes) not 16-aligned", i, sizes[i]);
		cr_assert(arena_t_all_zero(ptrs[i], sizes[i]), "allocation %zu not zeroed", i);
		memset(ptrs[i], (int)(i % 251) + 1, sizes[i]);
	}
	/* Nothing written later overwrote an earlier allocation. */
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < sizes[i]; j++)
			cr_assert_eq(ptrs[i][j], (unsigned char)(i % 251 + 1), "allocation %zu byte %zu clobbered", i, j);
	free(ptrs);
	free(sizes);
	arena_free(a);
}

Test(arena, odd_sizes_keep_alignment)
{
	arena_t *a = arena_new();
	for (size_t n = 0; n <= 100; n++) {
		void *p = arena_alloc(a, n);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % 16, 0, "size %zu", n);
	}
	/* Alignment suits the strictest standard type. */
	long double *ld = arena_alloc(a, sizeof *ld);
	*ld = 1.5L;
	cr_assert_eq((uintptr_t)ld % _Alignof(max_align_t), 0);
	arena_free(a);
}

Test(arena, zero_size_allocations_are_distinct)
{
	arena_t *a = arena_new();
	void *p = arena_alloc(a, 0), *q = arena_alloc(a, 0);
	cr_assert_not_null(p);
	cr_assert_not_null(q);
	cr_assert_neq(p, q);
	arena_free(a);
}

Test(arena, large_allocation)
{
	arena_t *a = arena_new();
	char *small1 = arena_strdup(a, "before");
	size_t big = 100 * 1024; /* far above the 16 KiB block size */
	unsigned char *p = arena_alloc(a, big);
	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % 16, 0);
	cr_assert(arena_t_all_zero(p, big));
	memset(p, 0xab, big); /* ASan catches a short block */
	cr_assert_eq(p[0], 0xab);
	cr_assert_eq(p[big - 1], 0xab);
	/* Exactly one block's worth and one byte more. */
	unsigned char *q = arena_alloc(a, 16384);
	cr_assert(arena_t_all_zero(q, 16384));
	memset(q, 0xcd, 16384);
	unsigned char *r = arena_alloc(a, 16385);
	cr_assert(arena_t_all_zero(r, 16385));
	memset(r, 0xef, 16385);
	/* Small allocations keep working after large ones. */
	char *small2 = arena_strdup(a, "after");
	cr_assert_str_eq(small1, "before");
	cr_assert_str_eq(small2, "after");
	cr_assert_eq(p[big / 2], 0xab);
	cr_assert_eq(q[16383], 0xcd);
	cr_assert_eq(r[16384], 0xef);
	arena_free(a);
}

Test(arena, several_large_allocations)
{
	arena_t *a = arena_new();
	unsigned char *blocks[8];
	for (int i = 0; i < 8; i++) {
		size_t n = 20000 + (size_t)i * 5000;
		blocks[i] = arena_alloc(a, n);
		cr_assert(arena_t_all_zero(blocks[i], n));
		memset(blocks[i], i + 1, n);
	}
	for (int i = 0; i < 8; i++) {
		size_t n = 20000 + (size_t)i * 5000;
		cr_assert_eq(blocks[i][0], i + 1);
		cr_assert_eq(blocks[i][n - 1], i + 1);
	}
	arena_free(a);
}

Test(arena, strdup_and_strndup)
{
	arena_t *a = arena_new();
	const char *src = "hello, arena";
	char *s = arena_strdup(a, src);
	cr_assert_str_eq(s, src);
	cr_assert_neq((const void *)s, (const void *)src, "a copy, not the same pointer");
	cr_assert_null(arena_strdup(a, NULL));
	char *e = arena_strdup(a, "");
	cr_assert_not_null(e);
	cr_assert_str_eq(e, "");
	char *n = arena_strndup(a, "abcdef", 3);
	cr_assert_str_eq(n, "abc");
	/* strndup copies exactly n bytes, even without a NUL in the source. */
	const char raw[4] = { 'w', 'x', 'y', 'z' };
	char *r = arena_strndup(a, raw, sizeof raw);
	cr_assert_str_eq(r, "wxyz");
	char *z = arena_strndup(a, "abc", 0);
	cr_assert_str_eq(z, "");
	arena_free(a);
}

Test(arena, sprintf_contents)
{
	arena_t *a = arena_new();
	cr_assert_str_eq(arena_sprintf(a, "%d-%s-%05.2f", 42, "x", 3.14159), "42-x-03.14");
	cr_assert_str_eq(arena_sprintf(a, "%s", ""), "");
	cr_assert_str_eq(arena_sprintf(a, "%ld|%zu|%c", -7L, (size_t)9, 'q'), "-7|9|q");
	cr_assert_str_eq(arena_t_vsp(a, "[%s:%d]", "va", 1), "[va:1]");
	/* Output larger than a block. */
	size_t len = 40000;
	char *big = malloc(len + 1);
	memset(big, 'z', len);
	big[len] = '\0';
	char *s = arena_sprintf(a, "<%s>", big);
	cr_assert_eq(strlen(s), len + 2);
	cr_assert_eq(s[0], '<');
	cr_assert_eq(s[len + 1], '>');
	cr_assert_eq(s[len / 2], 'z');
	free(big);
	arena_free(a);
}

Test(arena, free_null_and_empty)
{
	arena_free(NULL);
	arena_t *a = arena_new();
	arena_free(a); /* an arena that never allocated */
}

/* arena.h promises an abort on OOM, but a request near SIZE_MAX wraps around:
 * arena_alloc(a, SIZE_MAX) rounds n up to 0 and returns a 16-byte chunk, and
 * arena_alloc(a, SIZE_MAX - 31) overflows sizeof(struct block) + cap and
 * segfaults in memset. Disabled until src/util/arena.c checks for overflow. */
Test(arena, huge_request_aborts, .signal = SIGABRT)
{
	arena_t *a = arena_new();
	volatile size_t n = SIZE_MAX;
	unsigned char *p = arena_alloc(a, n);
	p[100] = 1; /* not reached when arena_alloc aborts */
	arena_free(a);
}
