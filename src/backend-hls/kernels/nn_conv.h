// nn2hls kernel library: 2-D convolution, channels-last, with groups (depthwise when
// group = channels); 1-D convolutions are emitted as 2-D ones of height 1.
// Semantics (docs/fixed-point.md, "Conv"): for each output (oh, ow, co), acc = rom<typename CFG::bias_t>(b[co]) assigned
// into accum_t, then the kernel taps in row-major order (kh, kw), and for each tap the input
// channels of co's group ascending: acc = acc + x*w with one assignment into accum_t per term;
// taps in the padding are skipped. y = acc assigned into out_t.
// Weights are [kh][kw][cin/group][cout]. Two schedules:
//  - conv2d (io_parallel): one output pixel per pipelined step (II = reuse), its MACs unrolled;
//  - conv2d_stream (io_stream): a line buffer of the last `lb_rows` input rows; once the input
//    row that completes an output row has arrived, that output row is computed and streamed.
// Either schedule runs the latency form (a pixel's MACs unrolled, II = reuse) or, with
// strategy resource (group 1), the Dense reuse loop of nn_dense.h over the pixel's window.
// CFG members (multiplier: see mult_bind in nn_common.h): in_t, out_t, weight_t, bias_t, accum_t, rows (leading dims), in_h, in_w, cin,
// out_h, out_w, cout, k_h, k_w, s_h, s_w, d_h, d_w, p_top, p_left, group, reuse, mult_limit,
// ii (io_parallel pixel II: reuse, or more when the input is partitioned by channel only),
// lb_rows, lb_banks (stream only: line buffer partitioned completely when lb_banks is its size,
// else by channel), strategy, n_in (= k_h*k_w*cin), n_out (= cout), kb, mb, mr, block,
// has_bias (resource).
#ifndef NN2HLS_CONV_H_
#define NN2HLS_CONV_H_

#include "nn_common.h"
#include "nn_dense.h"
#include "nn_stream.h"

namespace nn2hls {

// One output pixel from an input held in x (rows of width in_w, `x_rows` rows, circularly
// indexed when x is a line buffer). Shared by both schedules so they cannot disagree.
template <class CFG, unsigned X_ROWS, class WW, class BW>
void conv_pixel(const typename CFG::in_t x[X_ROWS * CFG::in_w * CFG::cin], int oh, int ow,
                typename CFG::out_t y[CFG::cout], const WW w[CFG::k_h * CFG::k_w * (CFG::cin / CFG::group) * CFG::cout],
                const BW b[CFG::cout]) {
NN2HLS_PRAGMA(HLS INLINE)
  const unsigned cin_g = CFG::cin / CFG::group;
  const unsigned cout_g = CFG::cout / CFG::group;
  for (unsigned co = 0; co < CFG::cout; co++) {
    const unsigned g = co / cout_g;
    typename CFG::accum_t acc = 0;
    if (CFG::has_bias) acc = rom<typename CFG::bias_t>(b[co]);
    for (unsigned kh = 0; kh < CFG::k_h; kh++) {
      const int ih = oh * (int)CFG::s_h + (int)(kh * CFG::d_h) - (int)CFG::p_top;
      for (unsigned kw = 0; kw < CFG::k_w; kw++) {
        const int iw = ow * (int)CFG::s_w + (int)(kw * CFG::d_w) - (int)CFG::p_left;
        if (ih >= 0 && ih < (int)CFG::in_h && iw >= 0 && iw < (int)CFG::in_w) {
          const unsigned row = (unsigned)ih % X_ROWS;
          for (unsigned ci = 0; ci < cin_g; ci++) {
            acc = acc + mult_bind<CFG::multiplier>::run(x[(row * CFG::in_w + (unsigned)iw) * CFG::cin + g * cin_g + ci],
                                                        rom<typename CFG::weight_t>(w[((kh * CFG::k_w + kw) * cin_g + ci) * CFG::cout + co]));
          }
        }
      }
    }
    y[co] = acc;
  }
}

// Resource schedule (group == 1): the window of output pixel (oh, ow) gathered into one vector
// of n_in = k_h*k_w*cin inputs, in the weights' (kh, kw, ci) order, with zeros for taps in the
// padding (adding a zero product leaves the accumulator unchanged, so the sum is the skipped-tap
// sum bit for bit); the pixel is then the Dense product n_in x cout of nn_dense.h's reuse loop.
template <class CFG, unsigned X_ROWS>
void conv_window(const typename CFG::in_t x[X_ROWS * CFG::in_w * CFG::cin], int oh, int ow, typename CFG::in_t xw[CFG::n_in]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned kh = 0; kh < CFG::k_h; kh++) {
    const int ih = oh * (int)CFG::s_h + (int)(kh * CFG::d_h) - (int)CFG::p_top;
    for (unsigned kw = 0; kw < CFG::k_w; kw++) {
      const int iw = ow * (int)CFG::s_w + (int)(kw * CFG::d_w) - (int)CFG::p_left;
      const bool inside = ih >= 0 && ih < (int)CFG::in_h && iw >= 0 && iw < (int)CFG::in_w;
      const unsigned row = inside ? (unsigned)ih % X_ROWS : 0;
      for (unsigned ci = 0; ci < CFG::cin; ci++) {
        typename CFG::in_t v = 0;
        if (inside) v = x[(row * CFG::in_w + (unsigned)iw) * CFG::cin + ci];
        xw[(kh * CFG::k_w + kw) * CFG::cin + ci] = v;
      }
    }
  }
}

template <class CFG, class WW, class BW>
void conv2d_resource(const typename CFG::in_t x[CFG::rows * CFG::in_h * CFG::in_w * CFG::cin],
                     typename CFG::out_t y[CFG::rows * CFG::out_h * CFG::out_w * CFG::cout],
                     const WW w[CFG::k_h * CFG::k_w * (CFG::cin / CFG::group) * CFG::cout],
                     const BW b[CFG::cout]) {
NN2HLS_PRAGMA(HLS INLINE off)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CFG::block)
  for (unsigned r = 0; r < CFG::rows; r++) {
    unsigned p = 0;
    for (unsigned oh = 0; oh < CFG::out_h; oh++) {
      for (unsigned ow = 0; ow < CFG::out_w; ow++) {
        typename CFG::in_t xw[CFG::n_in];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=xw complete)
        conv_window<CFG, CFG::in_h>(&x[r * CFG::in_h * CFG::in_w * CFG::cin], (int)oh, (int)ow, xw);
        dense_resource_row<CFG>(xw, &y[(r * CFG::out_h * CFG::out_w + p) * CFG::cout], w, b);
        p++;
      }
    }
  }
}

template <class CFG, class WW, class BW>
void conv2d_latency(const typename CFG::in_t x[CFG::rows * CFG::in_h * CFG::in_w * CFG::cin],
                    typename CFG::out_t y[CFG::rows * CFG::out_h * CFG::out_w * CFG::cout],
                    const WW w[CFG::k_h * CFG::k_w * (CFG::cin / CFG::group) * CFG::cout],
                    const BW b[CFG::cout]) {
  for (unsigned r = 0; r < CFG::rows; r++) {
    for (unsigned p = 0; p < CFG::out_h * CFG::out_w; p++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::ii)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
      conv_pixel<CFG, CFG::in_h>(&x[r * CFG::in_h * CFG::in_w * CFG::cin], p / CFG::out_w, p % CFG::out_w,
                                 &y[(r * CFG::out_h * CFG::out_w + p) * CFG::cout], w, b);
    }
  }
}

template <class CFG, class WW, class BW>
void conv2d(const typename CFG::in_t x[CFG::rows * CFG::in_h * CFG::in_w * CFG::cin],
            typename CFG::out_t y[CFG::rows * CFG::out_h * CFG::out_w * CFG::cout],
            const WW w[CFG::k_h * CFG::k_w * (CFG::cin / CFG::group) * CFG::cout],
            const BW b[CFG::cout]) {
NN2HLS_PRAGMA(HLS INLINE)
  if (CFG::strategy == STRATEGY_RESOURCE) {
    conv2d_resource<CFG>(x, y, w, b);
  } else {
    conv2d_latency<CFG>(x, y, w, b);
  }
}

// One output row of the stream schedule from the line buffer.
template <class CFG, class WW, class BW>
void conv_out_row(const typename CFG::in_t lb[CFG::lb_rows * CFG::in_w * CFG::cin], int oh,
                  hls::stream<pack<typename CFG::out_t, CFG::cout> >& out,
                  const WW w[CFG::k_h * CFG::k_w * (CFG::cin / CFG::group) * CFG::cout],
                  const BW b[CFG::cout]) {
NN2HLS_PRAGMA(HLS INLINE)
  if (CFG::strategy == STRATEGY_RESOURCE) {
    for (unsigned ow = 0; ow < CFG::out_w; ow++) {
      typename CFG::in_t xw[CFG::n_in];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=xw complete)
      pack<typename CFG::out_t, CFG::cout> o;
      conv_window<CFG, CFG::lb_rows>(lb, oh, (int)ow, xw);
      dense_resource_row<CFG>(xw, o.v, w, b);
      out.write(o);
    }
  } else {
    for (unsigned ow = 0; ow < CFG::out_w; ow++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::ii)
NN2HLS_PRAGMA(HLS ALLOCATION operation instances=mul limit=CFG::mult_limit)
      pack<typename CFG::out_t, CFG::cout> o;
      conv_pixel<CFG, CFG::lb_rows>(lb, oh, (int)ow, o.v, w, b);
      out.write(o);
    }
  }
}

// Last input row an output row reads (clamped into the input), i.e. when it can be computed.
template <class CFG>
int conv_ready_row(int oh) {
  int last = oh * (int)CFG::s_h + (int)((CFG::k_h - 1) * CFG::d_h) - (int)CFG::p_top;
  if (last > (int)CFG::in_h - 1) last = (int)CFG::in_h - 1;
  if (last < 0) last = 0;
  return last;
}

template <class CFG, class WW, class BW>
void conv2d_stream(hls::stream<pack<typename CFG::in_t, CFG::cin> >& in, hls::stream<pack<typename CFG::out_t, CFG::cout> >& out,
                   const WW w[CFG::k_h * CFG::k_w * (CFG::cin / CFG::group) * CFG::cout],
                   const BW b[CFG::cout]) {
  typename CFG::in_t lb[CFG::lb_rows * CFG::in_w * CFG::cin];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=lb cyclic factor=CFG::lb_banks)
NN2HLS_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CFG::block)
  for (unsigned r = 0; r < CFG::rows; r++) {
    int oh = 0;
    for (unsigned ih = 0; ih < CFG::in_h; ih++) {
      for (unsigned iw = 0; iw < CFG::in_w; iw++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
        pack<typename CFG::in_t, CFG::cin> px = in.read();
        for (unsigned c = 0; c < CFG::cin; c++) {
NN2HLS_PRAGMA(HLS UNROLL)
          lb[((ih % CFG::lb_rows) * CFG::in_w + iw) * CFG::cin + c] = px.v[c];
        }
      }
      while (oh < (int)CFG::out_h && conv_ready_row<CFG>(oh) == (int)ih) {
NN2HLS_PRAGMA(HLS LOOP_TRIPCOUNT min=0 max=CFG::out_h)
        conv_out_row<CFG>(lb, oh, out, w, b);
        oh++;
      }
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_CONV_H_
