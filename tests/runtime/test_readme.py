"""The example in runtime/README.md runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_runtime_readme_example_runs():
    text = (ROOT / "runtime" / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", text, re.S)
    assert example, "runtime/README.md lost its example"
    result = subprocess.run([sys.executable, "-"], input=example.group(1), text=True, capture_output=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "run.started" in result.stdout
