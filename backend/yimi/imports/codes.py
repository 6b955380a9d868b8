"""Stable codes for import problems, with their parameters, for the web page to translate.

Each problem's English reason is matched here once, when the problem is made: ``code_of(reason)``
gives the code (``unknown_township``, ``bad_check_digit`` …) and the parameters the reason names
(``{"row": "3"}``). The codes are part of the web import's answer (``problems[].code``,
``problems[].params``) and of frontend/src/pages/imports.ts, which words them in Chinese and falls
back to the English reason for a code it does not know. Keep a code when rewording a reason.
"""

from __future__ import annotations

import re

# (code, pattern matched at the start of the reason; named groups are the parameters)
CODES: tuple[tuple[str, str], ...] = (
    ("required_for_status", r"required when the status is (?P<status>.+)$"),
    ("required", r"required\b"),
    ("too_long", r"longer than (?P<max>\d+) characters"),
    ("nul_character", r"contains a NUL character"),
    ("bad_check_digit", r"check digit wrong"),
    ("bad_uscc", r"not a unified social credit code"),
    ("exists_differs", r"already in the database(?: as (?P<number>\S+))? with other (?P<fields>.+?): --update"),
    ("duplicate_in_file", r"the same (?:code|number|team) as row (?P<row>\d+) of this file"),
    ("size_missing", r"no size given"),
    ("unknown_staff", r"no such member of staff"),
    ("risk_missing", r"(?P<count>\d+) rows? without a risk colour"),
    ("phone_scientific", r"a phone number written in scientific notation: read as (?P<phone>\d+)"),
    ("phone_digits_lost", r"a phone number in scientific notation whose last digits were lost"),
    ("not_a_phone", r"a number in scientific notation that is no phone number"),
    ("point_missing", r"no coordinates: placed at the township's seat"),
    ("point_half", r"give both longitude and latitude, or neither"),
    ("lon_range", r"longitude must be between"),
    ("lat_range", r"latitude must be between"),
    ("outside_county", r"the point(?: \(WGS-84 (?P<wgs84>[^)]+)\))? lies outside the county"),
    ("outside_township", r"the point(?: \(WGS-84 (?P<wgs84>[^)]+)\))? lies outside (?P<township>.+)$"),
    ("in_future", r"in the future"),
    ("deadline_before_reported", r"not after 反映时间"),
    ("unsatisfied_closed", r"an issue the enterprise is not satisfied with is reopened"),
    ("resolved_at_assumed", r"no 办结时间 for a resolved issue: taken as (?P<at>.+) \(from (?P<source>.+)\)"),
    ("before_reported", r"before 反映时间"),
    ("before_resolved", r"before 办结时间"),
    ("unknown_enterprise_code", r"no enterprise with this code"),
    ("ambiguous_enterprise", r"several enterprises have this name"),
    ("unknown_enterprise", r"no enterprise with this name"),
    ("department_leads_teams", r"(?P<department>.+) leads (?P<count>\d+) teams \((?P<teams>.+)\): name the team"),
    ("unknown_team", r"no service team"),
    ("no_townships", r"no townships in the database yet"),
    ("ambiguous_township", r"several townships match: (?P<codes>.+); give the code"),
    ("unknown_township", r"unknown township"),
    ("unknown_parent_team", r"no such team in the database or on an earlier row"),
    ("bad_township_code", r"a township code has 9 digits"),
    ("county_code_mismatch", r"does not match the township code \((?P<county>\d+)\)"),
    ("county_name_required", r"required for a county not in the database yet"),
    ("bad_geometry_type", r"the geometry must be a Polygon"),
    ("bad_geometry", r"the geometry is malformed"),
    ("invalid_polygon", r"the outline is not a valid polygon"),
    ("outline_out_of_range", r"coordinates out of range: the outline"),
    ("seat_missing", r"give the seat"),
    ("bad_serial", r"not a date \(a number"),
    ("ambiguous_date", r"the year last is ambiguous"),
    ("bad_date", r"not a date"),
    ("no_such_date", r"no such date"),
    ("year_out_of_range", r"the year must be between"),
    ("unknown_word", r"unknown (?P<what>[a-z /]+) \(known: (?P<known>[^)]+)\)"),
    ("unknown_industry", r"unknown industry"),
    ("not_a_number", r"not a number \((?P<what>.+)\)"),
    ("footer_skipped", r"a total or signature line"),
)
_COMPILED = [(code, re.compile(pattern)) for code, pattern in CODES]
OTHER = "other"


def code_of(reason: str) -> tuple[str, dict[str, str]]:
    """The code of a problem's reason and its parameters; ``other`` for a reason not listed."""
    for code, pattern in _COMPILED:
        match = pattern.match(reason)
        if match:
            return code, {k: v for k, v in match.groupdict().items() if v is not None}
    return OTHER, {}
