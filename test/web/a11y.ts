/**
 * A basic accessibility audit run inside the page (no extra library): every form control
 * has an accessible name, and every visible text meets WCAG 2.1 AA contrast against the
 * background it is painted on (4.5:1, or 3:1 for large text: ≥ 24px, or ≥ 18.66px bold).
 * Disabled controls, placeholders and text drawn on images or gradients are out of scope,
 * as WCAG has them.
 */
import type { Page } from 'playwright-core';

export interface AuditFinding {
  kind: 'unnamed-control' | 'low-contrast';
  what: string;
  ratio?: number;
  need?: number;
}

export async function auditPage(page: Page): Promise<AuditFinding[]> {
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300); // transitions settle: a fading element has a partial opacity
  return page.evaluate(() => {
    const out: { kind: 'unnamed-control' | 'low-contrast'; what: string; ratio?: number; need?: number }[] = [];
    const visible = (el: Element) => {
      const r = (el as HTMLElement).getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return false;
      for (let e: Element | null = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0 || e.getAttribute('aria-hidden') === 'true') return false;
      }
      return true;
    };
    const describe = (el: Element) => `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(/\s+/).slice(0, 2).join('.')}` : ''}> "${(el.textContent ?? '').trim().slice(0, 40)}"`;

    // 1. Every control a person can operate has a name.
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      if (!visible(el)) continue;
      const input = el as HTMLInputElement;
      const named =
        (input.labels && input.labels.length > 0 && [...input.labels].some((l) => (l.textContent ?? '').trim())) ||
        input.getAttribute('aria-label')?.trim() ||
        (input.getAttribute('aria-labelledby') ?? '').split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim()) ||
        input.getAttribute('title')?.trim();
      if (!named) out.push({ kind: 'unnamed-control', what: `${describe(el)} name=${input.name || '?'} placeholder=${input.placeholder || ''}` });
    }
    for (const el of document.querySelectorAll('button, [role=button], a[href]')) {
      if (!visible(el)) continue;
      const name = (el.textContent ?? '').trim() || el.getAttribute('aria-label')?.trim() || el.getAttribute('title')?.trim() ||
        (el.getAttribute('aria-labelledby') ?? '').split(/\s+/).map((id) => document.getElementById(id)?.textContent?.trim()).join('') ||
        el.querySelector('img[alt]')?.getAttribute('alt')?.trim();
      if (!name) out.push({ kind: 'unnamed-control', what: describe(el) + ' ' + el.outerHTML.slice(0, 120) });
    }

    // 2. Contrast of every visible text against what is behind it.
    const parse = (c: string): number[] | null => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return null;
      const p = m[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
    };
    const lum = (c: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]!) + 0.7152 * f(c[1]!) + 0.0722 * f(c[2]!);
    };
    const over = (top: number[], under: number[]) => [0, 1, 2].map((i) => top[i]! * top[3]! + under[i]! * (1 - top[3]!)).concat(1);
    /** The colour behind an element (null when an image or gradient is: out of scope). */
    const background = (el: Element): number[] | null => {
      const layers: number[][] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.backgroundImage && cs.backgroundImage !== 'none') return null;
        const c = parse(cs.backgroundColor);
        if (c && c[3]! > 0) {
          layers.push(c);
          if (c[3]! >= 1) break;
        }
      }
      let out = [255, 255, 255, 1];
      for (const c of layers.reverse()) out = over(c, out);
      return out;
    };
    const seen = new Set<string>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent ?? '').trim();
      const el = n.parentElement;
      if (!text || !el || !visible(el)) continue;
      if (el.closest('[disabled], [aria-disabled="true"], [data-disabled], svg, canvas')) continue;
      const cs = getComputedStyle(el);
      const fg = parse(cs.color);
      const bg = background(el);
      if (!fg || !bg) continue;
      let opacity = 1;
      for (let e: Element | null = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      const shown = over([fg[0]!, fg[1]!, fg[2]!, fg[3]! * opacity], bg);
      const [a, b] = [lum(shown), lum(bg)];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      const need = large ? 3 : 4.5;
      if (ratio + 0.005 < need) {
        const key = `${cs.color}|${bg.join(',')}|${text.slice(0, 20)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ kind: 'low-contrast', what: `${describe(el)} color ${cs.color} on rgb(${bg.slice(0, 3).map(Math.round).join(',')}) ${size}px`, ratio: Math.round(ratio * 100) / 100, need });
      }
    }
    return out;
  });
}
