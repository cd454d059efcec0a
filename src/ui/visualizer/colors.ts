/** A perceptually ordered colour ramp (dark blue → teal → yellow) for values in [0, 1]. */
const STOPS: [number, number, number][] = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

export function ramp(v: number): string {
  if (!Number.isFinite(v)) return '#d0d7de';
  const x = Math.max(0, Math.min(1, v)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x)), f = x - i;
  const c = STOPS[i].map((a, j) => Math.round(a + (STOPS[i + 1][j] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** The ramp as a CSS gradient (sampled at 11 stops), for a colour scale's bar. */
export const RAMP_GRADIENT = `linear-gradient(to right, ${Array.from({ length: 11 }, (_, i) => ramp(i / 10)).join(', ')})`;
