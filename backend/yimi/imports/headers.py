"""Column headers: the Chinese and English names real registers and ledgers use for each field.

A header matches after normalising: spaces, line breaks, ``*`` (required marks in templates) and
the difference between full- and half-width brackets do not count, nor does letter case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# kind -> field -> aliases; the first alias is the header of the templates and of the exports.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "enterprises": {
        "name": ("企业名称", "单位名称", "企业全称", "名称", "name", "enterprise"),
        "uscc": ("统一社会信用代码", "信用代码", "社会信用代码", "uscc", "credit code"),
        "township": ("乡镇(街道)", "乡镇", "所属乡镇", "乡镇街道", "街道", "township", "township code"),
        "address": ("地址", "企业地址", "详细地址", "注册地址", "address"),
        "lon": ("经度", "lon", "lng", "longitude"),
        "lat": ("纬度", "lat", "latitude"),
        "industry": ("行业", "所属行业", "行业门类", "industry"),
        "size": ("企业规模", "规模", "size"),
        "above_scale": ("是否规上", "规上", "规上企业", "above scale", "above_scale"),
        "chain": ("产业链", "所属产业链", "chain", "industry chain"),
        "contact_person": ("联系人", "企业联系人", "contact", "contact person"),
        "contact_phone": ("联系电话", "电话", "手机", "联系方式", "phone", "contact phone"),
        "risk_color": ("风险等级", "五色预警", "风险颜色", "risk", "risk colour", "risk color"),
        "commissioner": ("服务专员", "commissioner"),
    },
    "issues": {
        "number": ("编号", "问题编号", "台账编号", "诉求编号", "number", "ledger number"),
        "serial": ("序号", "no", "no."),
        "enterprise": ("企业名称", "单位名称", "企业", "enterprise"),
        "uscc": ("统一社会信用代码", "信用代码", "uscc"),
        "township": ("乡镇(街道)", "乡镇", "所属乡镇", "township"),
        "category": ("问题类型", "问题类别", "诉求类型", "类别", "category"),
        "title": ("问题标题", "标题", "诉求标题", "title"),
        "description": ("问题描述", "问题内容", "诉求内容", "具体问题", "存在问题", "description"),
        "source": ("来源", "问题来源", "反映渠道", "source"),
        "priority": ("优先级", "紧急程度", "priority"),
        "reported_at": ("反映时间", "收集时间", "登记时间", "提出时间", "反映日期", "reported at", "reported"),
        "lead_team": ("牵头单位", "责任单位", "主办单位", "承办单位", "lead team", "lead"),
        "co_handlers": ("协办单位", "配合单位", "co-handlers", "co handlers"),
        "deadline": ("办理时限", "完成时限", "时限", "deadline"),
        "status": ("办理状态", "办理进度", "进展情况", "状态", "status"),
        "resolution": ("办理结果", "办理情况", "解决情况", "答复内容", "resolution"),
        "resolved_at": ("办结时间", "办结日期", "完成时间", "resolved at", "resolved"),
        "closed_at": ("销号时间", "closed at", "closed"),
        "satisfaction": ("满意度", "企业满意度", "评价", "satisfaction"),
        "satisfaction_comment": ("评价意见", "回访意见", "satisfaction comment"),
    },
    "teams": {
        "name": ("服务团名称", "服务团", "团队名称", "名称", "name", "team"),
        "kind": ("类型", "服务团类型", "kind"),
        "parent": ("上级服务团", "所属服务团", "parent"),
        "lead_department": ("牵头单位", "牵头部门", "lead department", "department"),
        "leader": ("团长", "负责人", "leader"),
        "members": ("成员", "团员", "members"),
        "specialities": ("服务领域", "专长", "擅长领域", "specialities", "specialties"),
        "townships": ("服务乡镇", "联系乡镇", "覆盖乡镇", "townships", "coverage"),
    },
    "townships": {
        "code": ("区划代码", "乡镇代码", "代码", "code"),
        "name": ("乡镇名称", "名称", "乡镇", "name"),
        "kind": ("类型", "kind"),
        "county_code": ("县代码", "区县代码", "county_code", "county code"),
        "county_name": ("县", "区县", "所属区县", "county", "county_name"),
        "seat_lon": ("驻地经度", "seat_lon"),
        "seat_lat": ("驻地纬度", "seat_lat"),
    },
}
# Fields kept as written (free text and names matched as stored); every other cell is read in NFKC.
FREE_TEXT = {
    "name",
    "address",
    "chain",
    "contact_person",
    "enterprise",
    "title",
    "description",
    "resolution",
    "satisfaction_comment",
    "leader",
    "members",
    "parent",
    "lead_department",
    "lead_team",
    "co_handlers",
    "commissioner",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "enterprises": ("name", "uscc", "township", "industry"),
    "issues": ("category", "description", "reported_at"),
    "teams": ("name", "lead_department"),
    "townships": ("code", "name"),
}
# Rows searched for the header (a ledger often starts with a merged title row or two).
HEADER_SEARCH_ROWS = 10


def normalise(header: object) -> str:
    value = "" if header is None else unicodedata.normalize("NFKC", str(header))
    value = value.replace("（", "(").replace("）", ")").replace("*", "").replace("＊", "")
    return re.sub(r"\s+", "", value).lower()


_LOOKUP = {
    kind: {normalise(a): f for f, aliases in fields.items() for a in aliases} for kind, fields in ALIASES.items()
}


def label(kind: str, field: str) -> str:
    return ALIASES[kind][field][0]


@dataclass(frozen=True)
class Header:
    """Which column holds which field, and the row after which the data starts (1-based)."""

    columns: dict[str, int]  # field -> 0-based column
    names: dict[str, str]  # field -> the header as the file writes it
    last_row: int
    unknown: list[str]
    titles: list[str]  # every column's header as the file writes it (empty for a column without one)


def _matches(kind: str, row: Sequence[object]) -> int:
    return sum(1 for cell in row if normalise(cell) in _LOOKUP[kind])


def find_header(kind: str, rows: Sequence[Sequence[object]]) -> Header | None:
    """The header among the first rows: the row matching most aliases, with the row below it when
    that one continues it (merged cells: "办理情况" over "办理状态 | 办结时间 | 满意度", and a
    "序号" merged down over both rows leaves the lower cell empty)."""
    if not rows:
        return None
    scores = [_matches(kind, row) for row in rows[:HEADER_SEARCH_ROWS]]
    best = max(range(len(scores)), key=lambda i: scores[i])
    if scores[best] == 0:
        return None
    first = best
    # A group row above: the row above matches some aliases and the best row has gaps under it.
    if best > 0 and scores[best - 1] >= 1 and any(cell in (None, "") for cell in rows[best]):
        first = best - 1
    last = first + 1 if first != best else best
    if last == best and best + 1 < len(rows) and _matches(kind, rows[best + 1]) >= 2:
        last = best + 1
    width = max(len(rows[i]) for i in range(first, last + 1))
    lookup = _LOOKUP[kind]
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    unknown: list[str] = []
    titles: list[str] = []
    for col in range(width):
        cells = [rows[i][col] if col < len(rows[i]) else None for i in range(first, last + 1)]
        # The lowest cell that names a field wins: "办理状态" under the merged "办理情况".
        found = next((lookup[normalise(c)] for c in reversed(cells) if normalise(c) in lookup), None)
        matched = next((str(c).strip() for c in reversed(cells) if normalise(c) in lookup), None)
        titles.append(matched or " / ".join(str(c).strip() for c in cells if normalise(c)))
        if found and found not in columns:
            columns[found] = col
            names[found] = str(next(c for c in reversed(cells) if normalise(c) in lookup)).strip()
        elif not found and any(normalise(c) for c in cells):
            unknown.append(" / ".join(str(c).strip() for c in cells if normalise(c)))
    return Header(columns=columns, names=names, last_row=last + 1, unknown=unknown, titles=titles)
