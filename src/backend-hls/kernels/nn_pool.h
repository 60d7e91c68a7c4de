// nn2hls kernel library: 2-D max and average pooling, channels-last (1-D pools and global pools
// are emitted as 2-D windows: height 1, or one window covering the whole input).
// Semantics (docs/fixed-point.md): max pooling keeps the largest in-input value of the window
// (padding never wins) and assigns it into out_t; average pooling sums the in-input values
// exactly in accum_t, multiplies by recip[count] (count = in-input taps, or taps inside the
// padded input when count_include_pad) with an exact product, and assigns into out_t.
// CFG members: in_t, out_t, accum_t, recip_t, rows, in_h, in_w, c, out_h, out_w, k_h, k_w,
// s_h, s_w, d_h, d_w, p_top, p_left, p_bottom, p_right, is_max, include_pad, reuse.
#ifndef NN2HLS_POOL_H_
#define NN2HLS_POOL_H_

#include "nn_common.h"

namespace nn2hls {

template <class CFG, class RW>
void pool2d(const typename CFG::in_t x[CFG::rows * CFG::in_h * CFG::in_w * CFG::c],
            typename CFG::out_t y[CFG::rows * CFG::out_h * CFG::out_w * CFG::c],
            const RW recip[CFG::k_h * CFG::k_w + 1]) {
  for (unsigned r = 0; r < CFG::rows; r++) {
    for (unsigned p = 0; p < CFG::out_h * CFG::out_w; p++) {
NN2HLS_PRAGMA(HLS PIPELINE II=CFG::reuse)
      const int oh = (int)(p / CFG::out_w);
      const int ow = (int)(p % CFG::out_w);
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
              const typename CFG::in_t v = x[((r * CFG::in_h + (unsigned)ih) * CFG::in_w + (unsigned)iw) * CFG::c + ch];
              if (!any || v > m) m = v;
              any = true;
              sum = sum + v;
            }
          }
        }
        const unsigned o = ((r * CFG::out_h * CFG::out_w) + p) * CFG::c + ch;
        if (CFG::is_max) {
          y[o] = m;
        } else {
          y[o] = sum * rom<typename CFG::recip_t>(recip[count]);
        }
      }
    }
  }
}

}  // namespace nn2hls

#endif  // NN2HLS_POOL_H_
