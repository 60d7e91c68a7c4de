// nn2hls kernel library: softmax over one axis through two lookup tables.
// Semantics (docs/fixed-point.md, "Softmax"), per slice of `len` elements `inner` apart:
// m = max (exact), d = x - m exact in diff_t, e = exp_table[idx(d)], s = sum of e exact in
// sum_t, r = inv_table[idx(s)], y = e * r (exact product) assigned into out_t.
// CFG members: in_t, out_t, diff_t, exp_t, sum_t, inv_t, outer, len, inner, exp_tab, inv_tab
// (table geometries for table_index), reuse.
#ifndef NN2HLS_SOFTMAX_H_
#define NN2HLS_SOFTMAX_H_

#include "nn_common.h"

namespace nn2hls {

template <class CFG, class EW, class IW>
void softmax(const typename CFG::in_t x[CFG::outer * CFG::len * CFG::inner], typename CFG::out_t y[CFG::outer * CFG::len * CFG::inner],
             const EW exp_table[CFG::exp_tab::size], const IW inv_table[CFG::inv_tab::size]) {
  for (unsigned s = 0; s < CFG::outer * CFG::inner; s++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
    const unsigned base = (s / CFG::inner) * CFG::len * CFG::inner + s % CFG::inner;
    typename CFG::in_t m = x[base];
    for (unsigned j = 1; j < CFG::len; j++) {
      if (x[base + j * CFG::inner] > m) m = x[base + j * CFG::inner];
    }
    typename CFG::exp_t e[CFG::len];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=e complete)
    typename CFG::sum_t sum = 0;
    for (unsigned j = 0; j < CFG::len; j++) {
      const typename CFG::diff_t d = x[base + j * CFG::inner] - m;
      e[j] = rom<typename CFG::exp_t>(exp_table[table_index<typename CFG::exp_tab>(d)]);
      sum = sum + e[j];
    }
    const typename CFG::inv_t r = rom<typename CFG::inv_t>(inv_table[table_index<typename CFG::inv_tab>(sum)]);
    for (unsigned j = 0; j < CFG::len; j++) y[base + j * CFG::inner] = e[j] * r;
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_SOFTMAX_H_
