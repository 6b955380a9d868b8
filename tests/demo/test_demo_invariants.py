"""The demo as stored in the database (after migrations), not just as generated."""

from collections import defaultdict

from shapely.geometry import Point, shape
from stdnum.cn import uscc

from yimi.demo.loader import load_demo
from yimi.enterprises.models import Enterprise
from yimi.issues.models import Issue, IssueEvent, IssueStatus
from yimi.issues.workflow import replay
from yimi.townships.models import Township


async def test_stored_demo_invariants(demo):
    townships = {t.id: t for t in await Township.all()}
    assert len(townships) == 15
    shapes = {i: shape(t.boundary) for i, t in townships.items()}
    ids = list(shapes)
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            assert shapes[ids[a]].intersection(shapes[ids[b]]).area < 1e-9

    enterprises = await Enterprise.all()
    assert len(enterprises) == 600
    assert sum(e.above_scale for e in enterprises) == 265
    for e in enterprises:
        assert shapes[e.township_id].contains(Point(e.lon, e.lat)), e.name
        assert uscc.is_valid(e.uscc)


async def test_stored_timelines_replay_to_the_status(demo):
    events = defaultdict(list)
    for e in await IssueEvent.all().order_by("created_at", "id"):
        events[e.issue_id].append((e.action, e.from_status, e.to_status))
    issues = await Issue.all()
    assert len(issues) >= 3000
    assert {i.status for i in issues} == set(IssueStatus)
    for issue in issues:
        assert replay(events[issue.id]) == issue.status, issue.number
        if issue.status == IssueStatus.CLOSED:
            assert issue.satisfaction is not None and issue.closed_at is not None


async def test_loading_again_changes_nothing(demo):
    before = (await Township.all().count(), await Enterprise.all().count(), await Issue.all().count())
    again = await load_demo(progress=False)
    assert not again.loaded
    assert (await Township.all().count(), await Enterprise.all().count(), await Issue.all().count()) == before


def test_demo_follows_the_numbering_and_deadline_settings():
    from yimi.demo.loader import demo_config
    from yimi.issues.models import IssueCategory, IssuePriority
    from yimi.settings import Settings

    config = demo_config(
        Settings(issue_number_prefix="WX", deadline_working_days={"urgent": 1, "normal": 2, "complex": 3})
    )
    assert config.number_prefix == "WX"
    assert config.deadline_rules.working_days(IssueCategory.FINANCING, IssuePriority.NORMAL) == 2
    assert config.deadline_rules.working_days(IssueCategory.LAND, IssuePriority.NORMAL) == 15
