"""Before and after, side by side: run one bench script from two revisions of the code
in alternating rounds and print each row's median from both, with their ratio.

    .venv/bin/python bench/compare.py --before 68ce2fe -- bench/engine_throughput.py --runs 1000 --stores memory,sqlite

The before revision is checked out into a temporary git worktree; the after side is
this working tree. Rounds alternate (before, after, before, after, ...), so a machine
that gets busier or quieter during the run weighs on both sides alike, and the median
of each side leaves out a round that something else disturbed. Both sides run with
this tree's Python (its virtual environment and installed packages), each importing
its own ``runtime`` and ``builder``: the script checks that before it starts.

An argument of the script may hold ``{side}``, replaced by ``before`` or ``after``: each
side then gets its own database, for instance (the two revisions may not share a schema).

It reads the table the script prints (a header row, a row of dashes, rows up to a
blank line), keys each row by its text columns (engine, store, mode, ...) and compares
the numeric ones. Nothing here asserts anything: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")

Row = dict[str, str]
Table = dict[tuple[str, ...], Row]


def parse_table(output: str) -> tuple[list[str], Table]:
    """The first table in ``output``: its column names and its rows keyed by their text cells."""
    lines = output.splitlines()
    for i, line in enumerate(lines[:-1]):
        if lines[i + 1].startswith("---") and set(lines[i + 1]) <= {"-", " "}:
            spans = [m.span() for m in re.finditer(r"-+", lines[i + 1])]
            header = [_cell(line, span, spans) for span in spans]
            rows: Table = {}
            for row_line in lines[i + 2 :]:
                if not row_line.strip():
                    break
                cells = [_cell(row_line, span, spans) for span in spans]
                key = tuple(c for c, name in zip(cells, header, strict=True) if not _numeric(c) and c != "-")
                rows[key] = dict(zip(header, cells, strict=True))
            return header, rows
    raise SystemExit("no table found in the output:\n" + output)


def _cell(line: str, span: tuple[int, int], spans: list[tuple[int, int]]) -> str:
    """A column's text: from its start to the next column's start (right-aligned figures
    may begin left of the dashes, so numbers are taken up to the column's end)."""
    index = spans.index(span)
    start = spans[index - 1][1] if index else 0
    end = span[1] if index + 1 < len(spans) else len(line)
    return line[start:end].strip()


def _numeric(cell: str) -> bool:
    return bool(NUMBER.match(cell))


def _value(cell: str) -> float:
    return float(cell.replace(",", ""))


def run_side(tree: Path, script: list[str], side: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [arg.replace("{side}", side) for arg in script]
    done = subprocess.run([sys.executable, *argv], cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{script[0]} failed in {tree} (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def imports_from(tree: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = "import runtime, pathlib; print(pathlib.Path(runtime.__file__).resolve().parent.parent)"
    return subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True).stdout.strip()


def compare(header: list[str], before: list[Table], after: list[Table], wanted: list[str] | None = None) -> str:
    """One line per row and figure: the median before, after, and after / before."""
    # A column one revision lacks (the other added it) reads as "-" there: no figure.
    figures = [name for name in header if all(_numeric(c) for t in before + after for k in t if (c := t[k].get(name, "-")) != "-")]
    if wanted:
        figures = [name for name in figures if name in wanted]
    out = [f"{'row':<58} {'figure':<9} {'before':>10} {'after':>10} {'after/before':>12}"]
    keys = [k for k in before[0] if all(k in t for t in before + after)]
    for key in keys:
        for name in figures:
            olds = [_value(c) for t in before if (c := t[key].get(name, "-")) != "-"]
            news = [_value(c) for t in after if (c := t[key].get(name, "-")) != "-"]
            if not olds or not news:
                continue
            old, new = statistics.median(olds), statistics.median(news)
            ratio = f"{new / old:.2f}" if old else "-"
            out.append(f"{' / '.join(key):<58} {name:<9} {old:>10,.3f} {new:>10,.3f} {ratio:>12}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the git revision to compare with (a commit, tag or branch)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (default 3); the median is printed")
    parser.add_argument("--figures", help="the columns to compare, comma-separated (default: every numeric one)")
    parser.add_argument("script", nargs=argparse.REMAINDER, help="-- then the bench script and its options")
    args = parser.parse_args(argv)
    script = args.script[1:] if args.script[:1] == ["--"] else args.script
    if not script:
        parser.error("give the bench script after --")

    with tempfile.TemporaryDirectory(prefix="overture-before-") as temp:
        old_tree = Path(temp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(old_tree), args.before], check=True)
        try:
            for tree in (old_tree, ROOT):
                if Path(imports_from(tree)) != tree.resolve():
                    raise SystemExit(f"{tree} does not import its own runtime package")
            header: list[str] = []
            sides: dict[str, list[Table]] = defaultdict(list)
            for round_number in range(1, args.rounds + 1):
                for side, tree in (("before", old_tree), ("after", ROOT)):
                    print(f"round {round_number}/{args.rounds}: {side} ...", file=sys.stderr, flush=True)
                    header, rows = parse_table(run_side(tree, script, side))
                    sides[side].append(rows)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=False)

    print(
        f"{' '.join(script)}: before = {args.before}, after = this tree; median of {args.rounds} alternating rounds, {os.cpu_count()} cores"
    )
    print(compare(header, sides["before"], sides["after"], args.figures.split(",") if args.figures else None))


if __name__ == "__main__":
    main()
