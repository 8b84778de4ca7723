"""host/constfold.py: the build writes the shared constants into the modules that use them."""

import ast
from pathlib import Path

from host import constfold

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"

LIMITS = '''
from micropython import const
A = const(3)
B = const(A << 2)
C = const((0, A, B))
V = const("1.0")
NOT_CONST = 7
LIST = const(len("x"))
'''
VALUES = {"limits": constfold.constants(LIMITS), "names": {"OPEN": "sensor_open"}}


def test_constants_evaluates_const_declarations_in_order():
    assert constfold.constants(LIMITS) == {"A": 3, "B": 12, "C": (0, 3, 12), "V": "1.0"}


def test_module_attribute_uses_are_folded_and_the_import_dropped():
    src = "from cushion import limits, thermistor\n\ndef f(x):\n    return x > limits.B\n"
    out, n = constfold.fold(src, VALUES)
    assert n == 1
    assert out == "from cushion import thermistor\n\ndef f(x):\n    return x > 12\n"


def test_an_import_with_a_use_left_stays():
    src = "from cushion import limits\nx = limits.A + limits.NOT_CONST\n"
    out, n = constfold.fold(src, VALUES)
    assert (out, n) == ("from cushion import limits\nx = 3 + limits.NOT_CONST\n", 1)


def test_imported_names_are_folded_and_multiline_imports_keep_the_line_count():
    src = ("from cushion.names import (\n    OPEN,\n)\nfrom cushion.limits import A, NOT_CONST\n"
           "code = OPEN if A else NOT_CONST\nobj.OPEN = 1\n")
    out, n = constfold.fold(src, VALUES)
    assert n == 2
    assert out.splitlines() == [
        "", "", "", "from cushion.limits import NOT_CONST",
        "code = 'sensor_open' if 3 else NOT_CONST", "obj.OPEN = 1"]


def test_a_name_the_module_binds_itself_is_not_folded():
    src = "from cushion.names import OPEN\n\ndef f(OPEN=None):\n    return OPEN\n"
    assert constfold.fold(src, VALUES) == (src, 0)


def test_a_re_exported_name_keeps_its_import():
    src = "from cushion.names import OPEN  # noqa: F401 - re-exported\n"
    assert constfold.fold(src, VALUES) == (src, 0)


def test_strings_and_comments_are_left_alone():
    src = 'from cushion import limits\n# limits.A\ns = "limits.A"\nx = limits.A\n'
    out, _ = constfold.fold(src, VALUES)
    assert out == '\n# limits.A\ns = "limits.A"\nx = 3\n'


def test_the_firmware_keeps_neither_module_on_the_board():
    """Every firmware module that imports limits or names loses the import in the build
    (the host-only schema re-exports names, and the two modules themselves stay), and the
    folded source still parses and keeps its line numbers."""
    values = {m: constfold.constants((FIRMWARE / "cushion" / (m + ".py")).read_text())
              for m in constfold.MODULES}
    assert len(values["limits"]) > 60 and len(values["names"]) > 20
    for path in sorted(FIRMWARE.rglob("*.py")):
        if path.name in ("schema.py", "limits.py", "names.py"):
            continue
        src = path.read_text()
        out, _ = constfold.fold(src, values)
        assert len(out.splitlines()) == len(src.splitlines()), path
        tree = ast.parse(out)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module not in ("cushion.limits", "cushion.names"), path
                assert not {"limits", "names"} & {a.name for a in node.names}, path


def test_a_negative_value_keeps_its_sign_under_tighter_operators():
    values = {"limits": {"LOW": -5}}
    out, _ = constfold.fold("from cushion import limits\ny = limits.LOW ** 2\n", values)
    assert out == "\ny = (-5) ** 2\n"
    assert eval(out.strip()[4:]) == 25


def test_a_name_inside_an_f_string_keeps_its_import():
    """Python 3.11 reads an f-string as one token, so its use stays (3.12 folds it too):
    whatever still names the module keeps the import."""
    src = 'from cushion import limits\nx = limits.A\ns = f"{limits.A}"\n'
    out, _ = constfold.fold(src, VALUES)
    first, *rest = out.splitlines()
    assert rest[0] == "x = 3"
    assert first == "from cushion import limits" or "limits" not in "".join(rest)
