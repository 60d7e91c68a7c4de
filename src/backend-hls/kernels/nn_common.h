// nn2hls kernel library: common helpers.
// Implements what every kernel shares: reading the raw integer behind an ap_fixed/ap_int value
// (the simulator works on raws, so table indices and threshold tests are computed on them),
// building a value from a raw, lookup-table indexing idx = clamp((raw - base) >> shift, 0, size-1)
// exactly as src/ir/precision.ts defines it, the pack type carried by hls::stream in io_stream
// projects, and the C-simulation-only per-layer trace used by `nn2hls csim` to find the first
// layer that differs from the TypeScript simulator.
// Written for nn2hls; compiles with Vivado HLS 2019.2+, Vitis HLS 2020.2+ and g++ -std=c++14.
#ifndef NN2HLS_COMMON_H_
#define NN2HLS_COMMON_H_

#include <ap_fixed.h>
#include <ap_int.h>

#ifndef __SYNTHESIS__
#include <cstdio>
#endif

// HLS directives are written NN2HLS_PRAGMA(HLS ...): the HLS tools (which define __SYNTHESIS__)
// see `#pragma HLS ...`; a C++ compiler sees nothing, so -Wall stays silent about them.
#ifdef __SYNTHESIS__
#define NN2HLS_PRAGMA(x) _Pragma(#x)
#else
#define NN2HLS_PRAGMA(x)
#endif

namespace nn2hls {

enum strategy_t { STRATEGY_LATENCY = 0, STRATEGY_RESOURCE = 1 };

// What a layer's weight products are bound to (cfg `multiplier`, from the config's hls.multiplier).
// Each binding is its own specialization, so its directive applies to that layer's products only
// (a pragma in a template body would bind every layer). The product keeps its full-precision type,
// so the arithmetic is unchanged. Vitis HLS: BIND_OP op=mul impl=dsp|fabric on the variable the
// product is assigned to (UG1399, "pragma HLS bind_op"); Vivado HLS, which predates BIND_OP:
// RESOURCE core=DSP48 / Mul_LUT (UG902, "pragma HLS resource"). MULT_AUTO leaves it to the tool.
enum mult_impl_t { MULT_AUTO = 0, MULT_DSP = 1, MULT_FABRIC = 2 };

template <int IMPL>
struct mult_bind {
  template <class A, class B>
  static auto run(const A& a, const B& b) -> decltype(a * b) {
    NN2HLS_PRAGMA(HLS INLINE)
    return a * b;
  }
};

template <>
struct mult_bind<MULT_DSP> {
  template <class A, class B>
  static auto run(const A& a, const B& b) -> decltype(a * b) {
    NN2HLS_PRAGMA(HLS INLINE)
    decltype(a * b) p = a * b;
#ifdef __VITIS_HLS__
    NN2HLS_PRAGMA(HLS BIND_OP variable=p op=mul impl=dsp)
#else
    NN2HLS_PRAGMA(HLS RESOURCE variable=p core=DSP48)
#endif
    return p;
  }
};

template <>
struct mult_bind<MULT_FABRIC> {
  template <class A, class B>
  static auto run(const A& a, const B& b) -> decltype(a * b) {
    NN2HLS_PRAGMA(HLS INLINE)
    decltype(a * b) p = a * b;
#ifdef __VITIS_HLS__
    NN2HLS_PRAGMA(HLS BIND_OP variable=p op=mul impl=fabric)
#else
    NN2HLS_PRAGMA(HLS RESOURCE variable=p core=Mul_LUT)
#endif
    return p;
  }
};

// Passed for a kernel's parameter array that a layer does not use (e.g. no bias).
static const int none[1] = {0};

// The stored integer of a fixed-point value, as an integer of the same width and signedness.
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
ap_int_base<W, S> raw(const ap_fixed_base<W, I, S, Q, O, N>& x) {
  ap_int_base<W, S> r;
  r.range(W - 1, 0) = x.range(W - 1, 0);
  return r;
}

// Integers are their own raw.
template <int W, bool S>
ap_int_base<W, S> raw(const ap_int_base<W, S>& x) {
  return x;
}

// Sets a value's stored integer (the bits are copied, nothing is rounded).
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, int W2, bool S2>
void set_raw(ap_fixed_base<W, I, S, Q, O, N>& v, const ap_int_base<W2, S2>& r) {
  ap_int_base<W, S> bits = r;
  v.range(W - 1, 0) = bits.range(W - 1, 0);
}

template <int W, bool S, int W2, bool S2>
void set_raw(ap_int_base<W, S>& v, const ap_int_base<W2, S2>& r) {
  v = r;
}

// Constant arrays (weights, biases, tables, constant operands) are stored as ROM words: each
// element's raw bits as an integer of the element's width and signedness, so the value is
// exactly raw * 2^-F and nothing is rounded. HLS sees a constant ap_int/ap_uint array (a ROM of
// exactly W-bit words); a C++ compiler sees a plain integer array of the smallest standard
// width, which is constant data it compiles in time linear in the number of elements (an
// ap_fixed array with a literal per element costs one constructor call per element).
// Kernels read an element with rom<T>(a[i]), which re-types the bits as T (see README.md,
// "Weight storage").
template <int BYTES, bool S>
struct c_int;
template <> struct c_int<1, true> { typedef signed char type; };
template <> struct c_int<2, true> { typedef short type; };
template <> struct c_int<4, true> { typedef int type; };
template <> struct c_int<8, true> { typedef long long type; };
template <> struct c_int<1, false> { typedef unsigned char type; };
template <> struct c_int<2, false> { typedef unsigned short type; };
template <> struct c_int<4, false> { typedef unsigned int type; };
template <> struct c_int<8, false> { typedef unsigned long long type; };

#ifdef __SYNTHESIS__
template <int W, bool S>
struct rom_word;
template <int W>
struct rom_word<W, true> { typedef ap_int<W> type; };
template <int W>
struct rom_word<W, false> { typedef ap_uint<W> type; };
#else
template <int W, bool S>
struct rom_word {
  typedef typename c_int<(W <= 8 ? 1 : W <= 16 ? 2 : W <= 32 ? 4 : 8), S>::type type;
};
#endif

// A run-time value (already of type T) is read as it is.
template <class T>
inline const T& rom(const T& x) {
  return x;
}

// A ROM word of a C++ integer type (C simulation): T with the same raw bits.
template <class T>
inline T rom(long long bits) {
  T v;
  set_raw(v, ap_int_base<64, true>(bits));
  return v;
}

// A ROM word of an ap_int/ap_uint type (synthesis): T with the same raw bits.
template <class T, int W, bool S>
inline T rom(const ap_int_base<W, S>& bits) {
  T v;
  set_raw(v, bits);
  return v;
}

// Lookup-table index of x: clamp((raw(x) - TAB::base) >> TAB::shift, 0, TAB::size - 1).
// TAB::iw is wide enough to hold raw(x) - base exactly (chosen by the emitter).
template <class TAB, class T>
unsigned table_index(const T& x) {
  const long long base = TAB::base;
  ap_int<TAB::iw> d = raw(x);
  d = d - base;
  if (d < 0) return 0;
  ap_int<TAB::iw> q = d >> TAB::shift;
  const unsigned last = TAB::size - 1;
  if (q > last) return last;
  return q.to_uint();
}

// Index into a tensor broadcast (numpy rules, up to 6 dims) to an output of dims B::d0..d5,
// for output element i; B::s0..s5 are the source strides (0 on broadcast dims).
template <class B>
unsigned bcast_index(unsigned i) {
  unsigned rem = i, idx = 0, c;
  c = rem % B::d5; rem /= B::d5; idx += c * B::s5;
  c = rem % B::d4; rem /= B::d4; idx += c * B::s4;
  c = rem % B::d3; rem /= B::d3; idx += c * B::s3;
  c = rem % B::d2; rem /= B::d2; idx += c * B::s2;
  c = rem % B::d1; rem /= B::d1; idx += c * B::s1;
  c = rem % B::d0; idx += c * B::s0;
  return idx;
}

// One element of an hls::stream in io_stream projects: the N channels of one pixel (or row).
template <class T, unsigned N>
struct pack {
  T v[N];
};

#ifndef __SYNTHESIS__
// C simulation only: where per-layer traces go (set by the testbench; null means off).
inline std::FILE*& trace_file() {
  static std::FILE* f = 0;
  return f;
}

// Writes one line "name raw0 raw1 ..." for a layer output.
template <class T>
void trace(const char* name, const T* x, unsigned n) {
  std::FILE* f = trace_file();
  if (!f) return;
  std::fprintf(f, "%s", name);
  for (unsigned i = 0; i < n; i++) std::fprintf(f, " %lld", (long long)raw(x[i]).to_int64());
  std::fprintf(f, "\n");
}
#endif

}  // namespace nn2hls

#ifndef __SYNTHESIS__
#define NN2HLS_TRACE(name, x, n) nn2hls::trace(name, x, n)
#else
#define NN2HLS_TRACE(name, x, n)
#endif

#endif  // NN2HLS_COMMON_H_
