#include "sim/cli/child_runs.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "sim/cli/run_outcome.hpp"
#include "sim/emergency.hpp"

namespace sim::cli {

namespace {

using Clock = std::chrono::steady_clock;

// The report crosses the pipe as tab-separated fields, with tabs, newlines and backslashes
// escaped, ending in a newline.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    out.push_back(c == 't' ? '\t' : c == 'n' ? '\n' : c);
  }
  return out;
}


std::string encode(const lua::RunResult& r) {
  std::string kinds;
  for (const auto& k : anomaly_kinds(r)) kinds += (kinds.empty() ? "" : ",") + k;
  return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", r.exit_code, escape(r.scenario.name), r.seed, escape(kinds),
                     escape(first_failure(r)), escape(r.replay), escape(not_judged(r)));
}

bool decode(const std::string& line, RunReport& r) {
  const auto f = split(line, '\t');
  if (f.size() != 7) return false;
  r.exit_code = std::atoi(f[0].c_str());
  r.scenario = unescape(f[1]);
  r.seed = std::strtoull(f[2].c_str(), nullptr, 10);
  const std::string kinds = unescape(f[3]);
  if (!kinds.empty()) r.kinds = split(kinds, ',');
  r.failure = unescape(f[4]);
  r.replay = unescape(f[5]);
  r.not_judged = unescape(f[6]);
  return true;
}

[[noreturn]] void run_child(const ChildRuns::Runner& runner, const lua::RunOptions& options, int out_fd) {
  std::string line;
  try {
    line = encode(runner(options));
  } catch (const std::exception& e) {
    line = fmt::format("{}\t\t0\t\t{}\t\n", static_cast<int>(lua::kExitInternal), escape(std::string("internal error: ") + e.what()));
  }
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(out_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  std::fflush(nullptr);
  ::_exit(0);  // skip the parent's atexit handlers and destructors
}

struct Child {
  size_t index;
  lua::RunOptions options;
  pid_t pid;
  int fd;
  Clock::time_point started;
  std::string output;
  bool timed_out = false;
};

// What the parent knows of a run it could not hear from: how it ended and the line that
// replays it (the child's own replay line died with it).
RunReport unheard(const Child& c, int status, const lua::RunOptions& o, double timeout) {
  RunReport r;
  r.seed = o.seed.value_or(0);
  r.replay = lua::replay_line(o, o.seed);
  r.exit_code = lua::kExitInternal;
  if (c.timed_out) {
    r.end = RunReport::End::timed_out;
    r.failure = fmt::format("timed out: the run took more than {:g} s of wall time (test --timeout)", timeout);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == lua::kExitInvalid) {
    // Only the CPU-time watchdog ends a run's process so, before any report (emergency_exit):
    // a call into Lua stuck where no instruction hook runs.
    r.end = RunReport::End::crashed;
    r.exit_code = lua::kExitInvalid;
    r.failure = "CPU time limit exceeded: a call into the scenario's Lua code kept running inside a library function past "
                "its limit, and the process stopped it";
  } else if (WIFSIGNALED(status)) {
    r.end = RunReport::End::crashed;
    r.failure = fmt::format("the run died of signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else {
    r.end = RunReport::End::crashed;
    r.failure = fmt::format("the run ended (exit status {}) without a result", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  return r;
}

// Forks the child for run `index`; it writes its report to a pipe the parent reads.
Child start_child(const ChildRuns::Runner& runner, size_t index, lua::RunOptions options, const std::vector<Child>& running) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("cannot create a pipe for a child process");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start a child process");
  if (pid == 0) {
    forget_temporaries();  // the parent's outputs (test --junit), not the child's to remove
    ::close(fds[0]);
    for (const Child& c : running) ::close(c.fd);
    run_child(runner, options, fds[1]);
  }
  ::close(fds[1]);
  return Child{index, std::move(options), pid, fds[0], Clock::now(), {}};
}

// How long poll may wait: until the first child's deadline, or (no timeout) for ever (-1).
int wait_ms(const std::vector<Child>& running, double timeout) {
  int wait = -1;
  if (timeout <= 0) return wait;
  const auto now = Clock::now();
  for (const Child& c : running) {
    const auto left = std::chrono::duration<double>(timeout).count() - std::chrono::duration<double>(now - c.started).count();
    const int ms = left <= 0 ? 0 : static_cast<int>(std::min(left * 1000 + 1, 1e9));
    wait = wait < 0 ? ms : std::min(wait, ms);
  }
  return wait;
}

// Reads what the child wrote (poll said `revents`), or kills it past its deadline. True when
// the child has ended: its pipe closed, or it was killed.
bool read_or_expire(Child& c, short revents, Clock::time_point now, double timeout) {
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    char buf[4096];
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) c.output.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) return true;
  }
  if (timeout > 0 && std::chrono::duration<double>(now - c.started).count() >= timeout) {
    c.timed_out = true;
    ::kill(c.pid, SIGKILL);
    return true;
  }
  return false;
}

// Collects an ended child: its report, or what the parent knows of it when it reported nothing.
RunReport reap(const Child& c, Clock::time_point now, double timeout) {
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  ::close(c.fd);
  RunReport r;
  const std::string line = c.output.substr(0, c.output.find('\n'));
  if (c.timed_out || !decode(line, r)) r = unheard(c, status, c.options, timeout);
  r.seconds = std::chrono::duration<double>(now - c.started).count();
  return r;
}

// Stops the runs in flight; they are not reported.
void stop_all(std::vector<Child>& running) {
  for (Child& c : running) {
    ::kill(c.pid, SIGKILL);
    ::waitpid(c.pid, nullptr, 0);
    ::close(c.fd);
  }
  running.clear();
}

}  // namespace

Verdict verdict_of(const RunReport& r) {
  if (r.end != RunReport::End::finished) return Verdict::error;
  if (r.exit_code == lua::kExitOk) return Verdict::passed;
  if (r.exit_code == lua::kExitViolation) return Verdict::failed;
  return Verdict::error;
}

size_t ChildRuns::run(size_t count, const std::function<lua::RunOptions(size_t)>& options_of,
                      const std::function<bool(size_t, const RunReport&)>& done) {
  std::cout.flush();
  std::cerr.flush();
  std::vector<Child> running;
  size_t next = 0, reported = 0;
  bool stopping = false;
  while ((next < count && !stopping) || !running.empty()) {
    for (; !stopping && next < count && running.size() < jobs_; ++next)
      running.push_back(start_child(runner_, next, options_of(next), running));
    // Wait for output, or for the first deadline.
    std::vector<pollfd> polls;
    for (const Child& c : running) polls.push_back(pollfd{c.fd, POLLIN, 0});
    if (::poll(polls.data(), polls.size(), wait_ms(running, timeout_)) < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    const auto now = Clock::now();
    for (size_t i = polls.size(); i-- > 0;) {
      if (!read_or_expire(running[i], polls[i].revents, now, timeout_)) continue;
      const RunReport r = reap(running[i], now, timeout_);
      const size_t index = running[i].index;
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      ++reported;
      if (!done(index, r)) {
        stopping = true;
        stop_all(running);
        break;
      }
    }
  }
  return count - reported;
}

}  // namespace sim::cli
