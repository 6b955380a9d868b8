/**
 * The session shell: asks `me` (allowed anonymously), then shows the sign-in screen or the
 * dashboard. Signed out, the app asks nothing else (no enterprises, issues, map layer or figures,
 * no live subscription). The URL is left as it is throughout, so a shared link opened while signed
 * out restores its view, filters and selection after sign-in. An UNAUTHENTICATED answer (the
 * session ended) brings the sign-in screen back with a message.
 */
import { request } from '../api/client';
import { onUnauthenticated } from '../api/graphql';
import { ME, type StaffRef } from '../api/session';
import { setLang, t } from '../i18n';
import { isPublicPath } from '../public/url';
import { type SignInNotice, screenFor, shouldReturnToSignIn } from '../state/session';
import { parseState } from '../state/url';
import { el } from '../ui/dom';
import { App } from './app';
import { SignInScreen } from './signin';

export class Shell {
  private app: App | null = null;
  /** performance.now() of the latest sign-in; answers to older requests cannot sign it out. */
  private signedInAt = -Infinity;

  constructor(private readonly root: HTMLElement) {}

  async start(): Promise<void> {
    setLang(parseState(location.search).lang);
    if (isPublicPath(location.pathname)) {
      // The public statistics page needs no session; its code (and ECharts) is a separate chunk.
      const { PublicPage } = await import('./publicPage');
      await new PublicPage(this.root).start();
      return;
    }
    onUnauthenticated((_err, sentAt) => {
      if (shouldReturnToSignIn(this.app !== null, sentAt, this.signedInAt)) this.showSignIn('expired');
    });
    // The first screen says it is loading rather than staying blank while `me` is asked.
    this.root.replaceChildren(el('p', { class: 'boot-status', role: 'status' }, t('loading')));
    let me: StaffRef | null = null;
    let failed = false;
    try {
      me = (await request(ME)).me;
    } catch {
      failed = true;
    }
    const screen = screenFor(me, failed);
    if (screen.kind === 'dashboard') this.showDashboard(screen.me);
    else this.showSignIn(screen.notice);
  }

  private showSignIn(notice: SignInNotice): void {
    this.app?.dispose();
    this.app = null;
    this.root.dataset.screen = 'sign-in';
    new SignInScreen(this.root, { signedIn: (me) => this.signedIn(me) }, notice).show();
  }

  private signedIn(me: StaffRef): void {
    this.signedInAt = performance.now();
    this.showDashboard(me);
  }

  private showDashboard(me: StaffRef): void {
    this.app?.dispose();
    this.root.dataset.screen = 'dashboard';
    this.app = new App(this.root, me, { signedOut: () => this.showSignIn('signedOut') });
    void this.app.start();
  }
}
