/*
 * gen_pdu_corpus.c: write the codec test fixtures as seed files for
 * fuzz_pdu, one PDU per file.  Built on request only:
 *	make -C tests gen_pdu_corpus && tests/gen_pdu_corpus DIR
 */

#include "compat.h"

#include <stdio.h>
#include <stdlib.h>

#include "pdu_fixtures.h"

struct seed {
	const char	*name;
	const uint8_t	*p;
	size_t		 len;
};

static int	write_seed(const char *, const struct seed *);

/* Write one seed file into dir. */
static int
write_seed(const char *dir, const struct seed *s)
{
	char	 path[1024];
	FILE	*f;
	int	 ok;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, s->name) >=
	    sizeof(path))
		return (-1);
	if ((f = fopen(path, "wb")) == NULL)
		return (-1);
	ok = fwrite(s->p, 1, s->len, f) == s->len;
	if (fclose(f) != 0)
		ok = 0;
	return (ok ? 0 : -1);
}

int
main(int argc, char *argv[])
{
	static const struct seed seeds[] = {
		{ "assoc_rq", fx_assoc_rq, sizeof(fx_assoc_rq) },
		{ "assoc_ac", fx_assoc_ac, sizeof(fx_assoc_ac) },
		{ "assoc_rj", fx_assoc_rj, sizeof(fx_assoc_rj) },
		{ "pdata_one", fx_pdata_one, sizeof(fx_pdata_one) },
		{ "pdata_two", fx_pdata_two, sizeof(fx_pdata_two) },
		{ "release_rq", fx_release_rq, sizeof(fx_release_rq) },
		{ "release_rp", fx_release_rp, sizeof(fx_release_rp) },
		{ "abort", fx_abort, sizeof(fx_abort) },
	};
	size_t			 i;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_pdu_corpus dir\n");
		return (100);
	}
	for (i = 0; i < nitems(seeds); i++) {
		if (write_seed(argv[1], &seeds[i]) == -1) {
			perror(seeds[i].name);
			return (1);
		}
	}
	return (0);
}
