// nn2hls kernel library: hls::stream and the helpers io_stream projects use between layers.
// With Xilinx's tools (and whenever hls_stream.h is on the include path) the real hls::stream
// is used. `nn2hls csim` may build against the ap_types headers alone, which have no
// hls_stream.h; it then defines NN2HLS_OWN_STREAM and this file supplies a minimal FIFO with
// the same read/write/empty/size interface, for C simulation only.
// Helpers: stream_to_array / array_to_stream (layers computed on a whole buffered tensor),
// clone2 (a value read by two layers: a stream has exactly one reader), repack_stream
// (Reshape/Flatten: same order, another pack width), select_stream (a Slice keeping whole
// packs in order), slice_stream (a Slice of the elements within packs), concat2_stream (channel Concat) and upsample_stream (nearest Resize by
// integer factors, holding one input row).
#ifndef NN2HLS_STREAM_H_
#define NN2HLS_STREAM_H_

#include "nn_common.h"

#ifdef NN2HLS_OWN_STREAM
#ifdef __SYNTHESIS__
#error "NN2HLS_OWN_STREAM is for C simulation without Xilinx headers; synthesize with hls_stream.h"
#endif
#include <cstdio>
#include <cstdlib>
#include <deque>
namespace hls {
template <class T>
class stream {
 public:
  stream() {}
  explicit stream(const char* name) { (void)name; }
  T read() {
    if (q_.empty()) {
      std::fprintf(stderr, "nn2hls: read from an empty stream (dataflow deadlock in C simulation)\n");
      std::abort();
    }
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void read(T& v) { v = read(); }
  void write(const T& v) { q_.push_back(v); }
  bool empty() const { return q_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return q_.size(); }

 private:
  stream(const stream&);
  stream& operator=(const stream&);
  std::deque<T> q_;
};
}  // namespace hls
#else
#include <hls_stream.h>
#endif

namespace nn2hls {

template <class T, unsigned C, unsigned N>
void stream_to_array(hls::stream<pack<T, C> >& in, T x[N]) {
  for (unsigned k = 0; k < N / C; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<T, C> a = in.read();
    for (unsigned j = 0; j < C; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      x[k * C + j] = a.v[j];
    }
  }
}

template <class T, unsigned C, unsigned N>
void array_to_stream(const T y[N], hls::stream<pack<T, C> >& out) {
  for (unsigned k = 0; k < N / C; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    pack<T, C> a;
    for (unsigned j = 0; j < C; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      a.v[j] = y[k * C + j];
    }
    out.write(a);
  }
}

template <class T, unsigned C, unsigned N>
void clone2(hls::stream<pack<T, C> >& in, hls::stream<pack<T, C> >& a, hls::stream<pack<T, C> >& b) {
  for (unsigned k = 0; k < N / C; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<T, C> v = in.read();
    a.write(v);
    b.write(v);
  }
}

// Reshape/Flatten in io_stream: the element order is unchanged, only the pack width changes
// from PI to PO; L = lcm(PI, PO) elements are held at a time.
template <class TI, class TO, unsigned PI, unsigned PO, unsigned N, unsigned L>
void repack_stream(hls::stream<pack<TI, PI> >& in, hls::stream<pack<TO, PO> >& out) {
  for (unsigned i = 0; i < N / L; i++) {
    TO buf[L];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=buf complete)
    for (unsigned k = 0; k < L / PI; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
      const pack<TI, PI> a = in.read();
      for (unsigned j = 0; j < PI; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        buf[k * PI + j] = a.v[j];
      }
    }
    for (unsigned k = 0; k < L / PO; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
      pack<TO, PO> o;
      for (unsigned j = 0; j < PO; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        o.v[j] = buf[k * PO + j];
      }
      out.write(o);
    }
  }
}

// A data movement that keeps whole packs, in order (a Slice of the leading dims, e.g. an RNN's
// last time step): every one of the NI input packs is read, those numbered keep[0] < keep[1] <
// ... (NK of them) are written, element by element assigned into TO. Nothing is held whole.
template <class TI, class TO, unsigned P, unsigned NI, unsigned NK>
void select_stream(hls::stream<pack<TI, P> >& in, hls::stream<pack<TO, P> >& out, const int keep[NK]) {
  unsigned k = 0;
  for (unsigned q = 0; q < NI; q++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<TI, P> a = in.read();
    if (k < NK && keep[k] == (int)q) {
      pack<TO, P> o;
      for (unsigned j = 0; j < P; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        o.v[j] = a.v[j];
      }
      out.write(o);
      k++;
    }
  }
}

// A data movement that keeps elements OFF..OFF+PO-1 of whole input packs, in order (a Slice of the
// last dim, e.g. attention's Q, K and V out of one projection): every one of the NI input packs is
// read, those numbered keep[0] < keep[1] < ... (NK of them) give one output pack each, element by
// element assigned into TO. Nothing is held whole.
template <class TI, class TO, unsigned PI, unsigned PO, unsigned OFF, unsigned NI, unsigned NK>
void slice_stream(hls::stream<pack<TI, PI> >& in, hls::stream<pack<TO, PO> >& out, const int keep[NK]) {
  unsigned k = 0;
  for (unsigned q = 0; q < NI; q++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<TI, PI> a = in.read();
    if (k < NK && keep[k] == (int)q) {
      pack<TO, PO> o;
      for (unsigned j = 0; j < PO; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        o.v[j] = a.v[OFF + j];
      }
      out.write(o);
      k++;
    }
  }
}

// Concat of two run-time values along the channel axis in io_stream: per pixel, C0 channels of
// the first then C1 of the second.
template <class T0, class T1, class TO, unsigned C0, unsigned C1, unsigned PIX>
void concat2_stream(hls::stream<pack<T0, C0> >& a, hls::stream<pack<T1, C1> >& b, hls::stream<pack<TO, C0 + C1> >& out) {
  for (unsigned k = 0; k < PIX; k++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const pack<T0, C0> u = a.read();
    const pack<T1, C1> v = b.read();
    pack<TO, C0 + C1> o;
    for (unsigned j = 0; j < C0; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      o.v[j] = u.v[j];
    }
    for (unsigned j = 0; j < C1; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
      o.v[C0 + j] = v.v[j];
    }
    out.write(o);
  }
}

// Nearest upsampling by integer factors in io_stream (a Resize whose index map repeats every
// input pixel CFG::fw times along its row and every row CFG::fh times; lower-misc.ts checks the
// map element by element before choosing this kernel). Per image (n_img of them) and input row
// (in_h), the in_w pixels of the row are read once into a one-row buffer while its first copy
// is written; the other fh - 1 copies are written from the buffer. Only that row (in_w packs
// of n_chan elements) is held. Each element is assigned into out_t; nothing is computed.
// CFG members: in_t, out_t, n_chan, n_img, in_h, in_w, fh, fw.
template <class CFG>
void upsample_stream(hls::stream<pack<typename CFG::in_t, CFG::n_chan> >& in,
                     hls::stream<pack<typename CFG::out_t, CFG::n_chan> >& out) {
  pack<typename CFG::in_t, CFG::n_chan> row[CFG::in_w];
  for (unsigned r = 0; r < CFG::n_img * CFG::in_h; r++) {
    unsigned w = 0, k = 0, rep = 0;
    for (unsigned i = 0; i < CFG::fh * CFG::in_w * CFG::fw; i++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
      // The first copy of each pixel comes straight from the input (and is kept); the buffer is
      // only read for later copies, so no iteration writes and reads the same word.
      pack<typename CFG::in_t, CFG::n_chan> a;
      if (rep == 0 && k == 0) {
        a = in.read();
        row[w] = a;
      } else {
        a = row[w];
      }
      pack<typename CFG::out_t, CFG::n_chan> o;
      for (unsigned j = 0; j < CFG::n_chan; j++) {
NN2HLS_PRAGMA(HLS UNROLL)
        o.v[j] = a.v[j];
      }
      out.write(o);
      if (++k == CFG::fw) {
        k = 0;
        if (++w == CFG::in_w) {
          w = 0;
          rep++;
        }
      }
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_STREAM_H_
