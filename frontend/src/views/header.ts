/** The site header: title, view switch, live badge, import entry, language switch, who is signed in. */
import { request } from '../api/client';
import { SIGN_OUT, type StaffRef } from '../api/session';
import { roleLabel, t } from '../i18n';
import { importEntry } from '../pages/imports';
import type { Store } from '../state/store';
import { el } from '../ui/dom';
import { errorText } from './errors';

export interface HeaderHost {
  signedOut(): void;
  toast(text: string, isError?: boolean): void;
}

export class Header {
  readonly root = el('header', { class: 'site-header' });
  private live = false;

  constructor(
    private readonly store: Store,
    private readonly me: StaffRef,
    private readonly host: HeaderHost,
  ) {}

  render(): void {
    const brand = el(
      'div',
      { class: 'brand' },
      el('span', { class: 'emblem', 'aria-hidden': 'true' }, '一米'),
      el('h1', {}, t('appTitle')),
    );
    const nav = el('nav', { class: 'views', 'aria-label': t('views') });
    const right = el('div', { class: 'header-right' });
    const other = this.store.state.lang === 'en' ? 'zh-CN' : 'en';
    // The accessible name is the visible label (WCAG 2.5.3); the title only adds a hint.
    const langBtn = el('button', { type: 'button', class: 'btn ghost', id: 'lang', title: t('langLabel'), lang: other }, t('lang'));
    langBtn.addEventListener('click', () => this.store.update({ lang: other }));
    right.append(el('span', { class: 'live', id: 'live-badge' }), ...importEntry(this.me), langBtn, this.auth());
    this.root.replaceChildren(brand, nav, right);
    this.renderNav();
    this.setLive(this.live);
  }

  renderNav(): void {
    const nav = this.root.querySelector('nav.views');
    if (!nav) return;
    nav.replaceChildren();
    const current = this.store.state.view;
    for (const [v, key] of [
      ['map', 'viewMap'],
      ['list', 'viewList'],
      ['coverage', 'viewCoverage'],
    ] as const) {
      const b = el('button', { type: 'button', class: 'view-btn', 'data-view': v, 'aria-current': current === v ? 'page' : null }, t(key));
      b.addEventListener('click', () => this.store.update({ view: v }));
      nav.append(b);
    }
  }

  setLive(connected: boolean): void {
    this.live = connected;
    const b = this.root.querySelector('#live-badge');
    if (!b) return;
    const label = connected ? t('liveOn') : t('liveOff');
    b.className = `live ${connected ? 'on' : 'off'}`;
    b.replaceChildren(el('span', { class: 'live-dot', 'aria-hidden': 'true' }), t('live'));
    b.setAttribute('title', label);
    b.setAttribute('role', 'status');
    b.setAttribute('aria-label', label);
  }

  private auth(): HTMLElement {
    const roles = (this.me.roles ?? []).map((r) => roleLabel(r)).join('、');
    const title = [this.me.department?.name, roles].filter(Boolean).join(' · ') || null;
    const who = el(
      'span',
      { class: 'who', id: 'who', title },
      t('signedInAs', { name: this.me.name }),
      roles ? el('span', { class: 'who-role' }, ` · ${roles}`) : null,
    );
    const out = el('button', { type: 'button', class: 'btn ghost', id: 'sign-out' }, t('signOut'));
    out.addEventListener('click', () => {
      void (async () => {
        out.disabled = true;
        try {
          await request(SIGN_OUT);
        } catch (err) {
          out.disabled = false;
          this.host.toast(t('signOutFailed') + errorText(err), true);
          return;
        }
        this.host.signedOut();
      })();
    });
    return el('div', { class: 'auth', id: 'auth' }, who, out);
  }
}
