"""Templates: a file per kind with the header row the importer reads and one example row.

Required columns carry a ``*`` (the importer ignores it). The example row shows the value forms;
delete it before filling the template in.
"""

from __future__ import annotations

import json
from pathlib import Path

from yimi.imports.headers import ALIASES, REQUIRED, label

EXAMPLES: dict[str, dict[str, str]] = {
    "enterprises": {
        "name": "尉氏县示例纺织有限公司",
        "uscc": "91410223MA9XXXXXXX (18 位，校验位须正确)",
        "township": "洧川镇 或 410223101",
        "address": "洧川镇工业大道 8 号",
        "lon": "114.2031",
        "lat": "34.3124",
        "industry": "C 或 制造业",
        "size": "大型 / 中型 / 小型 / 微型",
        "above_scale": "是 / 否",
        "chain": "纺织服装",
        "contact_person": "张伟",
        "contact_phone": "13800000000",
        "risk_color": "绿 / 蓝 / 黄 / 橙 / 红",
        "commissioner": "服务专员的用户名或姓名",
    },
    "issues": {
        "serial": "1",
        "number": "台账编号（可空）",
        "enterprise": "尉氏县示例纺织有限公司",
        "uscc": "可空；企业重名时必填",
        "township": "洧川镇",
        "category": "融资 / 用工 / 用地 / 用电 / 审批 / 物流 / 销售 / 人才 / 环保 / 政策",
        "title": "可空：取问题描述的第一句",
        "description": "企业扩大生产需流动资金贷款 500 万元。",
        "source": "走访 / 热线 / 线上 / 专员",
        "priority": "一般 / 紧急 / 复杂",
        "reported_at": "2023.5.6 或 2023年5月6日 或 2023-05-06 09:30",
        "lead_team": "金融服务团（服务团名称，或只牵头一个服务团的部门）",
        "co_handlers": "人社服务团、用地服务团",
        "deadline": "2023-05-20，或 7个工作日；可空：按类别和优先级计算",
        "status": "待派单 / 已派单 / 办理中 / 已退单 / 已办结 / 已销号 / 重新办理",
        "resolution": "已协调县农商行授信 500 万元。",
        "resolved_at": "2023-05-18",
        "closed_at": "可空：已销号时取办结时间",
        "satisfaction": "满意 / 基本满意 / 不满意",
        "satisfaction_comment": "",
    },
    "teams": {
        "name": "金融服务团",
        "kind": "联合 / 专项",
        "parent": "上级服务团名称（子团填写）",
        "lead_department": "县财政局",
        "leader": "团长的用户名或姓名",
        "members": "用户名或姓名，用顿号分隔",
        "specialities": "融资、政策",
        "townships": "两湖街道、洧川镇",
    },
}


def write_template(kind: str, path: Path) -> None:
    if kind == "townships":
        feature = {
            "type": "Feature",
            "properties": {"code": "410223101", "name": "洧川镇", "kind": "镇", "county_name": "尉氏县"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[114.1, 34.3], [114.2, 34.3], [114.2, 34.4], [114.1, 34.4], [114.1, 34.3]]],
            },
        }
        path.write_text(
            json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        return
    import xlsxwriter

    fields = list(ALIASES[kind])
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    example = book.add_format({"font_color": "#808080", "num_format": "@"})
    for i, field in enumerate(fields):
        required = field in REQUIRED[kind] or (kind == "issues" and field == "enterprise")
        sheet.write_string(0, i, label(kind, field) + ("*" if required else ""), head)
        sheet.write_string(1, i, EXAMPLES[kind].get(field, ""), example)
        sheet.set_column(i, i, max(12, min(40, len(EXAMPLES[kind].get(field, "")) + 2)))
    sheet.freeze_panes(1, 0)
    book.close()
