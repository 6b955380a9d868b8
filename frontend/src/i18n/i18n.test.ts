import { describe, expect, it } from 'vitest';
import { enumLabel, formatDate, formatDateTime, formatNumber, formatPercent, roleLabel, translate } from './index';

describe('i18n', () => {
  it('translates with variables in both languages', () => {
    expect(translate('zh-CN', 'total', { n: 12 })).toBe('共 12 条');
    expect(translate('en', 'total', { n: 12 })).toBe('12 in total');
    expect(enumLabel('LAND', 'zh-CN')).toBe('用地');
    expect(enumLabel('LAND', 'en')).toBe('Land');
    expect(enumLabel(null, 'zh-CN')).toBe('无预警');
  });

  it('formats numbers and percentages per locale', () => {
    expect(formatNumber(100000, 'zh-CN')).toBe('100,000');
    expect(formatNumber(1234.5, 'en')).toBe('1,234.5');
    expect(formatPercent(0.875, 'en')).toBe('87.5%');
    expect(formatPercent(null, 'en')).toBe('—');
  });

  it('formats dates in the county time zone', () => {
    // 2026-03-01T17:30Z is 2026-03-02 01:30 in Asia/Shanghai.
    expect(formatDate('2026-03-01T17:30:00+00:00', 'zh-CN')).toBe('2026/03/02');
    expect(formatDateTime('2026-03-01T17:30:00+00:00', 'en')).toBe('03/02/2026, 01:30');
    expect(formatDateTime(null, 'en')).toBe('—');
  });

  it('labels staff roles and the contact fields', () => {
    expect(roleLabel('dispatcher', 'zh-CN')).toBe('调度员');
    expect(roleLabel('viewer', 'en')).toBe('Viewer');
    expect(roleLabel('auditor', 'en')).toBe('auditor');
    expect(translate('zh-CN', 'contactPerson')).toBe('联系人');
    expect(translate('zh-CN', 'contactPhone')).toBe('联系电话');
    expect(translate('en', 'contactPerson')).toBe('Contact person');
    expect(translate('en', 'contactPhone')).toBe('Phone');
  });
});
