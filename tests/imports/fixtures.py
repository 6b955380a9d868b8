"""Fixture files, written by the tests: registers and ledgers as counties keep them."""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum.cn import uscc

# Points inside the demo's townships (WGS-84): (township, lon, lat) from the demo outlines.
HEADER = [
    "企业名称",
    "统一社会信用代码",
    "乡镇(街道)",
    "地址",
    "经度",
    "纬度",
    "行业",
    "企业规模",
    "是否规上",
    "产业链",
    "联系人",
    "联系电话",
]


def make_uscc(n: int) -> str:
    body = f"914102230{n:08d}"
    return body + uscc.calc_check_digit(body)


def register_rows(points: list[tuple[str, float, float]]) -> list[list[str]]:
    rows = []
    for i, (township, lon, lat) in enumerate(points):
        rows.append(
            [
                f"尉氏县测试{i:03d}纺织有限公司",
                make_uscc(i + 1),
                township,
                f"{township}工业大道{i + 1}号",
                f"{lon:.6f}",
                f"{lat:.6f}",
                "制造业" if i % 2 else "C",
                "小型" if i % 3 else "中型",
                "是" if i % 2 else "否",
                "纺织服装",
                "张伟",
                f"1380000{i:04d}",
            ]
        )
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path
