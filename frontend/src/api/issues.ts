/** Issues: the list, the fields an issue card shows, and the workflow mutations. */
import { graphql } from './generated';
import type { IssueFieldsFragment, IssueSummaryQuery } from './generated/graphql';

export const ISSUE_FIELDS = graphql(`
  fragment IssueFields on Issue {
    id number title description category source priority status reportedAt deadline resolvedAt closedAt resolution
    satisfaction version warningColor needsEscalation escalatedAt viewerActions
    leadTeam { id name }
    coHandlers { id name }
    events { action fromStatus toStatus note createdAt actor { name } }
    extensionRequests { id status requestedDeadline reason }
    pendingExtensionRequest { id requestedDeadline extraWorkingDays reason }
  }
`);

export type IssueDetail = IssueFieldsFragment;

export const ISSUES = graphql(`
  query Issues($filter: IssueFilter, $orderBy: IssueOrder, $first: Int, $after: String) {
    issues(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id number title category status priority reportedAt deadline warningColor
        enterprise { id name township { code name } location { lon lat } }
        leadTeam { id name }
      }
    }
  }
`);

export const REPORT_ISSUE = graphql(`
  mutation ReportIssue($input: ReportIssueInput!) {
    reportIssue(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const DISPATCH_ISSUE = graphql(`
  mutation DispatchIssue($input: DispatchIssueInput!) {
    dispatchIssue(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const ACCEPT_DISPATCH = graphql(`
  mutation AcceptDispatch($input: AcceptDispatchInput!) {
    acceptDispatch(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const RETURN_DISPATCH = graphql(`
  mutation ReturnDispatch($input: ReturnDispatchInput!) {
    returnDispatch(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const RESOLVE_ISSUE = graphql(`
  mutation ResolveIssue($input: ResolveIssueInput!) {
    resolveIssue(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const REQUEST_EXTENSION = graphql(`
  mutation RequestExtension($input: RequestExtensionInput!) {
    requestExtension(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const CONFIRM_ISSUE = graphql(`
  mutation ConfirmIssue($input: ConfirmIssueInput!) {
    confirmIssue(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const REOPEN_ISSUE = graphql(`
  mutation ReopenIssue($input: ReopenIssueInput!) {
    reopenIssue(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const ADD_ISSUE_NOTE = graphql(`
  mutation AddIssueNote($input: AddIssueNoteInput!) {
    addIssueNote(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const RECORD_VISIT = graphql(`
  mutation RecordVisit($input: RecordVisitInput!) {
    recordVisit(input: $input) {
      visit { id }
      issues { id }
      userErrors { field code message }
    }
  }
`);

export const ESCALATE_ISSUE = graphql(`
  mutation EscalateIssue($input: EscalateIssueInput!) {
    escalateIssue(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

export const DECIDE_EXTENSION = graphql(`
  mutation DecideExtension($input: DecideExtensionInput!) {
    decideExtension(input: $input) { issue { ...IssueFields } userErrors { field code message } }
  }
`);

/** The county's figures over the issues a filter selects, and each township's (labels, shading, summary strip). */
export const ISSUE_SUMMARY = graphql(`
  query IssueSummary($filter: IssueFilter) {
    issueSummary(filter: $filter) {
      total open overdue dueThisWeek resolved onTimeRate satisfactionRate
      byTownship { township { code } total open overdue resolved }
    }
  }
`);

export type IssueSummary = IssueSummaryQuery['issueSummary'];
