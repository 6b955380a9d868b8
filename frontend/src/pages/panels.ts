/** Side panels: a township's figures, teams and gaps; an enterprise's profile, commissioner and issues. */
import type { EnterpriseDetail } from '../api/enterprises';
import type { IssueDetail } from '../api/issues';
import type { CoverageRow, Township } from '../api/townships';
import { actionLabel, enumLabel, formatDateTime, formatNumber, t } from '../i18n';
import { textOn, WARNING_HEX } from '../map/scale';
import { el } from '../ui/dom';

export function dl(pairs: Array<[string, string | Node]>): HTMLDListElement {
  const list = el('dl', { class: 'facts' });
  for (const [k, v] of pairs) list.append(el('dt', {}, k), el('dd', {}, v));
  return list;
}

export function warningBadge(color: string | null): HTMLElement {
  const key = color ?? 'NONE';
  const bg = WARNING_HEX[key]!;
  const b = el('span', { class: 'badge' }, enumLabel(color));
  b.style.background = bg;
  b.style.color = textOn(bg);
  return b;
}

/**
 * ``issues`` are the township's open and overdue issues under the active filters (the summary's
 * byTownship, as the map's labels show them); null until the summary has loaded.
 */
export function townshipPanel(tw: Township, cov: CoverageRow | undefined, issues: { open: number; overdue: number } | null): HTMLElement[] {
  const out: HTMLElement[] = [];
  out.push(el('p', { class: 'subtitle' }, `${enumLabel(tw.kind)} · ${tw.code}`));
  const open = issues ? issues.open : tw.openIssueCount;
  const overdue = issues ? issues.overdue : tw.overdueIssueCount;
  const stats = el('div', { class: 'stat-grid' });
  const stat = (label: string, value: number, cls = ''): HTMLElement =>
    el(
      'div',
      { class: `stat ${cls}` },
      el('span', { class: 'stat-value' }, formatNumber(value)),
      el('span', { class: 'stat-label' }, label),
    );
  stats.append(stat(t('m_enterprises'), tw.enterpriseCount), stat(t('m_open'), open), stat(t('m_overdue'), overdue, overdue ? 'warn' : ''));
  out.push(el('section', { 'aria-label': t('figures') }, stats));

  const teams = el('section', { class: 'panel-section' }, el('h3', {}, `${t('coveringTeams')}（${tw.coveringTeams.length}）`));
  if (!tw.coveringTeams.length) teams.append(el('p', { class: 'muted' }, t('noTeams')));
  else {
    const ul = el('ul', { class: 'team-list' });
    for (const team of tw.coveringTeams) {
      ul.append(
        el(
          'li',
          {},
          el('span', { class: 'team-name' }, team.name),
          ' ',
          el('span', { class: 'tag' }, enumLabel(team.kind)),
          el('div', { class: 'muted small' }, team.specialities.map((s) => enumLabel(s)).join('、')),
        ),
      );
    }
    teams.append(ul);
  }
  out.push(teams);

  const gaps = el('section', { class: 'panel-section' }, el('h3', {}, t('gaps')));
  if (!cov) gaps.append(el('p', { class: 'muted' }, t('loading')));
  else if (!cov.gaps.length) gaps.append(el('p', { class: 'ok-text' }, t('noGaps')));
  else {
    const ul = el('ul', { class: 'gap-list' });
    for (const g of cov.gaps) ul.append(el('li', {}, el('span', { 'aria-hidden': 'true' }, '✕ '), enumLabel(g)));
    gaps.append(ul);
  }
  out.push(gaps);
  return out;
}

/** A phone number as text, linked with `tel:` when it has digits (the link keeps only digits and +). */
export function phoneLink(phone: string | null | undefined): string | HTMLElement {
  const text = (phone ?? '').trim();
  const dial = text.replace(/[^\d+]/g, '');
  if (!text) return '—';
  return dial.replace(/\+/g, '').length >= 3 ? el('a', { href: `tel:${dial}`, class: 'phone' }, text) : text;
}

export function enterpriseProfile(e: EnterpriseDetail): HTMLElement[] {
  const risk = el('span', { class: `risk risk-${e.riskColor.toLowerCase()}` }, enumLabel(e.riskColor));
  return [
    el(
      'section',
      { class: 'panel-section', 'aria-label': t('profile') },
      dl([
        [t('uscc'), e.uscc],
        [t('township'), e.township.name],
        [t('industry'), e.industry],
        [t('size'), `${enumLabel(e.size)}${e.aboveScale ? ` · ${t('aboveScale')}` : ''}`],
        [t('chain'), e.chain ?? '—'],
        [t('risk'), risk],
        [t('address'), e.address || '—'],
        [t('contactPerson'), e.contactPerson || '—'],
        [t('contactPhone'), phoneLink(e.contactPhone)],
        [t('commissioner'), e.commissioner ? `${e.commissioner.name}（${e.commissioner.department.name}）` : t('noCommissioner')],
      ]),
    ),
  ];
}

export function issueCard(i: IssueDetail, actions: HTMLElement | null): HTMLElement {
  const card = el('article', { class: 'issue-card', 'data-issue': i.id, 'data-status': i.status });
  card.append(
    el(
      'header',
      { class: 'issue-head' },
      el('span', { class: 'issue-no' }, i.number),
      ' ',
      i.warningColor ? warningBadge(i.warningColor) : null,
      ' ',
      el('span', { class: 'tag' }, enumLabel(i.status)),
      ' ',
      el('span', { class: 'tag' }, enumLabel(i.category)),
    ),
    el('h4', {}, i.title),
  );
  if (i.description) card.append(el('p', { class: 'issue-desc' }, i.description));
  card.append(
    dl([
      [t('reportedAt'), formatDateTime(i.reportedAt)],
      [t('deadline'), formatDateTime(i.deadline)],
      [t('leadTeam'), i.leadTeam?.name ?? '—'],
      ...(i.escalatedAt ? [[t('escalatedAt'), formatDateTime(i.escalatedAt)] as [string, string]] : []),
      ...(i.satisfaction ? [[t('satisfaction'), enumLabel(i.satisfaction)] as [string, string]] : []),
    ]),
  );
  if (i.extensionRequests.length) {
    const ul = el('ul', { class: 'extension-list' });
    for (const r of i.extensionRequests) {
      ul.append(
        el(
          'li',
          { 'data-extension': r.id, 'data-status': r.status },
          `${formatDateTime(r.requestedDeadline)} · ${enumLabel(r.status)}`,
          r.reason ? el('div', { class: 'note' }, r.reason) : null,
        ),
      );
    }
    card.append(el('div', { class: 'extensions' }, el('h5', {}, t('extensionRequests')), ul));
  }
  const tl = el('details', { class: 'timeline' }, el('summary', {}, `${t('timeline')}（${i.events.length}）`));
  const ol = el('ol', {});
  for (const ev of i.events) {
    ol.append(
      el(
        'li',
        {},
        el('time', { datetime: ev.createdAt }, formatDateTime(ev.createdAt)),
        ' ',
        el('strong', {}, actionLabel(ev.action)),
        ev.toStatus ? ` → ${enumLabel(ev.toStatus)}` : '',
        ev.actor ? ` · ${ev.actor.name}` : '',
        ev.note ? el('div', { class: 'note' }, ev.note) : null,
      ),
    );
  }
  tl.append(ol);
  card.append(tl);
  if (actions) card.append(actions);
  return card;
}
