"""Fixtures of the export and import tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exports.builders import Export, sample_export


@pytest.fixture
def export() -> Export:
    return sample_export()


@pytest.fixture
def zips(tmp_path: Path) -> Path:
    directory = tmp_path / "zips"  # beside, not inside, the media root and upload temp dir
    directory.mkdir()
    return directory
