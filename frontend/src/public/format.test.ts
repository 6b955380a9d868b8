import { describe, expect, it } from 'vitest';
import { countText, daysText, isPublished, rangeText, rateCsv, rateText, withheldExplanation } from './format';
import { hidden, shown } from './testFixture';

describe('a public count reads as what it is', () => {
  it('prints a published count as its number', () => {
    expect(countText(shown(1234), 'zh-CN')).toBe('1,234');
    expect(countText(shown(0), 'en')).toBe('0');
    expect(isPublished(shown(7))).toBe(true);
  });

  it('prints a withheld count as withheld with the API range, in both languages', () => {
    const c = hidden(386, 390, 'PROTECTS_ANOTHER');
    expect(countText(c, 'zh-CN')).toBe('不公开（386–390）');
    expect(countText(c, 'en')).toBe('withheld (386–390)');
    expect(rangeText(hidden(1000, 1004), 'en')).toBe('1,000–1,004');
    expect(isPublished(c)).toBe(false);
  });

  it('never claims "<5": a small withheld count shows its range 0–4, a large one its own range', () => {
    expect(countText(hidden(0, 4), 'zh-CN')).toBe('不公开（0–4）');
    for (const c of [hidden(0, 4), hidden(386, 390)]) {
      expect(countText(c, 'zh-CN')).not.toContain('<');
      expect(countText(c, 'en')).not.toContain('<');
    }
  });

  it('reads "withheld" alone when the API gives no usable range', () => {
    expect(countText({ value: null, withheld: true, low: Number.NaN, high: Number.NaN, reason: null }, 'zh-CN')).toBe('不公开');
    expect(countText({ value: null, withheld: true, low: 9, high: 3, reason: null }, 'en')).toBe('withheld');
  });

  it('treats value null as withheld even if the flag says otherwise', () => {
    expect(countText({ value: null, withheld: false, low: 0, high: 4, reason: null }, 'en')).toBe('withheld (0–4)');
  });

  it('explains why, by reason, and handles a reason it does not know', () => {
    expect(withheldExplanation(hidden(0, 4, 'BELOW_THRESHOLD'), 5, 'zh-CN')).toContain('公开门槛 5');
    expect(withheldExplanation(hidden(386, 390, 'PROTECTS_ANOTHER'), 5, 'en')).toContain('another withheld figure');
    const generic = withheldExplanation(hidden(386, 390, 'WITHHELD'), 10, 'en');
    expect(generic).toContain('Withheld so that');
    expect(generic).toContain('between 386 and 390');
    expect(withheldExplanation(shown(12), 5, 'en')).toBe('');
  });

  it('formats rates and working days, with a dash when not published', () => {
    expect(rateText(0.87, 'zh-CN')).toBe('87%');
    expect(rateText(null, 'en')).toBe('—');
    expect(rateCsv(0.87)).toBe('87%');
    expect(rateCsv(null)).toBe('');
    expect(daysText(6.5, 'en')).toBe('6.5');
    expect(daysText(null, 'zh-CN')).toBe('—');
  });
});
