"""Drops migration 0008's ``stats_data_version`` and its triggers: nothing reads them any more.

The public figures are served from their releases (``yimi.stats.releases``, migration 0012), and the
caches of answers key on the data version of 0010, so every issue, visit and township write bumped a
version no one looked at. Exactly what 0008 made goes (its own backward), and comes back on the way down.
"""

from importlib import import_module

from tortoise import migrations
from tortoise.migrations import operations as ops

_0008 = import_module("yimi.migrations.0008_stats_data_version")


class Migration(migrations.Migration):
    dependencies = [("yimi", "0012_statistics_release")]

    initial = False

    operations = [ops.RunPython(_0008.backward, _0008.forward)]
