/**
 * The public page's charts, drawn with Apache ECharts. Only this module imports ECharts, and the page
 * loads it with import(), so ECharts travels in a chunk of its own that the staff dashboard never
 * loads. Tree-shaken: bar and map series, grid, legend and tooltip, the canvas renderer.
 *
 * Content-Security-Policy: the page allows no inline style attributes. ECharts' HTML tooltip writes
 * style="" into its markup, so the tooltips here are drawn on the canvas (renderMode 'richText');
 * ECharts sizes its own elements through element.style, which the policy allows.
 *
 * A withheld count is never drawn as a number: its bar is an invisible base up to the low end of
 * its range and a grey hatched segment from low to high; a withheld township is grey and hatched.
 */
import { BarChart, MapChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { formatNumber } from '../i18n';
import { translatePublic } from '../i18n/public';
import { textOn } from '../map/scale';
import type { Lang } from '../state/url';
import { countText } from './format';
import { categorySeries, choropleth, monthlySeries, type RangeBars, WITHHELD_FILL } from './shape';
import type { IssueStatistics, PublicCount, StatisticsRow, TownshipOutline } from './types';

echarts.use([BarChart, MapChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const RECEIVED = '#0b4f9c';
const RESOLVED = '#2e7d4a';
/** Diagonal hatching for withheld ranges and townships (ECharts "decal" pattern). */
const HATCH = {
  symbol: 'rect',
  symbolSize: 1,
  dashArrayX: [1, 0],
  dashArrayY: [2, 4],
  rotation: -Math.PI / 4,
  color: 'rgba(40, 48, 60, 0.55)',
};
/**
 * Printing: charts redraw at a fixed size (660 px wide, about the 186 mm an A4 page leaves, with the
 * heights below) when the print media query starts to match or on beforeprint, and the print
 * stylesheet scales that canvas to the paper's width. While printing, box size changes are ignored:
 * the print boxes take their height from the canvas, which would feed back into the next resize.
 */
const PRINT_WIDTH = 660;
const PRINT_HEIGHT = { monthly: 250, category: 290, township: 330 } as const;
const MAP_NAME = 'yimi-public-townships';
const FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif";

export interface ChartTargets {
  monthly: HTMLElement;
  category: HTMLElement;
  township: HTMLElement;
}

interface Drawn {
  chart: echarts.ECharts;
  printHeight: number;
}

let charts: Drawn[] = [];
let observer: ResizeObserver | null = null;
let printing = false;
const printQuery = typeof matchMedia === 'function' ? matchMedia('print') : null;

function fitScreen(): void {
  if (printing || printQuery?.matches) return;
  for (const { chart } of charts) {
    const dom = chart.getDom();
    // A hidden or collapsed box (0 wide or high) gives the map a singular transform: ECharts 6.1 throws.
    if (dom.clientWidth === 0 || dom.clientHeight === 0) continue;
    chart.resize();
  }
}

function fitPrint(): void {
  for (const { chart, printHeight } of charts) chart.resize({ width: PRINT_WIDTH, height: printHeight });
}

function onBeforePrint(): void {
  printing = true;
  fitPrint();
}
function onAfterPrint(): void {
  printing = false;
  fitScreen();
}
function onPrintQuery(e: MediaQueryListEvent): void {
  if (e.matches) fitPrint();
  else fitScreen();
}

export function disposeCharts(): void {
  observer?.disconnect();
  observer = null;
  for (const { chart } of charts) chart.dispose();
  charts = [];
  window.removeEventListener('beforeprint', onBeforePrint);
  window.removeEventListener('afterprint', onAfterPrint);
  printQuery?.removeEventListener('change', onPrintQuery);
}

function init(target: HTMLElement, printHeight: number): echarts.ECharts {
  // devicePixelRatio 2: crisp when printed or zoomed.
  const chart = echarts.init(target, null, { renderer: 'canvas', devicePixelRatio: Math.max(2, window.devicePixelRatio || 1) });
  charts.push({ chart, printHeight });
  observer?.observe(target);
  return chart;
}

/** The three stacked series of one measure: exact, invisible base, hatched range. */
function rangeSeries(name: string, withheldName: string, stack: string, color: string, bars: RangeBars): echarts.EChartsCoreOption[] {
  return [
    { name, type: 'bar', stack, data: bars.exact.map((v) => v ?? '-'), itemStyle: { color }, barMaxWidth: 26 },
    {
      name: `${stack}-base`,
      type: 'bar',
      stack,
      data: bars.base.map((v) => v ?? '-'),
      silent: true,
      itemStyle: { color: 'rgba(0,0,0,0)' },
      emphasis: { disabled: true },
      tooltip: { show: false },
    },
    {
      name: withheldName,
      type: 'bar',
      stack,
      data: bars.span.map((v) => v ?? '-'),
      itemStyle: { color: WITHHELD_FILL, borderColor: color, borderWidth: 1, borderType: 'dashed', decal: HATCH },
    },
  ];
}

function tooltipText(title: string, lines: Array<[string, PublicCount]>, lang: Lang): string {
  return [title, ...lines.map(([label, c]) => `${label}${lang === 'en' ? ': ' : '：'}${countText(c, lang)}`)].join('\n');
}

const BASE = {
  animation: false,
  textStyle: { fontFamily: FONT, color: '#1b2430' },
  // Drawn on the canvas: no HTML, so no style attributes for the CSP to refuse.
  tooltip: {
    renderMode: 'richText',
    confine: true,
    backgroundColor: '#ffffff',
    borderColor: '#7a8594',
    textStyle: { color: '#1b2430', fontSize: 12 },
  },
};

/** The tooltip of a bar chart over `rows`: the hovered row's label and the figures `lines` picks. */
function axisTooltip(
  labels: readonly string[],
  rows: readonly StatisticsRow[],
  lines: (row: StatisticsRow) => Array<[string, PublicCount]>,
  lang: Lang,
) {
  return {
    ...BASE.tooltip,
    trigger: 'axis',
    axisPointer: { type: 'shadow' },
    formatter: (params: unknown) => {
      const i = ((Array.isArray(params) ? params[0] : params) as { dataIndex: number }).dataIndex;
      const row = rows[i];
      return row ? tooltipText(labels[i] ?? row.key, lines(row), lang) : '';
    },
  };
}

function drawMonthly(target: HTMLElement, stats: IssueStatistics, lang: Lang): void {
  const s = monthlySeries(stats, lang);
  const received = translatePublic(lang, 'f_reported');
  const resolved = translatePublic(lang, 'f_resolved');
  const withheld = translatePublic(lang, 'legendWithheld');
  init(target, PRINT_HEIGHT.monthly).setOption({
    ...BASE,
    legend: { data: [received, resolved, withheld], top: 0, textStyle: { fontSize: 12 } },
    grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: s.labels, axisLabel: { fontSize: 11, interval: 0 } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 11 } },
    tooltip: axisTooltip(
      s.labels,
      stats.byMonth,
      (row) => [
        [received, row.reported],
        [resolved, row.resolved],
      ],
      lang,
    ),
    series: [
      ...rangeSeries(received, withheld, 'reported', RECEIVED, s.reported),
      ...rangeSeries(resolved, withheld, 'resolved', RESOLVED, s.resolved),
    ],
  });
}

function drawCategory(target: HTMLElement, stats: IssueStatistics, lang: Lang): void {
  const s = categorySeries(stats, lang);
  const received = translatePublic(lang, 'f_reported');
  const withheld = translatePublic(lang, 'legendWithheld');
  init(target, PRINT_HEIGHT.category).setOption({
    ...BASE,
    legend: { data: [received, withheld], top: 0, textStyle: { fontSize: 12 } },
    grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 11 } },
    yAxis: { type: 'category', data: s.labels, inverse: true, axisLabel: { fontSize: 12 } },
    tooltip: axisTooltip(s.labels, stats.byCategory, (row) => [[received, row.reported]], lang),
    series: rangeSeries(received, withheld, 'reported', RECEIVED, s.reported),
  });
}

/** Township outlines as one FeatureCollection keyed by code (ECharts matches areas by `name`). */
function registerOutlines(outlines: readonly TownshipOutline[]): void {
  const features = outlines
    .filter((o) => o.boundary !== null)
    .map((o) => ({ type: 'Feature' as const, properties: { name: o.code }, geometry: o.boundary! }));
  echarts.registerMap(MAP_NAME, { type: 'FeatureCollection', features } as unknown as Parameters<typeof echarts.registerMap>[1]);
}

function drawTownships(target: HTMLElement, stats: IssueStatistics, outlines: readonly TownshipOutline[], lang: Lang): void {
  registerOutlines(outlines);
  const { areas } = choropleth(stats, outlines);
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const received = translatePublic(lang, 'f_reported');
  init(target, PRINT_HEIGHT.township).setOption({
    ...BASE,
    tooltip: {
      ...BASE.tooltip,
      trigger: 'item',
      formatter: (p: unknown) => {
        const a = byCode.get((p as { name: string }).name);
        return a?.count ? tooltipText(a.name, [[received, a.count]], lang) : (a?.name ?? '');
      },
    },
    series: [
      {
        type: 'map',
        map: MAP_NAME,
        roam: false,
        selectedMode: false,
        // Degrees of longitude are shorter than degrees of latitude at the county's ~34°N.
        aspectScale: 0.83,
        layoutCenter: ['50%', '50%'],
        layoutSize: '96%',
        itemStyle: { borderColor: '#ffffff', borderWidth: 1.2 },
        emphasis: { itemStyle: { borderColor: '#f5a623', borderWidth: 2 }, label: { show: true } },
        label: {
          show: true,
          fontSize: 11,
          lineHeight: 14,
          formatter: (p: { name: string }) => {
            const a = byCode.get(p.name);
            if (!a) return '';
            return `${a.name}\n${a.value === null ? translatePublic(lang, 'withheld') : formatNumber(a.value, lang)}`;
          },
        },
        data: areas.map((a) => ({
          name: a.code,
          value: a.value ?? '-',
          itemStyle: a.value === null ? { areaColor: a.color, decal: HATCH } : { areaColor: a.color },
          label: { color: textOn(a.color) },
          emphasis: { itemStyle: { areaColor: a.color } },
        })),
      },
    ],
  });
}

/** Draw (or redraw) the three charts; earlier ones are disposed first. */
export function drawCharts(targets: ChartTargets, stats: IssueStatistics, outlines: readonly TownshipOutline[], lang: Lang): void {
  disposeCharts();
  observer = new ResizeObserver(() => fitScreen());
  window.addEventListener('beforeprint', onBeforePrint);
  window.addEventListener('afterprint', onAfterPrint);
  printQuery?.addEventListener('change', onPrintQuery);
  drawMonthly(targets.monthly, stats, lang);
  drawCategory(targets.category, stats, lang);
  if (outlines.length) drawTownships(targets.township, stats, outlines, lang);
  if (printQuery?.matches) fitPrint();
}
