/**
 * Test support for test/backend/fifo-depth-csim.test.ts: the emitted top function rewritten to
 * run as the hardware does under DATAFLOW — each process in its own thread, each FIFO bounded to
 * its STREAM pragma's depth — and the bounded, thread-safe hls_stream.h it is built against
 * (in place of nn2hls's unbounded C-simulation FIFO). Not part of the product.
 */
/**
 * hls::stream with a depth: unbounded until set_depth (the testbench's ports), then a bounded
 * FIFO. One lock for all streams; the watchdog declares a deadlock when every running process
 * has been blocked, with no read or write anywhere, for 2 s.
 */
export const BOUNDED_STREAM = `#ifndef NN2HLS_TEST_BOUNDED_STREAM_H_
#define NN2HLS_TEST_BOUNDED_STREAM_H_
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>
namespace hls {
struct sched {
  static std::mutex& m() { static std::mutex x; return x; }
  static std::condition_variable& cv() { static std::condition_variable x; return x; }
  static long& live() { static long x = 0; return x; }
  static long& blocked() { static long x = 0; return x; }
  static unsigned long& progress() { static unsigned long x = 0; return x; }
};
template <class T>
class stream {
 public:
  stream() : depth_(0) {}
  explicit stream(const char* name) : depth_(0), name_(name) {}
  void set_depth(unsigned d) { depth_ = d; }
  T read() {
    std::unique_lock<std::mutex> l(sched::m());
    while (q_.empty()) wait(l);
    T v = q_.front();
    q_.pop_front();
    done();
    return v;
  }
  void read(T& v) { v = read(); }
  void write(const T& v) {
    std::unique_lock<std::mutex> l(sched::m());
    while (depth_ && q_.size() >= depth_) wait(l);
    q_.push_back(v);
    done();
  }
  bool empty() { std::lock_guard<std::mutex> l(sched::m()); return q_.empty(); }
  bool full() { std::lock_guard<std::mutex> l(sched::m()); return depth_ && q_.size() >= depth_; }
  std::size_t size() { std::lock_guard<std::mutex> l(sched::m()); return q_.size(); }
 private:
  static void wait(std::unique_lock<std::mutex>& l) {
    sched::blocked()++;
    sched::cv().wait(l);
    sched::blocked()--;
  }
  static void done() {
    sched::progress()++;
    sched::cv().notify_all();
  }
  stream(const stream&);
  stream& operator=(const stream&);
  std::size_t depth_;
  const char* name_ = "";
  std::deque<T> q_;
};
}  // namespace hls
namespace nn2hls_test {
struct tasks {
  std::vector<std::thread> t;
  template <class F> void run(F f) {
    { std::lock_guard<std::mutex> l(hls::sched::m()); hls::sched::live()++; }
    t.emplace_back([f]() {
      f();
      std::lock_guard<std::mutex> l(hls::sched::m());
      hls::sched::live()--;
      hls::sched::cv().notify_all();
    });
  }
  // Called at the end of the top function, before its FIFOs go out of scope.
  void wait() {
    unsigned long last = ~0ul;
    int still = 0;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::unique_lock<std::mutex> l(hls::sched::m());
      if (hls::sched::live() == 0) break;
      if (hls::sched::blocked() == hls::sched::live() && hls::sched::progress() == last) {
        if (++still >= 100) {
          std::fprintf(stderr, "nn2hls test: dataflow deadlock (%ld processes blocked on full or empty FIFOs)\\n", hls::sched::live());
          std::fflush(stderr);
          std::_Exit(3);
        }
      } else still = 0;
      last = hls::sched::progress();
    }
    for (auto& x : t) x.join();
  }
};
}  // namespace nn2hls_test
#endif
`;

/**
 * The top function with each process in a thread and each FIFO at its pragma's depth. A buffered
 * layer (stream_to_array .. kernel .. array_to_stream, joined by arrays) is one thread, its
 * output FIFO declared outside it.
 */
export function threadedTop(src: string): string {
  let text = src.replace(/NN2HLS_PRAGMA\(HLS STREAM variable=(\w+) depth=(\d+)\)/g, '$1.set_depth($2);');
  text = text.replace(/NN2HLS_PRAGMA\(HLS DATAFLOW\)/, 'NN2HLS_PRAGMA(HLS DATAFLOW)\n  nn2hls_test::tasks nn2hls_tasks;');
  const out: string[] = [];
  let group: string[] | null = null;
  for (const line of text.split('\n')) {
    if (group) {
      // The layer's output stream is declared in the function's scope: its reader is another thread.
      if (/^\s*hls::stream</.test(line) || /\.set_depth\(/.test(line)) out.push(line);
      else group.push(line);
      if (/nn2hls::array_to_stream/.test(line)) {
        out.push(`  nn2hls_tasks.run([&]() {\n${group.join('\n')}\n  });`);
        group = null;
      }
    } else if (/^\s*nn2hls::stream_to_array/.test(line)) group = [line];
    else out.push(line.replace(/^(\s*)(nn2hls::\w+(?:<[^\n]*>)?\([^\n]*\);)$/, '$1nn2hls_tasks.run([&]() { $2 });'));
  }
  const body = out.join('\n');
  const end = body.lastIndexOf('\n}');
  if (end < 0) throw new Error('threadedTop: no closing brace of the top function');
  return `${body.slice(0, end)}\n  nn2hls_tasks.wait();${body.slice(end)}`;
}

