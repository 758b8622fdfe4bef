/**
 * The console's languages. English is the source locale (its strings are the `msg()` calls in the
 * code, each with a stable id); Simplified Chinese is the catalogue in `zh-CN/`, loaded on demand.
 * Components that render messages carry `@localized()` so a switch re-renders them in place.
 */
import { configureLocalization } from '@lit/localize';

export const sourceLocale = 'en' as const;
export const targetLocales = ['zh-CN'] as const;
export type AppLocale = typeof sourceLocale | (typeof targetLocales)[number];
export const appLocales: readonly AppLocale[] = [sourceLocale, ...targetLocales];

export const isAppLocale = (value: unknown): value is AppLocale =>
  typeof value === 'string' && (appLocales as readonly string[]).includes(value);

const { getLocale, setLocale } = configureLocalization({
  sourceLocale,
  targetLocales,
  loadLocale: () => import('./zh-CN/index.js'),
});

/** The locale in force, as `en` or `zh-CN`. */
export function currentLocale(): AppLocale {
  const locale = getLocale();
  return isAppLocale(locale) ? locale : sourceLocale;
}

/**
 * The locale a browser asks for: the first of its languages that Tianshu speaks (any `zh` variant
 * reads Simplified Chinese, any `en` variant English), else Chinese, the users' language.
 */
export function browserLocale(languages: readonly string[] = navigator.languages ?? []): AppLocale {
  for (const tag of languages) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'zh-CN';
}

const storageKey = 'tianshu.locale';

/** The last locale used in this browser (before sign-in the server cannot tell), else the browser's. */
export function rememberedLocale(): AppLocale {
  try {
    const stored = localStorage.getItem(storageKey);
    if (isAppLocale(stored)) return stored;
  } catch {
    // Storage may be disabled; the browser's languages decide.
  }
  return browserLocale();
}

/** Switches the console's language, sets `<html lang>` and remembers it in this browser. */
export async function applyLocale(locale: AppLocale): Promise<void> {
  if (getLocale() !== locale) await setLocale(locale);
  document.documentElement.lang = locale;
  try {
    localStorage.setItem(storageKey, locale);
  } catch {
    // Not remembered in this browser; the server still keeps the user's choice.
  }
}
