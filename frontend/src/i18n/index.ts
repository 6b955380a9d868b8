/** zh-CN (default) and English labels; numbers and dates formatted per locale. */
import type { Lang } from '../state/url';

const zh = {
  appTitle: '一米 · 企业服务地图看板',
  skip: '跳到主要内容',
  viewMap: '地图', viewList: '列表', viewCoverage: '覆盖矩阵',
  views: '视图',
  lang: 'English',
  langLabel: '切换语言',
  filters: '筛选',
  township: '乡镇/街道', allTownships: '全部乡镇',
  category: '诉求类别', allCategories: '全部类别',
  warning: '预警', allWarnings: '全部预警',
  search: '搜索', searchPlaceholder: '企业名称、信用代码或诉求编号',
  aboveScale: '规上企业', any: '不限', yes: '是', no: '否',
  hasOpen: '有未办结诉求',
  reset: '重置筛选',
  metric: '着色指标',
  m_open: '未办结诉求', m_overdue: '超期诉求', m_enterprises: '企业数', m_teams: '覆盖服务团数', m_gaps: '覆盖缺口（类别）', m_rate: '办结率',
  legend: '图例', none: '无',
  tiles: '底图瓦片', tilesUnavailable: '未配置瓦片地址（离线模式）',
  enterprises: '企业', issues: '诉求', teams: '服务团',
  onlyMap: '仅显示地图范围内',
  csv: '下载 CSV', csvBusy: '正在导出…',
  prev: '上一页', next: '下一页',
  loading: '正在加载…', loadFailed: '加载失败：',
  total: '共 {n} 条', page: '第 {n} 页',
  name: '名称', uscc: '统一社会信用代码', industry: '行业', size: '规模', risk: '风险五色', openIssues: '未办结诉求',
  number: '编号', title: '标题', status: '状态', priority: '优先级', reportedAt: '登记时间', deadline: '办理时限',
  enterprise: '企业', leadTeam: '主办服务团', kind: '类型', specialities: '专长类别', leader: '团长', leadDept: '牵头部门',
  townshipsCovered: '覆盖乡镇',
  close: '关闭',
  figures: '概况', coveringTeams: '覆盖服务团', gaps: '覆盖缺口', noGaps: '各类别均有服务团覆盖',
  noTeams: '暂无服务团覆盖',
  overdue: '超期', open: '未办结',
  profile: '企业档案', commissioner: '服务专员', noCommissioner: '未指派', address: '地址', chain: '产业链',
  issueList: '诉求', noIssues: '暂无诉求', timeline: '办理记录',
  coverageTitle: '乡镇 × 诉求类别 覆盖矩阵', uncovered: '未覆盖', covered: '已覆盖',
  coverageHint: '数字为覆盖该乡镇且承办该类别的服务团数（悬停查看名单，读屏软件朗读团名）；标 ✕ 的格子为覆盖缺口。',
  signIn: '登录', signOut: '退出', username: '用户名', password: '密码', signedInAs: '已登录：{name}',
  actions: '办理操作', submit: '提交',
  a_dispatch: '派单', a_accept: '接单', a_return: '退单', a_note: '添加备注', a_resolve: '办结', a_confirm: '满意度回访',
  a_reopen: '重新办理', a_extension: '申请延期', a_report: '登记新诉求', f_source: '来源', f_description: '诉求描述',
  f_leadTeam: '主办服务团', f_instruction: '派单说明', f_note: '备注', f_reason: '理由', f_summary: '办结情况',
  f_satisfaction: '满意度', f_comment: '意见', f_deadline: '申请的新时限',
  conflict: '其他人已修改此诉求，请重新加载后再操作。', reload: '重新加载',
  staleNotice: '此企业的诉求刚被其他人更新。',
  done: '已保存。',
  live: '实时', liveOff: '实时更新未连接', liveOn: '实时更新已连接', updated: '诉求 {n} 已更新',
  points: '企业点位', cluster: '{n} 家企业',
  satisfaction: '满意度',
  contactPerson: '联系人', contactPhone: '联系电话',
  signInTitle: '工作人员登录', signInIntro: '请使用县企业服务平台的工作账号登录。',
  signingIn: '正在登录…',
  publicLink: '查看企业服务公开数据', publicLinkHint: '无需登录：全县企业诉求受理、办结和满意度的统计数字。',
  needUsername: '请输入用户名。', needPassword: '请输入密码。',
  wrongCredentials: '用户名或密码错误。',
  throttledIn: '登录失败次数过多，请 {n} 秒后再试。', throttled: '登录失败次数过多，请稍后再试。',
  sessionExpired: '登录已失效，请重新登录。登录后将回到原来的页面。',
  signedOutNotice: '您已安全退出。',
  unreachable: '暂时无法连接服务器，请稍后再试。',
  signOutFailed: '退出失败：',
  forbidden: '当前账号无权查看此内容。',
} as const;

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  appTitle: 'Yimi · Enterprise service map',
  skip: 'Skip to main content',
  viewMap: 'Map', viewList: 'List', viewCoverage: 'Coverage',
  views: 'Views',
  lang: '中文',
  langLabel: 'Switch language',
  filters: 'Filters',
  township: 'Township', allTownships: 'All townships',
  category: 'Category', allCategories: 'All categories',
  warning: 'Warning', allWarnings: 'All warnings',
  search: 'Search', searchPlaceholder: 'Name, credit code or issue number',
  aboveScale: 'Above scale', any: 'Any', yes: 'Yes', no: 'No',
  hasOpen: 'Has open issues',
  reset: 'Reset filters',
  metric: 'Shade by',
  m_open: 'Open issues', m_overdue: 'Overdue issues', m_enterprises: 'Enterprises', m_teams: 'Covering teams', m_gaps: 'Coverage gaps', m_rate: 'Resolution rate',
  legend: 'Legend', none: 'None',
  tiles: 'Base tiles', tilesUnavailable: 'No tile URL configured (offline)',
  enterprises: 'Enterprises', issues: 'Issues', teams: 'Teams',
  onlyMap: 'Only what the map shows',
  csv: 'Download CSV', csvBusy: 'Exporting…',
  prev: 'Previous', next: 'Next',
  loading: 'Loading…', loadFailed: 'Failed to load: ',
  total: '{n} in total', page: 'Page {n}',
  name: 'Name', uscc: 'Credit code', industry: 'Industry', size: 'Size', risk: 'Risk colour', openIssues: 'Open issues',
  number: 'Number', title: 'Title', status: 'Status', priority: 'Priority', reportedAt: 'Reported', deadline: 'Deadline',
  enterprise: 'Enterprise', leadTeam: 'Lead team', kind: 'Kind', specialities: 'Specialities', leader: 'Leader', leadDept: 'Lead department',
  townshipsCovered: 'Townships covered',
  close: 'Close',
  figures: 'Figures', coveringTeams: 'Covering teams', gaps: 'Coverage gaps', noGaps: 'Every category is covered',
  noTeams: 'No team covers it',
  overdue: 'Overdue', open: 'Open',
  profile: 'Profile', commissioner: 'Commissioner', noCommissioner: 'None assigned', address: 'Address', chain: 'Industry chain',
  issueList: 'Issues', noIssues: 'No issues', timeline: 'Timeline',
  coverageTitle: 'Coverage: townships × issue categories', uncovered: 'Uncovered', covered: 'Covered',
  coverageHint: 'Each number counts the teams covering the township that handle the category (hover for names; screen readers read them); ✕ marks a gap.',
  signIn: 'Sign in', signOut: 'Sign out', username: 'Username', password: 'Password', signedInAs: 'Signed in: {name}',
  actions: 'Actions', submit: 'Submit',
  a_dispatch: 'Dispatch', a_accept: 'Accept', a_return: 'Return', a_note: 'Add note', a_resolve: 'Resolve', a_confirm: 'Confirm satisfaction',
  a_reopen: 'Reopen', a_extension: 'Request extension', a_report: 'Report a new issue', f_source: 'Source', f_description: 'Description',
  f_leadTeam: 'Lead team', f_instruction: 'Instruction', f_note: 'Note', f_reason: 'Reason', f_summary: 'Resolution summary',
  f_satisfaction: 'Satisfaction', f_comment: 'Comment', f_deadline: 'Requested deadline',
  conflict: 'Someone else changed this issue; reload it and try again.', reload: 'Reload',
  staleNotice: 'Someone else just updated this enterprise\'s issues.',
  done: 'Saved.',
  live: 'Live', liveOff: 'Live updates disconnected', liveOn: 'Live updates connected', updated: 'Issue {n} updated',
  points: 'Enterprise points', cluster: '{n} enterprises',
  satisfaction: 'Satisfaction',
  contactPerson: 'Contact person', contactPhone: 'Phone',
  signInTitle: 'Staff sign-in', signInIntro: 'Sign in with your county enterprise-service account.',
  signingIn: 'Signing in…',
  publicLink: 'See the public figures', publicLinkHint: 'No sign-in needed: the county\'s enterprise issues received, resolved and rated.',
  needUsername: 'Enter your username.', needPassword: 'Enter your password.',
  wrongCredentials: 'Wrong username or password.',
  throttledIn: 'Too many failed sign-ins: try again in {n} seconds.', throttled: 'Too many failed sign-ins: try again later.',
  sessionExpired: 'Your session has ended: sign in again to return to the same screen.',
  signedOutNotice: 'You have signed out.',
  unreachable: 'The server cannot be reached right now; try again later.',
  signOutFailed: 'Sign-out failed: ',
  forbidden: 'Your account may not see this.',
};

const ENUMS: Record<Lang, Record<string, string>> = {
  'zh-CN': {
    FINANCING: '融资', LABOUR: '用工', LAND: '用地', POWER: '用电', PERMITS: '审批', LOGISTICS: '物流', SALES: '销售',
    TALENT: '人才', ENVIRONMENT: '环保', POLICY: '政策',
    RED: '红色', ORANGE: '橙色', YELLOW: '黄色', GREEN: '绿色', BLUE: '蓝色', NONE: '无预警',
    REPORTED: '已登记', VISIT: '走访', HOTLINE: '热线', ONLINE: '网上', COMMISSIONER: '服务专员', DISPATCHED: '已派单', IN_PROGRESS: '办理中', RETURNED: '已退单', REOPENED: '重新办理',
    RESOLVED: '已办结', CLOSED: '已销号',
    URGENT: '紧急', NORMAL: '一般', COMPLEX: '复杂',
    LARGE: '大型', MEDIUM: '中型', SMALL: '小型', MICRO: '微型',
    JOINT: '联合', SPECIALISED: '专项',
    SUBDISTRICT: '街道', TOWN: '镇', TOWNSHIP: '乡', PARK: '园区',
    SATISFIED: '满意', BASICALLY_SATISFIED: '基本满意', UNSATISFIED: '不满意',
    LEAD: '主办', CO_HANDLER: '协办',
  },
  en: {
    FINANCING: 'Financing', LABOUR: 'Labour', LAND: 'Land', POWER: 'Power', PERMITS: 'Permits', LOGISTICS: 'Logistics',
    SALES: 'Sales', TALENT: 'Talent', ENVIRONMENT: 'Environment', POLICY: 'Policy',
    RED: 'Red', ORANGE: 'Orange', YELLOW: 'Yellow', GREEN: 'Green', BLUE: 'Blue', NONE: 'No warning',
    REPORTED: 'Reported', VISIT: 'Visit', HOTLINE: 'Hotline', ONLINE: 'Online', COMMISSIONER: 'Commissioner', DISPATCHED: 'Dispatched', IN_PROGRESS: 'In progress', RETURNED: 'Returned', REOPENED: 'Reopened',
    RESOLVED: 'Resolved', CLOSED: 'Closed',
    URGENT: 'Urgent', NORMAL: 'Normal', COMPLEX: 'Complex',
    LARGE: 'Large', MEDIUM: 'Medium', SMALL: 'Small', MICRO: 'Micro',
    JOINT: 'Joint', SPECIALISED: 'Specialised',
    SUBDISTRICT: 'Subdistrict', TOWN: 'Town', TOWNSHIP: 'Township', PARK: 'Park',
    SATISFIED: 'Satisfied', BASICALLY_SATISFIED: 'Basically satisfied', UNSATISFIED: 'Unsatisfied',
    LEAD: 'Lead', CO_HANDLER: 'Co-handler',
  },
};

const ACTIONS: Record<Lang, Record<string, string>> = {
  'zh-CN': {
    report: '登记', dispatch: '派单', accept: '接单', return: '退单', note: '备注', resolve: '办结', confirm: '回访',
    reopen: '重新办理', escalate: '督办', extension_request: '申请延期', extension_decide: '延期审批', close: '销号',
  },
  en: {},
};

const ROLES: Record<Lang, Record<string, string>> = {
  'zh-CN': { admin: '管理员', dispatcher: '调度员', team_member: '服务团成员', commissioner: '服务专员', viewer: '查阅' },
  en: { admin: 'Admin', dispatcher: 'Dispatcher', team_member: 'Team member', commissioner: 'Commissioner', viewer: 'Viewer' },
};

/** Label of a staff role (admin, dispatcher…); unknown roles come back as they are. */
export function roleLabel(role: string, lang: Lang = current): string {
  return ROLES[lang][role] ?? role;
}

let current: Lang = 'zh-CN';

export function setLang(lang: Lang): void {
  current = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}
export function getLang(): Lang {
  return current;
}

/** ``template`` with each ``{name}`` replaced by ``vars[name]`` (left as it is when missing). */
export function fill(template: string, vars: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

export function translate(lang: Lang, key: Key, vars: Record<string, string | number> = {}): string {
  return fill(lang === 'en' ? en[key] : zh[key], vars);
}

export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return translate(current, key, vars);
}

/** Label of a GraphQL enum value; unknown values come back as they are. */
export function enumLabel(value: string | null | undefined, lang: Lang = current): string {
  if (value === null || value === undefined) return ENUMS[lang].NONE ?? '';
  return ENUMS[lang][value] ?? value;
}

export function actionLabel(action: string, lang: Lang = current): string {
  return ACTIONS[lang][action] ?? action.replace(/_/g, ' ');
}

export function formatNumber(n: number, lang: Lang = current): string {
  return new Intl.NumberFormat(lang).format(n);
}

export function formatPercent(share: number | null | undefined, lang: Lang = current): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(share);
}

/** Date and time in the county's time zone (Asia/Shanghai), whatever the browser's zone. */
export function formatDateTime(iso: string | null | undefined, lang: Lang = current): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    hour12: false,
  }).format(d);
}

export function formatDate(iso: string | null | undefined, lang: Lang = current): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
