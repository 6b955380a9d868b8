"""Cell values, headers and coordinates as real files write them (no database)."""

from __future__ import annotations

import math
import re
from datetime import datetime

import pytest

from yimi.imports import values as v
from yimi.imports.coords import Crs, from_wgs84, to_wgs84
from yimi.imports.headers import find_header
from yimi.issues.models import IssueCategory, IssueStatus, Satisfaction


@pytest.mark.parametrize(
    ("cell", "expected", "timed"),
    [
        ("2023.5.6", datetime(2023, 5, 6), False),
        ("2023年5月6日", datetime(2023, 5, 6), False),
        ("2023-05-06", datetime(2023, 5, 6), False),
        ("2023/5/6 14:30", datetime(2023, 5, 6, 14, 30), True),
        ("2023-05-06 14:30:05", datetime(2023, 5, 6, 14, 30, 5), True),
        ("2023年5月6日 9时5分", datetime(2023, 5, 6, 9, 5), True),
        ("20230506", datetime(2023, 5, 6), False),
        (45052, datetime(2023, 5, 6), False),  # an Excel serial
        (45052.5, datetime(2023, 5, 6, 12), True),
        (datetime(2023, 5, 6, 8, 0), datetime(2023, 5, 6, 8, 0), True),
    ],
)
def test_dates_in_every_form_a_ledger_writes(cell, expected, timed):
    assert v.parse_when(cell) == (expected, timed)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2023-02-30", f"no such date (write it as {v.DEADLINE_FORMS})"),
        ("下周一", f"not a date (write it as {v.DEADLINE_FORMS})"),
        (12, f"not a date (a number that is no Excel date of 1990–2099; write it as {v.DEADLINE_FORMS})"),
        ("1899-01-01", f"the year must be between 1990 and 2099 (write it as {v.DEADLINE_FORMS})"),
        ("5/6/2023", f"the year last is ambiguous (month/day or day/month?): write it as {v.DEADLINE_FORMS}"),
    ],
)
def test_what_is_not_a_date_says_why(cell, reason):
    with pytest.raises(v.BadValue, match=f"^{re.escape(reason)}$"):
        v.parse_when(cell)


def test_chinese_words_map_onto_the_enumerations():
    assert v.STATUS("已办结") == IssueStatus.RESOLVED
    assert v.STATUS("办理中") == IssueStatus.IN_PROGRESS
    assert v.STATUS(" 已 销号 ") == IssueStatus.CLOSED
    assert v.STATUS("In Progress") == IssueStatus.IN_PROGRESS
    assert v.CATEGORY("用地") == IssueCategory.LAND
    assert v.CATEGORY("financing") == IssueCategory.FINANCING
    assert v.SATISFACTION("基本满意") == Satisfaction.BASICALLY_SATISFIED
    assert v.YES_NO("√") is True and v.YES_NO("否") is False
    assert v.industry("制造业") == "C" and v.industry("C13") == "C" and v.industry("批发和零售业") == "F"
    assert v.text(13800000000.0) == "13800000000"
    assert v.split_list("金融服务团、人社服务团，用地服务团") == ["金融服务团", "人社服务团", "用地服务团"]


def test_headers_under_merged_cells_and_a_title_row_are_found():
    rows = [
        ["尉氏县企业问题台账", None, None, None, None, None],
        ["序号", "单位名称", "问题类型", "问题描述", "反映时间", "办理情况", None],
        [None, None, None, None, None, "办理进度", "办结时间"],
        [1, "甲公司", "融资", "贷款", "2023.5.6", "已办结", "2023.5.9"],
    ]
    header = find_header("issues", rows)
    assert header is not None
    assert header.columns == {
        "serial": 0,
        "enterprise": 1,
        "category": 2,
        "description": 3,
        "reported_at": 4,
        "status": 5,
        "resolved_at": 6,
    }
    assert header.last_row == 3  # data starts on the fourth row


# Published conversions by implementations other than the one Yimi uses: (WGS-84 lon, lat), (GCJ-02 lon, lat).
GCJ_REFERENCES = [
    # Amap's own coordinate-conversion API for a point in Beijing (R package test, "api" value)
    ((116.39089, 39.90734), (116.39713623, 39.90874539)),
    # geotool (Rust) test constants, Jiaxing
    ((121.0917077, 30.6107779), (121.09626935575027, 30.608604331756705)),
    # coordtransform_rs tests, Beijing (its GCJ-02 -> WGS-84 is the one-step inverse: ~1 m)
    ((116.39775550083061, 39.91359571849836), (116.404, 39.915)),
]
BD_REFERENCES = [
    # geotool (Rust): WGS-84 and BD-09 of the same point
    ((121.0917077, 30.6107779), (121.10271732371203, 30.61484572185035)),
    # coordtransform_rs: BD-09 (116.404, 39.915) is GCJ-02 (116.39762729119315, 39.90865673957631)
    (to_wgs84(116.39762729119315, 39.90865673957631, Crs.GCJ02), (116.404, 39.915)),
]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * 111_320 * math.cos(lat)
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


@pytest.mark.parametrize(("wgs", "gcj"), GCJ_REFERENCES)
def test_gcj02_converts_to_wgs84_within_a_few_metres_of_published_points(wgs, gcj):
    assert metres(to_wgs84(*gcj, Crs.GCJ02), wgs) < 1.5
    assert metres(from_wgs84(*wgs, Crs.GCJ02), gcj) < 1.5


@pytest.mark.parametrize(("wgs", "bd"), BD_REFERENCES)
def test_bd09_converts_to_wgs84_within_a_few_metres_of_published_points(wgs, bd):
    assert metres(to_wgs84(*bd, Crs.BD09), wgs) < 3


def test_wgs84_is_left_alone():
    assert to_wgs84(114.2, 34.4, Crs.WGS84) == (114.2, 34.4)
