from datetime import UTC, date, datetime, timedelta

from yimi.issues.deadlines import add_working_days, deadline_for, is_working_day, working_days_between
from yimi.issues.models import IssueCategory, IssuePriority, IssueStatus
from yimi.issues.warning import WarningColor, thresholds, warning_color


def test_spring_festival_2024_and_its_make_up_days():
    # 2024 Spring Festival: 10–17 Feb off; Sunday 4 Feb and Sunday 18 Feb were working days.
    assert is_working_day(date(2024, 2, 4)) and is_working_day(date(2024, 2, 18))
    assert not is_working_day(date(2024, 2, 12))
    # From Friday 9 Feb, three working days: Sun 18, Mon 19, Tue 20 Feb.
    assert add_working_days(date(2024, 2, 9), 3) == date(2024, 2, 20)


def test_national_day_2025():
    # 1–8 Oct 2025 off; Sunday 28 Sep and Saturday 11 Oct were working days.
    assert is_working_day(date(2025, 9, 28)) and is_working_day(date(2025, 10, 11))
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 11)) == 3


def test_years_beyond_the_calendar_fall_back_to_weekdays():
    assert is_working_day(date(2031, 3, 3)) and not is_working_day(date(2031, 3, 1))


def test_deadline_by_category_and_priority():
    reported = datetime(2024, 2, 8, 2, tzinfo=UTC)  # Thursday 10:00 in Beijing
    urgent = deadline_for(reported, IssueCategory.POWER, IssuePriority.URGENT, "Asia/Shanghai")
    assert urgent.date() == date(2024, 2, 19)  # Fri 9, Sun 18, Mon 19
    assert (urgent.hour, urgent.minute) == (17, 30)
    land = deadline_for(reported, IssueCategory.LAND, IssuePriority.NORMAL, "Asia/Shanghai")
    normal = deadline_for(reported, IssueCategory.FINANCING, IssuePriority.NORMAL, "Asia/Shanghai")
    assert land > normal > urgent


def test_warning_colours_at_the_thresholds():
    reported = datetime(2024, 3, 1, tzinfo=UTC)
    deadline = reported + timedelta(days=10)
    yellow_at, orange_at = thresholds(reported, deadline, 0.5, 0.8)
    assert (yellow_at, orange_at) == (reported + timedelta(days=5), reported + timedelta(days=8))

    def colour(days: float, status=IssueStatus.IN_PROGRESS):
        return warning_color(status, yellow_at, orange_at, deadline, reported + timedelta(days=days))

    assert colour(4.9) == WarningColor.GREEN
    assert colour(5) == WarningColor.YELLOW
    assert colour(8) == WarningColor.ORANGE
    assert colour(10) == WarningColor.RED
    assert colour(12, IssueStatus.CLOSED) is None and colour(12, IssueStatus.RESOLVED) is None


def test_deadline_table_comes_from_settings(monkeypatch):
    import pytest
    from pydantic import ValidationError

    from yimi.issues.deadlines import DeadlineRules
    from yimi.settings import Settings

    monkeypatch.setenv("YIMI_DEADLINE_WORKING_DAYS", '{"urgent": 1, "normal": 5, "complex": 20}')
    monkeypatch.setenv("YIMI_DEADLINE_CATEGORY_WORKING_DAYS", '{"power": {"urgent": 2}}')
    rules = DeadlineRules.from_settings(Settings())
    assert rules.working_days(IssueCategory.POWER, IssuePriority.URGENT) == 2
    assert rules.working_days(IssueCategory.LAND, IssuePriority.NORMAL) == 5
    reported = datetime(2024, 2, 8, 2, tzinfo=UTC)
    assert deadline_for(reported, IssueCategory.SALES, IssuePriority.URGENT, "Asia/Shanghai", rules).date() == date(
        2024, 2, 9
    )
    monkeypatch.setenv("YIMI_DEADLINE_WORKING_DAYS", '{"urgent": 1}')
    with pytest.raises(ValidationError, match="DEADLINE_WORKING_DAYS"):
        Settings()
