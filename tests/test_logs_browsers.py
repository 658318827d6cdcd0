"""Browser currency judged on the HAR's own date, for every browser, from a sourced table.

The release table is mdn/browser-compat-data's; the HARs are real exports of several years
(tests/data/real/browser_hars, SOURCES.md); the User-Agent strings are ua-parser's test corpus.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from chatkit.logs import load, summarize
from chatkit.logs.browser import current_stable, parse_user_agent
from chatkit.logs.releases import BROWSERS, currency

REAL = Path(__file__).parent / "data" / "real"
HARS = REAL / "browser_hars"
TABLE = Path(__file__).parents[1] / "chatkit" / "data" / "browser_releases.csv"
BCD = {"Chrome": "chrome", "Edge": "edge", "Firefox": "firefox", "Opera": "opera",
       "Safari": "safari", "Safari iOS": "safari_ios",
       "Samsung Internet": "samsunginternet_android"}


def test_the_shipped_table_is_browser_compat_data() -> None:
    rows = [line.split(",") for line in TABLE.read_text().splitlines()
            if line and not line.startswith("#")][1:]
    derived = []
    for name in BROWSERS:
        key = BCD[name]
        releases = json.loads((REAL / "browser_releases" / f"bcd_{key}.json").read_text())
        for version, info in releases["browsers"][key]["releases"].items():
            if info.get("status") in ("retired", "current") and info.get("release_date"):
                derived.append([name, version, info["release_date"]])
    assert sorted(rows) == sorted(derived)


def _judged(case: dict[str, Any]) -> tuple[str, int] | None:
    """What chatkit should make of a ua-parser test case: the families it judges, with
    ua-parser's major; None for the ones it leaves alone (Presto-era Opera, Opera and Edge on
    phones with their own numbering, Safari without a Version/ token, WebViews)."""
    ua, family = case["user_agent_string"], case["family"]
    mapping = {"Chrome": "Chrome", "Chrome Mobile": "Chrome", "Chrome Mobile iOS": "Chrome",
               "HeadlessChrome": "Chrome", "Edge": "Edge", "Firefox": "Firefox",
               "Firefox Mobile": "Firefox", "Samsung Internet": "Samsung Internet",
               "Opera": "Opera", "Safari": "Safari", "Mobile Safari": "Safari iOS"}
    if family == "Edge Mobile" and "Edge/" in ua:  # Windows Phone: desktop EdgeHTML numbers
        family = "Edge"
    name = mapping.get(family)
    if name is None or case["major"] is None:
        return None
    if name == "Opera" and "OPR/" not in ua:
        return None
    if name.startswith("Safari") and "Version/" not in ua:
        return None
    return name, int(case["major"])


def test_user_agents_of_ua_parsers_corpus() -> None:
    cases = json.loads((REAL / "browser_releases" / "uap_core_test_ua.subset.json").read_text())
    checked = 0
    for case in cases:
        expected = _judged(case)
        if expected is None and "Version/" not in case["user_agent_string"] \
                and case["family"] not in ("Edge Mobile", "Opera Mobile", "Opera"):
            continue  # nothing to judge and nothing that looks like one
        assert parse_user_agent(case["user_agent_string"]) == expected, case
        checked += 1
    assert checked >= 40


def _har(name: str, *, shift_to: str | None = None, ua: str | None = None) -> Path:
    """A real HAR, optionally moved in time (every entry by the same amount, so that the last
    one is at ``shift_to``) or with another browser's User-Agent, in a temporary file."""
    har = json.loads((HARS / name).read_text(encoding="utf-8-sig"))
    entries = har["log"]["entries"]
    if shift_to is not None:  # the last request lands on shift_to, the others before it
        last = max(_parse(e["startedDateTime"]) for e in entries)
        delta = datetime.fromisoformat(shift_to).replace(tzinfo=timezone.utc) - last
        for e in entries:
            e["startedDateTime"] = (_parse(e["startedDateTime"]) + delta).isoformat()
    if ua is not None:
        for e in entries:
            headers = [h for h in e["request"]["headers"] if h["name"].lower() != "user-agent"]
            e["request"]["headers"] = [*headers, {"name": "user-agent", "value": ua}]
    return _write(har)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_DIR: list[Path] = []


def _write(har: dict[str, Any]) -> Path:
    path = _DIR[0] / f"h{len(list(_DIR[0].iterdir()))}.har"
    path.write_text(json.dumps(copy.deepcopy(har)))
    return path


@pytest.fixture(autouse=True)
def _tmp(tmp_path: Path) -> Any:
    _DIR[:] = [tmp_path]
    yield


def _verdict(path: Path) -> dict[str, Any] | None:
    found = [f for f in summarize(load(path))["findings"] if f["check"] == "browser.version"]
    return found[0] if found else None


def test_safari_16_3_on_its_own_day_is_current() -> None:
    """The issue's case: a Safari 16.3 HAR recorded on 2023-03-30, when 16.4 was out and 17
    was half a year away."""
    assert _verdict(HARS / "mitmproxy_safari.trimmed.har") is None


def test_the_same_safari_two_majors_later_is_out_of_date() -> None:
    old = _verdict(_har("mitmproxy_safari.trimmed.har", shift_to="2025-03-30T00:13:32"))
    assert old is not None and old["title"] == "Safari 16 is out of date (current is 18)"
    assert old["evidence"]["majors_behind"] == 2 and old["evidence"]["released_on"] == "2022-09-12"


@pytest.mark.parametrize("name", ["mitmproxy_chrome.har", "mitmproxy_firefox.trimmed.har",
                                  "haralyzer_cnn-chrome.trimmed.har"])
def test_real_hars_in_their_own_time_are_current(name: str) -> None:
    assert _verdict(HARS / name) is None


def test_firefox_25_in_2015_was_ten_majors_behind() -> None:
    old = _verdict(HARS / "haralyzer_humanssuck.net.har")  # Firebug on Firefox 25, 2015-02-22
    assert old is not None and old["title"] == "Firefox 25 is out of date (current is 35)"


UA_SAMSUNG_3 = ("Mozilla/5.0 (Linux; Android 5.1.1; SAMSUNG SM-G920F Build/LMY47X) "
                "AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/3.0 Chrome/38.0.2125.102 "
                "Mobile Safari/537.36")
UA_OPERA_27 = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/40.0.2214.10 Safari/537.36 OPR/27.0.1689.22 (Edition developer)")
UA_EDGE_12 = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/42.0.2311.135 Safari/537.36 Edge/12.10136")


@pytest.mark.parametrize(("ua", "then", "later", "title"), [
    (UA_SAMSUNG_3, "2015-07-01T10:00:00", "2018-03-01T10:00:00",
     "Samsung Internet 3 is out of date (current is 6)"),
    (UA_OPERA_27, "2015-02-10T10:00:00", "2016-02-10T10:00:00",
     "Opera 27 is out of date (current is 35)"),
    (UA_EDGE_12, "2015-08-10T10:00:00", "2020-06-10T10:00:00",
     "Edge 12 is out of date (current is 83)"),
])
def test_opera_samsung_and_edge_judged_on_the_hars_day(ua: str, then: str, later: str,
                                                      title: str) -> None:
    assert _verdict(_har("mitmproxy_chrome.har", shift_to=then, ua=ua)) is None
    old = _verdict(_har("mitmproxy_chrome.har", shift_to=later, ua=ua))
    assert old is not None and old["title"] == title


def test_past_the_table_the_cadence_estimates_and_says_about() -> None:
    assert current_stable("Safari", date(2026, 10, 1)) == 27  # a year after 26
    late = currency("Chrome", 120, date(2027, 6, 1))
    assert late is not None and late.estimated and late.current > 151
    day = date(2027, 6, 1) - timedelta(days=1)
    assert currency("Chrome", 151, day) is not None
    with pytest.raises(KeyError):
        current_stable("Netscape", date(2000, 1, 1))
