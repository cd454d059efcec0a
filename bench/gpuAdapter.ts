/**
 * `node --import tsx bench/gpuAdapter.ts`: the WebGPU adapter Dawn finds in
 * Node, as JSON (vendor, architecture, limits…); exits 3 when it is a CPU
 * emulation (SwiftShader, lavapipe), since bench/gpu.sh measures a real GPU.
 */
import { describeAdapter, isCpuEmulated } from '../src/engine/webgpu/device.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { nodeGpu } from '../src/engine/webgpu/nodeGpu.ts';

const gpu = await GpuBackend.create(await nodeGpu());
const s = gpu.summary;
console.log(JSON.stringify({ adapter: describeAdapter(s), emulated: isCpuEmulated(s), ...s }, null, 1));
gpu.destroy();
process.exit(isCpuEmulated(s) ? 3 : 0);
