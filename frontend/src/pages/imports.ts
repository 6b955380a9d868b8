/**
 * The web import for administrators (issue 13): choose what to import and the file, check it (a dry
 * run on the server: nothing is written), read the problems row by row, then import. The server
 * checks every row again on import and writes all rows or none (backend/yimi/imports/web.py).
 * Opened from the header's 导入 button, which only administrators get.
 */
import { CSRF_HEADER } from '../api/graphql';
import type { StaffRef } from '../api/session';
import { getLang } from '../i18n';
import { el } from '../ui/dom';
import './imports.css';

const KINDS = ['enterprises', 'issues', 'teams', 'townships'] as const;
type Kind = (typeof KINDS)[number];

export interface ImportProblem {
  level: 'error' | 'warning';
  row: number;
  column: string;
  value: string;
  reason: string;
  text: string;
  /** Stable code of the reason (backend/yimi/imports/codes.py) and the values it names. */
  code?: string;
  params?: Record<string, string>;
}

/** The reasons in Chinese by code; English (and any code not listed) shows the server's English reason. */
const REASONS_ZH: Record<string, string> = {
  required: '必填',
  required_for_status: '办理状态为“{status}”时必填',
  too_long: '超过 {max} 个字',
  nul_character: '含有非法字符（NUL）',
  bad_check_digit: '校验位不对（代码有错字？）',
  bad_uscc: '不是统一社会信用代码（18 位数字和大写字母）',
  exists_differs: '库中已有此记录，{fields} 不同：勾选“覆盖库中已有的记录”才会更新',
  duplicate_in_file: '与本文件第 {row} 行重复',
  size_missing: '未填规模：按小型记录',
  unknown_staff: '没有此工作人员（用户名或姓名）',
  risk_missing: '{count} 行未填风险等级：按绿色记录',
  phone_scientific: '电话号码被写成科学计数法：按 {phone} 读取',
  phone_digits_lost: '电话号码被写成科学计数法，末几位已丢失：请以文本格式填写',
  not_a_phone: '科学计数法的数字不是电话号码：请以文本格式填写',
  point_missing: '未填坐标：放在乡镇驻地',
  point_half: '经度和纬度要么都填，要么都不填',
  lon_range: '经度须在 -180 到 180 之间',
  lat_range: '纬度须在 -90 到 90 之间（经纬度填反了？）',
  outside_county: '该点位于本县之外',
  outside_township: '该点不在{township}境内',
  in_future: '时间在未来',
  deadline_before_reported: '办理时限不晚于反映时间',
  unsatisfied_closed: '企业不满意的问题应重新办理，不能销号',
  resolved_at_assumed: '已办结但未填办结时间：取 {at}（据{source}）',
  before_reported: '早于反映时间',
  before_resolved: '早于办结时间',
  unknown_enterprise_code: '库中没有此信用代码的企业：请先导入企业名录',
  ambiguous_enterprise: '多家企业同名：请填统一社会信用代码',
  unknown_enterprise: '库中没有此名称的企业：请先导入企业名录，或填统一社会信用代码',
  department_leads_teams: '{department}牵头 {count} 个服务团（{teams}）：请写明服务团',
  unknown_team: '没有此名称的服务团（或只牵头一个服务团的单位）',
  no_townships: '库中还没有乡镇：请先导入乡镇',
  ambiguous_township: '匹配多个乡镇（{codes}）：请填区划代码',
  unknown_township: '未知乡镇（请填 9 位区划代码或名称）',
  unknown_parent_team: '库中或前面各行没有此服务团',
  bad_township_code: '乡镇区划代码为 9 位数字（如 410223101）',
  county_code_mismatch: '与乡镇代码（{county}）不符',
  county_name_required: '库中尚无此县时必填',
  bad_geometry_type: '边界须为 Polygon 或 MultiPolygon',
  bad_geometry: '边界数据有误',
  invalid_polygon: '边界不是有效的多边形',
  outline_out_of_range: '坐标超出范围：边界须以度为单位',
  seat_missing: '请填驻地经纬度或边界',
  bad_serial:
    '不是日期（该数字不是 1990—2099 年的 Excel 日期）；可写作 2023-05-06、2023.5.6、2023年5月6日、20230506，时限也可写 7个工作日、7个自然日',
  ambiguous_date:
    '年份在后的日期有歧义（月/日还是日/月？）；请写作 2023-05-06、2023.5.6、2023年5月6日、20230506，时限也可写 7个工作日、7个自然日',
  bad_date: '不是日期；可写作 2023-05-06、2023.5.6、2023/5/6 14:30、2023年5月6日、20230506，时限也可写 7个工作日、7个自然日',
  no_such_date: '没有这一天；可写作 2023-05-06、2023.5.6、2023年5月6日、20230506',
  year_out_of_range: '年份须在 1990 到 2099 之间',
  unknown_word: '无法识别（可填：{known}）',
  unknown_industry: '未知行业（填国民经济行业门类字母 A—T 或名称，如 C 或 制造业）',
  not_a_number: '不是数字',
  footer_skipped: '合计或签名行（合计、填表人等）：已跳过',
};

/** A problem's reason in the page's language: Chinese by its code, else the server's English. */
export function problemReason(p: ImportProblem, lang: string = getLang()): string {
  const zh = lang === 'en' || !p.code ? undefined : REASONS_ZH[p.code];
  if (!zh) return p.reason;
  return zh.replace(/\{(\w+)\}/g, (whole, key: string) => p.params?.[key] ?? whole);
}
export interface ImportReport {
  kind: Kind;
  file: string;
  dryRun: boolean;
  committed: boolean;
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  errors: number;
  warnings: number;
  ignoredColumns: string[];
  seconds: number;
  problems: ImportProblem[];
}

const TEXT = {
  'zh-CN': {
    open: '导入',
    title: '导入数据',
    kind: '导入内容',
    file: '文件（.xlsx、.csv；乡镇边界 .geojson）',
    crs: '坐标系',
    update: '覆盖库中已有的记录',
    template: '下载模板',
    check: '检查',
    import: '导入',
    close: '关闭',
    enterprises: '企业名录',
    issues: '问题台账',
    teams: '服务团',
    townships: '乡镇边界',
    wgs84: 'WGS-84（GPS）',
    gcj02: 'GCJ-02（高德、腾讯）',
    bd09: 'BD-09（百度）',
    read: '读取',
    created: '新增',
    updated: '更新',
    unchanged: '未变',
    rejected: '有错误',
    warnings: '提示',
    row: '行',
    column: '列',
    value: '值',
    reason: '原因',
    level: '类别',
    error: '错误',
    warning: '提示',
    checking: '正在检查…',
    importing: '正在导入…',
    clean: '检查通过：可以导入。',
    dirty: '有错误的行须先改正（导入是全部或全不）。',
    done: '已导入。',
    failed: '未导入：有错误的行。',
    more: '只列出前 {n} 个问题。',
    ignored: '未识别的列：',
  },
  en: {
    open: 'Import',
    title: 'Import data',
    kind: 'What',
    file: 'File (.xlsx, .csv; township outlines .geojson)',
    crs: 'Coordinates',
    update: 'Overwrite records already there',
    template: 'Download template',
    check: 'Check',
    import: 'Import',
    close: 'Close',
    enterprises: 'Enterprise register',
    issues: 'Problem ledger',
    teams: 'Service teams',
    townships: 'Township outlines',
    wgs84: 'WGS-84 (GPS)',
    gcj02: 'GCJ-02 (Amap, Tencent)',
    bd09: 'BD-09 (Baidu)',
    read: 'Read',
    created: 'New',
    updated: 'Updated',
    unchanged: 'Unchanged',
    rejected: 'With errors',
    warnings: 'Warnings',
    row: 'Row',
    column: 'Column',
    value: 'Value',
    reason: 'Reason',
    level: 'Kind',
    error: 'error',
    warning: 'warning',
    checking: 'Checking…',
    importing: 'Importing…',
    clean: 'No errors: ready to import.',
    dirty: 'Fix the rows with errors first (an import is all or nothing).',
    done: 'Imported.',
    failed: 'Nothing imported: some rows have errors.',
    more: 'Only the first {n} problems are listed.',
    ignored: 'Columns not recognised: ',
  },
};
type Word = keyof (typeof TEXT)['en'];

function tr(word: Word, n?: number): string {
  const text = TEXT[getLang() === 'en' ? 'en' : 'zh-CN'][word];
  return n === undefined ? text : text.replace('{n}', String(n));
}

/** Sends ``file`` to the import endpoint; a dry run unless ``confirm``. Rejects with the server's message. */
export async function sendImport(
  kind: Kind,
  file: File,
  options: { crs: string; update: boolean; confirm: boolean },
): Promise<ImportReport> {
  const form = new FormData();
  form.append('file', file);
  form.append('crs', options.crs);
  form.append('update', options.update ? '1' : '0');
  form.append('dryRun', options.confirm ? '0' : '1');
  const response = await fetch(`/imports/${kind}`, {
    method: 'POST',
    body: form,
    headers: { [CSRF_HEADER]: '1' },
    credentials: 'same-origin',
  });
  const body = (await response.json().catch(() => null)) as (ImportReport & { error?: { message: string } }) | null;
  if (!response.ok || !body || body.error) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

/** The header's entry point: a button that opens the import dialog, for administrators only. */
export function importEntry(me: StaffRef): HTMLElement[] {
  if (!(me.roles ?? []).includes('admin')) return [];
  const button = el('button', { type: 'button', class: 'btn ghost', id: 'open-import' }, tr('open'));
  button.addEventListener('click', () => new ImportDialog().open());
  return [button];
}

export class ImportDialog {
  private readonly dialog = el('dialog', { class: 'import-dialog', 'aria-labelledby': 'import-title' });
  private readonly kind = el('select', { id: 'import-kind' });
  private readonly crs = el('select', { id: 'import-crs' });
  private readonly file = el('input', { type: 'file', id: 'import-file', accept: '.xlsx,.csv,.geojson,.json' });
  private readonly update = el('input', { type: 'checkbox', id: 'import-update' });
  private readonly template = el('a', { id: 'import-template', download: '' }, tr('template'));
  private readonly checkBtn = el('button', { type: 'button', class: 'btn', id: 'import-check' }, tr('check'));
  private readonly importBtn = el('button', { type: 'button', class: 'btn primary', id: 'import-run', disabled: '' }, tr('import'));
  private readonly status = el('p', { class: 'import-status', id: 'import-status', role: 'status' });
  private readonly result = el('div', { class: 'import-result', id: 'import-result' });

  constructor() {
    for (const k of KINDS) this.kind.append(el('option', { value: k }, tr(k)));
    for (const c of ['wgs84', 'gcj02', 'bd09'] as const) this.crs.append(el('option', { value: c }, tr(c)));
    const close = el('button', { type: 'button', class: 'btn', id: 'import-close' }, tr('close'));
    close.addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('close', () => this.dialog.remove());
    const field = (label: string, control: HTMLElement) => el('label', { class: 'import-field' }, el('span', {}, label), control);
    this.dialog.append(
      el('h2', { id: 'import-title' }, tr('title')),
      el(
        'div',
        { class: 'import-form' },
        field(tr('kind'), this.kind),
        this.template,
        field(tr('file'), this.file),
        field(tr('crs'), this.crs),
        el('label', { class: 'import-check' }, this.update, ` ${tr('update')}`),
      ),
      el('div', { class: 'import-actions' }, this.checkBtn, this.importBtn, close),
      this.status,
      this.result,
    );
    // A new choice needs a new check before anything is imported.
    for (const control of [this.kind, this.crs, this.file, this.update]) control.addEventListener('change', () => this.reset());
    this.checkBtn.addEventListener('click', () => void this.run(false));
    this.importBtn.addEventListener('click', () => void this.run(true));
    this.reset();
  }

  open(): void {
    document.body.append(this.dialog);
    this.dialog.showModal();
  }

  private reset(): void {
    this.template.setAttribute('href', `/imports/templates/${this.kind.value}`);
    this.importBtn.disabled = true;
    this.checkBtn.disabled = !this.file.files?.length;
    this.status.textContent = '';
    this.result.replaceChildren();
  }

  private async run(confirm: boolean): Promise<void> {
    const file = this.file.files?.[0];
    if (!file) return;
    this.checkBtn.disabled = this.importBtn.disabled = true;
    this.status.textContent = tr(confirm ? 'importing' : 'checking');
    let report: ImportReport;
    try {
      report = await sendImport(this.kind.value as Kind, file, { crs: this.crs.value, update: this.update.checked, confirm });
    } catch (err) {
      this.status.textContent = err instanceof Error ? err.message : String(err);
      this.checkBtn.disabled = false;
      return;
    }
    this.checkBtn.disabled = false;
    if (confirm) this.status.textContent = tr(report.committed ? 'done' : 'failed');
    else this.status.textContent = tr(report.errors ? 'dirty' : 'clean');
    this.importBtn.disabled = confirm || report.errors > 0;
    this.result.replaceChildren(...renderReport(report));
  }
}

/** The summary line and the problem table of a report. */
export function renderReport(report: ImportReport): HTMLElement[] {
  const counts = (['read', 'created', 'updated', 'unchanged', 'rejected', 'warnings'] as const).map((k) =>
    el('span', { class: 'import-count', 'data-count': k }, `${tr(k)} `, el('b', {}, String(report[k]))),
  );
  const out: HTMLElement[] = [el('p', { class: 'import-counts' }, ...counts)];
  if (report.ignoredColumns.length) out.push(el('p', {}, tr('ignored') + report.ignoredColumns.join('、')));
  if (report.problems.length) {
    const head = el('tr', {}, ...(['row', 'column', 'value', 'reason', 'level'] as const).map((k) => el('th', { scope: 'col' }, tr(k))));
    const rows = report.problems.map((p) =>
      el(
        'tr',
        { class: `problem ${p.level}` },
        el('td', {}, String(p.row)),
        el('td', {}, p.column),
        el('td', {}, p.value),
        el('td', { title: p.reason }, problemReason(p)),
        el('td', {}, tr(p.level)),
      ),
    );
    out.push(el('table', { class: 'import-problems', id: 'import-problems' }, el('thead', {}, head), el('tbody', {}, ...rows)));
    if (report.problems.length < report.errors + report.warnings) out.push(el('p', {}, tr('more', report.problems.length)));
  }
  return out;
}
