/**
 * The sign-in screen, shown while nobody is signed in. It asks the server nothing but `signIn`
 * (the shell asked `me` before), and leaves the URL alone except for `lang`, so that a shared
 * link (view, filters, selection) is restored once the user has signed in.
 */
import { request } from '../api/client';
import { SIGN_IN, type StaffRef } from '../api/session';
import { getLang, type Key, setLang, t } from '../i18n';
import { type SignInMessages, type SignInNotice, signInMessages, validateCredentials, withLang } from '../state/session';
import { el } from '../ui/dom';

const NOTICE_KEY: Record<Exclude<SignInNotice, null>, Key> = {
  signedOut: 'signedOutNotice',
  expired: 'sessionExpired',
  unreachable: 'unreachable',
};

export interface SignInHost {
  /** Called once the server accepted the credentials (the session cookie is set). */
  signedIn(me: StaffRef): void;
}

export class SignInScreen {
  private readonly form = el('form', { class: 'signin-card', novalidate: '', 'aria-labelledby': 'signin-title' });
  private username = '';
  private busy = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: SignInHost,
    private notice: SignInNotice,
  ) {}

  show(): void {
    this.render();
    this.form.querySelector<HTMLInputElement>('#si-username')?.focus();
  }

  private render(): void {
    document.title = `${t('signInTitle')} · ${t('appTitle')}`;
    const skip = document.querySelector('.skip-link');
    if (skip) skip.textContent = t('skip');

    const lang = getLang();
    const brand = el(
      'div',
      { class: 'brand' },
      el('span', { class: 'emblem', 'aria-hidden': 'true' }, '一米'),
      el('h1', {}, t('appTitle')),
    );
    const langBtn = el(
      'button',
      { type: 'button', class: 'btn ghost', id: 'lang', title: t('langLabel'), lang: lang === 'en' ? 'zh-CN' : 'en' },
      t('lang'),
    );
    langBtn.addEventListener('click', () => this.switchLang(lang === 'en' ? 'zh-CN' : 'en'));
    const header = el('header', { class: 'site-header' }, brand, el('div', { class: 'header-right' }, langBtn));
    document.querySelector('header.site-header')?.replaceWith(header);

    const field = (name: 'username' | 'password', type: string): HTMLElement => {
      const input = el('input', {
        id: `si-${name}`,
        name,
        type,
        required: '',
        'aria-required': 'true',
        'aria-describedby': `si-${name}-err`,
        autocomplete: name === 'password' ? 'current-password' : 'username',
        autocapitalize: 'none',
        spellcheck: 'false',
      });
      if (name === 'username') input.value = this.username;
      return el(
        'div',
        { class: 'field' },
        el('label', { for: `si-${name}` }, t(name)),
        input,
        el('p', { class: 'field-error', id: `si-${name}-err`, 'aria-live': 'polite' }),
      );
    };
    const notice = this.notice
      ? el(
          'p',
          { class: `signin-notice${this.notice === 'signedOut' ? '' : ' warn'}`, id: 'signin-notice', role: 'status' },
          t(NOTICE_KEY[this.notice]),
        )
      : null;
    const submit = el('button', { type: 'submit', class: 'btn primary signin-submit', id: 'si-submit' }, t('signIn'));
    this.form.replaceChildren(
      el('h2', { id: 'signin-title' }, t('signInTitle')),
      el('p', { class: 'muted small' }, t('signInIntro')),
      notice ?? '',
      field('username', 'text'),
      field('password', 'password'),
      el('p', { class: 'form-status', id: 'si-status', role: 'alert' }),
      submit,
    );
    this.form.onsubmit = (ev) => {
      ev.preventDefault();
      void this.submit();
    };
    // The public figures need no account: offered to every visitor who lands here.
    const publicLink = el(
      'a',
      { class: 'public-cta', id: 'public-link', href: `/public${lang === 'en' ? '?lang=en' : ''}` },
      el('strong', {}, t('publicLink'), el('span', { 'aria-hidden': 'true' }, ' →')),
      el('span', {}, t('publicLinkHint')),
    );
    this.root.replaceChildren(el('section', { class: 'signin-screen' }, el('div', { class: 'signin-stack' }, publicLink, this.form)));
  }

  private switchLang(lang: 'zh-CN' | 'en'): void {
    this.username = this.form.querySelector<HTMLInputElement>('#si-username')?.value ?? '';
    setLang(lang);
    history.replaceState(history.state, '', location.pathname + withLang(location.search, lang) + location.hash);
    this.render();
    document.getElementById('lang')?.focus();
  }

  private showMessages(messages: SignInMessages): void {
    for (const name of ['username', 'password'] as const) {
      const input = this.form.querySelector<HTMLInputElement>(`#si-${name}`)!;
      const slot = this.form.querySelector<HTMLElement>(`#si-${name}-err`)!;
      slot.textContent = messages[name];
      if (messages[name]) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    const status = this.form.querySelector<HTMLElement>('#si-status')!;
    status.textContent = messages.general;
    status.className = messages.general ? 'form-status alert' : 'form-status';
    const firstBad = messages.username ? '#si-username' : messages.password ? '#si-password' : null;
    if (firstBad) this.form.querySelector<HTMLInputElement>(firstBad)?.focus();
  }

  private async submit(): Promise<void> {
    if (this.busy) return;
    const user = this.form.querySelector<HTMLInputElement>('#si-username')!;
    const pass = this.form.querySelector<HTMLInputElement>('#si-password')!;
    const submit = this.form.querySelector<HTMLButtonElement>('#si-submit')!;
    const invalid = validateCredentials(user.value, pass.value, t);
    if (invalid) {
      this.showMessages(invalid);
      return;
    }
    this.showMessages({ username: '', password: '', general: '' });
    this.busy = true;
    submit.disabled = true;
    submit.textContent = t('signingIn');
    try {
      const data = await request(SIGN_IN, { input: { username: user.value.trim(), password: pass.value } });
      const { staff, userErrors } = data.signIn;
      if (userErrors.length || !staff) {
        pass.value = '';
        this.showMessages(signInMessages(userErrors, t));
        return;
      }
      this.host.signedIn(staff);
    } catch (err) {
      this.showMessages({
        username: '',
        password: '',
        general: `${t('unreachable')} (${err instanceof Error ? err.message : String(err)})`,
      });
    } finally {
      this.busy = false;
      submit.disabled = false;
      submit.textContent = t('signIn');
    }
  }
}
