#pragma once
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <unistd.h>

namespace sim::cli {

// Writes to a temporary file beside the target and renames it into place when done, so a
// reader never sees half a file and an interrupted run leaves the old file untouched.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target)
      : target_(std::move(target)), temp_(target_.string() + fmt::format(".tmp-{}", ::getpid())) {
    out_.open(temp_, std::ios::binary | std::ios::trunc);
  }
  ~AtomicFile() {
    if (!committed_) {
      out_.close();
      std::error_code ec;
      std::filesystem::remove(temp_, ec);
    }
  }
  bool ok() const { return out_.good(); }
  std::ostream& stream() { return out_; }
  bool commit() {
    out_.close();
    if (!out_) return false;
    std::error_code ec;
    std::filesystem::rename(temp_, target_, ec);
    committed_ = !ec;
    return committed_;
  }

 private:
  std::filesystem::path target_, temp_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace sim::cli
