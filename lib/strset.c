/*
 * strset: see strset.h.  Each key is stored as its length then its bytes;
 * the table doubles when half full, so probes stay short.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strset.h"
#include "lib/xalloc.h"

static uint64_t
strset_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding key, or the free slot where it would go (cap > 0). */
static size_t
strset_slot(const struct strset *set, const char *key, size_t len)
{
	size_t i, mask = set->cap - 1;

	for (i = strset_hash(key, len) & mask; set->v[i] != NULL;
	    i = (i + 1) & mask) {
		size_t klen;

		memcpy(&klen, set->v[i], sizeof(klen));
		if (klen == len && memcmp(set->v[i] + sizeof(klen), key,
		    len) == 0)
			break;
	}
	return i;
}

bool
strset_has(const struct strset *set, const char *key, size_t len)
{
	return set->cap > 0 && set->v[strset_slot(set, key, len)] != NULL;
}

bool
strset_add(struct strset *set, const char *key, size_t len)
{
	size_t i;

	if ((set->n + 1) * 2 > set->cap) {
		struct strset big = { NULL, set->cap ? xmul(set->cap, 2) : 64,
		    0 };

		big.v = xcalloc(big.cap, sizeof(*big.v));
		for (i = 0; i < set->cap; i++) {
			if (set->v[i] == NULL)
				continue;
			size_t klen;

			memcpy(&klen, set->v[i], sizeof(klen));
			big.v[strset_slot(&big, set->v[i] + sizeof(klen),
			    klen)] = set->v[i];
			big.n++;
		}
		free(set->v);
		*set = big;
	}
	i = strset_slot(set, key, len);
	if (set->v[i] != NULL)
		return false;
	set->v[i] = xmalloc(xadd(sizeof(len), len));
	memcpy(set->v[i], &len, sizeof(len));
	memcpy(set->v[i] + sizeof(len), key, len);
	set->n++;
	return true;
}

void
strset_free(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}
