"""ConfigWatcher on a real file: an edit is read once it has rested, never half-written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import time_machine
import yaml

from service.configwatch import ConfigChange, ConfigWatcher, file_digest
from tests.processes import base_config, write_config

SETTLE = 0.3


def _poll_after(watcher: ConfigWatcher, seconds: float) -> ConfigChange | None:
    """Poll as if ``seconds`` had passed since the file was last written.

    The clock is frozen there, so a loaded machine cannot let the settle time
    run out between the write and the poll.
    """
    written = watcher.path.stat().st_mtime_ns / 1e9
    with time_machine.travel(written + seconds, tick=False):
        return watcher.poll()


def _watcher(tmp_path: Path) -> tuple[Path, dict, ConfigWatcher]:
    data = base_config(tmp_path)
    path = write_config(tmp_path / "config.yaml", data)
    old = time.time() - 10  # saved long ago
    os.utime(path, (old, old))
    return path, data, ConfigWatcher(path, file_digest(path), settle_seconds=SETTLE)


def test_a_file_being_written_in_place_is_not_read_half_written(tmp_path: Path) -> None:
    path, data, watcher = _watcher(tmp_path)
    data["retention_days"] = 365
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    with path.open("w", encoding="utf-8") as handle:  # truncated: the file is empty now
        assert _poll_after(watcher, 0.01) is None
        handle.write(text[: len(text) // 2])
        handle.flush()
        assert _poll_after(watcher, 0.01) is None  # half of it: still being written
        handle.write(text[len(text) // 2 :])
    assert _poll_after(watcher, SETTLE - 0.05) is None  # whole, but saved a moment ago
    change = _poll_after(watcher, SETTLE + 0.05)
    assert change is not None and change.valid and change.config.retention_days == 365
    assert watcher.poll() is None  # once per content


def test_a_broken_edit_is_reported_once_it_has_rested(tmp_path: Path) -> None:
    path, _, watcher = _watcher(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "retention_dayz: 3\n", encoding="utf-8")
    assert _poll_after(watcher, 0.01) is None
    change = _poll_after(watcher, SETTLE + 0.05)
    assert change is not None and not change.valid
    assert any("retention_dayz" in problem for problem in change.problems)
    assert watcher.poll() is None


def test_an_edit_saved_long_ago_is_read_at_once(tmp_path: Path) -> None:
    path, data, watcher = _watcher(tmp_path)
    write_config(path, data | {"retention_days": 400})
    old = time.time() - 5  # e.g. copied into place with its times kept
    os.utime(path, (old, old))
    change = watcher.poll()
    assert change is not None and change.valid and change.config.retention_days == 400


def test_a_file_written_while_it_is_read_is_read_again_once_it_rests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.configwatch

    path, data, watcher = _watcher(tmp_path)
    write_config(path, data | {"retention_days": 300})
    real_read = service.configwatch._read

    def read_then_overwritten(target: Path) -> bytes | None:
        content = real_read(target)  # what we got is already out of date:
        write_config(target, data | {"retention_days": 301})  # a writer saves again
        return content

    monkeypatch.setattr(service.configwatch, "_read", read_then_overwritten)
    assert _poll_after(watcher, SETTLE + 0.05) is None  # not reported half-known
    monkeypatch.setattr(service.configwatch, "_read", real_read)
    change = _poll_after(watcher, SETTLE + 0.05)
    assert change is not None and change.valid and change.config.retention_days == 301
