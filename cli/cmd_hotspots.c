/* cmd_hotspots.c - placeholder until the subcommand lands. */
#include "cli.h"

int cmd_hotspots(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

