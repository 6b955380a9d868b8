/** The side panel: a township's figures and coverage, or an enterprise's profile and issues with their forms. */
import { request } from '../api/client';
import { ENTERPRISE_DETAIL } from '../api/enterprises';
import type { TeamRef } from '../api/teams';
import { formatNumber, t } from '../i18n';
import { townshipFigures } from '../map/shading';
import { enterpriseProfile, issueCard, townshipPanel } from '../pages/panels';
import { actionsFor, renderActions, renderForm, reportSpec, visitSpec } from '../pages/workflow';
import type { Store } from '../state/store';
import { el } from '../ui/dom';
import { errorText } from './errors';

export interface PanelHost {
  /** The enterprise shown is at this place (the map rings it). */
  highlight(id: string | null, location?: { lon: number; lat: number }): void;
}

export class Panel {
  readonly root = el('aside', { class: 'panel', id: 'panel', 'aria-labelledby': 'panel-title', hidden: '' });
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly host: PanelHost,
  ) {}

  get open(): boolean {
    return !this.root.hidden;
  }

  close(): void {
    this.store.update({ township: null, enterprise: null });
  }

  render(): void {
    const s = this.store.state;
    const seq = ++this.seq;
    if (!s.township && !s.enterprise) {
      this.root.hidden = true;
      this.root.replaceChildren();
      this.host.highlight(null);
      return;
    }
    const wasHidden = this.root.hidden;
    this.root.hidden = false;
    const close = el('button', { type: 'button', class: 'btn ghost close', id: 'panel-close', 'aria-label': t('close') }, '✕');
    close.addEventListener('click', () => this.close());
    const title = el('h2', { id: 'panel-title', tabindex: '-1' });
    // Focusable so that a keyboard can scroll it even when it holds no control (a township's figures).
    const body = el('div', { class: 'panel-body', tabindex: '0', role: 'region', 'aria-labelledby': 'panel-title' });
    this.root.replaceChildren(el('div', { class: 'panel-head' }, title, close), body);
    const focus = (): void => {
      if (wasHidden) title.focus();
    };
    if (s.township) {
      this.root.dataset.kind = 'township';
      const tw = this.store.data.townships.find((x) => x.code === s.township);
      if (!tw) {
        title.textContent = t('loading');
        return;
      }
      title.textContent = tw.name;
      body.append(
        ...townshipPanel(
          tw,
          this.store.data.coverage.find((c) => c.township.code === tw.code),
          this.store.data.summary ? (townshipFigures(this.store.snapshot).get(tw.code) ?? { open: 0, overdue: 0 }) : null,
        ),
      );
      focus();
      return;
    }
    this.root.dataset.kind = 'enterprise';
    title.textContent = t('loading');
    this.root.setAttribute('aria-busy', 'true');
    request(ENTERPRISE_DETAIL, { id: s.enterprise! })
      .then((data) => {
        if (seq !== this.seq) return;
        const e = data.node?.__typename === 'Enterprise' ? data.node : null;
        if (!e) {
          title.textContent = '—';
          return;
        }
        title.textContent = e.name;
        this.host.highlight(e.id, e.location);
        body.append(...enterpriseProfile(e));
        const issues = el('section', { class: 'panel-section' }, el('h3', {}, `${t('issueList')}（${formatNumber(e.issues.totalCount)}）`));
        const rerender = (): void => this.render();
        const teams = (): TeamRef[] => this.store.data.teams;
        issues.append(
          el(
            'div',
            { class: 'report-box' },
            // Reporting is offered only to those the server lets report for this enterprise.
            e.viewerCanReportIssue ? renderForm(reportSpec(), { enterpriseId: e.id }, rerender, rerender) : null,
            renderForm(visitSpec(teams), { enterpriseId: e.id }, rerender, rerender),
          ),
        );
        if (!e.issues.nodes.length) issues.append(el('p', { class: 'muted' }, t('noIssues')));
        const specs = actionsFor(teams);
        for (const issue of e.issues.nodes) issues.append(issueCard(issue, renderActions(issue, specs, rerender, rerender)));
        body.append(issues);
        focus();
      })
      .catch((err: unknown) => {
        if (seq !== this.seq) return;
        title.textContent = t('loadFailed');
        body.append(el('p', { class: 'alert', role: 'alert' }, errorText(err)));
      })
      .finally(() => {
        if (seq === this.seq) this.root.setAttribute('aria-busy', 'false');
      });
  }

  /** Re-render after a live change, unless the user is filling in a form (then offer a reload). */
  refreshSafely(): void {
    const busy = this.root.querySelector('details.action[open]') !== null || this.root.querySelector('form :focus') !== null;
    if (!busy) {
      this.render();
      return;
    }
    if (this.root.querySelector('.stale-notice')) return;
    const reload = el('button', { type: 'button', class: 'btn' }, t('reload'));
    reload.addEventListener('click', () => this.render());
    this.root.querySelector('.panel-head')?.after(el('div', { class: 'stale-notice', role: 'status' }, t('staleNotice'), ' ', reload));
  }

  dispose(): void {
    this.seq++;
  }
}
