"""camel_gym.records' readers of what td3_camel.py writes besides its records: TensorBoard events."""

from __future__ import annotations

import builtins
import logging
import time
from pathlib import Path

import pytest

from camel_gym.records import command_header, read_scalars

SummaryWriter = pytest.importorskip("torch.utils.tensorboard").SummaryWriter


def log(run_dir: Path, values: dict[str, list[tuple[int, float]]], purge_step: int | None = None) -> None:
    """Log ``tag -> [(step, value)]`` as td3_camel.py does, a resumed process passing ``purge_step``."""
    with SummaryWriter(str(run_dir), purge_step=purge_step) as writer:
        for tag, points in values.items():
            for step, value in points:
                writer.add_scalar(tag, value, step)


def test_read_scalars_reads_every_value_of_each_tag_and_nothing_for_a_missing_one(tmp_path):
    # more points than TensorBoard's default sample of 10,000 per tag: a sampled read would lose some
    log(tmp_path, {"charts/q_filter_share": [(s, s / 20_000) for s in range(12_000)], "charts/q_filter_gap": [(5, -1.5)]})
    share, gap, missing = read_scalars(tmp_path, "charts/q_filter_share", "charts/q_filter_gap", "charts/mask_probability")
    assert len(share) == 12_000 and share[11_999] == pytest.approx(11_999 / 20_000)
    assert gap == {5: -1.5}
    assert missing == {}


def test_read_scalars_shows_a_resumed_run_as_tensorboard_does(tmp_path, caplog):
    # the killed process logged up to step 300; the resume from the checkpoint at 200 logs 200 on again
    log(tmp_path, {"charts/episodic_return": [(100, 1.0), (200, 2.0), (300, 3.0)]})
    time.sleep(1.1)  # a new event file: its name carries the second it was opened
    log(tmp_path, {"charts/episodic_return": [(200, 20.0), (250, 25.0)]}, purge_step=200)
    with caplog.at_level(logging.WARNING):
        (returns,) = read_scalars(tmp_path, "charts/episodic_return")
    assert returns == {100: 1.0, 200: 20.0, 250: 25.0}
    # the purge is what a resume means, not the crash TensorBoard's warning suspects
    assert not [r for r in caplog.records if "out of order" in r.getMessage()]
    assert not logging.getLogger("tensorboard").filters  # left as it was


def test_read_scalars_says_what_is_wrong(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no such run folder"):
        read_scalars(tmp_path / "nowhere", "charts/episodic_return")
    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("tensorboard"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "camel-gym\[scripts\]"'):
        read_scalars(tmp_path, "charts/episodic_return")


def test_command_header_names_the_command_and_the_time():
    header = command_header(argv=["experiments/paper_grid/cleanrl_check.py", "--env-id", "Walker2d-v4"], now=86_400 * 365)
    assert header == "# python experiments/paper_grid/cleanrl_check.py --env-id Walker2d-v4\n# run 1971-01-01T00:00Z"
