"""CHANGELOG.md (Keep a Changelog): an Unreleased section on top, and a section for the version pyproject.toml
declares, so that a version bump comes with its entry."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_changelog_has_unreleased_and_the_current_version():
    headings = re.findall(r"^## (.+)$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert headings and headings[0] == "Unreleased", headings
    assert any(re.fullmatch(rf"{re.escape(version)} - \d{{4}}-\d{{2}}-\d{{2}}", h) for h in headings), (
        f"CHANGELOG.md has no section for version {version} (pyproject.toml): {headings}"
    )
