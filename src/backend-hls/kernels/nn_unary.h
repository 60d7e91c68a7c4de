// nn2hls kernel library: element-wise layers with one run-time input.
// One family, selected by CFG::kind, so io_parallel and io_stream share the per-element code:
//   COPY     y = x                               (Reshape, Identity, QONNX Quant: the cast is the op)
//   RELU     x > 0 ? x : 0
//   LEAKY    x >= 0 ? x : x * rom<typename CFG::p_t>(p[0])               (p[0] = alpha in its own type; exact product)
//   PRELU    x >= 0 ? x : x * p[bcast(i)]        (slope broadcast to x)
//   THRESH   raw(x) > thr ? x : 0                (thr = floor(alpha * 2^F), exact comparison)
//   CLIP     raw(x) < lo ? p[0] : raw(x) > hi ? p[1] : x   (lo = ceil(min*2^F), hi = floor(max*2^F))
//   TABLE    p[table_index(x)]                   (Sigmoid, Tanh, Elu, ... tables)
//   XTABLE   x * p[table_index(x)]               (Gelu: x times the normal-CDF table; exact product)
//   RELABEL  x's raw read as rel_t, then assigned (QuantizeLinear / DequantizeLinear)
//   BIPOLAR  x >= 0 ? p[bcast(i)] : q[bcast(i)]
//   AFFINE   x * p[c] + q[c], c = i % channels   (exact product and sum)
//   QUANT_PC QONNX Quant with per-channel power-of-two scales 2^e_c: k = p[bcast(i)] = e_c - e_min;
//            x's raw read as s_t (= x·2^-e_max), shifted left by d - k (= x·2^-e_c, exact in s_t),
//            cast into grid_t (the b-bit integer with the quantizer's rounding and saturation),
//            shifted left by k in w_t and its raw placed in out_t (grid 2^e_min)
// and every result is assigned into out_t once (docs/fixed-point.md). Each kind is a separate
// specialization so a layer's config only needs the members its kind reads.
// CFG members: kind, in_t, out_t, p_t, q_t, n, c (pack width), reuse, per_pixel, plus per kind: pb (PRELU,
// BIPOLAR/QUANT_PC broadcast), thr, has_lo, lo, has_hi, hi (THRESH/CLIP), tab (TABLE), rel_t (RELABEL),
// s_t, grid_t, w_t, d (QUANT_PC).
#ifndef NN2HLS_UNARY_H_
#define NN2HLS_UNARY_H_

#include "nn_common.h"
#include "nn_stream.h"

namespace nn2hls {

enum unary_kind { U_COPY, U_RELU, U_LEAKY, U_PRELU, U_THRESH, U_CLIP, U_TABLE, U_RELABEL, U_BIPOLAR, U_AFFINE, U_ABS, U_NEG, U_SIGN, U_FLOOR, U_CEIL, U_ROUND, U_QUANT_PC, U_XTABLE };

template <int KIND>
struct unary_impl;

#define NN2HLS_UNARY_ARGS \
  typename CFG::out_t &y, const typename CFG::in_t &x, unsigned i, const PW p[], const QW q[]

template <>
struct unary_impl<U_COPY> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    y = x;
  }
};

template <>
struct unary_impl<U_RELU> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    if (x > 0) y = x;
    else y = 0;
  }
};

// |x| and -x: ap_fixed's unary minus is one bit wider, so the only rounding is the cast into out_t.
template <>
struct unary_impl<U_ABS> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    if (x < 0) y = -x;
    else y = x;
  }
};

template <>
struct unary_impl<U_NEG> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    y = -x;
  }
};

// Sign: ±1 or 0 assigned into out_t. Floor/Round: x assigned into whole_t (a type without
// fraction bits: AP_TRN floors, AP_RND_CONV rounds halves to even); Ceil = −floor(−x).
template <>
struct unary_impl<U_SIGN> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    if (x > 0) y = 1;
    else if (x < 0) y = -1;
    else y = 0;
  }
};

template <>
struct unary_impl<U_FLOOR> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    const typename CFG::whole_t w = x;
    y = w;
  }
};

template <>
struct unary_impl<U_ROUND> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    const typename CFG::whole_t w = x;
    y = w;
  }
};

template <>
struct unary_impl<U_CEIL> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    const typename CFG::whole_t w = -x;
    y = -w;
  }
};

template <>
struct unary_impl<U_LEAKY> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)q;
    if (x >= 0) y = x;
    else y = x * rom<typename CFG::p_t>(p[0]);
  }
};

template <>
struct unary_impl<U_PRELU> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)q;
    if (x >= 0) y = x;
    else y = x * rom<typename CFG::p_t>(p[bcast_index<typename CFG::pb>(i)]);
  }
};

template <>
struct unary_impl<U_THRESH> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    const long long thr = CFG::thr;
    if (raw(x) > thr) y = x;
    else y = 0;
  }
};

template <>
struct unary_impl<U_CLIP> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)q;
    const long long lo = CFG::lo, hi = CFG::hi;
    if (CFG::has_lo && raw(x) < lo) y = rom<typename CFG::p_t>(p[0]);
    else if (CFG::has_hi && raw(x) > hi) y = rom<typename CFG::p_t>(p[1]);
    else y = x;
  }
};

template <>
struct unary_impl<U_TABLE> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)q;
    y = rom<typename CFG::p_t>(p[table_index<typename CFG::tab>(x)]);
  }
};

template <>
struct unary_impl<U_XTABLE> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)q;
    y = x * rom<typename CFG::p_t>(p[table_index<typename CFG::tab>(x)]);
  }
};

template <>
struct unary_impl<U_RELABEL> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)i; (void)p; (void)q;
    typename CFG::rel_t t;
    set_raw(t, raw(x));
    y = t;
  }
};

template <>
struct unary_impl<U_BIPOLAR> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    const unsigned k = bcast_index<typename CFG::pb>(i);
    if (x >= 0) y = rom<typename CFG::p_t>(p[k]);
    else y = rom<typename CFG::q_t>(q[k]);
  }
};

template <>
struct unary_impl<U_AFFINE> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    const unsigned c = i % CFG::c;
    y = x * rom<typename CFG::p_t>(p[c]) + rom<typename CFG::q_t>(q[c]);
  }
};

template <>
struct unary_impl<U_QUANT_PC> {
  template <class CFG, class PW, class QW>
  static void apply(NN2HLS_UNARY_ARGS) {
    (void)q;
    const int k = rom<typename CFG::p_t>(p[bcast_index<typename CFG::pb>(i)]).to_int();
    typename CFG::s_t s;
    set_raw(s, raw(x));
    s <<= (CFG::d - k);
    const typename CFG::grid_t g = s;
    typename CFG::w_t w = g;
    w <<= k;
    set_raw(y, w);
  }
};

#undef NN2HLS_UNARY_ARGS

template <class CFG, class PW, class QW>
void unary_all(const typename CFG::in_t x[CFG::n], typename CFG::out_t y[CFG::n], const PW p[], const QW q[]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
  for (unsigned i = 0; i < CFG::n; i++) unary_impl<CFG::kind>::template apply<CFG, PW, QW>(y[i], x[i], i, p, q);
}

// XTABLE (Gelu) in io_parallel: unary_all whose n products share mult_limit = ceil(n/reuse)
// multipliers over the step's II of reuse cycles (CFG member mult_limit; only this kernel reads it).
template <class CFG, class PW, class QW>
void unary_shared(const typename CFG::in_t x[CFG::n], typename CFG::out_t y[CFG::n], const PW p[], const QW q[]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
  for (unsigned i = 0; i < CFG::n; i++) unary_impl<CFG::kind>::template apply<CFG, PW, QW>(y[i], x[i], i, p, q);
}

// Tensors beyond the unroll limit (io_parallel): one pixel (c elements) per cycle, reading
// arrays partitioned cyclically by channel.
template <class CFG, class PW, class QW>
void unary_pixels(const typename CFG::in_t x[CFG::n], typename CFG::out_t y[CFG::n], const PW p[], const QW q[]) {
NN2HLS_PRAGMA(HLS INLINE off)
  for (unsigned k = 0; k < CFG::n / CFG::c; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    for (unsigned j = 0; j < CFG::c; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      unary_impl<CFG::kind>::template apply<CFG, PW, QW>(y[k * CFG::c + j], x[k * CFG::c + j], k * CFG::c + j, p, q);
    }
  }
}

template <class CFG, class PW, class QW>
void unary(const typename CFG::in_t x[CFG::n], typename CFG::out_t y[CFG::n], const PW p[], const QW q[]) {
NN2HLS_PRAGMA(HLS INLINE)
  if (CFG::per_pixel) {
    unary_pixels<CFG>(x, y, p, q);
  } else {
    unary_all<CFG>(x, y, p, q);
  }
}

template <class CFG, class PW, class QW>
void unary_stream(hls::stream<pack<typename CFG::in_t, CFG::c> >& in, hls::stream<pack<typename CFG::out_t, CFG::c> >& out,
                  const PW p[], const QW q[]) {
  for (unsigned k = 0; k < CFG::n / CFG::c; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<typename CFG::in_t, CFG::c> a = in.read();
    pack<typename CFG::out_t, CFG::c> o;
    for (unsigned j = 0; j < CFG::c; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      unary_impl<CFG::kind>::template apply<CFG, PW, QW>(o.v[j], a.v[j], k * CFG::c + j, p, q);
    }
    out.write(o);
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_UNARY_H_
