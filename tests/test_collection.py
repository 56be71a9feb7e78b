"""`pytest .` from the repository root collects the test suite and imports nothing else.

pyproject's addopts turn on `--doctest-modules`, which imports every module pytest collects.
The root conftest.py keeps priors, LLM replies and import-time scripts out (tests/conftest.py
the hostile corpus).
"""

import fnmatch
import importlib.util
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _collected(*paths: str) -> set[str]:
    def limits():  # should a file that must never be imported slip through (a memory bomb), it stays contained
        resource.setrlimit(resource.RLIMIT_AS, (8 * 1024**3, 8 * 1024**3))

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *paths], cwd=ROOT, capture_output=True, text=True,
        timeout=300, preexec_fn=limits,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_pytest_dot_collects_exactly_the_test_suite():
    assert _collected(".") == _collected()


def test_no_untrusted_or_import_time_file_is_collectable():
    patterns = []
    for folder in (ROOT, ROOT / "tests"):  # each conftest's globs are relative to its folder
        spec = importlib.util.spec_from_file_location(f"conftest_of_{folder.name}", folder / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        patterns += [str(folder / pattern) for pattern in module.collect_ignore_glob]
    never = [ROOT / "llm_policies", ROOT / "tests" / "hostile", ROOT / "experiments", ROOT / "examples", ROOT / "benchmarks"]
    files = [f for folder in never for f in folder.rglob("*.py")]
    assert len(files) > 80  # the corpus, the priors, the LLM candidates, the scripts
    # pytest matches collect_ignore_glob with fnmatch against the absolute path
    for f in files:
        assert any(fnmatch.fnmatch(str(f), pattern) for pattern in patterns), f
