"""config.yaml's spike settings: a subscriber's ``spike_alerts`` and the ``spikes:`` section."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_config

SHIPPED = Path(__file__).resolve().parents[1] / "config.yaml"


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, f"the shipped config no longer contains {old!r}"
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_the_shipped_config_asks_for_spike_alerts_with_the_defaults() -> None:
    config = load_config(SHIPPED)
    assert config.subscribers[0].spike_alerts and not config.subscribers[1].spike_alerts
    spikes = config.spikes
    assert (spikes.sensitivity, spikes.min_count, spikes.min_ratio) == (0.001, 5, 2.0)
    assert spikes.check_minutes == 30


def test_a_spike_alerts_value_that_is_not_a_boolean_names_its_line(tmp_path: Path) -> None:
    path = _edited(tmp_path, "spike_alerts: true ", "spike_alerts: maybe ")
    (problem,) = _problems(path)
    line = _line_of(path, "spike_alerts: maybe")
    assert problem.startswith(f"{path}:{line}: subscribers[0].spike_alerts: ")


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("sensitivity: 0.001", "sensitivity: 1.5", "spikes.sensitivity"),
        ("min_count: 5 ", "min_count: 0 ", "spikes.min_count"),
        ("min_ratio: 2 ", "min_ratio: 0.5 ", "spikes.min_ratio"),
        ("check_minutes: 30", "check_minute: 30", "spikes.check_minute"),
    ],
)
def test_a_bad_spikes_setting_names_its_line(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = _edited(tmp_path, old, new)
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:{_line_of(path, new.strip())}: {key}: "), problem
