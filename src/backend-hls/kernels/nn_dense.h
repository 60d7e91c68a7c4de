// nn2hls kernel library: fully connected layer y[r][m] = sum_k x[r][k] * w[k][m] + b[m].
// Semantics (docs/fixed-point.md, "Dense"): acc = b[m] assigned into accum_t; then for k
// ascending acc = acc + x*w (exact product, exact sum, one assignment into accum_t per term);
// finally y = acc assigned into out_t. Two schedules compute exactly that:
//  - latency: everything unrolled, II = reuse, at most ceil(n_in*n_out/reuse) multipliers;
//  - resource: the n_in*n_out products are walked in flat order i = k*n_out + m in `reuse`
//    pipelined steps of `block` products each, so every output still sees k ascending, and the
//    weights stay in a memory reshaped to one `block`-wide word per step.
// CFG members: in_t, out_t, weight_t, bias_t, accum_t, rows, n_in, n_out, has_bias, strategy,
// reuse, block, mult_limit.
#ifndef NN2HLS_DENSE_H_
#define NN2HLS_DENSE_H_

#include "nn_common.h"

namespace nn2hls {

template <class CFG, class WW, class BW>
void dense_latency(const typename CFG::in_t x[CFG::rows * CFG::n_in], typename CFG::out_t y[CFG::rows * CFG::n_out],
                   const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
  for (unsigned r = 0; r < CFG::rows; r++) {
    for (unsigned m = 0; m < CFG::n_out; m++) {
      typename CFG::accum_t acc = 0;
      if (CFG::has_bias) acc = rom<typename CFG::bias_t>(b[m]);
      for (unsigned k = 0; k < CFG::n_in; k++) acc = acc + x[r * CFG::n_in + k] * rom<typename CFG::weight_t>(w[k * CFG::n_out + m]);
      y[r * CFG::n_out + m] = acc;
    }
  }
}

template <class CFG, class WW, class BW>
void dense_resource(const typename CFG::in_t x[CFG::rows * CFG::n_in], typename CFG::out_t y[CFG::rows * CFG::n_out],
                    const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CFG::block)
  typename CFG::accum_t acc[CFG::n_out];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
  for (unsigned r = 0; r < CFG::rows; r++) {
    for (unsigned m = 0; m < CFG::n_out; m++) {
NN2HLS_PRAGMA(HLS UNROLL)
      acc[m] = 0;
      if (CFG::has_bias) acc[m] = rom<typename CFG::bias_t>(b[m]);
    }
    for (unsigned s = 0; s < CFG::reuse; s++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
      for (unsigned j = 0; j < CFG::block; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        const unsigned i = s * CFG::block + j;
        if (i < CFG::n_in * CFG::n_out) {
          const unsigned k = i / CFG::n_out;
          const unsigned m = i % CFG::n_out;
          acc[m] = acc[m] + x[r * CFG::n_in + k] * rom<typename CFG::weight_t>(w[i]);
        }
      }
    }
    for (unsigned m = 0; m < CFG::n_out; m++) {
NN2HLS_PRAGMA(HLS UNROLL)
      y[r * CFG::n_out + m] = acc[m];
    }
  }
}

template <class CFG, class WW, class BW>
void dense(const typename CFG::in_t x[CFG::rows * CFG::n_in], typename CFG::out_t y[CFG::rows * CFG::n_out],
           const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE)
  if (CFG::strategy == STRATEGY_RESOURCE) {
    dense_resource<CFG, WW, BW>(x, y, w, b);
  } else {
    dense_latency<CFG, WW, BW>(x, y, w, b);
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_DENSE_H_
