// nn2hls kernel library: data movement.
//  - gather: y[j] = map[j] < 0 ? pad : x[map[j]] — Transpose, Pad (constant, edge, reflect) and
//    nearest Resize, whose index maps the emitter computes with the simulator's own index map,
//    so the C++ cannot order elements differently. Each element is assigned into out_t.
//  - gather_pixels: a gather keeping whole pixels, one per cycle (io_parallel arrays beyond the
//    partition limit, partitioned by channel).
//  - concat_part: copies one input of a Concat into its slot of the output (called once per
//    input, in order): for each of `outer` rows, `chunk` elements go to offset `offset`.
//  - clone_array / copy_array: copies for values read by several layers under DATAFLOW.
//  - reduce (reduce_stream in io_stream, a pack at a time): y[o] over the x[j] with map[j] == o (reduceIndexMap, src/ir/semantics/index-maps.ts): KIND 0 sum,
//    1 mean (the exact sum times 1/K from the reciprocal table word p[0]), 2 max, 3 min. Sums
//    go into acc_t, which the quantize pass derived so no partial sum overflows; the only
//    rounding is the assignment into out_t.
// CFG members: gather — in_t, out_t, n_in, n, reuse; reduce — in_t, out_t, acc_t, p_t, kind,
// n_in, n, reuse (reduce_stream*: also pin, pout, step_ii); concat_part — in_t, out_t, outer, chunk,
// out_chunk, offset, reuse.
#ifndef NN2HLS_LAYOUT_H_
#define NN2HLS_LAYOUT_H_

#include "nn_common.h"
#include "nn_stream.h"

namespace nn2hls {

template <class CFG, class PW>
void gather(const typename CFG::in_t x[CFG::n_in], typename CFG::out_t y[CFG::n], const int map[CFG::n],
            const PW pad[1]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
  for (unsigned j = 0; j < CFG::n; j++) {
    const int s = map[j];
    if (s < 0) y[j] = rom<typename CFG::out_t>(pad[0]);
    else y[j] = x[s];
  }
}

// gather keeping whole pixels (the last dim, C elements) in io_parallel, one output pixel per
// cycle — for arrays beyond the partition limit, partitioned cyclically by channel (a bank per
// channel): pixel q of y is pixel keep[q] of x, each element assigned into TO.
template <class TI, class TO, unsigned C, unsigned NI, unsigned NK>
void gather_pixels(const TI x[NI * C], TO y[NK * C], const int keep[NK]) {
  for (unsigned q = 0; q < NK; q++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const unsigned s = keep[q];
    for (unsigned j = 0; j < C; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      y[q * C + j] = x[s * C + j];
    }
  }
}

// Every accumulator empty (sum 0, no max/min seen yet).
template <class CFG>
void reduce_clear(typename CFG::acc_t acc[CFG::n], bool seen[CFG::n]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned o = 0; o < CFG::n; o++) {
NN2HLS_PRAGMA(HLS UNROLL)
    acc[o] = 0;
    seen[o] = false;
  }
}

// One value into one accumulator: added (sum, mean), or kept when it is the first or beats it (max, min).
template <class CFG, class T>
void reduce_take(typename CFG::acc_t& acc, bool& seen, const T& v) {
NN2HLS_PRAGMA(HLS INLINE)
  if (CFG::kind <= 1) acc += v;
  else if (!seen || (CFG::kind == 2 ? v > acc : v < acc)) acc = v;
  seen = true;
}

template <class CFG, class PW>
void reduce(const typename CFG::in_t x[CFG::n_in], typename CFG::out_t y[CFG::n], const int map[CFG::n_in],
            const PW p[1]) {
  typename CFG::acc_t acc[CFG::n];
  bool seen[CFG::n];
  reduce_clear<CFG>(acc, seen);
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
  for (unsigned j = 0; j < CFG::n_in; j++) {
    reduce_take<CFG>(acc[map[j]], seen[map[j]], x[j]);
  }
  for (unsigned o = 0; o < CFG::n; o++) {
    if (CFG::kind == 1) y[o] = acc[o] * rom<typename CFG::p_t>(p[0]);
    else y[o] = acc[o];
  }
}

// io_stream: the same reduction reading x a pack (pin elements) at a time, into the n
// accumulators it holds; then n/pout packs out. Nothing else is held. The accumulators are read,
// updated and written once per pack (a loop-carried dependence, UG1399 "Managing Pipeline
// Dependencies"); to keep that feedback path to one add (or compare) per accumulator, so the pack
// loop holds its II, the emitter picks the kernel by how a pack's lanes map to outputs:
//  - reduce_stream_lanes (mode 1, the reduced axes exclude the last one): lane j of pack k goes
//    to output grp[k]*pin + j; each lane has its own accumulators (grp[k] selects a group), so
//    the lanes of a pack never meet and the feedback is one add per lane;
//  - reduce_stream_packs (mode 2, the last axis is reduced): every lane of pack k goes to output
//    grp[k]; the pack is first combined on its own (an adder tree, or a max/min tree, that carries
//    nothing), then folded into that one accumulator: again one add per pack;
//  - reduce_stream (mode 0, any other map): element by element through the map; its pin
//    read-modify-writes of run-time addresses chain within a pack, so it is pipelined at
//    II step_ii = pin*reuse (the plan's II says the same).
// Every sum is exact in acc_t (no partial sum of any subset overflows it), and max/min do not
// depend on the order, so the tree order equals the simulator's sequential one.
// Writes the n results (mean: times 1/K) as n/pout packs.
template <class CFG, class PW>
void reduce_stream_out(const typename CFG::acc_t acc[CFG::n], hls::stream<pack<typename CFG::out_t, CFG::pout> >& out, const PW p[1]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned q = 0; q < CFG::n / CFG::pout; q++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    pack<typename CFG::out_t, CFG::pout> y;
    for (unsigned j = 0; j < CFG::pout; j++) {
      if (CFG::kind == 1) y.v[j] = acc[q * CFG::pout + j] * rom<typename CFG::p_t>(p[0]);
      else y.v[j] = acc[q * CFG::pout + j];
    }
    out.write(y);
  }
}

template <class CFG, class PW>
void reduce_stream(hls::stream<pack<typename CFG::in_t, CFG::pin> >& in, hls::stream<pack<typename CFG::out_t, CFG::pout> >& out,
                   const int map[CFG::n_in], const PW p[1]) {
  typename CFG::acc_t acc[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
  bool seen[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=seen complete)
  reduce_clear<CFG>(acc, seen);
  for (unsigned k = 0; k < CFG::n_in / CFG::pin; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::step_ii)
    const pack<typename CFG::in_t, CFG::pin> a = in.read();
    for (unsigned j = 0; j < CFG::pin; j++) {
      const int o = map[k * CFG::pin + j];
      const typename CFG::in_t v = a.v[j];
      reduce_take<CFG>(acc[o], seen[o], v);
    }
  }
  reduce_stream_out<CFG>(acc, out, p);
}

// Mode 1: lane j of pack k into accumulator grp[k]*pin + j (its own lane), one add per lane.
template <class CFG, class PW>
void reduce_stream_lanes(hls::stream<pack<typename CFG::in_t, CFG::pin> >& in, hls::stream<pack<typename CFG::out_t, CFG::pout> >& out,
                         const int grp[CFG::n_in / CFG::pin], const PW p[1]) {
  typename CFG::acc_t acc[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
  bool seen[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=seen complete)
  reduce_clear<CFG>(acc, seen);
  for (unsigned k = 0; k < CFG::n_in / CFG::pin; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::step_ii)
    const pack<typename CFG::in_t, CFG::pin> a = in.read();
    const unsigned g = grp[k];
    for (unsigned j = 0; j < CFG::pin; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      const unsigned o = g * CFG::pin + j;
      const typename CFG::in_t v = a.v[j];
      reduce_take<CFG>(acc[o], seen[o], v);
    }
  }
  reduce_stream_out<CFG>(acc, out, p);
}

// Mode 2: the pin lanes of pack k combined on their own, then into accumulator grp[k].
template <class CFG, class PW>
void reduce_stream_packs(hls::stream<pack<typename CFG::in_t, CFG::pin> >& in, hls::stream<pack<typename CFG::out_t, CFG::pout> >& out,
                         const int grp[CFG::n_in / CFG::pin], const PW p[1]) {
  typename CFG::acc_t acc[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
  bool seen[CFG::n];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=seen complete)
  reduce_clear<CFG>(acc, seen);
  for (unsigned k = 0; k < CFG::n_in / CFG::pin; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::step_ii)
    const pack<typename CFG::in_t, CFG::pin> a = in.read();
    const unsigned o = grp[k];
    // The pack's own sum (exact in acc_t), or its max/min (in in_t, like the accumulators).
    typename CFG::acc_t t = a.v[0];
    for (unsigned j = 1; j < CFG::pin; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      const typename CFG::in_t v = a.v[j];
      if (CFG::kind <= 1) t += v;
      else if (CFG::kind == 2 ? v > t : v < t) t = v;
    }
    reduce_take<CFG>(acc[o], seen[o], t);
  }
  reduce_stream_out<CFG>(acc, out, p);
}

template <class CFG, class XW>
void concat_part(const XW x[CFG::outer * CFG::chunk], typename CFG::out_t y[]) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
  for (unsigned o = 0; o < CFG::outer; o++) {
    for (unsigned i = 0; i < CFG::chunk; i++) y[o * CFG::out_chunk + CFG::offset + i] = rom<typename CFG::in_t>(x[o * CFG::chunk + i]);
  }
}

// A value read by two layers under DATAFLOW: each process needs its own copy.
template <class T, unsigned N>
void clone_array(const T x[N], T a[N], T b[N]) {
NN2HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < N; i++) {
    a[i] = x[i];
    b[i] = x[i];
  }
}

// A graph output that other layers also read: copied out to its port.
template <class T, unsigned N>
void copy_array(const T x[N], T y[N]) {
NN2HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < N; i++) y[i] = x[i];
}

}  // namespace nn2hls

#endif  // NN2HLS_LAYOUT_H_
