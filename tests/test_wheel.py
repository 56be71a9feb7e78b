"""camel-gym works from its wheel, not only from a checkout.

The wheel is built from a copy of the sources, installed into a fresh virtual environment
outside the repository (its dependencies from the package registry; no torch: the wrappers do
not need it), and used from a folder outside the repository: the quick start with the shipped
prior found through the package, ``camel-gym --help``, and the td3_camel.py that ``camel-gym
select``'s probes run. About 30 s with a warm pip cache; deselect it with ``-m "not wheel"`` while iterating.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# what the build reads (pyproject.toml's packages, package-dir and readme); the rest of the
# checkout (tests, experiments, ...) is not part of the wheel
SOURCES = ("pyproject.toml", "README.md", "camel_gym", "llm_policies", "cleanrl_scripts")

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(600)]


def _run(command: list[str], cwd: Path, timeout: float = 300, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(the fresh venv's python, a working folder outside the repository, the sources built) with the wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    # build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout
    src = root / "src"
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)], cwd=root)
    (wheel,) = dist.glob("camel_gym-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=root, timeout=480)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return python, elsewhere, src


def _clean_env() -> dict[str, str]:
    """This process's environment without anything that would let the checkout's camel_gym leak in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["MUJOCO_GL"] = "egl"
    return env


def test_the_wheel_serves_the_package_from_site_packages_without_torch(installed):
    python, elsewhere, src = installed
    out = _run([str(python), "-c", (
        "import importlib.util, camel_gym, camel_gym.pipeline.select as s\n"
        "print(camel_gym.__file__)\n"
        "print(importlib.util.find_spec('torch') is None)\n"
        "print(s.default_td3_script())\n"
    )], cwd=elsewhere, env=_clean_env())
    package, no_torch, script = out.splitlines()
    assert "site-packages" in package and not package.startswith(str(REPO))
    assert no_torch == "True"
    # select's probes run the td3_camel.py shipped inside the wheel: the repository's script
    assert script.endswith("site-packages/camel_gym/cleanrl_scripts/td3_camel.py")
    assert Path(script).read_bytes() == (src / "cleanrl_scripts" / "td3_camel.py").read_bytes()


def test_the_quick_start_runs_from_the_wheel(installed):
    python, elsewhere, _ = installed
    quickstart = elsewhere / "quickstart.py"
    shutil.copy2(REPO / "examples" / "quickstart.py", quickstart)
    out = _run([str(python), str(quickstart), "--steps", "600"], cwd=elsewhere, env=_clean_env(), timeout=120)
    lines = [line for line in out.splitlines() if line.startswith("step")]
    assert "mask probability 0.67" in lines[0] and "mask probability 0.00" in lines[-1]
    assert "prior errors: 0" in out


def test_the_camel_gym_command_runs_from_the_wheel(installed):
    python, elsewhere, _ = installed
    out = _run([str(python.parent / "camel-gym"), "--help"], cwd=elsewhere, env=_clean_env(), timeout=60)
    for stage in ("generate", "evaluate", "select", "render", "prior-table"):
        assert stage in out
    out = _run([str(python.parent / "camel-gym"), "select", "--help"], cwd=elsewhere, env=_clean_env(), timeout=60)
    assert "--td3-script" in out
