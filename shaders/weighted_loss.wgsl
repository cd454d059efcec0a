// The mean token loss with optional per-sequence weighting w[B]:
//   perToken = exp(−w_b)·ce + w_b (ce without w), loss[0] = mean over B·L,
//   dce = d loss/d ce = exp(−w_b)/(B·L) (1/(B·L) without w),
//   dw_b = Σ_l (1 − exp(−w_b)·ce)/(B·L).
// One dispatch of B + 1 workgroups of WORKGROUP_SIZE: workgroup 0 sums every
// token's loss in a fixed order (strided per lane, then row_sum over the whole
// workgroup, lib/reduce.wgsl), so the mean is deterministic; workgroup 1 + b
// writes item b's perToken and dce
// and reduces its dw_b the same way. Without w (HAS_W = false) w is bound to
// a dummy; without dw (HAS_DW = false) dw is bound to a dummy.

override HAS_W: bool = false;
override HAS_DW: bool = false;

struct Params { batch: u32, length: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ce: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> perToken: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dce: array<f32>;
@group(0) @binding(6) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn weighted_loss_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let wgi = flat_workgroup(wg, nwg);
  let L = p.length;
  let n = p.batch * L;
  let invN = 1.0 / f32(n);
  var acc = 0.0;
  if (wgi == 0u) {
    for (var i = li; i < n; i += WORKGROUP_SIZE) {
      if (HAS_W) {
        let wb = w[i / L];
        acc += exp(-wb) * ce[i] + wb;
      } else {
        acc += ce[i];
      }
    }
  } else if (wgi <= p.batch) {
    let b = wgi - 1u;
    var wb = 0.0;
    var e = 1.0;
    if (HAS_W) {
      wb = w[b];
      e = exp(-wb);
    }
    let g = e * invN;
    for (var l = li; l < L; l += WORKGROUP_SIZE) {
      let i = b * L + l;
      let c = ce[i];
      if (HAS_W) {
        perToken[i] = e * c + wb;
        acc += 1.0 - e * c;
      } else {
        perToken[i] = c;
      }
      dce[i] = g;
    }
  }
  let total = row_sum(li, li, WORKGROUP_SIZE, acc);
  if (li == 0u) {
    if (wgi == 0u) {
      loss[0] = total * invN;
    } else if (HAS_W && HAS_DW && wgi <= p.batch) {
      dw[wgi - 1u] = total * invN;
    }
  }
}
