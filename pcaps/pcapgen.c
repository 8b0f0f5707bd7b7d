/* pcapgen.c -- placeholder for the sample capture generator. */
#include <stdio.h>
int main(int argc, char **argv) { (void)argc; (void)argv; fputs("pcapgen: not built yet\n", stderr); return 2; }
