#include "sim/cli/sweep_command.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "sim/cli/run_outcome.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::cli {

namespace {

// One seed's result as the child reports it over its pipe: a single line of tab-separated
// fields "exit_code \t kinds \t failure \t replay".
struct SeedResult {
  uint64_t seed = 0;
  int exit_code = 0;
  std::vector<std::string> kinds;
  std::string failure;
  std::string replay;
};

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

[[noreturn]] void run_child(const lua::RunOptions& base, uint64_t seed, int out_fd) {
  lua::RunOptions o = base;
  o.seed = seed;
  std::string line;
  try {
    const lua::RunResult r = lua::run_scenario(o);
    std::string kinds;
    for (const auto& k : anomaly_kinds(r)) kinds += (kinds.empty() ? "" : ",") + k;
    line = fmt::format("{}\t{}\t{}\t{}\n", r.exit_code, kinds, one_line(first_failure(r)), one_line(r.replay));
  } catch (const std::exception& e) {
    line = fmt::format("{}\t\tinternal error: {}\t\n", lua::kExitInternal, one_line(e.what()));
  }
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(out_fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  std::fflush(nullptr);
  ::_exit(0);  // skip the parent's atexit handlers and destructors
}

struct Child {
  pid_t pid;
  int fd;
  uint64_t seed;
  std::string output;
  bool stopped = false;  // killed by --stop-on-first: neither passed nor failed
};

SeedResult finish(Child& c) {
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  ::close(c.fd);
  SeedResult r;
  r.seed = c.seed;
  const auto fields = split(c.output.empty() ? std::string() : c.output.substr(0, c.output.find('\n')), '\t');
  if (fields.size() == 4) {
    r.exit_code = std::atoi(fields[0].c_str());
    if (!fields[1].empty()) r.kinds = split(fields[1], ',');
    r.failure = fields[2];
    r.replay = fields[3];
  } else {
    r.exit_code = lua::kExitInternal;
    r.failure = WIFSIGNALED(status) ? fmt::format("the run died of signal {}", WTERMSIG(status))
                                    : "the run ended without a result";
  }
  return r;
}

// A bar on a terminal; otherwise a plain line at each tenth, so CI logs stay short.
class Progress {
 public:
  Progress(size_t total) : total_(total), tty_(::isatty(STDERR_FILENO)) {}
  void update(size_t done, size_t failed) {
    if (tty_) {
      constexpr size_t width = 30;
      const size_t filled = total_ == 0 ? width : done * width / total_;
      std::cerr << fmt::format("\r[{}{}] {}/{} seeds, {} failed", std::string(filled, '#'),
                               std::string(width - filled, ' '), done, total_, failed)
                << std::flush;
    } else if (done == total_ || done * 10 / total_ != (done - 1) * 10 / total_) {
      std::cerr << fmt::format("{}/{} seeds, {} failed\n", done, total_, failed);
    }
  }
  void end() {
    if (tty_) std::cerr << "\n";
  }

 private:
  size_t total_;
  bool tty_;
};

}  // namespace

int cmd_sweep(const SweepArgs& args) {
  auto usage = [](const std::string& msg) {
    std::cerr << "kafkasim: " << msg << "\n";
    return lua::kExitUsage;
  };
  const auto range = parse_seed_range(args.seeds);
  if (!range) return usage(fmt::format("--seeds {}: write a seed or a range, as in 1..100", args.seeds));
  if (!std::filesystem::exists(args.scenario)) return usage(fmt::format("{}: no such scenario file", args.scenario));
  size_t shard = 0, shards = 1;
  if (!args.shard.empty()) {
    const auto parts = split(args.shard, '/');
    const auto k = parts.size() == 2 ? parse_seed_range(parts[0]) : std::nullopt;
    const auto n = parts.size() == 2 ? parse_seed_range(parts[1]) : std::nullopt;
    if (!k || !n || k->first != k->second || n->first != n->second || k->first < 1 || k->first > n->first)
      return usage(fmt::format("--shard {}: write K/N with 1 <= K <= N, as in 2/4", args.shard));
    shard = k->first - 1;
    shards = n->first;
  }
  lua::RunOptions base;
  base.path = args.scenario;
  for (const auto& kv : args.sets) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return usage(fmt::format("--set {}: write it as name=value", kv));
    base.sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }

  // Seed i of the range belongs to shard i mod N, so shards interleave and each sees early seeds.
  std::vector<uint64_t> seeds;
  for (uint64_t s = range->first, i = 0; s <= range->second; ++s, ++i)
    if (i % shards == shard) seeds.push_back(s);
  const unsigned jobs = args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());

  std::cout.flush();
  std::cerr.flush();
  std::vector<Child> running;
  std::vector<SeedResult> results;
  size_t next = 0, failed = 0;
  bool stopping = false;
  Progress progress(seeds.size());
  while ((next < seeds.size() && !stopping) || !running.empty()) {
    while (!stopping && next < seeds.size() && running.size() < jobs) {
      int fds[2];
      if (::pipe(fds) != 0) return usage("cannot create a pipe for a child process");
      const pid_t pid = ::fork();
      if (pid < 0) return usage("cannot start a child process");
      if (pid == 0) {
        ::close(fds[0]);
        for (const Child& c : running) ::close(c.fd);
        run_child(base, seeds[next], fds[1]);
      }
      ::close(fds[1]);
      running.push_back(Child{pid, fds[0], seeds[next], {}});
      ++next;
    }
    std::vector<pollfd> polls;
    for (const Child& c : running) polls.push_back(pollfd{c.fd, POLLIN, 0});
    if (::poll(polls.data(), polls.size(), -1) < 0) continue;  // EINTR: poll again
    for (size_t i = polls.size(); i-- > 0;) {
      if (!(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(running[i].fd, buf, sizeof buf);
      if (n > 0) {
        running[i].output.append(buf, static_cast<size_t>(n));
        continue;
      }
      const bool stopped = running[i].stopped;
      SeedResult r = finish(running[i]);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      if (stopped) continue;
      if (r.exit_code != 0) {
        ++failed;
        if (args.stop_on_first && !stopping) {
          stopping = true;
          for (Child& c : running) {
            ::kill(c.pid, SIGKILL);
            c.stopped = true;
          }
        }
      }
      results.push_back(std::move(r));
      progress.update(results.size(), failed);
    }
  }
  progress.end();

  std::sort(results.begin(), results.end(), [](const SeedResult& a, const SeedResult& b) { return a.seed < b.seed; });
  std::map<std::string, size_t> seeds_by_kind;
  size_t passed = 0;
  failed = 0;
  for (const SeedResult& r : results) {
    if (r.exit_code == 0) {
      ++passed;
      continue;
    }
    ++failed;
    for (const auto& k : r.kinds) ++seeds_by_kind[k];
    std::cout << fmt::format("FAIL  seed {}: {}\n", r.seed, r.failure);
    if (!r.kinds.empty()) {
      std::string kinds;
      for (const auto& k : r.kinds) kinds += (kinds.empty() ? "" : ", ") + k;
      std::cout << fmt::format("      anomalies: {}\n", kinds);
    }
    if (!r.replay.empty()) std::cout << fmt::format("      replay: {}\n", r.replay);
  }
  if (!seeds_by_kind.empty()) {
    std::string kinds;
    for (const auto& [k, n] : seeds_by_kind) kinds += fmt::format("{}{} ({} seed{})", kinds.empty() ? "" : ", ", k, n, n == 1 ? "" : "s");
    std::cout << fmt::format("anomalies in failing seeds: {}\n", kinds);
  }
  if (stopping) std::cout << fmt::format("stopped at the first failure; {} seeds not run\n", seeds.size() - results.size());
  std::cout << fmt::format("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? lua::kExitOk : lua::kExitViolation;
}

}  // namespace sim::cli
