/** Service teams: the list and the names the dispatch form offers. */
import { graphql } from './generated';
import type { AllTeamsQuery } from './generated/graphql';

export const TEAMS = graphql(`
  query Teams($filter: ServiceTeamFilter, $first: Int, $after: String) {
    serviceTeams(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id name kind specialities openIssueCount leadDepartment { name } leader { name } townships { code name } }
    }
  }
`);

export const ALL_TEAMS = graphql(`
  query AllTeams {
    serviceTeams(first: 100) { nodes { id name } }
  }
`);

export type TeamRef = AllTeamsQuery['serviceTeams']['nodes'][number];
