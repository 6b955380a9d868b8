/**
 * Strings of the public statistics page, zh-CN (default) and English. Kept apart from index.ts so that
 * they travel in the public page's chunk and the staff dashboard's bundle does not carry them; the
 * language itself is the one index.ts holds (setLang / getLang).
 */

import type { Lang } from '../state/url';
import { fill, getLang } from './index';

const zh = {
  pageTitle: '企业服务公开数据 · 一米',
  brand: '一米 · 企业服务公开数据',
  heading: '{county}企业诉求办理情况（{year} 年）',
  headingNoCounty: '企业诉求办理情况（{year} 年）',
  intro:
    '本页公布县企业服务平台受理的企业诉求及其办理情况的汇总数字，不含任何企业名称、联系方式或诉求内容。较小的数字依规定不公开，只给出真实数字所在的范围。',
  controls: '页面设置',
  year: '年份',
  print: '打印',
  staffSignIn: '工作人员登录',
  figures: '主要数字',
  f_reported: '受理诉求',
  f_resolved: '已办结',
  f_open: '未办结',
  f_overdue: '超期未办结',
  f_onTime: '按时办结率',
  f_satisfaction: '满意率',
  f_median: '办结用时中位数',
  f_enterprises: '服务企业',
  f_visits: '走访次数',
  unitItems: '件',
  unitDays: '个工作日',
  unitEnterprises: '家',
  unitVisits: '次',
  withheld: '不公开',
  withheldRange: '不公开（{range}）',
  rangeLabel: '范围 {range}',
  withheldRangeNote: '真实数字在 {low} 到 {high} 之间（含两端）。',
  reasonBelow: '真实数字小于公开门槛 {threshold}，为避免识别出个别企业，不公布确切数字。',
  reasonProtects: '这个数字本身不小，但公布它会让另一个不公开的小数字被加减推算出来，所以一并不公开。',
  reasonGeneric: '为避免推算出涉及个别企业的小数字，这个数字不公开。',
  notPublished: '—',
  rateNotPublished: '未公布：参与计算的诉求太少，或公布它会泄露不公开的数字。',
  medianNotPublished: '未公布：已办结的诉求太少。',
  seeDefinitions: '见口径说明',
  monthly: '每月受理与办结',
  monthlyNote: '按登记月份统计：某月的“已办结”是该月登记、现已办结的诉求。',
  byCategory: '各类诉求受理数',
  byTownship: '各乡镇（街道）诉求',
  byTownshipNote: '地图按受理诉求数着色；灰色斜线表示该乡镇的数字不公开。乡镇按企业所在地统计。',
  yearOverYear: '历年对比（全县）',
  table: '数据表：{title}',
  chartAlt: '图表：{title}。同样的数据见下方数据表。',
  chartsLoading: '正在加载图表…',
  chartsFailed: '图表未能加载，数据见各数据表。',
  legendWithheld: '不公开（斜线为可能范围）',
  legendNoData: '不公开',
  legend: '图例',
  downloadCsv: '下载 CSV',
  downloadJson: '下载 JSON',
  downloadCsvOf: '下载“{title}”CSV 文件',
  downloadJsonOf: '下载“{title}”JSON 文件',
  col_month: '月份',
  col_category: '诉求类别',
  col_township: '乡镇/街道',
  col_year: '年份',
  col_area: '地区',
  col_low: '{name}·下限',
  col_high: '{name}·上限',
  definitions: '口径说明',
  definitionsIntro: '这些数字怎么来的：每个数字的含义、计算方法，以及哪些数字不公开、为什么。',
  def_year: '统计年份：按诉求的登记时间（北京时间）计入年份和月份，一件诉求只计入一次。受理诉求少于公开门槛的年份不列出。',
  def_reported: '受理诉求：当年登记的企业诉求件数，不论来自走访、热线、网上还是服务专员。',
  def_resolved: '已办结：当年登记的诉求中，目前状态为“已办结”或“已销号”的件数。',
  def_open: '未办结：其余的诉求（已登记、已派单、办理中、已退单、重新办理），所以受理 = 已办结 + 未办结。',
  def_overdue: '超期未办结：未办结且已经超过办理时限的诉求；办理时限以批准延期后的为准，按统计时的时间判断。',
  def_onTime: '按时办结率：已办结的诉求中，在办理时限（含批准的延期）之前办结的比例，取整到百分之一。',
  def_satisfaction: '满意率：企业作出满意度评价的诉求中，评价为“满意”或“基本满意”的比例，取整到百分之一。',
  def_rates: '比率只在参与计算的诉求不少于 10 件、符合与不符合的都不少于公开门槛、且计算用到的件数已公开时才公布，否则显示“—”。',
  def_median:
    '办结用时中位数：当年登记并已办结的诉求，各自从登记次日到办结当日（含）有多少个工作日（按国家法定节假日和调休上班日计算，北京时间），从小到大排列后取中间的那个数（偶数件时取中间两个的平均）。已办结的诉求少于 10 件时不公布。',
  def_enterprises: '服务企业：当年有诉求登记或接受过走访的不同企业家数，每家企业只计一次。',
  def_visits: '走访次数：当年服务团和服务专员到企业走访的记录次数。',
  def_withheld:
    '不公开：小于公开门槛（本县为 {threshold}）的数字不公布确切值，以免识别出个别企业。如果公布某个数字会让另一个不公开的数字被加减推算出来（例如用合计减去其他各项），它也一并不公开。',
  def_range:
    '每个不公开的数字都附有一个范围（如“386–390”），真实数字一定在其中；范围至少包含 {threshold} 个可能的数，而且只用已公开的数字就能推出，不多透露任何信息。图表用灰色斜线画出这个范围，不画成一个确切的数。',
  def_threshold: '公开门槛：{threshold}',
  def_privacy: '页面和开放数据中不出现任何企业名称、联系方式或诉求内容。',
  def_release:
    '按期发布：数字每月在固定日期发布一次（见页首），两次发布之间不变，因此新增一件诉求不会让页面上的任何数字随之变化。一年结束后的第一次发布为该年的最终数字，此后不再改变。某年新增诉求不足 {threshold} 件时不发布新数字，沿用上一次发布。每次发布都与上一次发布一起核查：两次发布的差额也是一个数字（某乡镇、某类别在一个月内新增或办结的诉求数），同样不公开小于 {threshold} 的差额，也不让两次发布合起来推出任何不公开的数字。',
  asOf: '数据截至 {date}发布，下次发布：{next}。',
  asOfFinal: '数据截至 {date}发布，为该年最终数字。',
  openData: '开放数据',
  openDataIntro:
    '下列地址无需登录，可直接下载与本页相同的数据（JSON 和 CSV），供媒体、研究者和其他网站引用与缓存。把地址中的年份换成其他年份即可取得该年的数据。',
  openDataJson: '{year} 年数据（JSON）',
  openDataCsv: '{year} 年数据（CSV）',
  source: '数据来源：县企业服务平台（一米）。',
  loading: '正在加载…',
  loadFailed: '数据加载失败：',
  retry: '重试',
  noYears: '暂时没有公开的数据。',
  countyTotal: '全县合计',
  jumpTo: '本页内容',
} as const;

export type PublicKey = keyof typeof zh;

const en: Record<PublicKey, string> = {
  pageTitle: 'Enterprise service in figures · Yimi',
  brand: 'Yimi · Enterprise service in figures',
  heading: '{county}: enterprise issues handled in {year}',
  headingNoCounty: 'Enterprise issues handled in {year}',
  intro:
    'Totals of the problems enterprises raised with the county enterprise-service centre and how they were handled. No enterprise name, contact or problem text appears here. Small figures are withheld by rule; for each one the page gives the range the true figure lies in.',
  controls: 'Page settings',
  year: 'Year',
  print: 'Print',
  staffSignIn: 'Staff sign-in',
  figures: 'Headline figures',
  f_reported: 'Issues received',
  f_resolved: 'Resolved',
  f_open: 'Open',
  f_overdue: 'Overdue',
  f_onTime: 'On-time rate',
  f_satisfaction: 'Satisfaction rate',
  f_median: 'Median time to resolve',
  f_enterprises: 'Enterprises served',
  f_visits: 'Visits made',
  unitItems: 'issues',
  unitDays: 'working days',
  unitEnterprises: 'enterprises',
  unitVisits: 'visits',
  withheld: 'withheld',
  withheldRange: 'withheld ({range})',
  rangeLabel: 'range {range}',
  withheldRangeNote: 'The true figure lies between {low} and {high} inclusive.',
  reasonBelow:
    'The true figure is below the publication threshold of {threshold}; it is withheld so that no single enterprise can be picked out.',
  reasonProtects:
    'This figure is not small itself, but publishing it would let another withheld figure be worked out by adding or subtracting, so it is withheld too.',
  reasonGeneric: 'Withheld so that no small figure about individual enterprises can be worked out.',
  notPublished: '—',
  rateNotPublished: 'Not published: too few issues, or it would give a withheld figure away.',
  medianNotPublished: 'Not published: too few resolved issues.',
  seeDefinitions: 'see the definitions',
  monthly: 'Received and resolved by month',
  monthlyNote: "By month of receipt: a month's “resolved” counts the issues received that month that are now resolved.",
  byCategory: 'Issues by category',
  byTownship: 'Issues by township',
  byTownshipNote:
    'The map is shaded by issues received; grey hatching marks a township whose figure is withheld. Issues count where the enterprise is.',
  yearOverYear: 'Year over year (county)',
  table: 'Table: {title}',
  chartAlt: 'Chart: {title}. The table below holds the same figures.',
  chartsLoading: 'Loading charts…',
  chartsFailed: 'The charts could not be loaded; the tables hold every figure.',
  legendWithheld: 'Withheld (hatched: possible range)',
  legendNoData: 'Withheld',
  legend: 'Legend',
  downloadCsv: 'Download CSV',
  downloadJson: 'Download JSON',
  downloadCsvOf: 'Download “{title}” as CSV',
  downloadJsonOf: 'Download “{title}” as JSON',
  col_month: 'Month',
  col_category: 'Category',
  col_township: 'Township',
  col_year: 'Year',
  col_area: 'Area',
  col_low: '{name} (low)',
  col_high: '{name} (high)',
  definitions: 'How these numbers are made',
  definitionsIntro: 'What each figure means, how it is computed, and which figures are withheld and why.',
  def_year:
    'Year: an issue counts in the year and month it was received (China time), once. A year with fewer issues than the publication threshold is not listed.',
  def_reported:
    'Issues received: the enterprise problems logged during the year, whether raised on a visit, on the hotline, online or through a commissioner.',
  def_resolved: 'Resolved: of the issues received that year, those now resolved (办结) or closed (销号).',
  def_open: 'Open: the others (reported, dispatched, in progress, returned, reopened), so received = resolved + open.',
  def_overdue:
    'Overdue: open issues past their deadline, as of when the figures were computed; a deadline counts as moved only by an approved extension.',
  def_onTime:
    'On-time rate: the share of resolved issues resolved by their deadline (approved extensions included), to the nearest whole per cent.',
  def_satisfaction:
    'Satisfaction rate: of the issues the enterprise rated, the share rated satisfied or basically satisfied, to the nearest whole per cent.',
  def_rates:
    'A rate is published only over at least 10 issues, when both the issues it counts and the rest number at least the publication threshold, and when the count it is taken over is published; otherwise it reads “—”.',
  def_median:
    'Median time to resolve: for each issue received in the year and resolved, the working days from the day after it was received up to and including the day it was resolved (China time; public holidays and make-up working days as the State Council sets them); sorted, the middle one (the mean of the middle two for an even number). Not published over fewer than 10 resolved issues.',
  def_enterprises: 'Enterprises served: the distinct enterprises that raised an issue or were visited during the year, each counted once.',
  def_visits: 'Visits made: the visits to enterprises that service teams and commissioners recorded during the year.',
  def_withheld:
    'Withheld: a figure below the publication threshold (here {threshold}) is not published exactly, so that no single enterprise can be picked out. A figure that would let a withheld one be worked out by adding or subtracting (a total minus the other rows, say) is withheld as well.',
  def_range:
    'Each withheld figure comes with a range (such as “386–390”) that holds the true figure; it spans at least {threshold} possible values and follows from the published figures alone, so it gives nothing more away. Charts draw the range hatched in grey, never as an exact number.',
  def_threshold: 'Publication threshold: {threshold}',
  def_privacy: 'No enterprise name, contact or problem text appears on this page or in the open data.',
  def_release:
    "Released, not live: the figures are released once a month on a fixed day (see the top of the page) and do not change in between, so one new issue changes nothing on this page. The first release after a year has ended holds that year's final figures, which do not change afterwards. When fewer than {threshold} issues of a year were reported since its last release, no new figures are released and the last release stands. Each release is checked together with the one before it: the difference between two releases is a figure too (the issues a township or category gained or resolved in a month), so a difference below {threshold} is withheld as well, and the two releases together give no withheld figure away.",
  asOf: 'Figures as of {date}; next release: {next}.',
  asOfFinal: 'Figures as of {date}: the final figures of the year.',
  openData: 'Open data',
  openDataIntro:
    "The same tables as plain downloads (JSON and CSV), without signing in, for newspapers, researchers and other sites to cite and cache. Put another year in the address for that year's figures.",
  openDataJson: '{year} figures (JSON)',
  openDataCsv: '{year} figures (CSV)',
  source: 'Source: the county enterprise-service platform (Yimi).',
  loading: 'Loading…',
  loadFailed: 'The figures could not be loaded: ',
  retry: 'Try again',
  noYears: 'No figures have been published yet.',
  countyTotal: 'County total',
  jumpTo: 'On this page',
};

export function translatePublic(lang: Lang, key: PublicKey, vars: Record<string, string | number> = {}): string {
  return fill(lang === 'en' ? en[key] : zh[key], vars);
}

/** A public-page string in the current language. */
export function pt(key: PublicKey, vars: Record<string, string | number> = {}): string {
  return translatePublic(getLang(), key, vars);
}
