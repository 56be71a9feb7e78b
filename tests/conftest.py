"""Shared fixtures. MuJoCo must render headless here, so EGL is chosen before anything imports it."""

import os

os.environ.setdefault("MUJOCO_GL", "egl")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _doctest_cwd(doctest_namespace):
    doctest_namespace["np"] = __import__("numpy")


@pytest.fixture
def repo() -> Path:
    return REPO
