import { describe, expect, it } from 'vitest';
import { userErrorText } from './userErrors';

describe('user errors in the reader’s language', () => {
  it('translates a known code, next to a field and for the form', () => {
    const e = { code: 'NOT_A_GLOBAL_ID', message: "'' is not a global ID of this API" };
    expect(userErrorText(e, 'zh-CN', 'field')).toBe('请从列表中选择');
    expect(userErrorText(e, 'en', 'form')).toBe('What was chosen is not valid: reload and try again');
  });
  it('keeps the server’s reason for INVALID and falls back to it for an unknown code', () => {
    expect(userErrorText({ code: 'INVALID', message: 'must be later' }, 'zh-CN', 'field')).toBe('填写有误（must be later）');
    expect(userErrorText({ code: 'INVALID', message: 'must be later' }, 'en', 'field')).toBe('must be later');
    expect(userErrorText({ code: 'SOMETHING_NEW', message: 'a new reason' }, 'zh-CN')).toBe('a new reason');
  });
});
