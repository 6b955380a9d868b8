/** Point clustering with supercluster; a cluster carries the worst warning rank of its points. */
import Supercluster from 'supercluster';
import { warningRank } from './scale';

export interface PointProps {
  id: string;
  warningColor: string | null;
  openIssueCount: number;
}
export interface ClusterProps {
  rank: number;
}
export type PointFeature = GeoJSON.Feature<GeoJSON.Point, PointProps>;
export type ClusterIndex = Supercluster<PointProps, ClusterProps>;

export function buildIndex(features: PointFeature[]): ClusterIndex {
  const index = new Supercluster<PointProps, ClusterProps>({
    radius: 70,
    maxZoom: 15,
    minPoints: 3,
    map: (p) => ({ rank: warningRank(p.warningColor) }),
    reduce: (acc, p) => {
      if (p.rank > acc.rank) acc.rank = p.rank;
    },
  });
  index.load(features);
  return index;
}
