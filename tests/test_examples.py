"""The examples run as the README says and report what they claim."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(script, *args):
    done = subprocess.run([sys.executable, str(REPO / "examples" / script), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_custom_loop_stores_only_in_bounds_transitions():
    out = run("custom_loop.py", "--steps", "300", "--num-envs", "2")
    assert "every action inside its bounds: True" in out
    stored = int(out.split("stored ")[1].split()[0])
    assert 0 < stored < 600  # autoreset steps were skipped
    # the stored bounds are the mask's: narrow while it is on, Hopper's full width 2 once it has faded
    first, last = (float(out.split(f"{q} quarter ")[1].split(",")[0].split()[0]) for q in ("first", "last"))
    assert first < 1.5 and last == 2.0, out


def test_quickstart_fades_the_mask():
    out = run("quickstart.py", "--steps", "600")
    lines = [line for line in out.splitlines() if line.startswith("step")]
    assert "mask probability 0.67" in lines[0] and "mask probability 0.00" in lines[-1]
    assert "prior errors: 0" in out


def test_quickstart_runs_on_a_v5_id_that_needs_make_kwargs():
    out = run("quickstart.py", "--env-id", "Ant-v5", "--steps", "120")
    assert "prior errors: 0" in out
