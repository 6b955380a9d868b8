/**
 * The Leaflet map: township polygons (canvas) as the offline base layer, shaded by a metric,
 * with labels; clustered enterprise points coloured by their worst open issue's warning colour.
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { Township } from '../api/townships';
import { el } from '../ui/dom';
import { buildIndex, type ClusterIndex, type PointFeature } from './clusters';
import { RANK_WARNING, textOn, WARNING_HEX, warningRank } from './scale';

export interface MapCallbacks {
  onTownship(code: string): void;
  onEnterprise(id: string): void;
  /** Enter on a cluster badge: list its enterprises (ids, at most CLUSTER_LIST_MAX) at its place. */
  onClusterList(ids: string[], total: number, at: L.LatLng): void;
  onMove(): void;
  onPointHover(id: string | null): void;
}

/** The accessible names of what the keyboard reaches on the map. */
export interface PointLabels {
  cluster(count: number): string;
  point(warningColor: string | null, openIssues: number): string;
}

export const CLUSTER_LIST_MAX = 100;

export interface Shading {
  values: Map<string, number>;
  color(value: number): string;
  label(t: Township, value: number): string;
}

export class MapView {
  readonly map: L.Map;
  private readonly renderer = L.canvas({ padding: 0.3 });
  private townshipLayer: L.GeoJSON | null = null;
  private readonly labelLayer = L.layerGroup();
  private readonly highlightLayer = L.layerGroup();
  private tiles: L.TileLayer | null = null;
  /** Cluster badges: plain divs in one pane (cheaper than one L.Marker each), clicks delegated. */
  private readonly clusterBox: HTMLElement;
  private clusterCentres = new Map<number, [number, number]>();
  private clusterCounts = new Map<number, number>();
  private index: ClusterIndex | null = null;
  private byId = new Map<string, PointFeature>();
  private townships: Township[] = [];
  private selected: string | null = null;
  /** Townships the filter keeps; others are dimmed. Empty = all. */
  focus: ReadonlySet<string> = new Set();
  private fitted = false;
  private draws = 0;

  constructor(
    readonly container: HTMLElement,
    private readonly cb: MapCallbacks,
    label: string,
    private readonly labels: PointLabels,
  ) {
    this.map = L.map(container, {
      renderer: this.renderer,
      preferCanvas: true,
      zoomSnap: 0.25,
      minZoom: 5,
      maxZoom: 18,
      attributionControl: true,
    });
    this.map.attributionControl.setPrefix(false);
    // Leaflet 1.9.4's canvas renderer can leave a redraw frame pending when the map is removed
    // (_updatePaths redraws at once without cancelling it): skip a redraw that has no canvas left.
    const renderer = this.renderer as unknown as { _redraw(): void; _ctx?: unknown };
    const redraw = renderer._redraw;
    renderer._redraw = function (this: typeof renderer): void {
      if (this._ctx) redraw.call(this);
    };
    container.setAttribute('role', 'region');
    container.setAttribute('aria-label', label);
    this.map.setView([34.4, 114.2], 10);
    // Above the township labels (the marker pane, 600): a label never hides a badge or a point.
    const pane = this.map.createPane('clusters');
    pane.style.zIndex = '620';
    this.clusterBox = L.DomUtil.create('div', 'cluster-box leaflet-zoom-hide', pane);
    // Badges and points are buttons for the keyboard: Enter on a point opens the enterprise, on a
    // cluster the list of its enterprises (zooming in, as a click does, would lose the focus).
    const activate = (ev: Event, cluster: (id: number) => void): void => {
      const target = (ev.target as HTMLElement).closest<HTMLElement>('[data-cluster], [data-point]');
      if (!target) return;
      L.DomEvent.stop(ev);
      if (target.dataset.point) this.cb.onEnterprise(target.dataset.point);
      else cluster(Number(target.dataset.cluster));
    };
    L.DomEvent.on(this.clusterBox, 'click', (ev) => activate(ev, (id) => this.expandCluster(id)));
    L.DomEvent.on(this.clusterBox, 'keydown', (ev) => {
      const key = (ev as KeyboardEvent).key;
      if (key === 'Enter' || key === ' ') activate(ev, (id) => this.listCluster(id));
    });
    L.DomEvent.on(this.clusterBox, 'mouseover', (ev) => {
      const target = (ev.target as HTMLElement).closest<HTMLElement>('[data-point]');
      if (target) this.cb.onPointHover(target.dataset.point ?? null);
    });
    L.DomEvent.on(this.clusterBox, 'mouseout', (ev) => {
      if ((ev.target as HTMLElement).closest('[data-point]')) this.cb.onPointHover(null);
    });
    L.DomEvent.disableScrollPropagation(this.clusterBox);
    this.labelLayer.addTo(this.map);
    this.highlightLayer.addTo(this.map);
    this.map.on('moveend', () => {
      this.renderPoints();
      this.cb.onMove();
    });
  }

  private expandCluster(id: number): void {
    const centre = this.clusterCentres.get(id);
    if (!centre || !this.index) return;
    this.map.setView([centre[1], centre[0]], Math.min(this.index.getClusterExpansionZoom(id), 18));
  }

  private listCluster(id: number): void {
    const centre = this.clusterCentres.get(id);
    if (!centre || !this.index) return;
    const leaves = this.index.getLeaves(id, CLUSTER_LIST_MAX);
    const ids = leaves.map((f) => f.properties.id);
    this.cb.onClusterList(ids, this.clusterCounts.get(id) ?? ids.length, L.latLng(centre[1], centre[0]));
  }

  setTiles(url: string | null): void {
    if (this.tiles) this.tiles.remove();
    this.tiles = null;
    if (url) {
      this.tiles = L.tileLayer(url, { maxZoom: 18, attribution: 'Tiles' }).addTo(this.map);
      this.tiles.bringToBack();
    }
  }

  setTownships(townships: Township[], shading: Shading): void {
    this.townships = townships;
    this.townshipLayer?.remove();
    this.labelLayer.clearLayers();
    const features: GeoJSON.Feature[] = townships
      .filter((t) => t.boundary)
      .map((t) => ({ type: 'Feature', geometry: t.boundary!, properties: { code: t.code } }));
    this.townshipLayer = L.geoJSON(
      { type: 'FeatureCollection', features } as GeoJSON.FeatureCollection,
      {
        renderer: this.renderer,
        style: (f) => this.styleFor(String(f?.properties?.code), shading),
        onEachFeature: (f, layer) => {
          const code = String(f.properties?.code);
          layer.on('click', () => this.cb.onTownship(code));
        },
      } as L.GeoJSONOptions,
    );
    this.townshipLayer.addTo(this.map);
    this.townshipLayer.bringToBack();
    for (const t of townships) {
      const value = shading.values.get(t.code) ?? 0;
      const box = el(
        'span',
        { class: 'tw-label-inner' },
        el('span', { class: 'tw-name' }, t.name),
        el('span', { class: 'tw-value' }, shading.label(t, value)),
      );
      const marker = L.marker([t.seat.lat, t.seat.lon], {
        icon: L.divIcon({ className: 'tw-label', html: box, iconSize: undefined as unknown as L.PointExpression }),
        keyboard: true,
        title: t.name,
        alt: t.name,
        riseOnHover: true,
        zIndexOffset: 1000,
      });
      marker.on('click', () => this.cb.onTownship(t.code));
      marker.on('add', () => {
        const node = marker.getElement();
        if (node) {
          node.setAttribute('role', 'button');
          node.setAttribute('aria-label', `${t.name} ${shading.label(t, value)}`);
          node.dataset.code = t.code;
          node.addEventListener('keydown', (ev) => {
            if (ev.key === 'Enter' || ev.key === ' ') {
              ev.preventDefault();
              ev.stopPropagation();
              this.cb.onTownship(t.code);
            }
          });
        }
      });
      this.labelLayer.addLayer(marker);
    }
    this.container.dataset.townships = String(features.length);
    if (!this.fitted && this.townshipLayer.getLayers().length) {
      this.fitted = true;
      this.map.invalidateSize();
      if (!this.container.dataset.restored) this.map.fitBounds(this.townshipLayer.getBounds(), { padding: [16, 16], animate: false });
    }
  }

  private styleFor(code: string, shading: Shading): L.PathOptions {
    const value = shading.values.get(code) ?? 0;
    const sel = code === this.selected;
    return {
      color: sel ? '#d98b00' : '#5f6b7a',
      weight: sel ? 4 : 1,
      fillColor: shading.color(value),
      fillOpacity: this.focus.size && !this.focus.has(code) ? 0.2 : 0.75,
    };
  }

  selectTownship(code: string | null, shading: Shading | null): void {
    this.selected = code;
    if (this.townshipLayer && shading) this.townshipLayer.setStyle((f) => this.styleFor(String(f?.properties?.code), shading));
  }

  zoomToTownship(code: string): void {
    this.townshipLayer?.eachLayer((layer) => {
      const f = (layer as L.Polygon & { feature?: GeoJSON.Feature }).feature;
      if (f?.properties?.code === code) this.map.fitBounds((layer as L.Polygon).getBounds(), { maxZoom: 13 });
    });
  }

  setPoints(features: PointFeature[]): number {
    const t0 = performance.now();
    this.byId = new Map(features.map((f) => [f.properties.id, f]));
    this.index = buildIndex(features);
    const indexMs = performance.now() - t0;
    this.container.dataset.points = String(features.length);
    this.container.dataset.indexMs = indexMs.toFixed(1);
    this.renderPoints();
    return indexMs;
  }

  /** Re-cluster for the current view and draw; records the time in data-cluster-ms. */
  renderPoints(): void {
    if (!this.index) return;
    const t0 = performance.now();
    const b = this.map.getBounds().pad(0.1);
    const zoom = Math.round(this.map.getZoom());
    const items = this.index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom);
    const clusterMs = performance.now() - t0;
    this.clusterCentres.clear();
    this.clusterCounts.clear();
    const fragment = document.createDocumentFragment();
    let clusters = 0;
    let singles = 0;
    const place = (node: HTMLElement, size: number, lat: number, lon: number, colour: string): void => {
      const pt = this.map.latLngToLayerPoint([lat, lon]);
      node.style.cssText = `width:${size}px;height:${size}px;background:${colour};color:${textOn(colour)};transform:translate3d(${Math.round(pt.x - size / 2)}px,${Math.round(pt.y - size / 2)}px,0)`;
      node.tabIndex = 0;
      node.setAttribute('role', 'button');
      fragment.append(node);
    };
    for (const item of items) {
      const [lon, lat] = item.geometry.coordinates as [number, number];
      const p = item.properties;
      if ('cluster' in p) {
        clusters++;
        const count = p.point_count;
        const colour = WARNING_HEX[RANK_WARNING[p.rank] ?? 'NONE']!;
        const size = count < 10 ? 26 : count < 100 ? 32 : count < 1000 ? 40 : 48;
        const badge = document.createElement('div');
        badge.className = 'cluster-inner';
        badge.dataset.cluster = String(p.cluster_id);
        badge.textContent = String(p.point_count_abbreviated);
        badge.setAttribute('aria-label', this.labels.cluster(count));
        this.clusterCentres.set(p.cluster_id, [lon, lat]);
        this.clusterCounts.set(p.cluster_id, count);
        place(badge, size, lat, lon, colour);
      } else {
        singles++;
        const dot = document.createElement('div');
        dot.className = 'point-inner';
        dot.dataset.point = p.id;
        dot.setAttribute('aria-label', this.labels.point(p.warningColor, p.openIssueCount ?? 0));
        place(dot, warningRank(p.warningColor) >= 3 ? 14 : 12, lat, lon, WARNING_HEX[p.warningColor ?? 'NONE']!);
      }
    }
    // Drawing anew (new points, a move) must not drop a keyboard user's place: the same badge or
    // point, when it is still drawn, keeps the focus.
    const focused =
      document.activeElement instanceof HTMLElement && this.clusterBox.contains(document.activeElement) ? document.activeElement : null;
    this.clusterBox.replaceChildren(fragment);
    if (focused) {
      const key = focused.dataset.cluster
        ? `[data-cluster="${focused.dataset.cluster}"]`
        : `[data-point="${CSS.escape(focused.dataset.point ?? '')}"]`;
      this.clusterBox.querySelector<HTMLElement>(key)?.focus({ preventScroll: true });
    }
    const ms = performance.now() - t0;
    this.container.dataset.clusters = String(clusters);
    this.container.dataset.singles = String(singles);
    this.container.dataset.clusterMs = ms.toFixed(2);
    this.container.dataset.draws = String(++this.draws);
    this.container.dataset.getClustersMs = clusterMs.toFixed(2);
    this.container.dataset.clusterZoom = String(zoom);
  }

  highlight(id: string | null, location?: { lon: number; lat: number }): void {
    this.highlightLayer.clearLayers();
    if (!id) return;
    const f = this.byId.get(id);
    const coords: [number, number] | null = f
      ? (f.geometry.coordinates as [number, number])
      : location
        ? [location.lon, location.lat]
        : null;
    if (!coords) return;
    L.circleMarker([coords[1], coords[0]], {
      renderer: this.renderer,
      radius: 13,
      color: '#0b3d91',
      weight: 3,
      fill: false,
      interactive: false,
    }).addTo(this.highlightLayer);
    this.container.dataset.highlight = id;
  }

  bbox(): [number, number, number, number] {
    const b = this.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  townshipsInView(): string[] {
    const b = this.map.getBounds();
    const out: string[] = [];
    this.townshipLayer?.eachLayer((layer) => {
      const f = (layer as L.Polygon & { feature?: GeoJSON.Feature }).feature;
      if (f && b.intersects((layer as L.Polygon).getBounds())) out.push(String(f.properties?.code));
    });
    return out;
  }

  /** Remove the map (sign-out): after a running zoom animation, which Leaflet cannot interrupt. */
  destroy(): void {
    const map = this.map as L.Map & { _animatingZoom?: boolean };
    map.stop();
    if (map._animatingZoom) setTimeout(() => map.remove(), 300);
    else map.remove();
  }

  invalidate(): void {
    this.map.invalidateSize();
  }

  get townshipCount(): number {
    return this.townships.length;
  }
}
