"""Fold the firmware's shared constants into the modules that use them, at build time.

MicroPython's ``const()`` puts a value straight into the bytecode, but only inside the
module that declares it: ``limits.OVERHEAT_C100`` or an imported ``SENSOR_OPEN`` elsewhere
is a dictionary lookup on every use, and keeps cushion/limits.py and cushion/names.py on the
board's heap with an entry and a name for each of their hundred-odd constants. Those two
modules stay the one source of every number and name; the build (host.mpybuild) writes each
use out as its value before mpy-cross compiles a module, which is what ``const()`` does
within one, and drops an import once nothing uses it. Line numbers do not move, so a
traceback on the board points at the source line. CPython runs the source as written;
tests/test_vm_session.py runs the folded build in the unix port and checks it gives the
same trace.

Folded: names declared ``NAME = const(expr)`` at module level of any cushion module, where
expr is made of literals (int, str, tuples of them) and names declared before it, with
+ - * // % << >> | &; used as ``module.NAME`` after ``from cushion import module``, or as
``NAME`` after ``from cushion.module import NAME`` (unless the importing module binds NAME
itself).
"""

from __future__ import annotations

import ast
import io
import operator
import tokenize
from pathlib import Path

# The pure-data modules: once their constants are folded, no firmware module imports them.
MODULES = ("limits", "names")

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitAnd: operator.and_,
}


class _NotConstant(ValueError):
    pass


def _value(node: ast.expr, known: dict[str, object]) -> object:
    if isinstance(node, ast.Constant) and type(node.value) in (int, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in known:
        return known[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(_value(e, known) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _value(node.operand, known)
        if type(v) is int:
            return -v
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = _value(node.left, known), _value(node.right, known)
        if type(a) is int and type(b) is int:
            return _BINOPS[type(node.op)](a, b)
    raise _NotConstant(ast.dump(node))


def constants(source: str) -> dict[str, object]:
    """The module-level ``NAME = const(expr)`` values of a module's source."""
    known: dict[str, object] = {}
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return known  # mpy-cross names the file and the line
    for stmt in body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            continue
        call = stmt.value
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "const" and len(call.args) == 1 and not call.keywords):
            try:
                known[stmt.targets[0].id] = _value(call.args[0], known)
            except _NotConstant:
                pass  # left as a runtime lookup
    return known


def package_constants(package_dir: Path) -> dict[str, dict[str, object]]:
    """constants() of every module of a package directory (cushion/), by module name."""
    return {py.stem: constants(py.read_text(encoding="utf-8"))
            for py in sorted(package_dir.glob("*.py"))}


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds itself (assignments, defs, arguments, keywords)."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            bound.add(node.arg)
    return bound


class _Imports:
    """What a module imports from the folded modules, and where those statements are."""

    def __init__(self, tree: ast.Module, values: dict[str, dict[str, object]]):
        self.modules = {}  # local name -> that module's constants (`from cushion import x`)
        self.names = {}  # local name -> value (`from cushion.x import NAME`)
        self.statements = []  # the ImportFrom nodes that bring either in
        bound = _bound_names(tree)
        for stmt in tree.body:
            if not isinstance(stmt, ast.ImportFrom) or stmt.level:
                continue
            module = stmt.module or ""
            source = values.get(module[8:], {}) if module.startswith("cushion.") else {}
            hit = False
            for alias in stmt.names:
                local = alias.asname or alias.name
                if local in bound:
                    continue
                if module == "cushion" and alias.name in values:
                    self.modules[local] = values[alias.name]
                    hit = True
                elif alias.name in source:
                    self.names[local] = source[alias.name]
                    hit = True
            if hit:
                self.statements.append(stmt)

    def skip_lines(self) -> set[int]:
        return {n for s in self.statements for n in range(s.lineno, (s.end_lineno or 0) + 1)}


def _is_fstring(text: str) -> bool:
    prefix = text[:len(text) - len(text.lstrip("rRbBuUfF"))]
    return "f" in prefix.lower()


def _literal(value: object) -> str:
    """The value as source: a negative number in parentheses, so that `-2 ** 2` cannot
    come out of `limits.X ** 2`."""
    text = repr(value)
    return "(%s)" % text if type(value) is int and value < 0 else text


def fold(source: str, values: dict[str, dict[str, object]]) -> tuple[str, int]:
    """``source`` with every use of a folded constant written as its value (``values``:
    module name -> its constants()), and each import dropped once it has been used and
    every use is folded. Returns the new source and the number of uses folded."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, 0  # mpy-cross names the file and the line
    imports = _Imports(tree, values)
    if not imports.statements:
        return source, 0
    skip = imports.skip_lines()
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    spans = []
    used = set()  # local names with at least one use
    kept = set()  # ... with a use left as it was
    for i, tok in enumerate(toks):
        if tok.type == tokenize.STRING and _is_fstring(tok.string):
            # Python 3.11 reads an f-string as one token: its uses stay as written, and so
            # does the import of what it names
            kept.update(n for n in (*imports.modules, *imports.names) if n in tok.string)
            continue
        if tok.type != tokenize.NAME or tok.start[0] in skip:
            continue
        if i and toks[i - 1].string == ".":
            continue  # an attribute of something else
        if tok.string in imports.modules:
            used.add(tok.string)
            consts = imports.modules[tok.string]
            if (i + 2 < len(toks) and toks[i + 1].string == "."
                    and toks[i + 2].string in consts):
                spans.append((tok.start, toks[i + 2].end, consts[toks[i + 2].string]))
            else:
                kept.add(tok.string)
        elif tok.string in imports.names:
            used.add(tok.string)
            spans.append((tok.start, tok.end, imports.names[tok.string]))
    if not spans:
        return source, 0
    lines = source.splitlines(keepends=True)
    for (row, c0), (_row, c1), value in reversed(spans):
        lines[row - 1] = lines[row - 1][:c0] + _literal(value) + lines[row - 1][c1:]
    gone = used - kept
    for stmt in imports.statements:
        names = [a for a in stmt.names if (a.asname or a.name) not in gone]
        if len(names) == len(stmt.names):
            continue
        text = ("from %s import %s\n" % (stmt.module, ", ".join(
            a.name + (" as " + a.asname if a.asname else "") for a in names))) if names else "\n"
        first, last = stmt.lineno - 1, (stmt.end_lineno or stmt.lineno) - 1
        lines[first:last + 1] = [text] + ["\n"] * (last - first)  # the same number of lines
    return "".join(lines), len(spans)
