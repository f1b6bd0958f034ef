/* cmd_import.c - placeholder until the subcommand lands. */
#include "cli.h"

int cmd_import_areas(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

int cmd_import_incidents(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not implemented yet");
    return 2;
}

