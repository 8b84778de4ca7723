"""Commands and global options registered in host/cli.py from their own modules.

Each command module offers `add_parser(sub, common)` and a `cmd_*(args, out)` function; this
table is the one place cli.py learns about them.
"""


def _sim_control(args, out):
    from host.simcontrol import cmd_sim_control
    return cmd_sim_control(args, out)


COMMANDS = {"sim-control": _sim_control}


def add_parsers(sub, common):
    from host import simcontrol
    simcontrol.add_parser(sub, common)
