// nn2hls kernel library: the attention kernels — the matrix product of two tensors (run-time
// values, or one constant) and layer normalization.
//
// matmul: y[b][i][j] = sum_k a[b][i][k] * b[b][k][j] (numpy matmul, batch dims broadcast through
// the emitter's offset maps a_off/b_off, the simulator's matmulMap). Semantics as Dense
// (docs/fixed-point.md): acc = 0 in accum_t; for k ascending acc = acc + a*b (exact product,
// exact sum, one assignment into accum_t per term); y = acc assigned into out_t. One output row
// (n outputs, n*k products) per pipelined step at II = reuse, at most mult_limit multipliers.
// CFG members: a_t, b_t, out_t, accum_t, batch, m, k, n, a_n, b_n, reuse, mult_limit.
//
// layernorm: per row of n elements (docs/fixed-point.md, "LayerNorm"): sum = exact sum of x;
// d_i = n*x_i - sum exact in diff_t; v = sum of raw(d_i)^2 + eps_raw exact (an integer); v's bit
// length p gives the even shift s = (p - t) rounded up to even, the mantissa m = v >> s (or
// << -s) in [2^(t-2), 2^t) and the table entry e = rsqrt_table[m - 2^(t-2)] (sqrt(n)/sqrt(m));
// rstd = e * 2^-(s/2) exactly in rstd_t (raw e shifted left by h_max - s/2); z_i = d_i * rstd
// assigned into norm_t; y_i = z_i * gamma_i + beta_i (exact) assigned into out_t.
// CFG members: in_t, out_t, sum_t, diff_t, norm_t, rstd_t, tab_t, gamma_t, beta_t, rows, n,
// has_beta, v_bits, d_bits, eps_raw, t_bits, h_max, reuse.
#ifndef NN2HLS_ATTENTION_H_
#define NN2HLS_ATTENTION_H_

#include "nn_common.h"

namespace nn2hls {

// Constant operands are ROM words (nn_common.h), re-typed by rom<T>; run-time ones pass as they are.
template <class CFG, class AW, class BW>
void matmul(const AW a[CFG::a_n], const BW b[CFG::b_n], typename CFG::out_t y[CFG::batch * CFG::m * CFG::n],
            const int a_off[CFG::batch], const int b_off[CFG::batch]) {
  for (unsigned r = 0; r < CFG::batch * CFG::m; r++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
    const unsigned bi = r / CFG::m;
    const unsigned ao = a_off[bi] + (r % CFG::m) * CFG::k;
    const unsigned bo = b_off[bi];
    for (unsigned j = 0; j < CFG::n; j++) {
      typename CFG::accum_t acc = 0;
      for (unsigned k = 0; k < CFG::k; k++) {
        acc = acc + rom<typename CFG::a_t>(a[ao + k]) * rom<typename CFG::b_t>(b[bo + k * CFG::n + j]);
      }
      y[r * CFG::n + j] = acc;
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_ATTENTION_H_
