/* cmd_blackspots.c - placeholder until the subcommand lands. */
#include "cli.h"

int cmd_blackspots(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

