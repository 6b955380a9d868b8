import { describe, expect, it } from 'vitest';
import { chooseYear, isPublicPath, openDataUrls, parsePublicState, serializePublicState } from './url';

describe('public page URL state', () => {
  it('reads the year and the language', () => {
    expect(parsePublicState('?year=2024&lang=en')).toEqual({ year: 2024, lang: 'en' });
    expect(parsePublicState('')).toEqual({ year: null, lang: 'zh-CN' });
    expect(parsePublicState('?year=24x&lang=fr')).toEqual({ year: null, lang: 'zh-CN' });
  });

  it('writes back only what differs from the defaults', () => {
    expect(serializePublicState({ year: 2023, lang: 'zh-CN' })).toBe('?year=2023');
    expect(serializePublicState({ year: 2023, lang: 'en' })).toBe('?year=2023&lang=en');
    expect(serializePublicState({ year: null, lang: 'zh-CN' })).toBe('');
    const s = { year: 2022, lang: 'en' as const };
    expect(parsePublicState(serializePublicState(s))).toEqual(s);
  });

  it('picks the asked year when published, else the latest', () => {
    expect(chooseYear(2023, [2025, 2024, 2023])).toBe(2023);
    expect(chooseYear(1999, [2025, 2024])).toBe(2025);
    expect(chooseYear(null, [2023, 2025])).toBe(2025);
    expect(chooseYear(2024, [])).toBeNull();
  });

  it('knows its route and the open-data addresses', () => {
    expect(isPublicPath('/public')).toBe(true);
    expect(isPublicPath('/public/')).toBe(true);
    expect(isPublicPath('/')).toBe(false);
    expect(isPublicPath('/publicity')).toBe(false);
    expect(openDataUrls('https://yimi.example', 2024)).toEqual({
      json: 'https://yimi.example/open-data/statistics/2024.json',
      csv: 'https://yimi.example/open-data/statistics/2024.csv',
    });
  });
});
