// nn2hls kernel library: the attention kernels — the matrix product of two tensors (run-time
// values, or one constant) and layer normalization.
//
// matmul: y[b][i][j] = sum_k a[b][i][k] * b[b][k][j] (numpy matmul, batch dims broadcast through
// the emitter's offset maps a_off/b_off, the simulator's matmulMap). Semantics as Dense
// (docs/fixed-point.md): acc = 0 in accum_t; for k ascending acc = acc + a*b (exact product,
// exact sum, one assignment into accum_t per term); y = acc assigned into out_t. A row of n
// outputs takes `reuse` steps of nb = ceil(n/reuse) outputs (nb*k products, mult_limit multipliers).
// CFG members: a_t, b_t, out_t, accum_t, batch, m, k, n, nb, a_n, b_n, reuse, mult_limit.
//
// layernorm: per row of n elements (docs/fixed-point.md, "LayerNorm"): sum = exact sum of x;
// d_i = n*x_i - sum exact in diff_t; v = sum of raw(d_i)^2 + eps_raw exact (an integer); v's bit
// length p gives the even shift s = (p - t) rounded up to even, the mantissa m = v >> s (or
// << -s) in [2^(t-2), 2^t) and the table entry e = rsqrt_table[m - 2^(t-2)] (sqrt(n)/sqrt(m));
// rstd = e * 2^-(s/2) exactly in rstd_t (raw e shifted left by h_max - s/2); z_i = raw(d_i) * rstd
// (the integer behind d_i: raw(d_i)*rstd = (x_i - mean)/sqrt(var + eps)) assigned into norm_t;
// y_i = z_i * gamma_i + beta_i (exact) assigned into out_t. One row per pipelined step.
// CFG members: in_t, out_t, sum_t, diff_t, norm_t, rstd_t, tab_t, gamma_t, beta_t, rows, n,
// has_beta, v_bits, d_bits, r_bits (rstd_t's width), eps_raw, t_bits, tab_size, h_max, reuse,
// mult_limit. A row is one pipelined step of II reuse whose products (3n of run-time values, plus
// n·x when n is not a power of two) share mult_limit = ceil(products/reuse) multipliers.
//
// io_stream (native, nothing buffered whole): layernorm_stream reads one row of n elements
// (n/pin packs), runs the same layernorm_row as the array kernel and writes the row (n/pout
// packs); it holds one row. matmul_stream reads the right operand b whole into a buffer
// (b_n elements, b_n/pb packs; a ping-pong channel between two DATAFLOW processes, so loading
// overlaps the previous sample's rows) once per sample, then streams the left operand row by row
// (k/pa packs per row) and writes each row of n outputs (n/pout packs) through the same
// matmul_row as the array kernel; matmul_stream_rom does the same with a constant b (a ROM,
// nothing buffered), and matmul_stream_load with b arriving in a Transpose's input order (the
// Transpose folded into the load: each lane written where the Transpose would have put it).
// The left operand is never broadcast over the batch (lower-attention.ts checks a_off before
// choosing these kernels), so its rows arrive in product order.
// Extra CFG members for the stream kernels: pin, pout (layernorm); pa, pb, pout, step_ii (matmul), b_stride (matmul_stream_load).
#ifndef NN2HLS_ATTENTION_H_
#define NN2HLS_ATTENTION_H_

#include "nn_common.h"
#include "nn_stream.h"

namespace nn2hls {

// One row of n outputs y[j] = sum_k a[ao + k] * b[bo + k*n + j], in `reuse` pipelined steps (II 1)
// of nb = ceil(n/reuse) outputs, so a step unrolls nb*k products whatever the row length; every
// output sums k in ascending order. Constant operands are ROM words (nn_common.h), re-typed by
// rom<T>; run-time ones pass as they are.
template <class CFG, class AW, class BW>
void matmul_row(const AW a[], unsigned ao, const BW b[], unsigned bo, typename CFG::out_t y[], unsigned yo) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned t = 0; t < CFG::reuse; t++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
    for (unsigned u = 0; u < CFG::nb; u++) {
      const unsigned j = t * CFG::nb + u;
      if (j < CFG::n) {
        typename CFG::accum_t acc = 0;
        for (unsigned k = 0; k < CFG::k; k++) {
          acc = acc + rom<typename CFG::a_t>(a[ao + k]) * rom<typename CFG::b_t>(b[bo + k * CFG::n + j]);
        }
        y[yo + j] = acc;
      }
    }
  }
}

template <class CFG, class AW, class BW>
void matmul(const AW a[CFG::a_n], const BW b[CFG::b_n], typename CFG::out_t y[CFG::batch * CFG::m * CFG::n],
            const int a_off[CFG::batch], const int b_off[CFG::batch]) {
  for (unsigned r = 0; r < CFG::batch * CFG::m; r++) {
    const unsigned bi = r / CFG::m;
    matmul_row<CFG>(a, a_off[bi] + (r % CFG::m) * CFG::k, b, b_off[bi], y, r * CFG::n);
  }
}

// The rows of the streamed left operand against b (a buffer or a ROM): one row per pipelined
// step of II step_ii = max(reuse, k/pa, n/pout): its k/pa packs in, matmul_row (its reuse steps
// unrolled into the step, the products shared down to mult_limit multipliers), n/pout packs out.
template <class CFG, class BW>
void matmul_rows_stream(hls::stream<pack<typename CFG::a_t, CFG::pa> >& a, const BW b[CFG::b_n],
                        hls::stream<pack<typename CFG::out_t, CFG::pout> >& y, const int b_off[CFG::batch]) {
  for (unsigned r = 0; r < CFG::batch * CFG::m; r++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::step_ii)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
    typename CFG::a_t ar[CFG::k];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=ar complete)
    typename CFG::out_t yr[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=yr complete)
    for (unsigned q = 0; q < CFG::k / CFG::pa; q++) {
      const pack<typename CFG::a_t, CFG::pa> p = a.read();
      for (unsigned j = 0; j < CFG::pa; j++) ar[q * CFG::pa + j] = p.v[j];
    }
    matmul_row<CFG>(ar, 0, b, b_off[r / CFG::m], yr, 0);
    for (unsigned q = 0; q < CFG::n / CFG::pout; q++) {
      pack<typename CFG::out_t, CFG::pout> o;
      for (unsigned j = 0; j < CFG::pout; j++) o.v[j] = yr[q * CFG::pout + j];
      y.write(o);
    }
  }
}

// Reads the right operand whole into its buffer.
template <class CFG>
void matmul_load_b(hls::stream<pack<typename CFG::b_t, CFG::pb> >& b, typename CFG::b_t bb[CFG::b_n]) {
  for (unsigned q = 0; q < CFG::b_n / CFG::pb; q++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<typename CFG::b_t, CFG::pb> p = b.read();
    for (unsigned j = 0; j < CFG::pb; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      bb[q * CFG::pb + j] = p.v[j];
    }
  }
}

// Both operands run-time values: b (b_n elements) is read whole into a buffer, then a streams
// against it. The two are DATAFLOW processes joined by the buffer (a ping-pong channel), so the
// next sample's b loads while this sample's rows stream.
template <class CFG>
void matmul_stream(hls::stream<pack<typename CFG::a_t, CFG::pa> >& a, hls::stream<pack<typename CFG::b_t, CFG::pb> >& b,
                   hls::stream<pack<typename CFG::out_t, CFG::pout> >& y, const int b_off[CFG::batch]) {
NN2HLS_PRAGMA(HLS DATAFLOW)
  typename CFG::b_t bb[CFG::b_n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=bb complete)
  matmul_load_b<CFG>(b, bb);
  matmul_rows_stream<CFG>(a, bb, y, b_off);
}

// matmul_stream whose right operand arrives in another order (a Transpose folded into the load):
// lane j of arriving pack q is element base[q] + j*b_stride of the buffer (CFG member b_stride).
template <class CFG>
void matmul_load_b_at(hls::stream<pack<typename CFG::b_t, CFG::pb> >& b, typename CFG::b_t bb[CFG::b_n],
                      const int base[CFG::b_n / CFG::pb]) {
  for (unsigned q = 0; q < CFG::b_n / CFG::pb; q++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<typename CFG::b_t, CFG::pb> p = b.read();
    const unsigned at = (unsigned)base[q];
    for (unsigned j = 0; j < CFG::pb; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      bb[at + j * CFG::b_stride] = p.v[j];
    }
  }
}

template <class CFG>
void matmul_stream_load(hls::stream<pack<typename CFG::a_t, CFG::pa> >& a, hls::stream<pack<typename CFG::b_t, CFG::pb> >& b,
                        hls::stream<pack<typename CFG::out_t, CFG::pout> >& y, const int b_off[CFG::batch],
                        const int b_base[CFG::b_n / CFG::pb]) {
NN2HLS_PRAGMA(HLS DATAFLOW)
  typename CFG::b_t bb[CFG::b_n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=bb complete)
  matmul_load_b_at<CFG>(b, bb, b_base);
  matmul_rows_stream<CFG>(a, bb, y, b_off);
}

// A constant right operand: a ROM, nothing buffered.
template <class CFG, class BW>
void matmul_stream_rom(hls::stream<pack<typename CFG::a_t, CFG::pa> >& a, const BW b[CFG::b_n],
                       hls::stream<pack<typename CFG::out_t, CFG::pout> >& y, const int b_off[CFG::batch]) {
  matmul_rows_stream<CFG>(a, b, y, b_off);
}

// One row of n elements (the math of the header comment), shared by the array and stream kernels.
template <class CFG, class GW, class BW, class TW>
void layernorm_row(const typename CFG::in_t x[], unsigned xo, typename CFG::out_t y[], unsigned yo,
                   const GW gamma[CFG::n], const BW beta[CFG::n], const TW table[CFG::tab_size]) {
NN2HLS_PRAGMA(HLS INLINE)
  typename CFG::sum_t sum = 0;
  for (unsigned i = 0; i < CFG::n; i++) sum = sum + x[xo + i];
  typename CFG::diff_t d[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=d complete)
  ap_uint<CFG::v_bits> v = CFG::eps_raw;
  for (unsigned i = 0; i < CFG::n; i++) {
    d[i] = x[xo + i] * CFG::n - sum;
    const ap_int<CFG::d_bits> dr = raw(d[i]);
    v = v + dr * dr;
  }
  int p = 0;
  for (int b = 0; b < CFG::v_bits; b++) {
    if (v[b]) p = b + 1;
  }
  int s = p - CFG::t_bits;
  if (s & 1) s++;
  const unsigned long long vv = v.to_uint64();
  const unsigned long long m = s >= 0 ? (vv >> s) : (vv << -s);
  const unsigned long long lo = 1ULL << (CFG::t_bits - 2);
  unsigned idx = m < lo ? 0 : (unsigned)(m - lo);
  if (idx > CFG::tab_size - 1) idx = CFG::tab_size - 1;
  const typename CFG::tab_t e = rom<typename CFG::tab_t>(table[idx]);
  ap_uint<CFG::r_bits> rr = raw(e);
  rr = rr << (CFG::h_max - s / 2);
  typename CFG::rstd_t rstd;
  set_raw(rstd, rr);
  for (unsigned i = 0; i < CFG::n; i++) {
    const typename CFG::norm_t z = ap_int<CFG::d_bits>(raw(d[i])) * rstd;
    if (CFG::has_beta) y[yo + i] = z * rom<typename CFG::gamma_t>(gamma[i]) + rom<typename CFG::beta_t>(beta[i]);
    else y[yo + i] = z * rom<typename CFG::gamma_t>(gamma[i]);
  }
}

template <class CFG, class GW, class BW, class TW>
void layernorm(const typename CFG::in_t x[CFG::rows * CFG::n], typename CFG::out_t y[CFG::rows * CFG::n],
               const GW gamma[CFG::n], const BW beta[CFG::n], const TW table[CFG::tab_size]) {
  for (unsigned r = 0; r < CFG::rows; r++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
    layernorm_row<CFG>(x, r * CFG::n, y, r * CFG::n, gamma, beta, table);
  }
}

// io_stream: one row (n/pin packs) in, layernorm_row, n/pout packs out; only the row is held.
template <class CFG, class GW, class BW, class TW>
void layernorm_stream(hls::stream<pack<typename CFG::in_t, CFG::pin> >& in, hls::stream<pack<typename CFG::out_t, CFG::pout> >& out,
                      const GW gamma[CFG::n], const BW beta[CFG::n], const TW table[CFG::tab_size]) {
  for (unsigned r = 0; r < CFG::rows; r++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
    typename CFG::in_t x[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=x complete)
    typename CFG::out_t y[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=y complete)
    for (unsigned q = 0; q < CFG::n / CFG::pin; q++) {
      const pack<typename CFG::in_t, CFG::pin> a = in.read();
      for (unsigned j = 0; j < CFG::pin; j++) x[q * CFG::pin + j] = a.v[j];
    }
    layernorm_row<CFG>(x, 0, y, 0, gamma, beta, table);
    for (unsigned q = 0; q < CFG::n / CFG::pout; q++) {
      pack<typename CFG::out_t, CFG::pout> o;
      for (unsigned j = 0; j < CFG::pout; j++) o.v[j] = y[q * CFG::pout + j];
      out.write(o);
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_ATTENTION_H_
