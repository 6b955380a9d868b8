"""Domain enums exposed to GraphQL under their domain names (values are the member names)."""

from enum import Enum

import strawberry

from yimi.enterprises.models import EnterpriseSize, RiskColor
from yimi.issues.models import DispatchRole, IssueCategory, IssuePriority, IssueSource, IssueStatus, Satisfaction
from yimi.issues.warning import WarningColor
from yimi.teams.models import TeamKind
from yimi.townships.models import TownshipKind

for _enum, _description in [
    (TownshipKind, "Kind of township-level division: 街道, 镇, 乡, or an industrial park."),
    (EnterpriseSize, "Enterprise size class."),
    (RiskColor, "The five-colour risk watch over an enterprise."),
    (IssueCategory, "What an enterprise's problem is about."),
    (IssueSource, "How an issue reached the service centre."),
    (IssuePriority, "Priority; sets the deadline together with the category."),
    (IssueStatus, "Where an issue stands in the workflow."),
    (Satisfaction, "The enterprise's verdict on a resolution."),
    (DispatchRole, "Lead team (主办) or co-handler (协办)."),
    (WarningColor, "Four-colour warning of an open issue by share of its time used."),
    (TeamKind, "Joint (联合) or specialised (专项) service team."),
]:
    strawberry.enum(_enum, description=_description)


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"
