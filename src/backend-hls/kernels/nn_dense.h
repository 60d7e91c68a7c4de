// nn2hls kernel library: fully connected layer y[r][m] = sum_k x[r][k] * rom<typename CFG::weight_t>(w[k])[m] + rom<typename CFG::bias_t>(b[m]).
// Semantics (docs/fixed-point.md, "Dense"): acc = rom<typename CFG::bias_t>(b[m]) assigned into accum_t; then for k
// ascending acc = acc + x*w (exact product, exact sum, one assignment into accum_t per term);
// finally y = acc assigned into out_t. Two schedules compute exactly that:
//  - latency: everything unrolled, II = reuse, at most ceil(n_in*n_out/reuse) multipliers;
//  - resource: `reuse` pipelined steps (II=1) of block = kb*mb products each (kb inputs for mb
//    outputs; reuse is valid: it divides n_in, or is n_in*mr with mr dividing n_out), so every
//    output still sees k ascending, and the weights stay in a memory reshaped to one
//    `block`-wide word per step.
// CFG members: in_t, out_t, weight_t, bias_t, accum_t, rows, n_in, n_out, has_bias, strategy,
// reuse, block, kb, mb, mr, in_pack (io_stream input pack width), mult_limit, multiplier (mult_impl_t:
// the binding of the weight products, see mult_bind in nn_common.h); io_stream also step_ii.
#ifndef NN2HLS_DENSE_H_
#define NN2HLS_DENSE_H_

#include "nn_common.h"
#include "nn_stream.h"

namespace nn2hls {

// One row of the latency schedule, inlined into dense_stream_latency's pipelined row loop
// (which carries the PIPELINE and ALLOCATION pragmas).
template <class CFG, class WW, class BW>
void dense_latency_row(const typename CFG::in_t x[CFG::n_in], typename CFG::out_t y[CFG::n_out],
                       const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned m = 0; m < CFG::n_out; m++) {
    typename CFG::accum_t acc = 0;
    if (CFG::has_bias) acc = rom<typename CFG::bias_t>(b[m]);
    for (unsigned k = 0; k < CFG::n_in; k++) acc = acc + mult_bind<CFG::multiplier>::run(x[k], rom<typename CFG::weight_t>(w[k * CFG::n_out + m]));
    y[m] = acc;
  }
}

template <class CFG, class WW, class BW>
void dense_latency(const typename CFG::in_t x[CFG::rows * CFG::n_in], typename CFG::out_t y[CFG::rows * CFG::n_out],
                   const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
  for (unsigned r = 0; r < CFG::rows; r++) {
    for (unsigned m = 0; m < CFG::n_out; m++) {
      typename CFG::accum_t acc = 0;
      if (CFG::has_bias) acc = rom<typename CFG::bias_t>(b[m]);
      for (unsigned k = 0; k < CFG::n_in; k++) acc = acc + mult_bind<CFG::multiplier>::run(x[r * CFG::n_in + k], rom<typename CFG::weight_t>(w[k * CFG::n_out + m]));
      y[r * CFG::n_out + m] = acc;
    }
  }
}

// One row of the resource schedule. Step t (0..reuse-1, pipelined at II=1) multiplies inputs
// kbase..kbase+kb-1 with the weights of outputs q*mb..q*mb+mb-1: word t of w (reshaped so that
// one word holds the kb*mb weights of a step, all read in one cycle). kbase and q are counters
// (no division or modulo on the loop variable); for each output the inputs still come in
// ascending k, so the rounding sequence is the latency schedule's.
template <class CFG, class WW, class BW>
void dense_resource_row(const typename CFG::in_t x[CFG::n_in], typename CFG::out_t y[CFG::n_out],
                        const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE)
  typename CFG::accum_t acc[CFG::n_out];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
  for (unsigned m = 0; m < CFG::n_out; m++) {
NN2HLS_PRAGMA(HLS UNROLL)
    acc[m] = 0;
    if (CFG::has_bias) acc[m] = rom<typename CFG::bias_t>(b[m]);
  }
  unsigned kbase = 0;
  unsigned q = 0;
  unsigned wbase = 0;
  for (unsigned t = 0; t < CFG::reuse; t++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    for (unsigned j = 0; j < CFG::kb; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      for (unsigned u = 0; u < CFG::mb; u++) {
NN2HLS_PRAGMA(HLS UNROLL)
        const unsigned m = CFG::mr == 1 ? u : q * CFG::mb + u;
        acc[m] = acc[m] + mult_bind<CFG::multiplier>::run(x[kbase + j], rom<typename CFG::weight_t>(w[wbase + j * CFG::mb + u]));
      }
    }
    wbase += CFG::block;
    if (q + 1 == CFG::mr) {
      q = 0;
      kbase += CFG::kb;
    } else {
      q++;
    }
  }
  for (unsigned m = 0; m < CFG::n_out; m++) {
NN2HLS_PRAGMA(HLS UNROLL)
    y[m] = acc[m];
  }
}

// A process of its own (not inlined), so a DATAFLOW top sees one call per layer.
template <class CFG, class WW, class BW>
void dense_resource(const typename CFG::in_t x[CFG::rows * CFG::n_in], typename CFG::out_t y[CFG::rows * CFG::n_out],
                    const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE off)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CFG::block)
  for (unsigned r = 0; r < CFG::rows; r++) {
    dense_resource_row<CFG>(&x[r * CFG::n_in], &y[r * CFG::n_out], w, b);
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

// io_stream: the layer applied to each row (pixel) as it arrives. A row's n_in inputs come as
// n_in/in_pack packs (in_pack < n_in after an order-preserving Flatten); they are gathered,
// the row is computed with the layer's schedule, and one pack of n_out outputs is written.
// Reads a row's packs into x.
template <class CFG>
void dense_stream_read(hls::stream<pack<typename CFG::in_t, CFG::in_pack> >& in, typename CFG::in_t x[CFG::n_in]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned k = 0; k < CFG::n_in / CFG::in_pack; k++) {
    const pack<typename CFG::in_t, CFG::in_pack> a = in.read();
    for (unsigned j = 0; j < CFG::in_pack; j++) x[k * CFG::in_pack + j] = a.v[j];
  }
}

// Latency schedule: one row per iteration of a loop pipelined at II step_ii = max(reuse,
// n_in/in_pack): its packs in, its n_in*n_out products on mult_limit multipliers shared over
// the II, one pack out. Rows overlap (nothing carries from one row to the next), so the rows
// take rows*step_ii cycles (LayerPlan tripCount rows, stepII step_ii).
template <class CFG, class WW, class BW>
void dense_stream_latency(hls::stream<pack<typename CFG::in_t, CFG::in_pack> >& in, hls::stream<pack<typename CFG::out_t, CFG::n_out> >& out,
                          const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned r = 0; r < CFG::rows; r++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::step_ii)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
    typename CFG::in_t x[CFG::n_in];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=x complete)
    dense_stream_read<CFG>(in, x);
    pack<typename CFG::out_t, CFG::n_out> o;
    dense_latency_row<CFG>(x, o.v, w, b);
    out.write(o);
  }
}

// Resource schedule: per row, the packs are read by a loop pipelined at II 1, then the `reuse`
// steps of dense_resource_row run as their own pipelined loop (II 1; its reuse steps are not
// unrolled into one step, which would unroll all n_in*n_out products again); the two loops run
// one after the other and the step loop drains before the next row (LayerPlan tripCount
// rows*(n_in/in_pack + reuse), stepII 1, serialSteps rows).
template <class CFG, class WW, class BW>
void dense_stream_resource(hls::stream<pack<typename CFG::in_t, CFG::in_pack> >& in, hls::stream<pack<typename CFG::out_t, CFG::n_out> >& out,
                           const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned r = 0; r < CFG::rows; r++) {
    typename CFG::in_t x[CFG::n_in];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=x complete)
    for (unsigned k = 0; k < CFG::n_in / CFG::in_pack; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
      const pack<typename CFG::in_t, CFG::in_pack> a = in.read();
      for (unsigned j = 0; j < CFG::in_pack; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        x[k * CFG::in_pack + j] = a.v[j];
      }
    }
    pack<typename CFG::out_t, CFG::n_out> o;
    dense_resource_row<CFG>(x, o.v, w, b);
    out.write(o);
  }
}

// CFG member of the stream kernels: step_ii (the latency schedule's row II).
template <class CFG, class WW, class BW>
void dense_stream(hls::stream<pack<typename CFG::in_t, CFG::in_pack> >& in, hls::stream<pack<typename CFG::out_t, CFG::n_out> >& out,
                  const WW w[CFG::n_in * CFG::n_out], const BW b[CFG::n_out]) {
NN2HLS_PRAGMA(HLS INLINE off)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CFG::block)
  if (CFG::strategy == STRATEGY_RESOURCE) {
    dense_stream_resource<CFG>(in, out, w, b);
  } else {
    dense_stream_latency<CFG>(in, out, w, b);
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_DENSE_H_
