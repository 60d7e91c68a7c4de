// nn2hls kernel library: softmax over one axis through two lookup tables.
// Semantics (docs/fixed-point.md, "Softmax"), per slice of `len` elements `inner` apart:
// m = max (exact), d = x - m exact in diff_t, e = exp_table[idx(d)], s = sum of e exact in
// sum_t, r = inv_table[idx(s)], y = e * r (exact product) assigned into out_t.
// CFG members: in_t, out_t, diff_t, exp_t, sum_t, inv_t, outer, len, inner, exp_tab, inv_tab
// (table geometries for table_index), reuse; softmax_stream (io_stream, last axis) also pin, pout.
#ifndef NN2HLS_SOFTMAX_H_
#define NN2HLS_SOFTMAX_H_

#include "nn_common.h"
#include "nn_stream.h"

namespace nn2hls {

// One slice of len elements `stride` apart (the math above), shared by the array and stream kernels.
template <class CFG, class EW, class IW>
void softmax_slice(const typename CFG::in_t x[], unsigned xo, typename CFG::out_t y[], unsigned yo, unsigned stride,
                   const EW exp_table[CFG::exp_tab::size], const IW inv_table[CFG::inv_tab::size]) {
NN2HLS_PRAGMA(HLS INLINE)
  typename CFG::in_t m = x[xo];
  for (unsigned j = 1; j < CFG::len; j++) {
    if (x[xo + j * stride] > m) m = x[xo + j * stride];
  }
  typename CFG::exp_t e[CFG::len];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=e complete)
  typename CFG::sum_t sum = 0;
  for (unsigned j = 0; j < CFG::len; j++) {
    const typename CFG::diff_t d = x[xo + j * stride] - m;
    e[j] = rom<typename CFG::exp_t>(exp_table[table_index<typename CFG::exp_tab>(d)]);
    sum = sum + e[j];
  }
  const typename CFG::inv_t r = rom<typename CFG::inv_t>(inv_table[table_index<typename CFG::inv_tab>(sum)]);
  for (unsigned j = 0; j < CFG::len; j++) y[yo + j * stride] = e[j] * r;
}

template <class CFG, class EW, class IW>
void softmax(const typename CFG::in_t x[CFG::outer * CFG::len * CFG::inner], typename CFG::out_t y[CFG::outer * CFG::len * CFG::inner],
             const EW exp_table[CFG::exp_tab::size], const IW inv_table[CFG::inv_tab::size]) {
  for (unsigned s = 0; s < CFG::outer * CFG::inner; s++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
    const unsigned base = (s / CFG::inner) * CFG::len * CFG::inner + s % CFG::inner;
    softmax_slice<CFG>(x, base, y, base, CFG::inner, exp_table, inv_table);
  }
}

// io_stream, softmax over the last axis (inner == 1): one slice (len/pin packs) in, softmax_slice,
// len/pout packs out; only the slice is held.
template <class CFG, class EW, class IW>
void softmax_stream(hls::stream<pack<typename CFG::in_t, CFG::pin> >& in, hls::stream<pack<typename CFG::out_t, CFG::pout> >& out,
                    const EW exp_table[CFG::exp_tab::size], const IW inv_table[CFG::inv_tab::size]) {
  for (unsigned s = 0; s < CFG::outer; s++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
    typename CFG::in_t x[CFG::len];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=x complete)
    typename CFG::out_t y[CFG::len];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=y complete)
    for (unsigned q = 0; q < CFG::len / CFG::pin; q++) {
      const pack<typename CFG::in_t, CFG::pin> a = in.read();
      for (unsigned j = 0; j < CFG::pin; j++) x[q * CFG::pin + j] = a.v[j];
    }
    softmax_slice<CFG>(x, 0, y, 0, 1, exp_table, inv_table);
    for (unsigned q = 0; q < CFG::len / CFG::pout; q++) {
      pack<typename CFG::out_t, CFG::pout> o;
      for (unsigned j = 0; j < CFG::pout; j++) o.v[j] = y[q * CFG::pout + j];
      out.write(o);
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_SOFTMAX_H_
