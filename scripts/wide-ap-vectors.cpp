// Golden vectors for ap_fixed types wider than 52 bits, computed by Xilinx's own headers (their
// C-simulation model), in the JSON-lines format of ../shared/reference/ap_fixed_vectors.md:
//   d2f: double -> ap_fixed/ap_ufixed<W,I,Q,O> for W in 53..128, every Q x O pair;
//   f2f: wide ap_fixed -> wide or narrow ap_fixed, every Q x O pair of the target.
// The shared vector file stops at 32-bit targets for these two categories; nn2hls's BigInt path
// (values and accumulators beyond 52 bits) is held to these. Inputs come from a fixed-seed
// xorshift, so the output is reproducible. Build and run with scripts/make-wide-ap-vectors.sh.
#include <ap_fixed.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next() {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }

// Names by the headers' enum order (ap_decl.h), not by the order the modes are listed elsewhere.
static const char* QN[] = {"AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV", "AP_TRN", "AP_TRN_ZERO"};
static const char* ON[] = {"AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM", "AP_WRAP", "AP_WRAP_SM"};

// Decimal text of the W-bit two's-complement (signed) or plain (unsigned) number in `words`
// (little-endian 32-bit words).
static std::string decimal(std::vector<uint32_t> words, int w, bool sign) {
  bool neg = sign && ((words[(w - 1) / 32] >> ((w - 1) % 32)) & 1u);
  if (neg) {  // magnitude = ~x + 1 over W bits
    uint64_t carry = 1;
    for (size_t i = 0; i < words.size(); i++) {
      uint64_t v = (uint64_t)(uint32_t)~words[i] + carry;
      words[i] = (uint32_t)v;
      carry = v >> 32;
    }
    int top = w % 32;
    if (top) words[(w - 1) / 32] &= (1u << top) - 1u;
  }
  std::string s;
  bool zero = false;
  while (!zero) {
    uint64_t rem = 0;
    zero = true;
    for (size_t i = words.size(); i-- > 0;) {
      uint64_t cur = (rem << 32) | words[i];
      words[i] = (uint32_t)(cur / 10);
      rem = cur % 10;
      if (words[i]) zero = false;
    }
    s.insert(s.begin(), (char)('0' + rem));
  }
  return neg && s != "0" ? "-" + s : s;
}

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
struct T {
  typedef typename std::conditional<S, ap_fixed<W, I, Q, O>, ap_ufixed<W, I, Q, O>>::type type;
  static std::string json() {
    char b[160];
    std::snprintf(b, sizeof b, "{\"w\":%d,\"i\":%d,\"s\":%s,\"q\":\"%s\",\"o\":\"%s\",\"n\":0}", W, I, S ? "true" : "false", QN[(int)Q], ON[(int)O]);
    return b;
  }
  static std::string raw(const type& x) {
    std::vector<uint32_t> words((W + 31) / 32, 0);
    for (int lo = 0; lo < W; lo += 32) {
      int hi = lo + 31 < W - 1 ? lo + 31 : W - 1;
      words[lo / 32] = (uint32_t)x.range(hi, lo).to_uint64();
    }
    return decimal(words, W, S);
  }
};

static int counter = 0;

static void num(char* b, size_t n, double v) {
  if (v == 0) std::snprintf(b, n, "0.0");
  else std::snprintf(b, n, "%.17g", v);
}

template <class TT>
static void d2f(double x, const char* tag) {
  typename TT::type r = x;
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  char xs[40], vs[40];
  num(xs, sizeof xs, x);
  num(vs, sizeof vs, r.to_double());
  std::printf("{\"id\":\"wd2f-%05d\",\"cat\":\"d2f\",\"tag\":\"%s\",\"x\":%s,\"x_hex\":\"0x%016llx\",\"to\":%s,\"raw\":\"%s\",\"val\":%s}\n", ++counter, tag, xs,
              (unsigned long long)bits, TT::json().c_str(), TT::raw(r).c_str(), vs);
}

template <class FT, class TT>
static void f2f(const typename FT::type& x, const char* tag) {
  typename TT::type r = x;
  char xs[40], vs[40];
  num(xs, sizeof xs, x.to_double());
  num(vs, sizeof vs, r.to_double());
  std::printf("{\"id\":\"wf2f-%05d\",\"cat\":\"f2f\",\"tag\":\"%s\",\"from\":%s,\"x_raw\":\"%s\",\"x\":%s,\"to\":%s,\"raw\":\"%s\",\"val\":%s}\n", ++counter, tag, FT::json().c_str(),
              FT::raw(x).c_str(), xs, TT::json().c_str(), TT::raw(r).c_str(), vs);
}

// Inputs around the type's range and grid: in range, beyond it, ties and near-ties at its LSB.
template <int W, int I, bool S>
static std::vector<std::pair<double, const char*>> inputs() {
  std::vector<std::pair<double, const char*>> v;
  double top = std::ldexp(1.0, I - (S ? 1 : 0));
  double lsb = std::ldexp(1.0, I - W);
  double r = (uniform() * 2 - 1) * top;
  v.push_back({S ? r : std::fabs(r), "random_in_range"});
  v.push_back({(uniform() * 2 - 1) * top * 7, "random_beyond"});
  // A tie at the LSB, built on a coarse value so the double holds it exactly.
  double base = std::floor((uniform() * 2 - 1) * std::ldexp(1.0, 40)) * std::ldexp(1.0, I - 41);
  v.push_back({base + lsb * (std::floor(uniform() * 8) + 0.5), "tie"});
  v.push_back({-base - lsb * 0.25, "quarter_lsb"});
  v.push_back({top, "top"});
  v.push_back({-top - lsb, "below_min"});
  return v;
}

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
static void d2fAll() {
  for (auto& p : inputs<W, I, S>()) d2f<T<W, I, S, Q, O>>(p.first, p.second);
}

template <int W, int I, bool S, ap_q_mode Q>
static void d2fO() {
  d2fAll<W, I, S, Q, AP_WRAP>();
  d2fAll<W, I, S, Q, AP_SAT>();
  d2fAll<W, I, S, Q, AP_SAT_ZERO>();
  d2fAll<W, I, S, Q, AP_SAT_SYM>();
}

template <int W, int I, bool S>
static void d2fQO() {
  d2fO<W, I, S, AP_TRN>();
  d2fO<W, I, S, AP_TRN_ZERO>();
  d2fO<W, I, S, AP_RND>();
  d2fO<W, I, S, AP_RND_ZERO>();
  d2fO<W, I, S, AP_RND_INF>();
  d2fO<W, I, S, AP_RND_MIN_INF>();
  d2fO<W, I, S, AP_RND_CONV>();
}

// f2f: random wide sources (raw bits drawn uniformly), cast into every Q x O of the target.
template <class FT, int W2, int I2, bool S2, ap_q_mode Q>
static void f2fO(const typename FT::type& x, const char* tag) {
  f2f<FT, T<W2, I2, S2, Q, AP_WRAP>>(x, tag);
  f2f<FT, T<W2, I2, S2, Q, AP_SAT>>(x, tag);
  f2f<FT, T<W2, I2, S2, Q, AP_SAT_ZERO>>(x, tag);
  f2f<FT, T<W2, I2, S2, Q, AP_SAT_SYM>>(x, tag);
}

template <int W1, int I1, bool S1, int W2, int I2, bool S2>
static void f2fAll() {
  typedef T<W1, I1, S1, AP_TRN, AP_WRAP> FT;
  for (int k = 0; k < 3; k++) {
    typename FT::type x;
    for (int lo = 0; lo < W1; lo += 32) {
      int hi = lo + 31 < W1 - 1 ? lo + 31 : W1 - 1;
      x.range(hi, lo) = ap_uint<32>((uint32_t)next()).range(hi - lo, 0);
    }
    const char* tag = k == 0 ? "random_bits" : k == 1 ? "random_bits_2" : "random_bits_3";
    f2fO<FT, W2, I2, S2, AP_TRN>(x, tag);
    f2fO<FT, W2, I2, S2, AP_TRN_ZERO>(x, tag);
    f2fO<FT, W2, I2, S2, AP_RND>(x, tag);
    f2fO<FT, W2, I2, S2, AP_RND_ZERO>(x, tag);
    f2fO<FT, W2, I2, S2, AP_RND_INF>(x, tag);
    f2fO<FT, W2, I2, S2, AP_RND_MIN_INF>(x, tag);
    f2fO<FT, W2, I2, S2, AP_RND_CONV>(x, tag);
  }
}

int main() {
  d2fQO<53, 20, true>();
  d2fQO<64, 32, true>();
  d2fQO<64, 70, true>();
  d2fQO<65, 0, true>();
  d2fQO<96, 40, true>();
  d2fQO<64, 32, false>();
  d2fQO<80, 8, false>();
  f2fAll<96, 40, true, 64, 32, true>();
  f2fAll<64, 32, true, 53, 20, true>();
  f2fAll<128, 64, true, 16, 6, true>();
  f2fAll<72, 30, true, 60, 40, false>();
  f2fAll<64, 32, false, 64, 30, true>();
  return 0;
}
