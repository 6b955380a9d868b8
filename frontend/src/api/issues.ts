/** Issues: the list, the fields an issue card shows, and the workflow mutations. */
import { graphql } from './generated';
import type { IssueFieldsFragment } from './generated/graphql';

export const ISSUE_FIELDS = graphql(`
  fragment IssueFields on Issue {
    id number title description category source priority status reportedAt deadline resolvedAt closedAt resolution
    satisfaction version warningColor needsEscalation
    leadTeam { id name }
    coHandlers { id name }
    events { action fromStatus toStatus note createdAt actor { name } }
    extensionRequests { id status requestedDeadline reason }
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
