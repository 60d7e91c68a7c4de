// nn2hls kernel library: 2-D max and average pooling, channels-last (1-D pools and global pools
// are emitted as 2-D windows: height 1, or one window covering the whole input).
// Semantics (docs/fixed-point.md): max pooling keeps the largest in-input value of the window
// (padding never wins) and assigns it into out_t; average pooling sums the in-input values
// exactly in accum_t, multiplies by rom<typename CFG::recip_t>(recip[count]) (count = in-input taps, or taps inside the
// padded input when count_include_pad) with an exact product, and assigns into out_t.
// CFG members: in_t, out_t, accum_t, recip_t, rows, in_h, in_w, c, out_h, out_w, k_h, k_w,
// s_h, s_w, d_h, d_w, p_top, p_left, p_bottom, p_right, is_max, include_pad, reuse, ii (pixel II), lb_rows, lb_banks (line buffer banks),
// taps_serial (a window too large to unroll: one tap, all channels, per pipelined step).
// Schedules: pool2d (arrays, one output pixel per pipelined step), pool2d_stream (line buffer)
// and global_pool_stream (running max/sum; global pools are one window over in_w = all pixels).
#ifndef NN2HLS_POOL_H_
#define NN2HLS_POOL_H_

#include "nn_common.h"
#include "nn_conv.h"
#include "nn_stream.h"

namespace nn2hls {

// One output pixel (all channels) from an input held in x (rows of width in_w, X_ROWS rows,
// circularly indexed when x is a line buffer). Shared by every schedule so they cannot disagree.
template <class CFG, unsigned X_ROWS, class RW>
void pool_pixel(const typename CFG::in_t x[X_ROWS * CFG::in_w * CFG::c], int oh, int ow, typename CFG::out_t y[CFG::c],
                const RW recip[CFG::k_h * CFG::k_w + 1]) {
NN2HLS_PRAGMA(HLS INLINE)
  for (unsigned ch = 0; ch < CFG::c; ch++) {
    typename CFG::in_t m = 0;
    typename CFG::accum_t sum = 0;
    bool any = false;
    unsigned count = 0;
    for (unsigned kh = 0; kh < CFG::k_h; kh++) {
      const int ih = oh * (int)CFG::s_h + (int)(kh * CFG::d_h) - (int)CFG::p_top;
      for (unsigned kw = 0; kw < CFG::k_w; kw++) {
        const int iw = ow * (int)CFG::s_w + (int)(kw * CFG::d_w) - (int)CFG::p_left;
        const bool inside = ih >= 0 && ih < (int)CFG::in_h && iw >= 0 && iw < (int)CFG::in_w;
        const bool in_padded = ih >= -(int)CFG::p_top && ih < (int)(CFG::in_h + CFG::p_bottom) &&
                               iw >= -(int)CFG::p_left && iw < (int)(CFG::in_w + CFG::p_right);
        if (CFG::include_pad ? in_padded : inside) count++;
        if (inside) {
          const typename CFG::in_t v = x[(((unsigned)ih % X_ROWS) * CFG::in_w + (unsigned)iw) * CFG::c + ch];
          if (!any || v > m) m = v;
          any = true;
          sum = sum + v;
        }
      }
    }
    if (CFG::is_max) {
      y[ch] = m;
    } else {
      y[ch] = sum * rom<typename CFG::recip_t>(recip[count]);
    }
  }
}

// The same output pixel with the window walked one tap per pipelined step (all channels of the
// tap at once): for windows whose k_h·k_w·c would exceed the unroll limit. The sum is exact in
// accum_t and the max is order-free, so the result equals pool_pixel's bit for bit.
template <class CFG, unsigned X_ROWS, class RW>
void pool_pixel_taps(const typename CFG::in_t x[X_ROWS * CFG::in_w * CFG::c], int oh, int ow, typename CFG::out_t y[CFG::c],
                     const RW recip[CFG::k_h * CFG::k_w + 1]) {
NN2HLS_PRAGMA(HLS INLINE)
  typename CFG::in_t m[CFG::c];
  typename CFG::accum_t sum[CFG::c];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=m complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=sum complete)
  for (unsigned ch = 0; ch < CFG::c; ch++) {
NN2HLS_PRAGMA(HLS UNROLL)
    m[ch] = 0;
    sum[ch] = 0;
  }
  bool any = false;
  unsigned count = 0;
  for (unsigned t = 0; t < CFG::k_h * CFG::k_w; t++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
    const unsigned kh = t / CFG::k_w, kw = t % CFG::k_w;
    const int ih = oh * (int)CFG::s_h + (int)(kh * CFG::d_h) - (int)CFG::p_top;
    const int iw = ow * (int)CFG::s_w + (int)(kw * CFG::d_w) - (int)CFG::p_left;
    const bool inside = ih >= 0 && ih < (int)CFG::in_h && iw >= 0 && iw < (int)CFG::in_w;
    const bool in_padded = ih >= -(int)CFG::p_top && ih < (int)(CFG::in_h + CFG::p_bottom) &&
                           iw >= -(int)CFG::p_left && iw < (int)(CFG::in_w + CFG::p_right);
    if (CFG::include_pad ? in_padded : inside) count++;
    if (inside) {
      for (unsigned ch = 0; ch < CFG::c; ch++) {
NN2HLS_PRAGMA(HLS UNROLL)
        const typename CFG::in_t v = x[(((unsigned)ih % X_ROWS) * CFG::in_w + (unsigned)iw) * CFG::c + ch];
        if (!any || v > m[ch]) m[ch] = v;
        sum[ch] = sum[ch] + v;
      }
      any = true;
    }
  }
  for (unsigned ch = 0; ch < CFG::c; ch++) {
NN2HLS_PRAGMA(HLS UNROLL)
    if (CFG::is_max) y[ch] = m[ch];
    else y[ch] = sum[ch] * rom<typename CFG::recip_t>(recip[count]);
  }
}

template <class CFG, class RW>
void pool2d(const typename CFG::in_t x[CFG::rows * CFG::in_h * CFG::in_w * CFG::c],
            typename CFG::out_t y[CFG::rows * CFG::out_h * CFG::out_w * CFG::c],
            const RW recip[CFG::k_h * CFG::k_w + 1]) {
  for (unsigned r = 0; r < CFG::rows; r++) {
    if (CFG::taps_serial) {
      for (unsigned p = 0; p < CFG::out_h * CFG::out_w; p++) {
        pool_pixel_taps<CFG, CFG::in_h>(&x[r * CFG::in_h * CFG::in_w * CFG::c], (int)(p / CFG::out_w), (int)(p % CFG::out_w),
                                        &y[(r * CFG::out_h * CFG::out_w + p) * CFG::c], recip);
      }
      continue;
    }
    for (unsigned p = 0; p < CFG::out_h * CFG::out_w; p++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::ii)
      pool_pixel<CFG, CFG::in_h>(&x[r * CFG::in_h * CFG::in_w * CFG::c], (int)(p / CFG::out_w), (int)(p % CFG::out_w),
                                 &y[(r * CFG::out_h * CFG::out_w + p) * CFG::c], recip);
    }
  }
}

// io_stream: a line buffer of the last lb_rows input rows (as conv2d_stream); once the input row
// that completes an output row has arrived, that row is computed and streamed. Strided, padded
// and ceil_mode windows all follow from the window geometry (conv_ready_row).
template <class CFG, class RW>
void pool2d_stream(hls::stream<pack<typename CFG::in_t, CFG::c> >& in, hls::stream<pack<typename CFG::out_t, CFG::c> >& out,
                   const RW recip[CFG::k_h * CFG::k_w + 1]) {
  typename CFG::in_t lb[CFG::lb_rows * CFG::in_w * CFG::c];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=lb cyclic factor=CFG::lb_banks)
  for (unsigned r = 0; r < CFG::rows; r++) {
    int oh = 0;
    for (unsigned ih = 0; ih < CFG::in_h; ih++) {
      for (unsigned iw = 0; iw < CFG::in_w; iw++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
        const pack<typename CFG::in_t, CFG::c> px = in.read();
        for (unsigned ch = 0; ch < CFG::c; ch++) {
NN2HLS_PRAGMA(HLS UNROLL)
          lb[((ih % CFG::lb_rows) * CFG::in_w + iw) * CFG::c + ch] = px.v[ch];
        }
      }
      while (oh < (int)CFG::out_h && conv_ready_row<CFG>(oh) == (int)ih) {
NN2HLS_PRAGMA(HLS LOOP_TRIPCOUNT min=0 max=CFG::out_h)
        if (CFG::taps_serial) {
          for (unsigned ow = 0; ow < CFG::out_w; ow++) {
            pack<typename CFG::out_t, CFG::c> o;
            pool_pixel_taps<CFG, CFG::lb_rows>(lb, oh, (int)ow, o.v, recip);
            out.write(o);
          }
        } else {
          for (unsigned ow = 0; ow < CFG::out_w; ow++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::ii)
            pack<typename CFG::out_t, CFG::c> o;
            pool_pixel<CFG, CFG::lb_rows>(lb, oh, (int)ow, o.v, recip);
            out.write(o);
          }
        }
        oh++;
      }
    }
  }
}

// io_stream global pooling: a running maximum or exact sum per channel over the pixels as they
// arrive (the order of an exact sum or a max does not matter), then one output pack.
template <class CFG, class RW>
void global_pool_stream(hls::stream<pack<typename CFG::in_t, CFG::c> >& in, hls::stream<pack<typename CFG::out_t, CFG::c> >& out,
                        const RW recip[CFG::k_h * CFG::k_w + 1]) {
  for (unsigned r = 0; r < CFG::rows; r++) {
    typename CFG::in_t m[CFG::c];
    typename CFG::accum_t sum[CFG::c];
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=m complete)
NN2HLS_PRAGMA(HLS ARRAY_PARTITION variable=sum complete)
    for (unsigned ch = 0; ch < CFG::c; ch++) {
NN2HLS_PRAGMA(HLS UNROLL)
      m[ch] = 0;
      sum[ch] = 0;
    }
    for (unsigned p = 0; p < CFG::in_w; p++) {
NN2HLS_PRAGMA(HLS PIPELINE II=1)
      const pack<typename CFG::in_t, CFG::c> px = in.read();
      for (unsigned ch = 0; ch < CFG::c; ch++) {
NN2HLS_PRAGMA(HLS UNROLL)
        if (p == 0 || px.v[ch] > m[ch]) m[ch] = px.v[ch];
        sum[ch] = sum[ch] + px.v[ch];
      }
    }
    pack<typename CFG::out_t, CFG::c> o;
    for (unsigned ch = 0; ch < CFG::c; ch++) {
NN2HLS_PRAGMA(HLS UNROLL)
      if (CFG::is_max) o.v[ch] = m[ch];
      else o.v[ch] = sum[ch] * rom<typename CFG::recip_t>(recip[CFG::in_w]);
    }
    out.write(o);
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_POOL_H_
