/**
 * Loading the dashboard's data into the store. Each load marks its resource loading, then ready or
 * failed (with the message); an answer to an older request than the latest is dropped.
 */
import { fetchAll, request } from '../api/client';
import { MAP_LAYER } from '../api/enterprises';
import { ISSUE_SUMMARY } from '../api/issues';
import { ALL_TEAMS } from '../api/teams';
import { COVERAGE, TOWNSHIPS, type Township } from '../api/townships';
import type { PointFeature } from '../map/clusters';
import { errorText } from '../views/errors';
import { enterpriseFilter, issueFilter, warningMatches } from './filters';
import type { Resource, Store } from './store';

export class Loaders {
  private readonly seq: Partial<Record<Resource, number>> = {};
  private disposed = false;

  constructor(private readonly store: Store) {}

  dispose(): void {
    this.disposed = true;
  }

  townships(): Promise<void> {
    return this.run('townships', async () => {
      // Every page: a county has 15 townships, a province programme 2,500.
      const nodes = await fetchAll(TOWNSHIPS, (d) => d.townships, {});
      return { townships: nodes.map((n) => ({ ...n, boundary: n.boundary as Township['boundary'] })) };
    });
  }

  coverage(): Promise<void> {
    return this.run('coverage', async () => ({ coverage: (await request(COVERAGE)).coverage }));
  }

  /** The enterprise points of the current filters (the warning colour is matched here: the layer has no such filter). */
  points(): Promise<void> {
    const filters = this.store.state.filters;
    return this.run('points', async () => {
      const data = await request(MAP_LAYER, { filter: enterpriseFilter(filters) });
      const layer = data.mapLayer as GeoJSON.FeatureCollection<GeoJSON.Point, PointFeature['properties']>;
      return { points: layer.features.filter((f) => warningMatches(filters.warnings, f.properties.warningColor)) };
    });
  }

  teams(): Promise<void> {
    return this.run('teams', async () => ({ teams: (await request(ALL_TEAMS)).serviceTeams.nodes }));
  }

  /** The issue figures of the current filters (the summary strip, township labels and shading). */
  summary(): Promise<void> {
    const filters = this.store.state.filters;
    return this.run('summary', async () => ({ summary: (await request(ISSUE_SUMMARY, { filter: issueFilter(filters) })).issueSummary }));
  }

  private async run(resource: Resource, load: () => Promise<Parameters<Store['setData']>[0]>): Promise<void> {
    const seq = (this.seq[resource] ?? 0) + 1;
    this.seq[resource] = seq;
    this.store.loading(resource);
    try {
      const patch = await load();
      if (this.disposed || seq !== this.seq[resource]) return;
      this.store.setData(patch, resource);
    } catch (err) {
      if (this.disposed || seq !== this.seq[resource]) return;
      this.store.failed(resource, errorText(err));
    }
  }
}
