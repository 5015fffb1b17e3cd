/* tandemd: the gateway daemon. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("tandemd %s (%s)\n", TANDEM_VERSION, TANDEM_GIT_REV);
		return 0;
	}
	return 0;
}
