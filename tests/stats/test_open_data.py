"""Open data: the GraphQL figures as plain GET URLs, cacheable, changing when the data does."""

from __future__ import annotations

import csv
import io

from tests.stats.helpers import FULL, release, report_issue


async def test_json_is_the_graphql_answer(client, anon):
    for year in (2021, 2024):
        response = await client.get(f"/open-data/statistics/{year}.json")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.json() == (await anon(FULL, {"year": year}))["statistics"]


def _cell(count: dict) -> str:
    return str(count["value"]) if not count["withheld"] else f"{count['low']}–{count['high']}"


async def test_csv_parses_and_matches(client, anon):
    response = await client.get("/open-data/statistics/2024.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    stats = (await anon(FULL, {"year": 2024}))["statistics"]
    expected = [("total", stats["total"])]
    for table, name in (("township", "byTownship"), ("category", "byCategory"), ("month", "byMonth")):
        expected += [(table, r) for r in stats[name]]
    assert len(rows) == len(expected) == 1 + 15 + 10 + 12
    measures = ("reported", "open", "resolved", "overdue")
    for row, (table, want) in zip(rows, expected, strict=True):
        assert (row["table"], row["key"], row["label"]) == (table, want["key"], want["label"])
        for m in measures:
            assert row[m] == _cell(want[m]), (table, want["key"], m)
        assert row["withheld"].split() == [m for m in measures if want[m]["withheld"]]
        assert (row["labelZh"], row["labelEn"]) == (want["labelZh"], want["labelEn"])
        for rate in ("onTimeRate", "satisfactionRate"):
            assert row[rate] == ("" if want[rate] is None else f"{want[rate]:.2f}")
    assert any(row["withheld"] for row in rows)
    power = next(r for r in rows if r["table"] == "category" and r["label"] == "POWER")
    assert (power["labelZh"], power["labelEn"]) == ("用电", "Power")  # the enum stays in label
    assert next(r for r in rows if r["key"] == "2024-03")["labelEn"] == "March"


async def test_etag_changes_with_a_release_and_answers_304(client, gql, settings):
    url = "/open-data/statistics/2026.json"
    first = await client.get(url)
    tag = first.headers["etag"]
    again = await client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag and not again.content
    for n in range(settings.public_min_count):
        await report_issue(gql, f"开放数据测试 {n}")
    unchanged = await client.get(url, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304  # released figures: a write changes nothing public
    assert 2026 in await release(settings)
    changed = await client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    total = changed.json()["total"]["reported"]
    assert total["value"] >= first.json()["total"]["reported"]["value"] + settings.public_min_count  # others' too
    assert changed.json()["releasedAt"] > first.json()["releasedAt"]


async def test_years_are_listed_with_their_urls(client, anon):
    years = (await anon("{ statisticsYears }"))["statisticsYears"]
    for path in ("/open-data/", "/open-data/statistics.json"):
        body = (await client.get(path)).json()
        assert body["years"] == years and body["threshold"] == 5
        assert body["statistics"][0] == {
            "year": years[0],
            "json": f"/open-data/statistics/{years[0]}.json",
            "csv": f"/open-data/statistics/{years[0]}.csv",
        }


async def test_unknown_and_bad_years(client):
    for path, status in (
        ("/open-data/statistics/1999.json", 404),
        ("/open-data/statistics/2999.csv", 404),
        ("/open-data/statistics/20x4.json", 400),
        ("/open-data/statistics/99999.json", 400),
        ("/open-data/statistics/2024.xml", 404),
        ("/open-data/statistics/2024.json/", 404),
        ("/open-data/statistics/2024.csv/", 404),
        ("/open-data/statistics/", 404),
        ("/open-data/nothing-here", 404),
    ):
        response = await client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.json()["error"]["code"] in ("UNKNOWN_YEAR", "BAD_YEAR", "NOT_FOUND")
