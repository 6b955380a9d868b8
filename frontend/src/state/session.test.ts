import { describe, expect, it } from 'vitest';
import { translate } from '../i18n';
import { type SignInTexts, screenFor, shouldReturnToSignIn, signInMessages, validateCredentials, withLang } from './session';
import { parseState, serializeState } from './url';

const zh: SignInTexts = (key, vars) => translate('zh-CN', key, vars);
const en: SignInTexts = (key, vars) => translate('en', key, vars);

describe('what the app shows for `me`', () => {
  it('shows the dashboard to a member of staff', () => {
    const me = { id: 'U3RhZmY6Mw==', name: '王敏', roles: ['dispatcher'], department: { name: '县营商办' } };
    expect(screenFor(me)).toEqual({ kind: 'dashboard', me });
  });

  it('shows the sign-in screen to an anonymous caller, without a notice', () => {
    expect(screenFor(null)).toEqual({ kind: 'signIn', notice: null });
    expect(screenFor(undefined)).toEqual({ kind: 'signIn', notice: null });
  });

  it('says the server is unreachable when `me` itself failed', () => {
    expect(screenFor(null, true)).toEqual({ kind: 'signIn', notice: 'unreachable' });
  });
});

describe('an UNAUTHENTICATED answer', () => {
  it('returns to the sign-in screen from the dashboard', () => {
    expect(shouldReturnToSignIn(true, 200, 100)).toBe(true);
  });
  it('is ignored on the sign-in screen', () => {
    expect(shouldReturnToSignIn(false, 200, 100)).toBe(false);
  });
  it('is ignored for a request sent before the latest sign-in', () => {
    expect(shouldReturnToSignIn(true, 99, 100)).toBe(false);
    expect(shouldReturnToSignIn(true, 5, -Infinity)).toBe(true);
  });
});

describe('sign-in form messages', () => {
  it('asks for missing fields before calling the server', () => {
    expect(validateCredentials('  ', '', zh)).toEqual({ username: '请输入用户名。', password: '请输入密码。', general: '' });
    expect(validateCredentials('staff003', '', en)?.password).toBe('Enter your password.');
    expect(validateCredentials('staff003', 'x', zh)).toBeNull();
  });

  it('puts a wrong password next to the password field, translated', () => {
    const m = signInMessages([{ field: 'password', code: 'UNAUTHENTICATED', message: 'wrong username or password' }], zh);
    expect(m).toEqual({ username: '', password: '用户名或密码错误。', general: '' });
  });

  it('shows throttling under the form with the wait', () => {
    const m = signInMessages(
      [
        {
          field: null,
          code: 'THROTTLED',
          message: 'too many failed sign-ins: try again after 2026-05-01T08:00:00Z (in 840 seconds)',
        },
      ],
      en,
    );
    expect(m.general).toBe('Too many failed sign-ins: try again in 840 seconds.');
    expect(m.username + m.password).toBe('');
    expect(signInMessages([{ field: null, code: 'THROTTLED', message: 'later' }], zh).general).toBe('登录失败次数过多，请稍后再试。');
  });

  it('keeps other errors next to their field or under the form', () => {
    const m = signInMessages(
      [
        { field: 'input.username', code: 'INVALID', message: 'too long' },
        { field: null, code: 'INTERNAL', message: 'oops' },
      ],
      zh,
    );
    expect(m).toEqual({ username: 'too long', password: '', general: 'oops' });
  });
});

describe('the URL through sign-in', () => {
  const link = '?view=list&tab=issues&t=410223101&sort=DEADLINE.ASC&ent=RW50ZXJwcmlzZToz&at=34.41100,114.19300,14';

  it('changes only lang when the sign-in screen switches language', () => {
    const en = withLang(link, 'en');
    const back = withLang(en, 'zh-CN');
    expect(new URLSearchParams(en).get('lang')).toBe('en');
    expect(new URLSearchParams(back).has('lang')).toBe(false);
    expect(parseState(en)).toEqual({ ...parseState(link), lang: 'en' });
    expect(parseState(back)).toEqual(parseState(link));
  });

  it('keeps parameters the dashboard does not know, and an empty query stays empty', () => {
    expect(withLang('?foo=1&view=coverage', 'en')).toBe('?foo=1&view=coverage&lang=en');
    expect(withLang('', 'zh-CN')).toBe('');
  });

  it('restores the shared screen from the untouched link after sign-in', () => {
    const s = parseState(withLang(link, 'zh-CN'));
    expect(s.view).toBe('list');
    expect(s.tab).toBe('issues');
    expect(s.enterprise).toBe('RW50ZXJwcmlzZToz');
    expect(s.filters.townships).toEqual(['410223101']);
    expect(serializeState(s)).toBe(serializeState(parseState(link)));
  });
});
