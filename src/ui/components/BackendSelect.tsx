/** The backend picker (Train, Sample) and the backends' names in words, the same in every view. */
import type { BackendName } from '../../engine/backend.ts';
import type { BackendPreference } from '../../../workers/protocol.ts';

export const BACKEND_LABEL: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  wasm: 'WebAssembly',
  cpu: 'CPU reference',
};

const OPTIONS: { value: BackendPreference; label: string }[] = [
  { value: 'auto', label: 'auto (WebGPU on a GPU, else WebAssembly)' },
  { value: 'webgpu', label: BACKEND_LABEL.webgpu },
  { value: 'wasm', label: 'WebAssembly (SIMD, threads)' },
  { value: 'cpu', label: `${BACKEND_LABEL.cpu} (slow: the oracle)` },
];

export function BackendSelect({ value, onChange, testid }: { value: BackendPreference; onChange(b: BackendPreference): void; testid: string }) {
  return (
    <select data-testid={testid} value={value} onChange={(e) => onChange(OPTIONS.find((o) => o.value === e.target.value)?.value ?? 'auto')}>
      {OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
    </select>
  );
}
