/* cmd_render_tiles.c - placeholder until the subcommand lands. */
#include "cli.h"

int cmd_render_tiles(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

