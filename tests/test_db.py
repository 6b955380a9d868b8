import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest

from yimi.issues.models import Issue

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.sqlite_only(
    "SQLite stores instants as text, which sorts right only in one offset; PostgreSQL has timestamptz"
)
async def test_sqlite_keeps_every_instant_in_utc(settings, demo):
    issue = await Issue.all().order_by("id").first()
    original = issue.deadline
    try:
        issue.deadline = datetime(2030, 1, 2, 9, 0, tzinfo=BEIJING)
        await issue.save(update_fields=["deadline"])
        path = settings.database_url.removeprefix("sqlite://")
        stored = sqlite3.connect(path).execute("select deadline from issue where id = ?", (issue.id,)).fetchone()[0]
        assert stored == "2030-01-02 01:00:00+00:00"
        later = await Issue.filter(id=issue.id, deadline__gt=datetime(2030, 1, 2, 8, 30, tzinfo=BEIJING)).exists()
        earlier = await Issue.filter(id=issue.id, deadline__gt=datetime(2030, 1, 2, 0, 30, tzinfo=UTC)).exists()
        assert later and earlier
    finally:
        issue.deadline = original
        await issue.save(update_fields=["deadline"])
