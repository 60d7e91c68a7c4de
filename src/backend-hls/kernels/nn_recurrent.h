// nn2hls kernel library: the recurrent layers LSTM, GRU and RNN.
// Semantics (docs/fixed-point.md, "LSTM, GRU, RNN"); the TypeScript simulator is
// src/sim/fixed/kernels/recurrent.ts. Gate row k of direction d (from the previous h):
//   acc = Wb[k] into accum_t; acc = acc + Rb[k]; acc = acc + x[i]*W[k][i] (i ascending);
//   acc = acc + h[j]*R[k][j] (j ascending); LSTM peephole acc = acc + P*c last;
//   v = acc into gate_t; with clip: raw(v) > clip_thr -> clip_hi, raw(v) < -clip_thr -> clip_lo.
// Every product is exact and every assignment is one cast with the destination's modes, so a
// derived accumulator (which holds every partial sum) gives the exact sum, and a configured one
// sees the same terms in the same order as the simulator. Activations give act_t values: a
// lookup table indexed on the raws of gate_t (state_t for LSTM's h slot), or an exact function.
// The new h goes to a separate buffer: all gates of a step read the previous h.
// Two schedules compute exactly that (CFG::strategy):
//  - latency: every product of a step unrolled, W [D][G*H][I] and R [D][G*H][H] in registers;
//  - resource: each step's products folded by `reuse`. A gate row's terms are the inputs
//    [x ; h] (n_xh = I + H values, held as xh_t, which represents x_t and out_t exactly), and
//    the weights of a pass are one ROM [D][n_xh][rows of the pass] of wr_t (representing W's
//    and R's types exactly: the products are the same numbers), reshaped so that one word
//    holds the kb*mb weights of a reuse step (kb inputs for mb rows, as nn_dense.h). Each row
//    still sees its terms in ascending order (x, then h), so the rounding sequence is the
//    latency schedule's. GRU without linear_before_reset needs r before its candidate rows:
//    pass 0 folds rows z, r over [x ; h], pass 1 the candidate rows over [x ; r*h] (ROM r);
//    the other cells have one pass over all rows (ROM w). With linear_before_reset the
//    candidate rows' h terms go to a second accumulator (they are multiplied by r later).
// Layouts: x [rows][T][I], y [rows][T][D][H], W [D][G*H][I], R [D][G*H][H], B [D][2*G*H],
// P [D][3*H] (i, o, f), h0/c0 [rows][D][H]; gate orders LSTM i,o,f,c and GRU z,r,h.
// CFG members: x_t, out_t (the hidden type), weight_t, rweight_t, bias_t, peep_t, h0_t, c0_t,
// accum_t, gate_t, state_t, act_t, cell (REC_LSTM/REC_GRU/REC_RNN), rows, steps, n_in, n_hidden,
// n_dir, reverse, has_bias, has_peep, has_h0, has_c0, input_forget, lbr, has_clip, clip_thr,
// clip_hi, clip_lo, per direction d0/d1 the activation structs f, g, h (see rec_act); and the
// schedule: strategy, reuse, xh_t, wr_t, n_xh, kb, mr, rows0/rows1 (rows of pass 0/1),
// block0/block1 (weights per reuse step of each pass), w_size/r_size (elements of the arrays
// passed as w and r).
#ifndef NN2HLS_RECURRENT_H_
#define NN2HLS_RECURRENT_H_

#include "nn_common.h"
#include "nn_stream.h"

namespace nn2hls {

enum rec_cell_t { REC_LSTM = 0, REC_GRU = 1, REC_RNN = 2 };
enum rec_act_t { RA_TABLE = 0, RA_RELU = 1, RA_LEAKY = 2, RA_THRESH = 3, RA_AFFINE = 4 };

// One activation: A::kind; RA_TABLE reads table[table_index<A::tab>(v)]; RA_RELU v > 0 ? v : 0;
// RA_THRESH raw(v) > A::thr ? v : 0; RA_LEAKY v >= 0 ? v : v*alpha; RA_AFFINE v*alpha + beta
// (exact, then one cast into OUT). alpha/beta are given as raws of A::alpha_t / A::beta_t.
template <class A, class OUT, class T, class TW>
OUT rec_act(const T& v, const TW* table) {
  OUT o = 0;
  if (A::kind == RA_TABLE) {
    o = rom<typename A::table_t>(table[table_index<typename A::tab>(v)]);
  } else if (A::kind == RA_RELU) {
    if (v > 0) o = v;
  } else if (A::kind == RA_THRESH) {
    if ((long long)raw(v).to_int64() > A::thr) o = v;
  } else if (A::kind == RA_LEAKY) {
    typename A::alpha_t al;
    set_raw(al, ap_int<64>(A::alpha_raw));
    if (v >= 0) o = v;
    else o = v * al;
  } else {
    typename A::alpha_t al;
    typename A::beta_t be;
    set_raw(al, ap_int<64>(A::alpha_raw));
    set_raw(be, ap_int<64>(A::beta_raw));
    o = v * al + be;
  }
  return o;
}

// v = acc into gate_t, then the clip (thresholds compared on raws, exactly).
template <class CFG, class T>
typename CFG::gate_t rec_gate(const T& acc) {
  typename CFG::gate_t v = acc;
  if (CFG::has_clip) {
    const long long r = raw(v).to_int64();
    if (r > CFG::clip_thr) set_raw(v, ap_int<64>(CFG::clip_hi));
    else if (r < -CFG::clip_thr) set_raw(v, ap_int<64>(CFG::clip_lo));
  }
  return v;
}

// acc = Wb (with_w) + Rb (with_r) + x.W (with_w) + h.R (with_r), one cast into accum_t per term.
template <class CFG, class HT, class WW, class RW, class BW>
typename CFG::accum_t rec_row(unsigned d, unsigned k, const typename CFG::x_t* x, const HT* hv, bool with_w, bool with_r,
                              const WW* w, const RW* r, const BW* b) {
NN2HLS_PRAGMA(HLS INLINE)
  const unsigned GH = CFG::gates * CFG::n_hidden;
  typename CFG::accum_t acc = 0;
  if (CFG::has_bias) {
    if (with_w) acc = rom<typename CFG::bias_t>(b[d * 2 * GH + k]);
    if (with_r) acc = acc + rom<typename CFG::bias_t>(b[d * 2 * GH + GH + k]);
  }
  if (with_w) {
    for (unsigned i = 0; i < CFG::n_in; i++) {
NN2HLS_PRAGMA(HLS UNROLL)
      acc = acc + x[i] * rom<typename CFG::weight_t>(w[(d * GH + k) * CFG::n_in + i]);
    }
  }
  if (with_r) {
    for (unsigned j = 0; j < CFG::n_hidden; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      acc = acc + hv[j] * rom<typename CFG::rweight_t>(r[(d * GH + k) * CFG::n_hidden + j]);
    }
  }
  return acc;
}

// acc[k] = the biases of row k, as rec_row starts it; GRU with linear_before_reset keeps the
// candidate rows' recurrent bias in accr (its own accumulator).
template <class CFG, class BW>
void rec_bias(unsigned d, typename CFG::accum_t acc[], typename CFG::accum_t accr[], const BW* b) {
NN2HLS_PRAGMA(HLS INLINE)
  const unsigned H = CFG::n_hidden;
  const unsigned GH = CFG::gates * H;
  const bool split = CFG::cell == REC_GRU && CFG::lbr;
  for (unsigned k = 0; k < GH; k++) {
NN2HLS_PRAGMA(HLS UNROLL)
    acc[k] = 0;
    if (CFG::has_bias) {
      acc[k] = rom<typename CFG::bias_t>(b[d * 2 * GH + k]);
      if (!(split && k >= 2 * H)) acc[k] = acc[k] + rom<typename CFG::bias_t>(b[d * 2 * GH + GH + k]);
    }
  }
  for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
    accr[j] = 0;
    if (CFG::has_bias && split) accr[j] = accr[j] + rom<typename CFG::bias_t>(b[d * 2 * GH + GH + 2 * H + j]);
  }
}

// One pass of the resource schedule: rows ROW0..ROW0+NR-1 of direction d over xh, `reuse`
// pipelined steps of kb*mb products (mb = NR/mr). Step t reads word t of the pass's ROM.
template <class CFG, unsigned NR, unsigned ROW0, class WRW>
void rec_fold(unsigned d, const typename CFG::xh_t xh[CFG::n_xh], typename CFG::accum_t acc[], typename CFG::accum_t accr[],
              const WRW* wr) {
NN2HLS_PRAGMA(HLS INLINE)
  const unsigned H = CFG::n_hidden;
  const unsigned MB = NR / CFG::mr;
  const bool split = CFG::cell == REC_GRU && CFG::lbr;
  unsigned kbase = 0;
  unsigned q = 0;
  unsigned wbase = d * CFG::n_xh * NR;
  for (unsigned t = 0; t < CFG::reuse; t++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    for (unsigned j = 0; j < CFG::kb; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      for (unsigned u = 0; u < MB; u++) {
NN2HLS_PRAGMA(HLS UNROLL)
        const unsigned m = CFG::mr == 1 ? u : q * MB + u;
        const unsigned k = ROW0 + m;
        const unsigned i = kbase + j;
        const typename CFG::wr_t wv = rom<typename CFG::wr_t>(wr[wbase + j * MB + u]);
        if (split && k >= 2 * H && i >= CFG::n_in) accr[k - 2 * H] = accr[k - 2 * H] + xh[i] * wv;
        else acc[k] = acc[k] + xh[i] * wv;
      }
    }
    wbase += CFG::kb * MB;
    if (q + 1 == CFG::mr) {
      q = 0;
      kbase += CFG::kb;
    } else {
      q++;
    }
  }
}

// xh = [x ; v] (exact: xh_t represents both types).
template <class CFG, class VT>
void rec_concat(const typename CFG::x_t* xt, const VT* v, typename CFG::xh_t xh[CFG::n_xh]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned i = 0; i < CFG::n_in; i++) {
NN2HLS_PRAGMA(HLS UNROLL)
    xh[i] = xt[i];
  }
  for (unsigned j = 0; j < CFG::n_hidden; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
    xh[CFG::n_in + j] = v[j];
  }
}

// One time step of direction d: from x_t, the previous h and c to the new hidden state hn
// (c updated in place). w/r are W/R (latency) or the passes' ROMs (resource).
template <class CFG, class DIR, class WW, class RW, class BW, class PW, class TFW, class TGW, class THW>
void rec_step(unsigned d, const typename CFG::x_t* xt, const typename CFG::out_t h[CFG::n_hidden], typename CFG::state_t c[CFG::n_hidden],
              typename CFG::out_t hn[CFG::n_hidden], const WW* w, const RW* r, const BW* b, const PW* p,
              const TFW* tf, const TGW* tg, const THW* th) {
NN2HLS_PRAGMA(HLS INLINE)
  typedef typename CFG::out_t h_t;
  typedef typename CFG::state_t s_t;
  typedef typename CFG::act_t a_t;
  typedef typename CFG::gate_t g_t;
  typedef typename CFG::accum_t acc_t;
  const unsigned H = CFG::n_hidden;
  const unsigned GH = CFG::gates * H;
  const bool resource = CFG::strategy == STRATEGY_RESOURCE;
  const ap_ufixed<1, 1> one = 1;
  h_t rh[H];
  acc_t acc[GH], accx[H], accr[H];
  a_t z[H], rg[H];
  typename CFG::xh_t xh[CFG::n_xh];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=rh complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=accx complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=accr complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=z complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=rg complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=xh complete)
  if (resource) {
    rec_bias<CFG>(d, acc, accr, b);
    rec_concat<CFG>(xt, h, xh);
    rec_fold<CFG, CFG::rows0, 0>(d, xh, acc, accr, w);
  }
  if (CFG::cell == REC_LSTM) {
    for (unsigned k = 0; k < GH; k++) {
NN2HLS_PRAGMA(HLS UNROLL)
      if (!resource) acc[k] = rec_row<CFG>(d, k, xt, h, true, true, w, r, b);
    }
    for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      const s_t cp = c[j];
      acc_t ai = acc[j];
      if (CFG::has_peep) ai = ai + rom<typename CFG::peep_t>(p[d * 3 * H + j]) * cp;
      const a_t ig = rec_act<typename DIR::f, a_t>(rec_gate<CFG>(ai), tf);
      a_t fg;
      if (CFG::input_forget) {
        fg = one - ig;
      } else {
        acc_t af = acc[2 * H + j];
        if (CFG::has_peep) af = af + rom<typename CFG::peep_t>(p[d * 3 * H + 2 * H + j]) * cp;
        fg = rec_act<typename DIR::f, a_t>(rec_gate<CFG>(af), tf);
      }
      const a_t gg = rec_act<typename DIR::g, a_t>(rec_gate<CFG>(acc[3 * H + j]), tg);
      const s_t cn = fg * cp + ig * gg;
      acc_t ao = acc[H + j];
      if (CFG::has_peep) ao = ao + rom<typename CFG::peep_t>(p[d * 3 * H + H + j]) * cn;
      const a_t og = rec_act<typename DIR::f, a_t>(rec_gate<CFG>(ao), tf);
      c[j] = cn;
      const a_t hc = rec_act<typename DIR::h, a_t>(cn, th);
      hn[j] = og * hc;
    }
  } else if (CFG::cell == REC_GRU) {
    for (unsigned k = 0; k < 2 * H; k++) {
NN2HLS_PRAGMA(HLS UNROLL)
      if (!resource) acc[k] = rec_row<CFG>(d, k, xt, h, true, true, w, r, b);
    }
    for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      z[j] = rec_act<typename DIR::f, a_t>(rec_gate<CFG>(acc[j]), tf);
      rg[j] = rec_act<typename DIR::f, a_t>(rec_gate<CFG>(acc[H + j]), tf);
    }
    if (!CFG::lbr) {
      // All of r.h before any candidate row: every row reads the complete rh.
      for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        rh[j] = rg[j] * h[j];
      }
      if (resource) {
        rec_concat<CFG>(xt, rh, xh);
        rec_fold<CFG, CFG::rows1, 2 * CFG::n_hidden>(d, xh, acc, accr, r);
      } else {
        for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
          acc[2 * H + j] = rec_row<CFG>(d, 2 * H + j, xt, rh, true, true, w, r, b);
        }
      }
    } else {
      for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        if (resource) {
          accx[j] = acc[2 * H + j];
          acc[2 * H + j] = accr[j];
        } else {
          accx[j] = rec_row<CFG>(d, 2 * H + j, xt, h, true, false, w, r, b);
          acc[2 * H + j] = rec_row<CFG>(d, 2 * H + j, xt, h, false, true, w, r, b);
        }
      }
    }
    for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      g_t v;
      if (CFG::lbr) {
        const g_t hr = acc[2 * H + j];
        v = rec_gate<CFG>(accx[j] + rg[j] * hr);
      } else {
        v = rec_gate<CFG>(acc[2 * H + j]);
      }
      const a_t nv = rec_act<typename DIR::g, a_t>(v, tg);
      hn[j] = (one - z[j]) * nv + z[j] * h[j];
    }
  } else {
    for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      if (!resource) acc[j] = rec_row<CFG>(d, j, xt, h, true, true, w, r, b);
      hn[j] = rec_act<typename DIR::f, a_t>(rec_gate<CFG>(acc[j]), tf);
    }
  }
}

// h and c before the first step of sequence n, direction d: zero, or the initial states.
template <class CFG, class H0W, class C0W>
void rec_init(unsigned n, unsigned d, typename CFG::out_t h[CFG::n_hidden], typename CFG::state_t c[CFG::n_hidden], const H0W* h0, const C0W* c0) {
NN2HLS_PRAGMA(HLS INLINE)
  const unsigned H = CFG::n_hidden;
  for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
    h[j] = 0;
    c[j] = 0;
    if (CFG::has_h0) h[j] = rom<typename CFG::h0_t>(h0[(n * CFG::n_dir + d) * H + j]);
    if (CFG::has_c0) c[j] = rom<typename CFG::c0_t>(c0[(n * CFG::n_dir + d) * H + j]);
  }
}

// One direction of one sequence: runs the T steps and writes y[.., t, d, ..].
// Parameter arrays are ROM words (or, for h0/c0, run-time values) read through rom<T>.
template <class CFG, class DIR, class WW, class RW, class BW, class PW, class H0W, class C0W, class TFW, class TGW, class THW>
void recurrent_dir(unsigned n, unsigned d, const typename CFG::x_t* x, typename CFG::out_t* y,
                   const WW* w, const RW* r, const BW* b, const PW* p, const H0W* h0, const C0W* c0,
                   const TFW* tf, const TGW* tg, const THW* th) {
  const unsigned H = CFG::n_hidden;
  const unsigned D = CFG::n_dir;
  typename CFG::out_t h[H], hn[H];
  typename CFG::state_t c[H];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=h complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=hn complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=c complete)
  rec_init<CFG>(n, d, h, c, h0, c0);
  const bool reverse = CFG::reverse || d == 1;
  for (unsigned s = 0; s < CFG::steps; s++) {
    const unsigned t = reverse ? CFG::steps - 1 - s : s;
    rec_step<CFG, DIR>(d, x + (n * CFG::steps + t) * CFG::n_in, h, c, hn, w, r, b, p, tf, tg, th);
    for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      h[j] = hn[j];
      y[((n * CFG::steps + t) * D + d) * H + j] = hn[j];
    }
  }
}

template <class CFG, class WW, class RW, class BW, class PW, class H0W, class C0W, class TF0, class TG0, class TH0, class TF1,
          class TG1, class TH1>
void recurrent_seq(const typename CFG::x_t x[CFG::rows * CFG::steps * CFG::n_in],
                   typename CFG::out_t y[CFG::rows * CFG::steps * CFG::n_dir * CFG::n_hidden],
                   const WW w[CFG::w_size], const RW r[CFG::r_size], const BW* b, const PW* p, const H0W* h0, const C0W* c0,
                   const TF0* tf0, const TG0* tg0, const TH0* th0, const TF1* tf1, const TG1* tg1, const TH1* th1) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned n = 0; n < CFG::rows; n++) {
    recurrent_dir<CFG, typename CFG::d0>(n, 0, x, y, w, r, b, p, h0, c0, tf0, tg0, th0);
    if (CFG::n_dir == 2) recurrent_dir<CFG, typename CFG::d1>(n, 1, x, y, w, r, b, p, h0, c0, tf1, tg1, th1);
  }
}

// Resource schedule: the passes' ROMs reshaped into one reuse step's weights per word.
template <class CFG, class WW, class RW, class BW, class PW, class H0W, class C0W, class TF0, class TG0, class TH0, class TF1,
          class TG1, class TH1>
void recurrent_resource(const typename CFG::x_t x[CFG::rows * CFG::steps * CFG::n_in],
                        typename CFG::out_t y[CFG::rows * CFG::steps * CFG::n_dir * CFG::n_hidden],
                        const WW w[CFG::w_size], const RW r[CFG::r_size], const BW* b, const PW* p, const H0W* h0, const C0W* c0,
                        const TF0* tf0, const TG0* tg0, const TH0* th0, const TF1* tf1, const TG1* tg1, const TH1* th1) {
NN2HLS_PRAGMA(HLS INLINE off)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CFG::block0)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=r cyclic factor=CFG::block1)
  recurrent_seq<CFG>(x, y, w, r, b, p, h0, c0, tf0, tg0, th0, tf1, tg1, th1);
}

// The layer: every sequence, every direction (direction 1 runs backward with its own
// parameters and activations, CFG::d1).
template <class CFG, class WW, class RW, class BW, class PW, class H0W, class C0W, class TF0, class TG0, class TH0, class TF1,
          class TG1, class TH1>
void recurrent(const typename CFG::x_t x[CFG::rows * CFG::steps * CFG::n_in],
               typename CFG::out_t y[CFG::rows * CFG::steps * CFG::n_dir * CFG::n_hidden],
               const WW w[CFG::w_size], const RW r[CFG::r_size], const BW* b, const PW* p, const H0W* h0, const C0W* c0,
               const TF0* tf0, const TG0* tg0, const TH0* th0, const TF1* tf1, const TG1* tg1, const TH1* th1) {
  if (CFG::strategy == STRATEGY_RESOURCE) {
    recurrent_resource<CFG>(x, y, w, r, b, p, h0, c0, tf0, tg0, th0, tf1, tg1, th1);
  } else {
    recurrent_seq<CFG>(x, y, w, r, b, p, h0, c0, tf0, tg0, th0, tf1, tg1, th1);
  }
}

// io_stream, one forward direction with constant (or no) initial states: x arrives one time
// step (a pack of n_in) at a time and each step's h leaves as a pack of n_hidden, so neither
// sequence is held whole; the layer only keeps h and c.
template <class CFG, class WW, class RW, class BW, class PW, class H0W, class C0W, class TF0, class TG0, class TH0>
void recurrent_stream(hls::stream<pack<typename CFG::x_t, CFG::n_in> >& in, hls::stream<pack<typename CFG::out_t, CFG::n_hidden> >& out,
                      const WW w[CFG::w_size], const RW r[CFG::r_size], const BW* b, const PW* p, const H0W* h0, const C0W* c0,
                      const TF0* tf0, const TG0* tg0, const TH0* th0) {
NN2HLS_PRAGMA(HLS INLINE off)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CFG::block0)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=r cyclic factor=CFG::block1)
  const unsigned H = CFG::n_hidden;
  for (unsigned n = 0; n < CFG::rows; n++) {
    typename CFG::out_t h[H];
    typename CFG::state_t c[H];
    pack<typename CFG::out_t, CFG::n_hidden> o;
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=h complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=c complete)
    rec_init<CFG>(n, 0, h, c, h0, c0);
    for (unsigned s = 0; s < CFG::steps; s++) {
      const pack<typename CFG::x_t, CFG::n_in> a = in.read();
      rec_step<CFG, typename CFG::d0>(0, a.v, h, c, o.v, w, r, b, p, tf0, tg0, th0);
      for (unsigned j = 0; j < H; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        h[j] = o.v[j];
      }
      out.write(o);
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_RECURRENT_H_
