"""certify/cache.py: a folder a package ships is found in its environment's site-packages, whatever the Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from certify.cache import in_site_packages
from certify.lifecycle import CertifyError


def test_a_package_folder_is_found_in_site_packages(tmp_path: Path) -> None:
    shipped = tmp_path / "venv" / "lib" / "python3.12" / "site-packages" / "voice_pkg" / "data"
    shipped.mkdir(parents=True)
    assert in_site_packages(tmp_path / "venv", "voice_pkg/data") == shipped


def test_a_missing_package_folder_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "venv" / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    with pytest.raises(CertifyError, match="no voice_pkg/data in the site-packages of"):
        in_site_packages(tmp_path / "venv", "voice_pkg/data")
