/* test_hash.c -- capture/hash.c: the shared index-slot removal (every
 * entry left stays reachable from its home, also across the wrap), the
 * seeded hash (same input and seed, same value; seed changes it) and
 * cap_random. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"

#define SLOTS 16u
#define MASK (SLOTS - 1)

/* Linear probing from tag's home must meet entry idx before an empty
 * slot. */
static bool reachable(const struct cap_islot *s, uint32_t tag, uint32_t idx)
{
	for (uint32_t pos = tag & MASK, n = 0; n < SLOTS;
	     pos = (pos + 1) & MASK, n++) {
		if (s[pos].idx == 0)
			return false;
		if (s[pos].idx == idx + 1)
			return true;
	}
	return false;
}

static void insert(struct cap_islot *s, uint32_t tag, uint32_t idx)
{
	uint32_t pos = tag & MASK;
	while (s[pos].idx != 0)
		pos = (pos + 1) & MASK;
	s[pos].tag = tag;
	s[pos].idx = idx + 1;
}

/* Eight entries (load 0.5) whose homes crowd the end of the index, so
 * runs wrap to slot 0; removed in every one of many orders, each removal
 * leaves the others reachable and exactly one slot fewer in use. */
static void test_islot_remove(void **state)
{
	(void)state;
	static const uint32_t tags[8] = {
		0x100e, 0x200e, 0x300f, 0x400f, 0x500f, 0x6000, 0x7001, 0x800d,
	};
	uint64_t rng = 0x5eed;
	for (unsigned round = 0; round < 500; round++) {
		struct cap_islot s[SLOTS];
		memset(s, 0, sizeof s);
		for (uint32_t i = 0; i < 8; i++)
			insert(s, tags[i], i);
		uint32_t order[8];
		for (uint32_t i = 0; i < 8; i++)
			order[i] = i;
		for (uint32_t i = 7; i > 0; i--) {
			rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
			uint32_t j = (uint32_t)(rng % (i + 1));
			uint32_t x = order[i]; order[i] = order[j]; order[j] = x;
		}
		bool gone[8] = { false };
		for (uint32_t k = 0; k < 8; k++) {
			uint32_t r = order[k];
			cap_islot_remove(s, MASK, tags[r], r);
			gone[r] = true;
			unsigned used = 0;
			for (uint32_t p = 0; p < SLOTS; p++)
				used += s[p].idx != 0;
			assert_int_equal(used, 8 - (k + 1));
			for (uint32_t i = 0; i < 8; i++) {
				if (gone[i])
					assert_false(reachable(s, tags[i], i));
				else
					assert_true(reachable(s, tags[i], i));
			}
		}
	}
}

static void test_hash_and_random(void **state)
{
	(void)state;
	const char a[] = "10.0.0.1 10.0.0.2 tcp 1960";
	uint64_t h1 = cap_hash(42, a, sizeof a);
	assert_true(h1 == cap_hash(42, a, sizeof a));
	assert_true(h1 != cap_hash(43, a, sizeof a));
	assert_true(h1 != cap_hash(42, a, sizeof a - 1));
	uint64_t r[4] = { 0 };
	cap_random(r, sizeof r);
	assert_false(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
	assert_true(r[0] != r[1] || r[1] != r[2]);
	/* cap_fmix64 is a bijection: distinct inputs stay distinct */
	assert_true(cap_fmix64(1) != cap_fmix64(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_islot_remove),
		cmocka_unit_test(test_hash_and_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
