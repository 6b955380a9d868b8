/** GraphQL documents and the shapes the app reads from them. */
import { graphqlRequest } from './graphql';

export interface StaffRef { id: string; name: string; roles?: string[]; department?: { name: string } }
export interface TeamRef { id: string; name: string }

export interface Township {
  id: string; code: string; name: string; kind: string;
  seat: { lon: number; lat: number };
  boundary: GeoJSON.MultiPolygon | GeoJSON.Polygon | null;
  enterpriseCount: number; openIssueCount: number; overdueIssueCount: number;
  coveringTeams: Array<TeamRef & { kind: string; specialities: string[] }>;
}

export interface CoverageRow {
  township: { code: string; name: string };
  teams: TeamRef[];
  categories: Array<{ category: string; covered: boolean; teams: TeamRef[] }>;
  gaps: string[];
}

export interface PageInfo { hasNextPage: boolean; endCursor: string | null }
export interface Connection<T> { totalCount: number; pageInfo: PageInfo; nodes: T[] }

export const TOWNSHIPS = /* GraphQL */ `
  query Townships {
    townships(first: 100) {
      nodes {
        id code name kind seat { lon lat } boundary enterpriseCount openIssueCount overdueIssueCount
        coveringTeams { id name kind specialities }
      }
    }
  }`;

export const COVERAGE = /* GraphQL */ `
  query Coverage {
    coverage {
      township { code name }
      teams { id name }
      categories { category covered teams { id name } }
      gaps
    }
  }`;

export const MAP_LAYER = /* GraphQL */ `query MapLayer($filter: EnterpriseFilter) { mapLayer(filter: $filter) }`;

export const ENTERPRISES = /* GraphQL */ `
  query Enterprises($filter: EnterpriseFilter, $orderBy: EnterpriseOrder, $first: Int, $after: String) {
    enterprises(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id name uscc industry size aboveScale riskColor openIssueCount township { code name } location { lon lat } }
    }
  }`;

export const ISSUES = /* GraphQL */ `
  query Issues($filter: IssueFilter, $orderBy: IssueOrder, $first: Int, $after: String) {
    issues(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id number title category status priority reportedAt deadline warningColor
        enterprise { id name township { code name } } leadTeam { id name } }
    }
  }`;

export const TEAMS = /* GraphQL */ `
  query Teams($filter: ServiceTeamFilter, $first: Int, $after: String) {
    serviceTeams(filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id name kind specialities openIssueCount leadDepartment { name } leader { name } townships { code name } }
    }
  }`;

export const ISSUE_FIELDS = /* GraphQL */ `
  id number title description category source priority status reportedAt deadline resolvedAt closedAt resolution
  satisfaction version warningColor needsEscalation
  leadTeam { id name } coHandlers { id name }
  events { action fromStatus toStatus note createdAt actor { name } }
  extensionRequests { id status requestedDeadline reason }
`;

export const ENTERPRISE_DETAIL = /* GraphQL */ `
  query Enterprise($id: ID!) {
    node(id: $id) {
      ... on Enterprise {
        id name uscc industry size aboveScale chain riskColor address openIssueCount
        contactPerson contactPhone
        location { lon lat } township { code name }
        commissioner { id name department { name } }
        issues(first: 50) { totalCount nodes { ${ISSUE_FIELDS} } }
      }
    }
  }`;

export const ME = /* GraphQL */ `query Me { me { id name roles department { name } } }`;
export const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: SignInInput!) { signIn(input: $input) { staff { id name roles department { name } } userErrors { field code message } } }`;
export const SIGN_OUT = /* GraphQL */ `mutation SignOut { signOut { signedOut } }`;
export const ALL_TEAMS = /* GraphQL */ `query AllTeams { serviceTeams(first: 100) { nodes { id name } } }`;

export async function fetchAll<T>(
  query: string,
  field: string,
  variables: Record<string, unknown>,
  limit = 5000,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (;;) {
    const data: Record<string, Connection<T>> = await graphqlRequest(query, { ...variables, first: 100, after });
    const conn = data[field]!;
    out.push(...conn.nodes);
    if (!conn.pageInfo.hasNextPage || out.length >= limit) break;
    after = conn.pageInfo.endCursor;
  }
  return out;
}
