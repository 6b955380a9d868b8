from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from yimi.accounts.read_rules import Access
from yimi.common.figures import ENTERPRISE_FIGURES, OPEN_ISSUES
from yimi.common.loaders import by_id, counted, figure, grouped
from yimi.enterprises.models import CommissionerAssignment, Enterprise, Visit
from yimi.issues.models import Issue


def _newest_issues(access: Access):
    async def load(keys: list[tuple[int, int]]) -> list[list[Issue]]:
        """For (enterprise id, n) keys: the n newest issues of each enterprise the caller may see, in one query.

        A window function keeps a page of enterprises from loading every issue they ever had.
        """
        visible = access.issues()  # checks the grant even when nothing is asked
        n = max(k[1] for k in keys)
        ids = sorted({int(k[0]) for k in keys})
        if n == 0 or not ids:
            return [[] for _ in keys]
        rule = ""
        if not access.sees_every_issue:
            # The caller's row rule, as the ids it lets through among these enterprises' issues
            # (one more query, bounded by the page of enterprises).
            allowed = await visible.filter(enterprise_id__in=ids).values_list("id", flat=True)
            rule = f" AND id IN ({','.join(map(str, allowed)) or 'NULL'})"
        sql = (
            "SELECT * FROM (SELECT issue.*, ROW_NUMBER() OVER ("
            "PARTITION BY enterprise_id ORDER BY reported_at DESC, id DESC) AS row_in_enterprise "
            f"FROM issue WHERE enterprise_id IN ({','.join(map(str, ids))}){rule}) ranked "
            f"WHERE row_in_enterprise <= {int(n)} ORDER BY enterprise_id, row_in_enterprise"
        )
        groups: dict[int, list[Issue]] = defaultdict(list)
        rows: list[Issue] = await Issue.raw(sql)
        for issue in rows:
            groups[issue.enterprise_id].append(issue)
        return [groups.get(enterprise_id, [])[:limit] for enterprise_id, limit in keys]

    return load


class EnterpriseLoaders:
    def __init__(self, access: Access):
        self.by_id = by_id(Enterprise, rows=lambda: access.enterprises().annotate(**ENTERPRISE_FIGURES))
        self.visit_by_id = by_id(Visit, rows=access.visits)
        # A figure: every open issue counts, whoever asks (see yimi.accounts.read_rules); kept on
        # write (yimi.common.figures). For rows read without it (a mutation's payload).
        self.open_issue_count = figure(Enterprise, ENTERPRISE_FIGURES[OPEN_ISSUES])
        # The total of the `issues` connection: the issues the caller may see.
        self.issue_count = counted(lambda ids: access.issues().filter(enterprise_id__in=ids), "enterprise_id")
        # Keyed by (enterprise id, how many newest issues).
        self.newest_issues = DataLoader(load_fn=_newest_issues(access))

        async def assignments(ids):
            rows = await CommissionerAssignment.filter(enterprise_id__in=ids).order_by("assigned_at", "id")
            return [(row.enterprise_id, row) for row in rows]

        self.commissioner_assignments = grouped(assignments)
