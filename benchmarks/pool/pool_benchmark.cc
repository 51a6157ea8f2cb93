// Tasks dispatched per second through the process pool against raw 4-byte pipe writes to the same
// number of reader processes, and the time to start and stop a pool, per worker.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "ipc/pool/process_pool.h"

namespace {

constexpr ipc::TaskCode kNoOp = 1;

ipc::TaskRegistry NoOpRegistry() {
  ipc::TaskRegistry registry;
  registry.Register(
      kNoOp, +[] {});
  return registry;
}

// N readers, each draining its own pipe 4 bytes at a time until end of file: a pool without
// the pool (no registry, no round-robin object, no SIGPIPE guard).
class RawReaders {
 public:
  explicit RawReaders(int n) {
    for (int i = 0; i < n; ++i) {
      int ends[2];
      if (pipe(ends) < 0) abort();
      pid_t pid = fork();
      if (pid == 0) {
        for (int w : write_fds_) close(w);
        close(ends[1]);
        std::uint32_t code;
        while (read(ends[0], &code, sizeof code) > 0) {
        }
        _exit(0);
      }
      close(ends[0]);
      write_fds_.push_back(ends[1]);
      pids_.push_back(pid);
    }
  }
  ~RawReaders() {
    for (size_t i = 0; i < pids_.size(); ++i) {
      close(write_fds_[i]);
      waitpid(pids_[i], nullptr, 0);
    }
  }
  int fd(size_t i) const { return write_fds_[i]; }
  size_t size() const { return write_fds_.size(); }

 private:
  std::vector<int> write_fds_;
  std::vector<pid_t> pids_;
};

void BM_RawPipeWrite(benchmark::State& state) {
  RawReaders readers(static_cast<int>(state.range(0)));
  std::uint32_t code = kNoOp;
  size_t next = 0;
  for (auto _ : state) {
    if (write(readers.fd(next), &code, sizeof code) != sizeof code) state.SkipWithError("write");
    next = (next + 1) % readers.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PoolDispatch(benchmark::State& state) {
  std::string error;
  auto pool = ipc::CreateProcessPool(static_cast<int>(state.range(0)), NoOpRegistry(), &error);
  if (!pool) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    if (pool->Dispatch(kNoOp).error != 0) state.SkipWithError("Dispatch");
  }
  state.SetItemsProcessed(state.iterations());
  pool->Shutdown();
}

void BM_PoolStartStop(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ipc::TaskRegistry registry = NoOpRegistry();
  for (auto _ : state) {
    std::string error;
    auto pool = ipc::CreateProcessPool(n, registry, &error);
    if (!pool) {
      state.SkipWithError(error.c_str());
      break;
    }
    pool->Shutdown();
  }
  // Seconds per worker started and stopped.
  state.counters["per_worker"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * n,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The workers do the work in other processes: wall-clock time is what counts.
BENCHMARK(BM_RawPipeWrite)->RangeMultiplier(2)->Range(1, 64)->UseRealTime();
BENCHMARK(BM_PoolDispatch)->RangeMultiplier(2)->Range(1, 64)->UseRealTime();
BENCHMARK(BM_PoolStartStop)->RangeMultiplier(2)->Range(1, 64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
