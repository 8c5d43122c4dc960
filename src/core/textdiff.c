/* textdiff.c: a word diff of two texts (a notice's versions on the console's purposes page):
 * the longest common subsequence of their words, as runs of kept, removed and added words.
 * Pure text: no store, no policy. */
#include "core/core.h"

#include <stdint.h>
#include <string.h>

#include "util/mem.h"

struct word {
	const char *p;  /* the run: white space before (the first word only), the word, and */
	size_t len;     /* the white space after it */
	const char *w;  /* the word alone, for comparing */
	size_t wlen;
};

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Splits s into words; leading white space goes with the first word. *n words. */
static struct word *split(const char *s, size_t *n)
{
	size_t cap = 16, k = 0;
	struct word *w = sk_malloc(cap * sizeof(*w));
	const char *p = s;
	if (!w)
		return NULL;
	while (*p) {
		const char *start = p;
		while (*p && is_space(*p))
			p++;
		const char *word = p;
		while (*p && !is_space(*p))
			p++;
		size_t wlen = (size_t)(p - word);
		while (*p && is_space(*p))
			p++;
		if (k == cap) {
			struct word *nw = sk_realloc(w, 2 * cap * sizeof(*w));
			if (!nw) {
				sk_free(w);
				return NULL;
			}
			w = nw;
			cap *= 2;
		}
		w[k].p = start;
		w[k].len = (size_t)(p - start);
		w[k].w = word;
		w[k].wlen = wlen;
		k++;
	}
	*n = k;
	return w;
}

static int same(const struct word *a, const struct word *b)
{
	/* equal as words: the white space around them does not count */
	return a->wlen == b->wlen && memcmp(a->w, b->w, a->wlen) == 0;
}

/* Appends (op, p, len), merging with the run before when it has the same op and is
 * contiguous. */
static int push(struct sk_diff_run **runs, size_t *n, size_t *cap, enum sk_diff_op op,
		const char *p, size_t len)
{
	if (*n && (*runs)[*n - 1].op == op && (*runs)[*n - 1].p + (*runs)[*n - 1].len == p) {
		(*runs)[*n - 1].len += len;
		return 0;
	}
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		struct sk_diff_run *r = sk_realloc(*runs, nc * sizeof(**runs));
		if (!r)
			return -1;
		*runs = r;
		*cap = nc;
	}
	(*runs)[(*n)++] = (struct sk_diff_run){op, p, len};
	return 0;
}

int sk_word_diff(const char *a, const char *b, struct sk_diff_run **out, size_t *n,
		 struct sk_errctx *err)
{
	struct word *wa = NULL, *wb = NULL;
	struct sk_diff_run *runs = NULL;
	uint16_t *L = NULL;
	size_t na = 0, nb = 0, nr = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!(wa = split(a ? a : "", &na)) || !(wb = split(b ? b : "", &nb)))
		goto nomem;
	if (na > SK_DIFF_MAX_WORDS || nb > SK_DIFF_MAX_WORDS) {
		/* too long to compare word by word: the whole of one for the whole of the other */
		if ((*a && push(&runs, &nr, &cap, SK_DIFF_DEL, a, strlen(a))) ||
		    (*b && push(&runs, &nr, &cap, SK_DIFF_INS, b, strlen(b))))
			goto nomem;
		goto done;
	}
	/* L[i][j]: the length of the LCS of wa[i..] and wb[j..] */
	if (!(L = sk_calloc((na + 1) * (nb + 1), sizeof(*L))))
		goto nomem;
#define AT(i, j) L[(i) * (nb + 1) + (j)]
	for (size_t i = na; i-- > 0;)
		for (size_t j = nb; j-- > 0;)
			AT(i, j) = same(&wa[i], &wb[j]) ? (uint16_t)(AT(i + 1, j + 1) + 1)
				   : AT(i + 1, j) >= AT(i, j + 1) ? AT(i + 1, j)
								  : AT(i, j + 1);
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		int r;
		if (i < na && j < nb && same(&wa[i], &wb[j])) {
			r = push(&runs, &nr, &cap, SK_DIFF_SAME, wa[i].p, wa[i].len);
			i++, j++;
		} else if (i < na && (j == nb || AT(i + 1, j) >= AT(i, j + 1))) {
			/* removed words before the ones added in their place */
			r = push(&runs, &nr, &cap, SK_DIFF_DEL, wa[i].p, wa[i].len);
			i++;
		} else {
			r = push(&runs, &nr, &cap, SK_DIFF_INS, wb[j].p, wb[j].len);
			j++;
		}
		if (r)
			goto nomem;
	}
#undef AT
done:
	*out = runs;
	*n = nr;
	runs = NULL;
	goto out;
nomem:
	rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
out:
	sk_free(runs);
	sk_free(L);
	sk_free(wa);
	sk_free(wb);
	return rc;
}
