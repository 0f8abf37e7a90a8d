"""The reload diff: one readable line, and the rules to re-match."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from config import Config
from service.configdiff import diff_configs
from tests.processes import base_config


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Any]:
    config = base_config(tmp_path)
    config["watchlists"] = [
        {
            "id": "mer",
            "name": "Mer",
            "entities": [{"id": "paracels", "name": "Hoàng Sa", "aliases": ["Paracels"]}],
        }
    ]
    config["rules"].append({"id": "mer_rule", "name": "Mer", "query": "@mer"})
    config["rules"].append({"id": "iles", "name": "Îles", "query": "entity:paracels AND Chine"})
    return config


def _diff(before: dict[str, Any], after: dict[str, Any]) -> Any:
    return diff_configs(Config.model_validate(before), Config.model_validate(after))


def test_identical_configs_have_no_changes(data: dict[str, Any]) -> None:
    diff = _diff(data, copy.deepcopy(data))
    assert not diff
    assert diff.summary() == "no effective change"
    assert diff.rules_to_rematch == frozenset()


def test_added_rule_and_subscriber_time_in_one_line(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    after["rules"].append({"id": "mer_orientale", "name": "Mer", "query": '"mer Orientale"'})
    after["subscribers"][0]["send_time"] = "08:00"
    diff = _diff(data, after)
    assert diff.summary() == "+1 rule (mer_orientale), subscriber a@b.vn daily 07:00→08:00"
    assert diff.rules_to_rematch == {"mer_orientale"}


def test_edited_query_is_rematched_but_a_renamed_rule_is_not(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    after["rules"][0]["query"] = '"Tô Lâm" OR "To Lam"'
    after["rules"][1]["name"] = "La Chine"
    diff = _diff(data, after)
    assert diff.changes == ("~2 rules (chine, to_lam)",)
    assert diff.rules_to_rematch == {"to_lam"}


def test_removed_rule_is_reported_not_rematched(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    after["rules"] = [r for r in after["rules"] if r["id"] != "chine"]
    diff = _diff(data, after)
    assert diff.changes == ("-1 rule (chine)",)
    assert diff.rules_to_rematch == frozenset()


def test_new_alias_rematches_the_rules_using_its_watchlist_or_entity(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    after["watchlists"][0]["entities"][0]["aliases"].append("archipel de Hoang Sa")
    diff = _diff(data, after)
    assert diff.changes == ("~1 watchlist (mer)",)
    assert diff.rules_to_rematch == {"mer_rule", "iles"}


def test_source_interval_and_enabled(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    after["sources"]["local"]["enabled"] = True
    after["sources"]["local"]["interval_minutes"] = 15
    after["sources"]["other"] = dict(after["sources"]["local"], name="Other")
    assert _diff(data, after).changes == (
        "+source other",
        "source local enabled every 30→15 min",
    )


def test_subscriber_changes(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    subscriber = after["subscribers"][0]
    subscriber.update(frequency="weekly", weekday="friday", timezone="Asia/Ho_Chi_Minh")
    subscriber["rules"] = ["chine"]
    after["subscribers"].append({"email": "new@b.vn", "rules": ["chine"]})
    assert _diff(data, after).changes == (
        "+subscriber new@b.vn",
        "subscriber a@b.vn daily→weekly monday→friday Europe/Paris→Asia/Ho_Chi_Minh +chine -to_lam",
    )


def test_settings_and_database_url(data: dict[str, Any], tmp_path: Path) -> None:
    after = copy.deepcopy(data)
    after["mail"]["from_name"] = "Veille"
    after["operators"] = ["ops@b.vn"]
    after["database_url"] = f"sqlite:///{tmp_path / 'other.db'}"
    diff = _diff(data, after)
    assert diff.changes == (
        "mail settings",
        "operators settings",
        "database_url (restart to apply)",
    )
    assert diff.restart_needed == ("database_url",)


def test_pausing_and_resuming_one_rule_is_said(data: dict[str, Any]) -> None:
    data["subscribers"][0]["rules"] = ["to_lam", "chine"]
    after = copy.deepcopy(data)
    after["subscribers"][0]["paused_rules"] = ["chine"]
    assert _diff(data, after).changes == ("subscriber a@b.vn paused chine",)
    assert _diff(after, data).changes == ("subscriber a@b.vn resumed chine",)


def test_channel_change_is_named_without_the_url(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    after["subscribers"][0]["channels"] = ["json://127.0.0.1:9/hooks/t0kenSecret99"]
    diff = _diff(data, after)
    assert diff.summary() == "subscriber a@b.vn channels"
    assert "t0kenSecret99" not in diff.summary()


def test_spike_alerts_and_spike_settings_are_said(data: dict[str, Any]) -> None:
    after = copy.deepcopy(data)
    after["subscribers"][0]["spike_alerts"] = True
    after["spikes"] = {"min_count": 8}
    assert _diff(data, after).changes == (
        "subscriber a@b.vn spike alerts on",
        "spikes settings",
    )
    data["spikes"] = {"min_count": 8}
    assert _diff(after, data).changes == ("subscriber a@b.vn spike alerts off",)
