/*
 * strset: a set of byte strings (open addressing, FNV-1a), for duplicate
 * and loop detection over inputs of any size: alias expansion's
 * destinations and mail.local's "already delivered for this message".
 * Keys are copied; lengths travel with them (a key may hold NULs).
 */
#ifndef POSTERN_STRSET_H
#define POSTERN_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char	**v;
	size_t	 cap, n;
};

#define STRSET_INIT	{ NULL, 0, 0 }

/* Add key (len bytes); false when it was there already. */
bool	 strset_add(struct strset *, const char *key, size_t len);
/* Whether key is in the set. */
bool	 strset_has(const struct strset *, const char *key, size_t len);
/* Empty the set and free its memory (it may be used again). */
void	 strset_free(struct strset *);

#endif
