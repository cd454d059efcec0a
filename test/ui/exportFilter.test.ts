import { describe, expect, it } from 'vitest';
import { EXPORT_SKIP, keepInExport } from '../../src/ui/visualizer/exportFilter.ts';

/** An element that matches the selectors of `tags` (enough for the filter). */
const el = (tag: string) => ({ nodeType: 1, matches: (sel: string) => sel.split(',').map((s) => s.trim()).includes(tag) });

describe('the PNG export\'s filter', () => {
  it('leaves out buttons, menus, fields and disclosure toggles; keeps figures, text and captions', () => {
    for (const tag of ['button', 'select', 'input', 'textarea', 'summary', '[data-export="skip"]']) expect(keepInExport(el(tag)), tag).toBe(false);
    for (const tag of ['canvas', 'figure', 'figcaption', 'pre', 'div']) expect(keepInExport(el(tag)), tag).toBe(true);
    expect(keepInExport({ nodeType: 3 })).toBe(true);
    expect(EXPORT_SKIP).toContain('label:has(select, input, textarea)');
  });
});
