"""A clone in an empty folder must pass alone: no project file reaches outside the checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT

# A path that climbs out of the checkout, or the folder the examples once came from.
OUTSIDE = re.compile(r"\.\./shared|[\"']shared[\"']|parents\[\d\]|\.\./\.\.")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_no_project_file_reads_outside_the_checkout() -> None:
    offenders = []
    for path in tracked_files():
        if path.suffix not in (".py", ".md", ".toml", ".yml", ".yaml", ".cfg", ".ini", ""):
            continue
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_copied_fixtures_say_where_they_came_from() -> None:
    fixtures = ROOT / "tests" / "fixtures"
    assert (fixtures / "slack" / "manifest.schema.LICENSE").read_text().startswith("MIT")
    readme = (fixtures / "README.md").read_text()
    assert "Tangoe" in readme and "slackapi/manifest-schema" in readme
    assert sorted(p.name for p in (fixtures / "mobproc").glob("*.json"))
