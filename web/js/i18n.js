// i18n.js - the page's strings: zh-CN by default, English on request; t('key', {n: 10}) fills {n}.
let dict = {};
let current = 'zh-CN';

export async function setLang(lang) {
  current = lang === 'en' ? 'en' : 'zh-CN';
  dict = (await import(`../i18n/${current}.js`)).default;
  document.documentElement.lang = current;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
}

export function lang() { return current; }

export function t(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** Number in the page's language (thousands separators). */
export function num(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '–';
  return Number(v).toLocaleString(current, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
