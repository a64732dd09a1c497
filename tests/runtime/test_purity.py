"""runtime/ is a pure core: no Flask, no builder, no wall clock, no eval (runtime/README.md)."""

from __future__ import annotations

import ast
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
FORBIDDEN_MODULES = ("flask", "flask_sock", "builder", "werkzeug", "socket", "http.server")
# The clock module is where wall-clock time is allowed; the http.request action does network I/O.
CLOCK_MODULES = {"clock.py"}


def modules() -> list[Path]:
    files = sorted(RUNTIME.rglob("*.py"))
    assert len(files) > 10
    return files


def test_runtime_imports_neither_flask_nor_builder():
    offenders = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_MODULES):
                    offenders.append(f"{path.relative_to(RUNTIME)} imports {name}")
    assert offenders == []


def test_runtime_never_reads_the_wall_clock_or_evals():
    offenders = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("eval", "exec", "compile") and isinstance(func, ast.Name):
                    offenders.append(f"{path.relative_to(RUNTIME)}:{node.lineno} calls {name}")
                if name in ("now", "utcnow", "today", "time") and isinstance(func, ast.Attribute) and path.name not in CLOCK_MODULES:
                    target = ast.unparse(func.value)
                    if target in ("datetime", "datetime.datetime", "date", "time"):
                        offenders.append(f"{path.relative_to(RUNTIME)}:{node.lineno} reads the wall clock ({target}.{name})")
    assert offenders == []


def test_importing_runtime_does_not_load_flask():
    import subprocess
    import sys

    code = "import sys, runtime.engine, runtime.spec; print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'builder')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=RUNTIME.parent)
    assert out.stdout.strip() == "[]"


def test_the_rule_covers_the_engine_modules_and_the_states():
    """The engine is a package of modules (runtime/engine/); each is held to the rule above."""
    walked = {path.relative_to(RUNTIME).as_posix() for path in modules()}
    engine = {
        f"engine/{name}.py"
        for name in ("__init__", "context", "rules", "runs", "repair", "work_items", "records", "jobs", "services", "views", "plain")
    }
    steps = {f"engine/steps/{name}.py" for name in ("__init__", "interactive", "background", "wait", "decision")}
    assert engine | steps | {"states.py"} <= walked
    assert not (CLOCK_MODULES & {Path(p).name for p in engine | steps})  # none of them may read the wall clock
