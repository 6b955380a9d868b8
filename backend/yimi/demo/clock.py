"""Office time for the demo: instants counted in office minutes over Chinese working days.

The demo's timelines (report, dispatch, accept, resolve...) happen in office hours. Counting time
as "office minutes since the first working day of the calendar" makes adding a delay an integer
addition and keeps every instant inside 08:30–17:30 of a working day.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from yimi.issues.deadlines import CLOSE_OF_BUSINESS, is_working_day

OPENING = time(8, 30)
DAY_MINUTES = (CLOSE_OF_BUSINESS.hour * 60 + CLOSE_OF_BUSINESS.minute) - (OPENING.hour * 60 + OPENING.minute)


class OfficeClock:
    """Working days from ``first`` to ``last`` (inclusive, padded), and office-minute arithmetic.

    An office minute ``m`` is minute ``m % DAY_MINUTES`` after opening on working day
    ``m // DAY_MINUTES``. The close of business of working day k is the same instant as index
    ``(k + 1) * DAY_MINUTES``, which the clock reads as the next working day's opening: use
    ``end_of_day_index`` for deadlines and compare with ``<``.
    """

    def __init__(self, first: date, last: date, tz: str):
        self.zone = ZoneInfo(tz)
        self.days: list[date] = []
        day = first - timedelta(days=14)
        end = last + timedelta(days=120)
        while day <= end:
            if is_working_day(day):
                self.days.append(day)
            day += timedelta(days=1)
        self._index = {d: i for i, d in enumerate(self.days)}

    def day_index(self, day: date) -> int:
        """The index of ``day`` if it is a working day, else of the next working day."""
        i = self._index.get(day)
        return i if i is not None else bisect.bisect_left(self.days, day)

    def working_days(self, first: date, last: date) -> list[date]:
        return self.days[self.day_index(first) : bisect.bisect_right(self.days, last)]

    def at(self, day: date, minutes_after_opening: int) -> int:
        return self._index[day] * DAY_MINUTES + minutes_after_opening

    def start_of(self, day: date) -> int:
        """The first office minute on or after the start of ``day``."""
        return self.day_index(day) * DAY_MINUTES

    def end_of_day_index(self, day: date) -> int:
        return (self._index[day] + 1) * DAY_MINUTES

    def deadline_index(self, deadline: datetime) -> int:
        local = deadline.astimezone(self.zone)
        if local.time() != CLOSE_OF_BUSINESS:
            raise ValueError(f"deadline {deadline} is not at the close of business")
        return self.end_of_day_index(local.date())

    def to_datetime(self, index: int, second: int = 0) -> datetime:
        day = self.days[index // DAY_MINUTES]
        return datetime.combine(day, OPENING, tzinfo=self.zone) + timedelta(minutes=index % DAY_MINUTES, seconds=second)

    def date_of(self, index: int) -> date:
        return self.days[index // DAY_MINUTES]
