/**
 * The public statistics page at /public: anyone, signed in or not, reads the county's published issue
 * figures for a year — headline figures, charts each with its table (CSV and JSON downloads), a
 * year-over-year table, the definitions and the open-data addresses. The shell loads this module
 * with import(), and this module loads ECharts with import() in turn, so neither grows the staff
 * dashboard's bundle; tables show before (and without) the charts.
 */
import '../public/public.css';
import { formatDate, formatDateTime, getLang, setLang, t } from '../i18n';
import { pt, translatePublic } from '../i18n/public';
import { renderDefinitions } from '../public/definitions';
import { countText, daysText, isPublished, rangeText, rateText } from '../public/format';
import { fetchOutlines, fetchStatistics, fetchYearOverYear, fetchYears } from '../public/queries';
import { breakdownTable, choropleth, legendLabel, yearOverYearTable } from '../public/shape';
import { notPublished, renderTable, withheldFigure } from '../public/tables';
import type { IssueStatistics, PublicCount, TownshipOutline, YearSummary } from '../public/types';
import { chooseYear, openDataUrls, type PublicState, parsePublicState, serializePublicState } from '../public/url';
import type { Lang } from '../state/url';
import { el } from '../ui/dom';

type ChartsModule = typeof import('../public/charts');

export class PublicPage {
  private state: PublicState;
  private years: number[] = [];
  private stats: IssueStatistics | null = null;
  private yoy: YearSummary[] | null = null;
  private yoyFailed = false;
  private outlines: TownshipOutline[] = [];
  private charts: Promise<ChartsModule> | null = null;
  private seq = 0;
  private readonly content = el('div', { class: 'public-content' });
  private readonly status = el('p', { class: 'public-status', role: 'status', 'aria-live': 'polite' });

  constructor(private readonly root: HTMLElement) {
    this.state = parsePublicState(location.search);
  }

  async start(): Promise<void> {
    setLang(this.state.lang);
    document.title = pt('pageTitle');
    document.body.classList.add('public-body');
    this.root.dataset.screen = 'public';
    this.root.replaceChildren(this.status, this.content);
    this.renderHeader();
    window.addEventListener('popstate', () => {
      const next = parsePublicState(location.search);
      const langChanged = next.lang !== this.state.lang;
      this.state = next;
      if (langChanged) this.switchLang(next.lang, false);
      else void this.loadYear();
    });
    await this.load();
  }

  // ---- data --------------------------------------------------------------------------------

  private async load(): Promise<void> {
    this.showStatus(pt('loading'));
    // The outlines and the other years are extras: the page shows the year without them.
    const outlines = fetchOutlines().catch(() => [] as TownshipOutline[]);
    try {
      this.years = await fetchYears();
    } catch (err) {
      this.showError(err);
      return;
    }
    const yoy = fetchYearOverYear(this.years).then(
      (v) => {
        this.yoy = v;
      },
      () => {
        this.yoyFailed = true;
      },
    );
    await Promise.all([
      this.loadYear(false),
      outlines.then((o) => {
        this.outlines = o;
      }),
      yoy,
    ]);
    if (this.stats) this.render();
  }

  /** Fetch the chosen year's figures; `render` false when load() renders once everything is in. */
  private async loadYear(render = true): Promise<void> {
    const seq = ++this.seq;
    const year = chooseYear(this.state.year, this.years);
    if (year === null) {
      this.stats = null;
      this.content.replaceChildren(this.hero(null), el('p', { class: 'public-empty' }, pt('noYears')));
      this.showStatus('');
      return;
    }
    this.showStatus(pt('loading'));
    try {
      const stats = await fetchStatistics(year);
      if (seq !== this.seq) return;
      this.stats = stats;
    } catch (err) {
      if (seq === this.seq) this.showError(err);
      return;
    }
    this.showStatus('');
    if (render) this.render();
  }

  private showStatus(text: string): void {
    this.status.textContent = text;
    this.status.className = 'public-status';
  }

  private showError(err: unknown): void {
    const retry = el('button', { type: 'button', class: 'btn' }, pt('retry'));
    retry.addEventListener('click', () => void this.load());
    this.status.replaceChildren(pt('loadFailed') + (err instanceof Error ? err.message : String(err)), ' ', retry);
    this.status.className = 'public-status alert';
  }

  // ---- state -------------------------------------------------------------------------------

  private setYear(year: number): void {
    this.state = { ...this.state, year };
    history.pushState(null, '', location.pathname + serializePublicState(this.state));
    void this.loadYear();
  }

  private switchLang(lang: Lang, push = true): void {
    this.state = { ...this.state, lang };
    setLang(lang);
    if (push) history.replaceState(null, '', location.pathname + serializePublicState(this.state));
    this.renderHeader();
    if (this.stats) this.render();
    document.getElementById('public-lang')?.focus();
  }

  // ---- rendering ---------------------------------------------------------------------------

  private renderHeader(): void {
    const lang = getLang();
    const skip = document.querySelector('.skip-link');
    if (skip) skip.textContent = t('skip');
    const other: Lang = lang === 'en' ? 'zh-CN' : 'en';
    // Named by its visible text ("English" / "中文", in that language): an aria-label of its own would
    // differ from what a voice-control user sees and says (axe: label-content-name-mismatch).
    const langBtn = el('button', { type: 'button', class: 'btn ghost', id: 'public-lang', lang: other, title: t('langLabel') }, t('lang'));
    langBtn.addEventListener('click', () => this.switchLang(other));
    const staff = el('a', { class: 'btn ghost staff-link', href: lang === 'en' ? '/?lang=en' : '/' }, pt('staffSignIn'));
    const header = el(
      'header',
      { class: 'site-header public-header' },
      el(
        'div',
        { class: 'brand' },
        el('span', { class: 'emblem', 'aria-hidden': 'true' }, '一米'),
        el('span', { class: 'brand-name' }, pt('brand')),
      ),
      el('div', { class: 'header-right' }, langBtn, staff),
    );
    document.querySelector('header.site-header')?.replaceWith(header);
  }

  private heading(stats: IssueStatistics | null): string {
    if (!stats) return pt('brand');
    const year = stats.year;
    const county = stats.total.label;
    return county && county !== 'ALL' ? pt('heading', { county, year }) : pt('headingNoCounty', { year });
  }

  private hero(stats: IssueStatistics | null): HTMLElement {
    const controls = el('div', { class: 'public-controls', role: 'group', 'aria-label': pt('controls') });
    if (this.years.length) {
      const select = el(
        'select',
        { id: 'public-year', name: 'year' },
        ...this.years.map((y) => el('option', { value: String(y) }, String(y))),
      );
      select.value = String(stats?.year ?? '');
      select.addEventListener('change', () => this.setYear(Number(select.value)));
      controls.append(el('label', { for: 'public-year' }, pt('year')), select);
    }
    const print = el('button', { type: 'button', class: 'btn', id: 'public-print' }, pt('print'));
    print.addEventListener('click', () => window.print());
    controls.append(print);
    return el(
      'section',
      { class: 'public-hero', 'aria-labelledby': 'public-title' },
      el('h1', { id: 'public-title' }, this.heading(stats)),
      el('p', { class: 'public-intro' }, pt('intro')),
      stats ? el('p', { class: 'public-release', id: 'public-release' }, releaseText(stats, getLang())) : '',
      controls,
    );
  }

  private render(): void {
    const stats = this.stats;
    if (!stats) return;
    const lang = getLang();
    document.title = `${this.heading(stats)} · ${pt('pageTitle')}`;
    const focusedId = document.activeElement?.id;
    const chartBox = (id: string, title: string): HTMLElement =>
      el(
        'div',
        { class: `chart chart-${id}`, id: `chart-${id}`, role: 'img', 'aria-label': pt('chartAlt', { title }) },
        el('p', { class: 'chart-note' }, pt('chartsLoading')),
      );
    const monthly = chartBox('monthly', pt('monthly'));
    const category = chartBox('category', pt('byCategory'));
    const township = chartBox('township', pt('byTownship'));
    this.content.replaceChildren(
      this.hero(stats),
      this.toc(),
      this.figures(stats),
      this.section('monthly', pt('monthly'), pt('monthlyNote'), monthly, renderTable(breakdownTable(stats, 'by-month', lang))),
      this.section('category', pt('byCategory'), null, category, renderTable(breakdownTable(stats, 'by-category', lang))),
      this.section(
        'township',
        pt('byTownship'),
        pt('byTownshipNote'),
        el('div', { class: 'map-and-legend' }, township, this.mapLegend(stats)),
        renderTable(breakdownTable(stats, 'by-township', lang)),
      ),
      this.section(
        'year-over-year',
        pt('yearOverYear'),
        null,
        null,
        this.yoy
          ? renderTable(yearOverYearTable(this.yoy, stats.threshold, lang))
          : el('p', { class: 'muted' }, this.yoyFailed ? pt('loadFailed') : pt('loading')),
      ),
      renderDefinitions(stats.threshold),
      this.openData(stats.year),
      el('footer', { class: 'public-footer' }, el('p', {}, pt('source'))),
    );
    if (focusedId) document.getElementById(focusedId)?.focus();
    void this.drawCharts({ monthly, category, township }, stats, lang);
  }

  private async drawCharts(
    targets: { monthly: HTMLElement; category: HTMLElement; township: HTMLElement },
    stats: IssueStatistics,
    lang: Lang,
  ): Promise<void> {
    const seq = this.seq;
    try {
      this.charts ??= import('../public/charts');
      const charts = await this.charts;
      if (seq !== this.seq || this.stats !== stats || !targets.monthly.isConnected) return;
      for (const t of Object.values(targets)) t.replaceChildren();
      charts.drawCharts(targets, stats, this.outlines, lang);
      this.content.dataset.charts = 'ready';
    } catch {
      this.charts = null;
      for (const t of Object.values(targets)) t.replaceChildren(el('p', { class: 'chart-note' }, pt('chartsFailed')));
      this.content.dataset.charts = 'failed';
    }
  }

  private toc(): HTMLElement {
    const links: Array<[string, string]> = [
      ['figures', pt('figures')],
      ['monthly', pt('monthly')],
      ['category', pt('byCategory')],
      ['township', pt('byTownship')],
      ['year-over-year', pt('yearOverYear')],
      ['definitions', pt('definitions')],
      ['open-data', pt('openData')],
    ];
    return el(
      'nav',
      { class: 'public-toc', 'aria-label': pt('jumpTo') },
      el('ul', {}, ...links.map(([id, label]) => el('li', {}, el('a', { href: `#${id}` }, label)))),
    );
  }

  private section(id: string, title: string, note: string | null, chart: HTMLElement | null, table: HTMLElement): HTMLElement {
    // Heading, note and chart stay on one printed page (.section-lead); a long table may run on.
    return el(
      'section',
      { class: 'public-section', id, 'aria-labelledby': `${id}-title` },
      el(
        'div',
        { class: 'section-lead' },
        el('h2', { id: `${id}-title` }, title),
        note ? el('p', { class: 'section-note' }, note) : null,
        chart,
      ),
      table,
    );
  }

  private figures(stats: IssueStatistics): HTMLElement {
    const lang = getLang();
    const count = (c: PublicCount, unit: string): Node[] =>
      isPublished(c)
        ? [el('span', { class: 'figure-value' }, countText(c, lang)), el('span', { class: 'figure-unit' }, unit)]
        : [
            el('span', { class: 'figure-value withheld-value' }, withheldFigure(c, stats.threshold, pt('withheld'))),
            el('span', { class: 'figure-range' }, rangeText(c, lang) ? pt('rangeLabel', { range: rangeText(c, lang) }) : ''),
          ];
    const rate = (r: number | null): Node[] =>
      r === null
        ? [el('span', { class: 'figure-value' }, notPublished(pt('rateNotPublished')))]
        : [el('span', { class: 'figure-value' }, rateText(r, lang))];
    const median = stats.medianWorkingDaysToResolve;
    const items: Array<[string, string, Node[]]> = [
      ['reported', pt('f_reported'), count(stats.total.reported, pt('unitItems'))],
      ['resolved', pt('f_resolved'), count(stats.total.resolved, pt('unitItems'))],
      ['open', pt('f_open'), count(stats.total.open, pt('unitItems'))],
      ['overdue', pt('f_overdue'), count(stats.total.overdue, pt('unitItems'))],
      ['on-time', pt('f_onTime'), rate(stats.total.onTimeRate)],
      ['satisfaction', pt('f_satisfaction'), rate(stats.total.satisfactionRate)],
      [
        'median',
        pt('f_median'),
        median === null
          ? [el('span', { class: 'figure-value' }, notPublished(pt('medianNotPublished')))]
          : [el('span', { class: 'figure-value' }, daysText(median, lang)), el('span', { class: 'figure-unit' }, pt('unitDays'))],
      ],
      ['enterprises', pt('f_enterprises'), count(stats.enterprisesServed, pt('unitEnterprises'))],
      ['visits', pt('f_visits'), count(stats.visits, pt('unitVisits'))],
    ];
    return el(
      'section',
      { class: 'public-section', id: 'figures', 'aria-labelledby': 'figures-title' },
      el('h2', { id: 'figures-title' }, pt('figures')),
      el(
        'dl',
        { class: 'figure-grid' },
        ...items.map(([key, label, value]) =>
          el('div', { class: 'figure', 'data-figure': key }, el('dt', {}, label), el('dd', {}, ...value)),
        ),
      ),
    );
  }

  private mapLegend(stats: IssueStatistics): HTMLElement {
    const lang = getLang();
    const { legend } = choropleth(stats, this.outlines);
    const items = legend.map((item) => {
      const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = item.color; // CSSOM, which the CSP allows (unlike a style attribute)
      return el('li', {}, sw, legendLabel(item, lang));
    });
    items.push(el('li', {}, el('span', { class: 'swatch swatch-withheld', 'aria-hidden': 'true' }), pt('legendNoData')));
    return el(
      'div',
      { class: 'map-legend' },
      el('p', { class: 'legend-title' }, `${pt('legend')} · ${pt('f_reported')}`),
      el('ul', {}, ...items),
    );
  }

  private openData(year: number): HTMLElement {
    const urls = openDataUrls(location.origin, year);
    return el(
      'section',
      { class: 'public-section open-data', id: 'open-data', 'aria-labelledby': 'open-data-title' },
      el('h2', { id: 'open-data-title' }, pt('openData')),
      el('p', {}, pt('openDataIntro')),
      el(
        'ul',
        { class: 'open-data-list' },
        el(
          'li',
          {},
          el('span', { class: 'od-label' }, pt('openDataJson', { year })),
          ' ',
          el('a', { href: urls.json, 'data-open-data': 'json' }, urls.json),
        ),
        el(
          'li',
          {},
          el('span', { class: 'od-label' }, pt('openDataCsv', { year })),
          ' ',
          el('a', { href: urls.csv, 'data-open-data': 'csv' }, urls.csv),
        ),
      ),
    );
  }
}

/** "数据截至 …发布，下次发布：…" / "Figures as of …; next release: …" (county time). */
export function releaseText(stats: Pick<IssueStatistics, 'releasedAt' | 'nextReleaseAt'>, lang: Lang): string {
  const date = formatDateTime(stats.releasedAt, lang);
  return stats.nextReleaseAt
    ? translatePublic(lang, 'asOf', { date, next: formatDate(stats.nextReleaseAt, lang) })
    : translatePublic(lang, 'asOfFinal', { date });
}
