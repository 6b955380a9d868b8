"""Rows of a file, one at a time: .xlsx (python-calamine), .csv in any encoding Excel writes, GeoJSON.

``open_rows(path)`` gives every row as a list of cells (text, numbers, dates as the file holds
them) with its 1-based row number, so that a problem can name the row a person sees in Excel.
"""

from __future__ import annotations

import codecs
import csv
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

# Enough of a CSV to tell its encoding; the rest is decoded as it is read.
SAMPLE_BYTES = 256 * 1024
# An .xlsx is a zip of XML. A 200,000-row register unpacks to about 130 MB at a ratio under 10;
# a zip bomb (4 MB of zeros that unpack to 4 GiB) is refused before any of it is unpacked.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024  # small members (styles, themes) may compress as they like


class UnreadableFile(Exception):
    """A file that is not what its name says, or in no encoding Yimi can tell."""


@dataclass
class Rows:
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str | None = None
    sheet: str | None = None


def open_rows(path: Path) -> Rows:
    """Every row, each cell as the file holds it (see ``nfkc`` for what the importers normalise)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        rows = _spreadsheet(path)
    elif suffix in (".csv", ".txt"):
        encoding = detect_encoding(path)
        rows = Rows(_csv_rows(path, encoding), encoding=encoding)
    else:
        raise UnreadableFile(f"{path.name}: Yimi reads .xlsx and .csv files (and .geojson for townships)")
    return rows


def nfkc(cell: Any) -> Any:
    """A text cell in Unicode NFKC: full-width digits, letters and punctuation (９１４１…, Ｃ, １１４．２９,
    ２０２３．６．１) as their ASCII forms. The importers apply it to every header and to every cell
    they parse (codes, numbers, dates, words), not to free text (names, descriptions), whose Chinese
    punctuation (，。（）) is kept as written."""
    if not isinstance(cell, str):
        return cell
    cell = unicodedata.normalize("NFKC", cell).strip()
    return cell or None


def check_zip(path: Path) -> None:
    """Refuses an .xlsx/.xlsm/.ods whose members would unpack past MAX_UNPACKED_BYTES in all, or one
    of which (over a megabyte) unpacks more than MAX_RATIO times its packed size. Reads only the
    zip's directory. Files that are no zip at all are left to the spreadsheet reader to refuse."""
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".ods"):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise UnreadableFile(
            f"{path.name}: unpacks to {total / 2**20:,.0f} MB, more than the {MAX_UNPACKED_BYTES // 2**20} MB "
            "a spreadsheet may hold (a zip bomb, or split the file)"
        )
    for m in members:
        if m.file_size > RATIO_CHECKED_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise UnreadableFile(
                f"{path.name}: its part {m.filename} unpacks {m.file_size // max(m.compress_size, 1):,} times its "
                f"size (more than {MAX_RATIO}): not a spreadsheet Yimi opens (a zip bomb?)"
            )


def _spreadsheet(path: Path) -> Rows:
    from python_calamine import CalamineWorkbook

    check_zip(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
    except Exception as error:  # calamine raises its own types for every kind of broken file
        raise UnreadableFile(f"{path.name}: not a readable spreadsheet ({error})") from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # iter_rows hands rows to Python one at a time; leading empty rows are not skipped so
        # that row numbers stay the ones Excel shows.
        start = sheet.start[0] if sheet.start else 0
        for index, row in enumerate(sheet.iter_rows(), start=start + 1):
            yield index, [None if cell == "" else cell for cell in row]

    return Rows(rows(), sheet=book.sheet_names[0] if book.sheet_names else None)


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8, or what charset-normalizer finds; Chinese GB encodings read as GB18030."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # A sample cut inside a character ends in an incomplete sequence, which is fine.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample).best()
    if best is None:
        raise UnreadableFile(f"{path.name}: cannot tell the text encoding (save it as UTF-8 or GBK)")
    encoding = best.encoding.lower().replace("-", "_")
    # GB2312 and GBK are subsets of GB18030: reading with it loses nothing a detector calls GBK.
    return "gb18030" if encoding in ("gb2312", "gbk", "gb18030", "hz", "cp936") else best.encoding


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    with path.open(encoding=encoding, newline="", errors="strict") as f:
        try:
            for index, row in enumerate(csv.reader(f), start=1):
                yield index, [cell.strip() or None for cell in row]
        except UnicodeDecodeError as error:
            raise UnreadableFile(f"{path.name}: not {encoding} throughout ({error.reason})") from None


def read_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection (or one Feature)."""
    try:
        data = json.loads(path.read_text(encoding=detect_encoding(path)))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UnreadableFile(f"{path.name}: not GeoJSON ({error})") from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise UnreadableFile(f"{path.name}: expected a GeoJSON FeatureCollection")
    return [f for f in data.get("features") or [] if isinstance(f, dict)]
