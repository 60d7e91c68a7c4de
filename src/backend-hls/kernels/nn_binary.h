// nn2hls kernel library: element-wise layers with two operands (Add, Sub, Mul, Max, Min) and
// numpy broadcasting. Semantics (docs/fixed-point.md): each operand keeps its own type, the
// exact result (full-precision sum, difference or product; Max/Min compare exactly and keep
// the winner) is assigned into out_t once. Either operand may be a constant array.
// CFG members: op, a_t, b_t, out_t, n, ab and bb (broadcast maps of a and b to the output,
// see bcast_index), reuse.
#ifndef NN2HLS_BINARY_H_
#define NN2HLS_BINARY_H_

#include "nn_common.h"

namespace nn2hls {

enum binary_op { B_ADD, B_SUB, B_MUL, B_MAX, B_MIN };

template <class CFG, class AW, class BW>
void binary(const AW a[], const BW b[], typename CFG::out_t y[CFG::n]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
  for (unsigned i = 0; i < CFG::n; i++) {
    const typename CFG::a_t u = rom<typename CFG::a_t>(a[bcast_index<typename CFG::ab>(i)]);
    const typename CFG::b_t v = rom<typename CFG::b_t>(b[bcast_index<typename CFG::bb>(i)]);
    if (CFG::op == B_ADD) {
      y[i] = u + v;
    } else if (CFG::op == B_SUB) {
      y[i] = u - v;
    } else if (CFG::op == B_MUL) {
      y[i] = u * v;
    } else if (CFG::op == B_MAX) {
      if (u > v) y[i] = u;
      else y[i] = v;
    } else {
      if (u < v) y[i] = u;
      else y[i] = v;
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_BINARY_H_
