/* cmd_density.c - placeholder until the subcommand lands. */
#include "cli.h"

int cmd_density(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

