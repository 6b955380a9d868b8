/** Townships with their figures and outlines, team coverage, and a township's resolution rate. */
import { graphql } from './generated';
import type { CoverageQuery, TownshipsQuery } from './generated/graphql';

export const TOWNSHIPS = graphql(`
  query Townships($first: Int, $after: String) {
    townships(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id code name kind seat { lon lat } boundary enterpriseCount openIssueCount overdueIssueCount
        coveringTeams { id name kind specialities }
      }
    }
  }
`);

/** A township as the dashboard reads it; `boundary` is GeoJSON (the schema's JSON scalar). */
export type Township = Omit<TownshipsQuery['townships']['nodes'][number], 'boundary'> & {
  boundary: GeoJSON.MultiPolygon | GeoJSON.Polygon | null;
};

export const COVERAGE = graphql(`
  query Coverage {
    coverage {
      township { code name }
      teams { id name }
      categories { category covered teams { id name } }
      gaps
    }
  }
`);

export type CoverageRow = CoverageQuery['coverage'][number];
