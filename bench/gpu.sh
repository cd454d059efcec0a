#!/usr/bin/env bash
# bench/gpu.sh — the WebGPU engine on a real NVIDIA GPU, in one command.
#
#   bash bench/gpu.sh            (results in $OUT, else bench/results/gpu-<time>/)
#
# 1. the adapter Dawn finds in Node through the NVIDIA Vulkan driver (stops if
#    it is a CPU emulation: nothing here would measure the GPU);
# 2. `npm run bench`: per-kernel GFLOP/s and GB/s and the DiT forward+backward,
#    micro and small, WebGPU beside the WebAssembly backend;
# 3. `npm run bench:wasm`: matmul 512³ and the micro training step, WebGPU
#    beside WebAssembly (one thread and one per core);
# 4. headless Chromium, if it finds the GPU: the studio's training step
#    (`npm run bench:browser`) on WebGPU and WebAssembly.
# Each step prints its table and writes JSON; a failed step is reported and
# the others still run. Needs `npm ci` done (no network is used).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/results/gpu-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
status=0
step() { echo; echo "## $1"; shift; "$@" || { echo "(failed: exit $?)"; status=1; }; }

if ! nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/nvidia-smi.csv"; then
  echo "no NVIDIA GPU here (nvidia-smi failed)"; exit 2
fi
# The NVIDIA Vulkan driver, where it is installed (else the loader's own choice).
for icd in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json; do
  if [ -f "$icd" ]; then export VK_ICD_FILENAMES="$icd"; break; fi
done
echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-(unset)}"
[ -d node_modules ] || { echo "run npm ci first"; exit 2; }

NODE=(node --import tsx --import ./scripts/wgsl-loader.mjs)
if ! "${NODE[@]}" bench/gpuAdapter.ts | tee "$OUT/adapter.json"; then
  echo "Dawn's adapter is not the GPU (see $OUT/adapter.json): stopping"; exit 3
fi
step "Engine bench (Node, Dawn)" "${NODE[@]}" bench/bench.ts --sizes micro,small --backends webgpu,wasm --out "$OUT/bench.json"
step "Matmul and training step (Node)" "${NODE[@]}" bench/wasm.ts --backends webgpu,wasm --out "$OUT/train-step.json"

CHROMIUM_GPU_ARGS="--enable-features=Vulkan --use-vulkan=native --use-angle=vulkan --ignore-gpu-blocklist --enable-unsafe-webgpu"
if command -v chromium >/dev/null || [ -n "${CHROMIUM_PATH:-}" ]; then
  step "Training step in headless Chromium" env CHROMIUM_ARGS="$CHROMIUM_GPU_ARGS" BENCH_BACKENDS=webgpu,wasm BENCH_OUT="$OUT/browser.json" \
    node --import tsx bench/browser.ts
  grep -qi swiftshader "$OUT/browser.json" 2>/dev/null && echo "Chromium did not find the GPU (its WebGPU adapter is SwiftShader): read its WebGPU row as CPU emulation"
else
  echo "no Chromium: the browser step is skipped"
fi
echo; echo "results in $OUT"
exit $status
