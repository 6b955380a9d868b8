"""Releases of the public figures: what the public reads, computed on a schedule and kept (yimi.stats.releases)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StatisticsRelease(Model):
    """One year's public tables as released at ``released_at`` (their cut-off), with every rule applied."""

    id = fields.IntField(primary_key=True)
    year = fields.IntField()
    # The schedule's instant this release answers (or the instant a release was forced): one per year each.
    slot = fields.DatetimeField()
    released_at = fields.DatetimeField()
    # The first release made after the year ended: the year's figures stay as they are from then on.
    final = fields.BooleanField(default=False)
    threshold = fields.IntField()
    # The published answer (the open data JSON, as served) and its ETag.
    body = fields.TextField()
    etag = fields.CharField(max_length=40)
    # The true counts behind it, never served: the next release of the year is audited against them.
    exact = fields.TextField()

    class Meta:
        table = "statistics_release"
        unique_together = (("year", "slot"),)
        ordering = ["id"]
