/** Check the time map against the fixture `time_map.json` (α(γ) grid and γ(α) probes per K). */
import { TimeMap } from '../flm/timeMap.ts';

export interface TimeMapFixtureEntry {
  gamma: number[];
  alpha: number[];
  alpha_probe: number[];
  gamma_of_alpha_probe: number[];
}

export interface TimeMapParityRow { K: number; alphaErr: number; gammaErr: number }

export const TIME_MAP_TOLERANCE = { alpha: 1e-6, gamma: 1e-5 };

export function runTimeMapParity(fixture: Record<string, TimeMapFixtureEntry>): TimeMapParityRow[] {
  return Object.entries(fixture).map(([k, e]) => {
    const K = Number(k);
    const map = new TimeMap(K);
    let alphaErr = 0, gammaErr = 0;
    e.gamma.forEach((g, i) => { alphaErr = Math.max(alphaErr, Math.abs(map.alpha(g) - e.alpha[i])); });
    e.alpha_probe.forEach((a, i) => { gammaErr = Math.max(gammaErr, Math.abs(map.gamma(a) - e.gamma_of_alpha_probe[i])); });
    return { K, alphaErr, gammaErr };
  });
}
