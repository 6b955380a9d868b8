import { describe, expect, it } from 'vitest';
import { localToIso, placeErrors } from './workflow';

describe('workflow form helpers', () => {
  it('puts field errors next to their field and the rest on the form', () => {
    const { byField, general } = placeErrors(
      [
        { field: 'reason', code: 'INVALID', message: 'required' },
        { field: 'input.summary', code: 'INVALID', message: 'too short' },
        { field: null, code: 'CONFLICT', message: 'stale' },
        { field: 'other', code: 'INVALID', message: 'x' },
      ],
      ['reason', 'summary'],
    );
    expect(byField.get('reason')).toEqual(['required']);
    expect(byField.get('summary')).toEqual(['too short']);
    expect(general.map((e) => e.code)).toEqual(['CONFLICT', 'INVALID']);
  });
  it('reads datetime-local input as county time', () => {
    expect(localToIso('2026-11-30T17:00')).toBe('2026-11-30T17:00:00+08:00');
  });
});
