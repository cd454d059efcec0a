/**
 * What a PNG export of a view leaves out: its controls (buttons, menus,
 * fields, disclosure toggles, labels around a control) and anything marked
 * data-export="skip", so the picture is the figures and their captions.
 * For html-to-image: toPng(node, { filter: keepInExport }).
 */
export const EXPORT_SKIP = 'button, select, input, textarea, summary, label:has(select, input, textarea), [data-export="skip"]';

export function keepInExport(node: unknown): boolean {
  const el = node as { nodeType?: number; matches?: (selector: string) => boolean };
  return el?.nodeType !== 1 || typeof el.matches !== 'function' || !el.matches(EXPORT_SKIP);
}
