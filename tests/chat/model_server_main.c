/* The scripted model server (tests/lib/model_server.c) as a program, for the
 * Node test that reads its stream with the official openai package and for
 * the benchmark:
 *
 *   model-server PORT [--repeat] STEP_JSON...
 *
 * serves the steps in order (with --repeat, over and over), prints
 * "ready PORT" once listening (PORT 0: any free port) and stops when its
 * stdin closes. */
#include "model_server.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: model-server PORT [--repeat] STEP_JSON...\n");
		return 2;
	}
	model_server *m = model_server_start(atoi(argv[1]));
	if (!m) {
		perror("model-server");
		return 1;
	}
	int first = 2;
	if (!strcmp(argv[2], "--repeat")) {
		model_server_repeat(m);
		first = 3;
	}
	for (int i = first; i < argc; i++)
		model_server_push(m, argv[i]);
	printf("ready %d\n", model_server_port(m));
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0) {
	}
	model_server_stop(m);
	return 0;
}
