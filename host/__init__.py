"""Host-side tools for the cushion: the `cushion` CLI (host.cli) and the sim:// port."""


def register_sim_handler():
    """Make `serial.serial_for_url("sim://...")` find host/protocol_sim.py.

    pyserial looks up `<package>.protocol_<scheme>` in `serial.protocol_handler_packages`.
    Called on import of this package, so `import host` is enough for any pyserial user.  The
    package's own name goes in: `host` in the source tree, `cushion_host` once installed.
    """
    try:
        import serial
    except ImportError:  # pyserial absent: only host.mpybuild is being used
        return
    if __package__ not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(__package__)


register_sim_handler()
