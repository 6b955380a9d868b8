/**
 * Who is signed in and what the app shows for it: the sign-in screen or the dashboard.
 * Pure logic (no DOM), so that it can be unit-tested; pages/shell.ts does the rendering.
 */
import type { StaffRef } from '../api/session';
import type { Lang } from './url';

/** Why the sign-in screen is shown: first visit (null), after sign-out, after the session ended, server down. */
export type SignInNotice = 'signedOut' | 'expired' | 'unreachable' | null;

export type Screen = { kind: 'signIn'; notice: SignInNotice } | { kind: 'dashboard'; me: StaffRef };

/**
 * What to show for the answer to `{ me }`: the dashboard for a member of staff, otherwise the
 * sign-in screen (`me` is null for anonymous callers; `failed` when the question itself failed).
 */
export function screenFor(me: StaffRef | null | undefined, failed = false): Screen {
  if (me && typeof me.id === 'string' && me.id !== '') return { kind: 'dashboard', me };
  return { kind: 'signIn', notice: failed ? 'unreachable' : null };
}

/**
 * Should an UNAUTHENTICATED answer send the user back to the sign-in screen? Only while the
 * dashboard is shown, and only for a request sent after the latest sign-in (an answer to a request
 * of the previous session that arrives late must not sign the new session out).
 */
export function shouldReturnToSignIn(onDashboard: boolean, sentAt: number, signedInAt: number): boolean {
  return onDashboard && sentAt >= signedInAt;
}

export interface SignInUserError {
  field: string | null;
  code: string;
  message: string;
}

/** Messages for the sign-in form, each next to its field; `general` goes under the form. */
export interface SignInMessages {
  username: string;
  password: string;
  general: string;
}

/** Translator for the keys this module needs (i18n's `t`, injected to keep this module pure). */
export type SignInTexts = (
  key: 'needUsername' | 'needPassword' | 'wrongCredentials' | 'throttledIn' | 'throttled',
  vars?: Record<string, string | number>,
) => string;

/** Check the form before asking the server: both fields are needed. */
export function validateCredentials(username: string, password: string, tr: SignInTexts): SignInMessages | null {
  const out: SignInMessages = { username: '', password: '', general: '' };
  if (username.trim() === '') out.username = tr('needUsername');
  if (password === '') out.password = tr('needPassword');
  return out.username || out.password ? out : null;
}

/**
 * Place `signIn`'s userErrors: a wrong username or password goes next to the password field (the
 * server does not say which was wrong), THROTTLED (no field) under the form with the wait in
 * seconds when the server gives it; other errors go next to their field or under the form, as sent.
 */
export function signInMessages(errors: readonly SignInUserError[], tr: SignInTexts): SignInMessages {
  const out: SignInMessages = { username: '', password: '', general: '' };
  const add = (slot: keyof SignInMessages, text: string): void => {
    out[slot] = out[slot] ? `${out[slot]} ${text}` : text;
  };
  for (const e of errors) {
    const field = e.field?.replace(/^input\./, '') ?? null;
    if (e.code === 'THROTTLED') {
      const wait = /in (\d+) seconds?/.exec(e.message);
      add('general', wait ? tr('throttledIn', { n: Number(wait[1]) }) : tr('throttled'));
    } else if (e.code === 'UNAUTHENTICATED') add(field === 'username' ? 'username' : 'password', tr('wrongCredentials'));
    else if (field === 'username' || field === 'password') add(field, e.message);
    else add('general', e.message);
  }
  return out;
}

/**
 * The query string with only `lang` changed (the language switch of the sign-in screen): every
 * other parameter of a shared link stays exactly as it was, so the dashboard restores it after
 * sign-in.
 */
export function withLang(search: string, lang: Lang): string {
  const p = new URLSearchParams(search);
  if (lang === 'zh-CN') p.delete('lang');
  else p.set('lang', lang);
  const out = p.toString();
  return out ? `?${out}` : '';
}
