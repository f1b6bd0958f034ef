/* cmd_serve.c - placeholder until the subcommand lands. */
#include "cli.h"

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

int cmd_token(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

