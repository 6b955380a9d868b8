/** Enterprises: the map layer, the list, and one enterprise's page with its issues. */
import { graphql } from './generated';
import type { EnterpriseQuery } from './generated/graphql';

export const MAP_LAYER = graphql(`
  query MapLayer($filter: EnterpriseFilter) {
    mapLayer(filter: $filter)
  }
`);

export const ENTERPRISES = graphql(`
  query Enterprises($filter: EnterpriseFilter, $orderBy: EnterpriseOrder, $first: Int, $after: String) {
    enterprises(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id name uscc industry size aboveScale riskColor openIssueCount township { code name } location { lon lat } }
    }
  }
`);

export const ENTERPRISE_DETAIL = graphql(`
  query Enterprise($id: ID!) {
    node(id: $id) {
      __typename
      ... on Enterprise {
        id name uscc industry size aboveScale chain riskColor address openIssueCount viewerCanReportIssue
        contactPerson contactPhone
        location { lon lat }
        township { code name }
        commissioner { id name department { name } }
        issues(first: 50) { totalCount nodes { ...IssueFields } }
      }
    }
  }
`);

export type EnterpriseDetail = Extract<NonNullable<EnterpriseQuery['node']>, { __typename: 'Enterprise' }>;

/** Names of some enterprises (a cluster's list on the map). */
export const ENTERPRISE_NAMES = graphql(`
  query EnterpriseNames($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      ... on Enterprise { id name }
    }
  }
`);
