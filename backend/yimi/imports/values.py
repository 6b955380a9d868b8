"""Cell values as real ledgers write them: dates, Chinese enumerations, yes/no, numbers as text.

Every parser returns the parsed value or raises ``BadValue`` with the reason, in words a county
clerk understands; the caller adds the file, row and column.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from yimi.enterprises.models import EnterpriseSize, RiskColor
from yimi.issues.models import IssueCategory, IssuePriority, IssueSource, IssueStatus, Satisfaction
from yimi.teams.models import TeamKind
from yimi.townships.models import TownshipKind

T = TypeVar("T")


class BadValue(ValueError):
    """A cell that cannot be read as what its column holds."""


def text(value: object) -> str:
    """A cell as text: numbers Excel stored as floats lose their ``.0`` (phones, codes)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat(" ") if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()


# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in).
EXCEL_EPOCH = datetime(1899, 12, 30)
# Serials from 1990 to 2099: a bare number outside this is not a date in any ledger.
EXCEL_SERIALS = (32874, 73051)
_DATE = re.compile(
    r"(?P<y>\d{4})\s*[-./年]\s*(?P<m>\d{1,2})\s*[-./月]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?\s*秒?分?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
# A date with the year last (5/6/2023): 5 June or 6 May? Refused with the forms that are clear.
_YEAR_LAST = re.compile(r"\d{1,2}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{4}.*")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")
# What every date problem lists (a deadline may also be a number of days).
DATE_FORMS = "2023-05-06, 2023.5.6, 2023/5/6 14:30, 2023年5月6日, 20230506, an Excel date or its serial number"
DEADLINE_FORMS = f"{DATE_FORMS}; a deadline also 7个工作日 (working days) or 7个自然日 (calendar days)"


def parse_when(value: object) -> tuple[datetime, bool]:
    """A date or an instant from a cell: (naive local or aware datetime, whether a time was given).

    Accepts Excel dates and serial numbers, ISO text, ``2023.5.6``, ``2023/5/6 14:30``,
    ``2023年5月6日``, ``20230506``.
    """
    if isinstance(value, datetime):
        return value, (value.hour, value.minute, value.second) != (0, 0, 0)
    if isinstance(value, date):
        return datetime.combine(value, time()), False
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not EXCEL_SERIALS[0] <= value < EXCEL_SERIALS[1]:
            raise BadValue(f"not a date (a number that is no Excel date of 1990–2099; write it as {DEADLINE_FORMS})")
        moment = EXCEL_EPOCH + timedelta(days=float(value))
        moment = moment.replace(microsecond=0)
        return moment, float(value) != int(value)
    raw = text(value)
    if _SERIAL_TEXT.fullmatch(raw):
        return parse_when(float(raw))  # an Excel serial number the cell holds as text
    match = _DATE.fullmatch(raw) or _COMPACT.fullmatch(raw)
    if not match and _YEAR_LAST.fullmatch(raw):
        raise BadValue(f"the year last is ambiguous (month/day or day/month?): write it as {DEADLINE_FORMS}")
    if not match:
        raise BadValue(f"not a date (write it as {DEADLINE_FORMS})")
    parts = match.groupdict()
    try:
        day = date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
        clock = time(int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0))
    except ValueError:
        raise BadValue(f"no such date (write it as {DEADLINE_FORMS})") from None
    moment = datetime.combine(day, clock)
    if parts.get("tz"):
        moment = datetime.fromisoformat(f"{moment.isoformat()}{parts['tz'].replace('Z', '+00:00')}")
    if not 1990 <= day.year <= 2099:
        raise BadValue(f"the year must be between 1990 and 2099 (write it as {DEADLINE_FORMS})")
    return moment, parts.get("H") is not None


def instant(value: object, tz: str, default_time: time) -> datetime:
    """An aware instant; a date without a time of day gets ``default_time`` in the county's zone."""
    moment, timed = parse_when(value)
    if not timed and moment.tzinfo is None:
        moment = datetime.combine(moment.date(), default_time)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


def _key(word: str) -> str:
    return re.sub(r"[\s_\-（）()]", "", word).lower()


class Vocabulary(Generic[T]):
    """Words (Chinese and English, the enum's own values included) for the members of an enum."""

    def __init__(self, what: str, words: dict[T, tuple[str, ...]]):
        self.what = what
        self.words = {_key(w): member for member, ws in words.items() for w in ws}
        for member in words:
            if isinstance(member, Enum):
                self.words.setdefault(_key(str(member.value)), member)
        self.shown = "、".join(ws[0] for ws in words.values())

    def __call__(self, value: object) -> T:
        word = _key(text(value))
        if word in self.words:
            return self.words[word]
        raise BadValue(f"unknown {self.what} (known: {self.shown})")


STATUS = Vocabulary(
    "status",
    {
        IssueStatus.REPORTED: ("待派单", "未派单", "已登记", "已受理", "待办理", "未办理", "待处理", "reported"),
        IssueStatus.DISPATCHED: ("已派单", "已交办", "已转办", "待接单", "dispatched"),
        IssueStatus.IN_PROGRESS: ("办理中", "正在办理", "处理中", "推进中", "在办", "已接单", "in progress"),
        IssueStatus.RETURNED: ("已退单", "退单", "退回", "returned"),
        IssueStatus.REOPENED: ("重新办理", "重办", "不满意重办", "reopened"),
        IssueStatus.RESOLVED: ("已办结", "办结", "已解决", "已完成", "已答复", "resolved"),
        IssueStatus.CLOSED: ("已销号", "销号", "已办结销号", "closed"),
    },
)
CATEGORY = Vocabulary(
    "issue type",
    {
        IssueCategory.FINANCING: ("融资", "资金", "金融", "贷款", "融资贷款", "financing"),
        IssueCategory.LABOUR: ("用工", "招工", "劳动", "社保", "用工社保", "labour", "labor"),
        IssueCategory.LAND: ("用地", "土地", "land"),
        IssueCategory.POWER: ("用电", "电力", "供电", "水电气", "power"),
        IssueCategory.PERMITS: ("审批", "手续", "证照", "行政审批", "审批手续", "permits"),
        IssueCategory.LOGISTICS: ("物流", "运输", "交通", "通行", "logistics"),
        IssueCategory.SALES: ("销售", "市场", "产销", "市场开拓", "sales"),
        IssueCategory.TALENT: ("人才", "引才", "人才引进", "talent"),
        IssueCategory.ENVIRONMENT: ("环保", "环境", "生态环境", "environment"),
        IssueCategory.POLICY: ("政策", "政策咨询", "咨询", "policy"),
    },
)
PRIORITY = Vocabulary(
    "priority",
    {
        IssuePriority.NORMAL: ("一般", "普通", "normal"),
        IssuePriority.URGENT: ("紧急", "急", "加急", "urgent"),
        IssuePriority.COMPLEX: ("复杂", "疑难", "complex"),
    },
)
SOURCE = Vocabulary(
    "source",
    {
        IssueSource.VISIT: ("走访", "走访收集", "上门走访", "visit"),
        IssueSource.HOTLINE: ("热线", "热线来电", "电话", "12345", "hotline"),
        IssueSource.ONLINE: ("线上", "线上平台", "网络", "网上", "online"),
        IssueSource.COMMISSIONER: ("专员", "服务专员", "服务专员报送", "commissioner"),
    },
)
SATISFACTION = Vocabulary(
    "satisfaction",
    {
        Satisfaction.SATISFIED: ("满意", "非常满意", "satisfied"),
        Satisfaction.BASICALLY_SATISFIED: ("基本满意", "较满意", "比较满意", "basically satisfied"),
        Satisfaction.UNSATISFIED: ("不满意", "unsatisfied"),
    },
)
SIZE = Vocabulary(
    "size",
    {
        EnterpriseSize.LARGE: ("大型", "大", "large"),
        EnterpriseSize.MEDIUM: ("中型", "中", "medium"),
        EnterpriseSize.SMALL: ("小型", "小", "small"),
        EnterpriseSize.MICRO: ("微型", "微", "micro"),
    },
)
RISK = Vocabulary(
    "risk colour",
    {
        RiskColor.GREEN: ("绿", "绿色", "green"),
        RiskColor.BLUE: ("蓝", "蓝色", "blue"),
        RiskColor.YELLOW: ("黄", "黄色", "yellow"),
        RiskColor.ORANGE: ("橙", "橙色", "orange"),
        RiskColor.RED: ("红", "红色", "red"),
    },
)
TEAM_KIND = Vocabulary(
    "team kind",
    {
        TeamKind.JOINT: ("联合", "联合服务团", "综合", "joint"),
        TeamKind.SPECIALISED: ("专项", "专项服务团", "专业", "specialised", "specialized"),
    },
)
TOWNSHIP_KIND = Vocabulary(
    "township kind",
    {
        TownshipKind.SUBDISTRICT: ("街道", "街道办事处", "subdistrict"),
        TownshipKind.TOWN: ("镇", "town"),
        TownshipKind.TOWNSHIP: ("乡", "township"),
        TownshipKind.PARK: ("园区", "产业集聚区", "开发区", "park"),
    },
)
YES_NO = Vocabulary(
    "yes/no",
    {
        True: ("是", "yes", "y", "true", "1", "√", "✓", "规上", "规上企业"),
        False: ("否", "no", "n", "false", "0", "×", "规下", "规下企业"),
    },
)

# GB/T 4754-2017 sections: the letter, or the section's name as registers write it.
INDUSTRY_SECTIONS = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
_SECTION_WORDS = {_key(name): letter for letter, name in INDUSTRY_SECTIONS.items()} | {
    _key(name.replace("、", "")): letter for letter, name in INDUSTRY_SECTIONS.items()
}
_SECTION_WORDS |= {"工业": "C", "农业": "A", "商贸": "F", "物流": "G", "餐饮": "H", "软件": "I"}


def industry(value: object) -> str:
    raw = text(value)
    letter = raw[:1].upper()
    if letter in INDUSTRY_SECTIONS and (len(raw) == 1 or not raw[1:2].isalpha() or raw[1:2].isdigit()):
        return letter  # "C", "C13", "C 制造业"
    word = _key(raw.split("/")[0])
    if word in _SECTION_WORDS:
        return _SECTION_WORDS[word]
    raise BadValue("unknown industry (a GB/T 4754 section: a letter A–T or its name, e.g. C or 制造业)")


def number(value: object, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(text(value).replace("°", ""))
    except ValueError:
        raise BadValue(f"not a number ({what})") from None


_SCIENTIFIC = re.compile(r"(?P<int>\d)(?:\.(?P<frac>\d+))?[eE]\+?(?P<exp>\d{1,2})")


def phone(value: object) -> tuple[str, str | None]:
    """A phone number, and a note when the cell wrote it in scientific notation (``1.3912345678E10``,
    as Excel shows a long number): read as the integer when no digit was lost, else BadValue."""
    raw = text(value)
    match = _SCIENTIFIC.fullmatch(raw.replace(" ", ""))
    if not match:
        return raw, None
    digits = match["int"] + (match["frac"] or "")
    exponent = int(match["exp"])
    if len(digits) - 1 > exponent or exponent + 1 < 7:
        raise BadValue("a number in scientific notation that is no phone number: write the phone as text")
    if len(digits) - 1 < exponent:
        raise BadValue(
            "a phone number in scientific notation whose last digits were lost (Excel rounded it): "
            "write the phone as text"
        )
    return digits, f"a phone number written in scientific notation: read as {digits}"


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_count(word: str) -> int | None:
    """A count in digits or Chinese numerals up to 999 (七, 十五, 二十, 一百二十): None if it is neither."""
    if word.isdigit():
        return int(word)
    total, digit = 0, None
    for char in word:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in ("十", "百"):
            total += (digit if digit is not None else 1) * (10 if char == "十" else 100)
            digit = None
        else:
            return None
    return total + (digit or 0) if word else None


def split_list(value: object) -> list[str]:
    """Several names in one cell: 、 , ， ; ； or new lines between them."""
    return [part.strip() for part in re.split(r"[、,，;；\n/]+", text(value)) if part.strip()]
