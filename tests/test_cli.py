"""The vnawatch command through Typer's runner: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app


@pytest.fixture
def config_file(shipped_config: Path) -> Path:
    return shipped_config


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_every_command() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    for command in ("init", "crawl", "match", "digest", "run", "check-config", "rule", "export",
                    "status", "demo"):  # fmt: skip
        assert command in out


def test_check_config_prints_one_verdict_line(config_file: Path) -> None:
    assert invoke("init", "--config", str(config_file))[0] == 0  # rules then run on the archive
    code, out, err = invoke("check-config", "--config", str(config_file))
    assert code == 0, err
    assert out == (f"{config_file}: ok — 3 sources, 3 watchlists, 5 rules, 2 subscribers\n"), out
    assert "rules compiled" not in err  # INFO lines only with -v


def test_check_config_show_prints_the_parsed_config(config_file: Path) -> None:
    code, out, err = invoke("check-config", "--show", "--config", str(config_file))
    assert code == 0, err
    parsed = json.loads(out)
    assert parsed["sources"]["lecourrier"]["base_url"] == "https://lecourrier.vn"
    assert "ok — 3 sources" in err


def test_verbose_shows_the_info_lines(config_file: Path) -> None:
    assert invoke("init", "--config", str(config_file))[0] == 0
    code, _, err = invoke("-v", "check-config", "--config", str(config_file))
    assert code == 0
    assert "rules compiled" in err


def test_check_config_typo_is_one_line_and_exit_2(config_file: Path) -> None:
    text = config_file.read_text(encoding="utf-8").replace("frequency: daily", "frequncy: daily", 1)
    config_file.write_text(text, encoding="utf-8")
    code, out, err = invoke("check-config", "--config", str(config_file))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "subscribers[0].frequncy: unknown key" in err
    assert "Traceback" not in err


def test_check_config_missing_file_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("--config", str(tmp_path / "nope.yaml"), "check-config")
    assert code == 2
    assert "nope.yaml: cannot read the config file" in err


def test_commands_before_init_say_what_to_do(config_file: Path) -> None:
    code, _, err = invoke("export", "articles", "--config", str(config_file))
    assert code == 1
    assert "run `vnawatch init`" in err


def test_init_creates_then_reports_up_to_date(config_file: Path) -> None:
    code, _, err = invoke("init", "--config", str(config_file))
    assert code == 0, err
    assert "database created" in err
    code, _, err = invoke("init", "--config", str(config_file))
    assert code == 0
    assert "up to date" in err


def test_export_empty_archive(config_file: Path) -> None:
    invoke("init", "--config", str(config_file))
    code, out, err = invoke("export", "articles", "--format", "csv", "--config", str(config_file))
    assert code == 0, err
    assert out.splitlines()[0].startswith("url,source,article_id,title")
    assert "0 articles exported" in err


def test_unknown_source_is_a_usage_error(config_file: Path) -> None:
    invoke("init", "--config", str(config_file))
    code, _, err = invoke("crawl", "--source", "vnexpress", "--config", str(config_file))
    assert code == 2
    assert "unknown source 'vnexpress'" in err


def test_digest_needs_send_or_preview(config_file: Path) -> None:
    code, _, err = invoke("digest", "--config", str(config_file))
    assert code == 2
    assert "exactly one of --send or --preview" in err


def test_bad_since_is_a_usage_error(config_file: Path) -> None:
    invoke("init", "--config", str(config_file))
    code, _, err = invoke(
        "export", "articles", "--since", "yesterday", "--config", str(config_file)
    )
    assert code == 2
    assert "neither a duration" in err


def test_commands_other_than_init_create_no_database(tmp_path: Path, config_file: Path) -> None:
    database = tmp_path / "vnawatch.db"
    assert not database.exists()
    for command in (["rule", "test", "Chine"], ["status"], ["export", "articles"], ["match"]):
        code, _, err = invoke(*command, "--config", str(config_file))
        assert code == 1, (command, err)
        assert f"no database at sqlite:///{database}: run `vnawatch init`" in err, err
        assert not database.exists(), command


def test_init_says_how_many_subscribers_it_loaded(config_file: Path) -> None:
    code, _, err = invoke("init", "--config", str(config_file))
    assert code == 0, err
    assert f"2 subscribers loaded from {config_file}" in err


def test_rule_test_on_an_empty_archive_says_to_crawl(config_file: Path, tmp_path: Path) -> None:
    assert invoke("init", "--config", str(config_file))[0] == 0
    code, _, err = invoke("rule", "test", "Chine", "--config", str(config_file))
    assert code == 1
    assert f"0 articles stored in sqlite:///{tmp_path / 'vnawatch.db'}; run `vnawatch crawl`" in err


def test_status_json_with_an_unreadable_config_still_prints_json(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("sources: {}\nretention_dayz: 3\n", encoding="utf-8")
    code, out, err = invoke("status", "--json", "--config", str(path))
    assert code == 2
    report = json.loads(out)
    assert report["config"]["valid"] is False and report["needs_attention"] is True
    assert "retention_dayz" in report["config"]["error"]
    assert "retention_dayz" in err


def test_status_json_without_a_database_still_prints_json(config_file: Path) -> None:
    code, out, err = invoke("status", "--json", "--config", str(config_file))
    assert code == 1
    report = json.loads(out)
    assert report["database"]["usable"] is False and report["needs_attention"] is True
    assert "run `vnawatch init`" in report["database"]["error"]
    assert "no database at" in err


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["unreachable", "not initialised"])
def test_status_json_on_a_postgres_it_cannot_use_still_prints_json(
    config_file: Path, postgres_url: str, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.alerts.delivery_support import free_port

    # a port nothing listens on, or a fresh schema that `vnawatch init` never saw
    url = postgres_url.replace(":5432/", f":{free_port()}/") if where == "unreachable" else ""
    monkeypatch.setenv("VNAWATCH_DATABASE_URL", url or postgres_url)
    code, out, err = invoke("status", "--json", "--config", str(config_file))
    assert code == 1
    report = json.loads(out)
    assert report["database"]["usable"] is False and report["needs_attention"] is True
    expected = "cannot reach the database" if url else "run `vnawatch init`"
    assert expected in report["database"]["error"] and expected in err
