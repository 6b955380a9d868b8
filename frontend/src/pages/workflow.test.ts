import { describe, expect, it } from 'vitest';
import { IssueAction } from '../api/generated/graphql';
import { actionsFor, countyToday, localToIso, missingRequired, placeErrors } from './workflow';

describe('workflow form helpers', () => {
  it('puts field errors next to their field and the rest on the form', () => {
    const { byField, general } = placeErrors(
      [
        { field: 'reason', code: 'REQUIRED', message: 'required' },
        { field: 'input.summary', code: 'INVALID', message: 'too short' },
        { field: null, code: 'CONFLICT', message: 'stale' },
        { field: 'other', code: 'INVALID', message: 'x' },
      ],
      ['reason', 'summary'],
    );
    expect(byField.get('reason')).toEqual(['必填']);
    expect(byField.get('summary')).toEqual(['填写有误（too short）']);
    expect(general.map((e) => e.code)).toEqual(['CONFLICT', 'INVALID']);
  });
  it('reads datetime-local input as county time', () => {
    expect(localToIso('2026-11-30T17:00')).toBe('2026-11-30T17:00:00+08:00');
  });
  it('finds the required fields left empty or blank, in order', () => {
    const fields = [{ name: 'category', required: true }, { name: 'title', required: true }, { name: 'description' }];
    const values: Record<string, string> = { category: '', title: '   ', description: '' };
    expect(missingRequired(fields, (n) => values[n] ?? '')).toEqual(['category', 'title']);
    values.category = 'LAND';
    values.title = '用地';
    expect(missingRequired(fields, (n) => values[n] ?? '')).toEqual([]);
  });
  it("knows today's date in the county, not the device's zone", () => {
    expect(countyToday(new Date('2026-12-01T16:30:00Z'))).toBe('2026-12-02');
    expect(countyToday(new Date('2026-12-01T15:30:00Z'))).toBe('2026-12-01');
  });
  it('has a form for every action the server may offer', () => {
    const offered = new Set(actionsFor(() => []).map((a) => a.action));
    offered.add(IssueAction.DecideExtension); // on the pending request: decideExtensionSpec
    expect(Object.values(IssueAction).filter((a) => !offered.has(a))).toEqual([]);
  });
});
