// nn2hls kernel library: element-wise layers with two operands (Add, Sub, Mul, Max, Min) and
// numpy broadcasting. Semantics (docs/fixed-point.md): each operand keeps its own type, the
// exact result (full-precision sum, difference or product; Max/Min compare exactly and keep
// the winner) is assigned into out_t once. Either operand may be a constant array.
// CFG members: op, a_t, b_t, out_t, n, ab and bb (broadcast maps of a and b to the output,
// see bcast_index), reuse, c (pack width), per_pixel (same-shape operands, one pixel per cycle).
// io_stream: binary_stream (two run-time operands), binary_stream_kb / _ka (one constant).
#ifndef NN2HLS_BINARY_H_
#define NN2HLS_BINARY_H_

#include "nn_common.h"
#include "nn_stream.h"

namespace nn2hls {

enum binary_op { B_ADD, B_SUB, B_MUL, B_MAX, B_MIN };

template <class CFG>
void binary_apply(const typename CFG::a_t& u, const typename CFG::b_t& v, typename CFG::out_t& y) {
NN2HLS_PRAGMA(HLS INLINE)
  if (CFG::op == B_ADD) {
    y = u + v;
  } else if (CFG::op == B_SUB) {
    y = u - v;
  } else if (CFG::op == B_MUL) {
    y = u * v;
  } else if (CFG::op == B_MAX) {
    if (u > v) y = u;
    else y = v;
  } else {
    if (u < v) y = u;
    else y = v;
  }
}

// Constant operands are ROM words (nn_common.h), re-typed by rom<T>.
template <class CFG, class AW, class BW>
void binary_all(const AW a[], const BW b[], typename CFG::out_t y[CFG::n]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
  for (unsigned i = 0; i < CFG::n; i++) {
    binary_apply<CFG>(rom<typename CFG::a_t>(a[bcast_index<typename CFG::ab>(i)]), rom<typename CFG::b_t>(b[bcast_index<typename CFG::bb>(i)]), y[i]);
  }
}

// Same-shape operands beyond the unroll limit (io_parallel): one pixel per cycle.
template <class CFG, class AW, class BW>
void binary_pixels(const AW a[], const BW b[], typename CFG::out_t y[CFG::n]) {
NN2HLS_PRAGMA(HLS INLINE off)
  for (unsigned k = 0; k < CFG::n / CFG::c; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    for (unsigned j = 0; j < CFG::c; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      binary_apply<CFG>(rom<typename CFG::a_t>(a[k * CFG::c + j]), rom<typename CFG::b_t>(b[k * CFG::c + j]), y[k * CFG::c + j]);
    }
  }
}

template <class CFG, class AW, class BW>
void binary(const AW a[], const BW b[], typename CFG::out_t y[CFG::n]) {
NN2HLS_PRAGMA(HLS INLINE)
  if (CFG::per_pixel) {
    binary_pixels<CFG>(a, b, y);
  } else {
    binary_all<CFG>(a, b, y);
  }
}

// io_stream, both operands run-time values of the output's shape: one pack of each per pixel.
template <class CFG>
void binary_stream(hls::stream<pack<typename CFG::a_t, CFG::c> >& a, hls::stream<pack<typename CFG::b_t, CFG::c> >& b,
                   hls::stream<pack<typename CFG::out_t, CFG::c> >& out) {
  for (unsigned k = 0; k < CFG::n / CFG::c; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<typename CFG::a_t, CFG::c> u = a.read();
    const pack<typename CFG::b_t, CFG::c> v = b.read();
    pack<typename CFG::out_t, CFG::c> o;
    for (unsigned j = 0; j < CFG::c; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      binary_apply<CFG>(u.v[j], v.v[j], o.v[j]);
    }
    out.write(o);
  }
}

// io_stream, a run-time operand of the output's shape and a constant (a ROM, broadcast by its
// map from the element number): one pack per pixel. _kb: b is the constant; _ka: a is.
template <class CFG, class BW>
void binary_stream_kb(hls::stream<pack<typename CFG::a_t, CFG::c> >& a, const BW b[], hls::stream<pack<typename CFG::out_t, CFG::c> >& out) {
  for (unsigned k = 0; k < CFG::n / CFG::c; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<typename CFG::a_t, CFG::c> u = a.read();
    pack<typename CFG::out_t, CFG::c> o;
    for (unsigned j = 0; j < CFG::c; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      binary_apply<CFG>(u.v[j], rom<typename CFG::b_t>(b[bcast_index<typename CFG::bb>(k * CFG::c + j)]), o.v[j]);
    }
    out.write(o);
  }
}

template <class CFG, class AW>
void binary_stream_ka(const AW a[], hls::stream<pack<typename CFG::b_t, CFG::c> >& b, hls::stream<pack<typename CFG::out_t, CFG::c> >& out) {
  for (unsigned k = 0; k < CFG::n / CFG::c; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<typename CFG::b_t, CFG::c> v = b.read();
    pack<typename CFG::out_t, CFG::c> o;
    for (unsigned j = 0; j < CFG::c; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      binary_apply<CFG>(rom<typename CFG::a_t>(a[bcast_index<typename CFG::ab>(k * CFG::c + j)]), v.v[j], o.v[j]);
    }
    out.write(o);
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_BINARY_H_
