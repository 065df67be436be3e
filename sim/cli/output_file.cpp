#include "sim/cli/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "sim/emergency.hpp"

namespace sim::cli {

namespace {

// A stream buffer over a file descriptor, remembering whether any write failed.
class FdBuf final : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd), buffer_(1 << 16) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  bool failed() const { return failed_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    size_t left = static_cast<size_t>(pptr() - pbase());
    while (left > 0 && !failed_) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        break;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return !failed_;
  }

  int fd_;
  std::vector<char> buffer_;
  bool failed_ = false;
};

std::string why(int err) { return std::strerror(err); }

// Renames the temporary over the target; without --force only while no file is there, so that
// one that appeared during the run (a parallel run's) is not replaced: fails with EEXIST.
int put_in_place(const char* temp, const char* target, bool force) {
  if (force) return ::rename(temp, target);
  if (::renameat2(AT_FDCWD, temp, AT_FDCWD, target, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // A filesystem without RENAME_NOREPLACE: link() refuses an existing name as well.
  if (::link(temp, target) != 0) return -1;
  return ::unlink(temp);
}

mode_t current_umask() {
  const mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

}  // namespace

OutputFile::OutputFile(std::string option, const std::string& target, bool force)
    : option_(std::move(option)), target_(target), force_(force) {
  if (target == "-") {
    kind_ = Kind::stdout_;
    stream_ = std::make_unique<std::ostream>(std::cout.rdbuf());
    return;
  }
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0 && ::lstat(target.c_str(), &st) == 0 && !force) {
    // A symlink to nothing is there all the same: replacing it is overwriting.
    error_ = fmt::format("{} {}: a symbolic link is there; kafkasim does not overwrite files without --force", option_, target);
    return;
  }
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      error_ = fmt::format("{} {}: is a folder; name a file", option_, target);
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      // A device or a pipe: written as it is, never replaced by a regular file.
      kind_ = Kind::direct;
      fd_ = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) error_ = fmt::format("{} {}: cannot write it ({})", option_, target, why(errno));
    } else if (!force) {
      error_ = fmt::format("{} {}: the file exists; kafkasim does not overwrite files without --force", option_, target);
      return;
    }
  }
  if (kind_ == Kind::regular) {
    std::filesystem::path dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    struct stat ds {};
    if (::stat(dir.c_str(), &ds) != 0 || !S_ISDIR(ds.st_mode)) {
      error_ = fmt::format("{} {}: the folder {} does not exist", option_, target, dir.string());
      return;
    }
    std::string templ = (dir / ("." + target_.filename().string() + ".XXXXXX")).string();
    fd_ = ::mkstemp(templ.data());  // O_CREAT | O_EXCL: a new file, whatever the name pointed at
    if (fd_ < 0) {
      error_ = fmt::format("{} {}: cannot write in {} ({})", option_, target, dir.string(), why(errno));
      return;
    }
    ::fchmod(fd_, 0666 & ~current_umask());  // mkstemp makes it private; outputs are ordinary files
    temp_ = templ;
    emergency_slot_ = register_temporary(temp_.c_str());
  }
  if (fd_ >= 0) {
    buf_ = std::make_unique<FdBuf>(fd_);
    stream_ = std::make_unique<std::ostream>(buf_.get());
  }
}

OutputFile::~OutputFile() {
  if (!done_) discard();
}

bool OutputFile::commit() {
  if (done_ || !ok()) return false;
  done_ = true;
  stream_->flush();
  if (kind_ == Kind::stdout_) return static_cast<bool>(std::cout);
  const bool write_failed = static_cast<FdBuf&>(*buf_).failed() || !*stream_;
  const bool close_failed = ::close(fd_) != 0;
  fd_ = -1;
  if (write_failed || close_failed) {
    error_ = fmt::format("{} {}: writing it failed", option_, target_.string());
    if (kind_ == Kind::regular) ::unlink(temp_.c_str());
  } else if (kind_ == Kind::regular && put_in_place(temp_.c_str(), target_.c_str(), force_) != 0) {
    error_ = errno == EEXIST ? fmt::format("{} {}: a file appeared there during the run; kafkasim does not overwrite files "
                                           "without --force", option_, target_.string())
                             : fmt::format("{} {}: cannot put it in place ({})", option_, target_.string(), why(errno));
    ::unlink(temp_.c_str());
  }
  unregister_temporary(emergency_slot_);
  return error_.empty();
}

void OutputFile::discard() {
  if (done_) return;
  done_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (kind_ == Kind::regular && !temp_.empty()) ::unlink(temp_.c_str());
  unregister_temporary(emergency_slot_);
}

namespace {

// Two paths name one file: the same inode when both exist, else the same place once
// symlinks and ".." are resolved.
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  std::error_code ea, eb;
  const auto ca = std::filesystem::weakly_canonical(a, ea), cb = std::filesystem::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

}  // namespace

std::string check_paths(const std::vector<std::string>& inputs, const std::vector<std::pair<std::string, std::string>>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [option, path] = outputs[i];
    if (path.empty()) continue;
    for (const std::string& in : inputs) {
      if (path != "-" && same_file(path, in)) {
        return fmt::format("{} {}: that is an input of this command; kafkasim never writes over its input, even with --force",
                           option, path);
      }
    }
    for (size_t k = 0; k < i; ++k) {
      const auto& [other, other_path] = outputs[k];
      if (other_path.empty()) continue;
      if ((path == "-" && other_path == "-") || (path != "-" && other_path != "-" && same_file(path, other_path))) {
        return fmt::format("{} and {} name the same file ({}); give each output its own", other, option, path);
      }
    }
  }
  return {};
}

std::string open_outputs(const std::vector<std::string>& inputs, const std::vector<std::pair<std::string, std::string>>& named,
                         bool force, Outputs& out) {
  if (std::string clash = check_paths(inputs, named); !clash.empty()) return clash;
  for (const auto& [option, path] : named) {
    if (path.empty()) {
      out.push_back(nullptr);
      continue;
    }
    out.push_back(std::make_unique<OutputFile>(option, path, force));
    if (!out.back()->ok()) return out.back()->error();
  }
  return {};
}

bool commit_outputs(Outputs& outputs) {
  bool ok = true;
  for (auto& o : outputs) {
    if (o && !o->commit()) {
      std::cerr << "kafkasim: " << o->error() << "\n";
      ok = false;
    }
  }
  return ok;
}

void discard_outputs(Outputs& outputs) {
  for (auto& o : outputs)
    if (o) o->discard();
}

bool any_to_stdout(const Outputs& outputs) {
  for (const auto& o : outputs)
    if (o && o->to_stdout()) return true;
  return false;
}

}  // namespace sim::cli
