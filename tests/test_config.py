"""config.py: the shipped config is valid; every bad edit is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

import config
from config import ConfigError, load_config

SHIPPED = Path(__file__).resolve().parents[1] / "config.yaml"


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, f"the shipped config no longer contains {old!r}"
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_shipped_config_is_valid_and_complete() -> None:
    cfg = load_config(SHIPPED)
    assert set(cfg.sources) == {"vietnamplus", "lecourrier", "vietnamillustre"}
    assert cfg.sources["vietnamplus"].base_url == "https://fr.vietnamplus.vn"
    assert cfg.mail.backend == "file"
    leaders = {e.name for w in cfg.watchlists for e in w.entities}
    assert {"Tô Lâm", "Xi Jinping"} <= leaders


def test_typo_in_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = _edited(tmp_path, "    interval_minutes: 30\n", "    intervall_minutes: 30\n")
    (problem,) = _problems(path)
    line = _line_of(path, "intervall_minutes")
    assert problem == (
        f"{path}:{line}: sources.vietnamplus.intervall_minutes: unknown key (check the spelling)"
    )


def test_unknown_time_zone(tmp_path: Path) -> None:
    path = _edited(tmp_path, "timezone: Europe/Paris", "timezone: Asia/Hanoi2")
    (problem,) = _problems(path)
    line = _line_of(path, "Asia/Hanoi2")
    assert problem == f"{path}:{line}: subscribers[1].timezone: unknown time zone 'Asia/Hanoi2'"


def test_wrong_type(tmp_path: Path) -> None:
    path = _edited(tmp_path, "  port: 25", "  port: vingt-cinq")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:{_line_of(path, 'vingt-cinq')}: mail.port: ")
    assert "integer" in problem


def test_rule_naming_a_missing_watchlist(tmp_path: Path) -> None:
    path = _edited(tmp_path, "query: '@mer_orientale'", "query: '@mer_orientalle'")
    (problem,) = _problems(path)
    line = _line_of(path, "@mer_orientalle")
    assert problem == f"{path}:{line}: rules[3].query: unknown watchlist '@mer_orientalle'"


def test_subscriber_naming_a_missing_rule(tmp_path: Path) -> None:
    path = _edited(
        tmp_path, "rules: [vietnam_chine, frontiere]", "rules: [vietnam_chine, frontier]"
    )
    (problem,) = _problems(path)
    assert problem.endswith("subscribers[1].rules[1]: unknown rule 'frontier'")


def test_duplicate_rule_id(tmp_path: Path) -> None:
    path = _edited(tmp_path, "  - id: frontiere\n", "  - id: to_lam\n")
    problems = _problems(path)
    assert any(p.endswith("rules[4].id: duplicate rule id 'to_lam'") for p in problems)
    # the subscriber that named the renamed rule is reported too, on its own line
    assert any(p.endswith("unknown rule 'frontiere'") for p in problems)
    assert len(problems) == 2


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = _edited(tmp_path, "operators: []", "operators: [unclosed")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:")
    assert "not valid YAML" in problem


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    (missing,) = _problems(tmp_path / "absent.yaml")
    assert "absent.yaml: cannot read the config file" in missing
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    (not_text,) = _problems(binary)
    assert "not UTF-8" in not_text


def test_env_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.DATABASE_URL_ENV, "postgresql+psycopg://u@db/vnawatch")
    assert load_config(SHIPPED).database_url == "postgresql+psycopg://u@db/vnawatch"


def test_smtp_password_only_from_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _edited(tmp_path, "  tls: none", "  tls: none\n  password: secret")
    assert "mail.password: unknown key" in _problems(path)[0]
    monkeypatch.setenv(config.SMTP_PASSWORD_ENV, "s3cret")
    assert load_config(SHIPPED).mail.password == "s3cret"


def test_config_path_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CONFIG_ENV, raising=False)
    assert config.config_path() == Path("config.yaml")
    monkeypatch.setenv(config.CONFIG_ENV, "/etc/vnawatch.yaml")
    assert config.config_path() == Path("/etc/vnawatch.yaml")
    assert config.config_path("x.yaml") == Path("x.yaml")
