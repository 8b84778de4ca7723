"""The host tool's package, whose parts the chip glue uses (errors, pad conditions, the build).

Its import name is `host` in the source tree and `cushion_host` once installed from the wheel
(pyproject.toml's package-dir).  The one already running wins, so that an exception raised
here is the class the running CLI catches; otherwise the name this tree installs.
"""

import importlib
import sys
from pathlib import Path

_SOURCE_TREE = (Path(__file__).resolve().parent.parent / "host" / "__init__.py").is_file()


def name():
    for candidate in ("cushion_host", "host"):
        if candidate in sys.modules:
            return candidate
    return "host" if _SOURCE_TREE else "cushion_host"


def module(sub):
    """The host package's module `sub`, e.g. module("errors")."""
    return importlib.import_module(f"{name()}.{sub}")
