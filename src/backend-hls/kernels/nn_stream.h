// nn2hls kernel library: hls::stream and the helpers io_stream projects use between layers.
// With Xilinx's tools (and whenever hls_stream.h is on the include path) the real hls::stream
// is used. `nn2hls csim` may build against the ap_types headers alone, which have no
// hls_stream.h; it then defines NN2HLS_OWN_STREAM and this file supplies a minimal FIFO with
// the same read/write/empty/size interface, for C simulation only.
// Helpers: stream_to_array / array_to_stream (layers computed on a whole buffered tensor) and
// clone2 (a value read by two layers: a stream has exactly one reader).
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

}  // namespace nn2hls

#endif  // NN2HLS_STREAM_H_
