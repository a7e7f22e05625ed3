/* main.c: command line and role selection.  No logic of its own. */

#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static __dead void usage(void);

/* Print the synopsis and exit with the usage code. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-V]\n", getprogname());
	exit(100);
}

int
main(int argc, char *argv[])
{
	int	 ch;

	while ((ch = getopt(argc, argv, "V")) != -1) {
		switch (ch) {
		case 'V':
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return (0);
		default:
			usage();
		}
	}
	fprintf(stderr, "%s: the server is not built yet; only the PDU "
	    "codec and its tests exist in this version\n", getprogname());
	return (1);
}
