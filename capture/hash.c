/* hash.c -- keyed hashing, random keys and index-slot removal for every
 * bounded table (see capture.h): one seeded hash of bytes, word by word,
 * one source of random keys and one backward-shift deletion, so that no
 * table has its own. */
#include "capture.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void cap_random(void *buf, size_t n)
{
	uint8_t *b = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	if (got == n)
		return;
	/* No getrandom: mix what the process has (still per run). */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
	             ((uint64_t)getpid() << 48) ^ (uint64_t)(uintptr_t)buf;
	for (size_t i = got; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
}

uint64_t cap_hash(uint64_t seed, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	for (; i + 4 <= n; i += 4) {
		uint32_t w;
		memcpy(&w, b + i, 4);
		h = (h ^ w) * 0x94d049bb133111ebull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x9e3779b97f4a7c15ull;
	return cap_fmix64(h);
}

void cap_islot_remove(struct cap_islot *slots, uint64_t mask, uint32_t tag,
                      uint32_t idx)
{
	uint64_t hole = tag & mask;
	while (slots[hole].idx != idx + 1)
		hole = (hole + 1) & mask;
	for (uint64_t j = hole;;) {
		j = (j + 1) & mask;
		if (slots[j].idx == 0)
			break;
		uint64_t home = slots[j].tag & mask;
		/* slots[j] may move to the hole unless its home lies in
		 * (hole, j], cyclically. */
		bool stays = hole <= j ? (home > hole && home <= j)
		                       : (home > hole || home <= j);
		if (!stays) {
			slots[hole] = slots[j];
			hole = j;
		}
	}
	slots[hole].idx = 0;
	slots[hole].tag = 0;
}
