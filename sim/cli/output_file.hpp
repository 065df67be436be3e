#pragma once
// The files a command writes (--trace, --history, --json, --junit), checked before any work
// starts and written so that nothing of the user's is lost:
// - a regular file is written to a temporary created beside it (mkstemp: a new file, never
//   one a planted symlink points at) and renamed into place only when the command commits;
//   until then an existing file is untouched, and a run that fails leaves it as it was;
//   without --force, a file that appeared there meanwhile is not replaced either;
// - a device or a FIFO (/dev/null, a named pipe) is written directly, and "-" is standard
//   output, as Unix tools do;
// - an output never replaces an input of the command, nor another output, even with --force.
#include <filesystem>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

namespace sim::cli {

class OutputFile {
 public:
  // `option` names the output in messages ("--trace"). Opens it; ok() says whether it can be
  // written, error() why not.
  OutputFile(std::string option, const std::string& target, bool force);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool to_stdout() const { return kind_ == Kind::stdout_; }
  std::ostream& stream() { return *stream_; }

  // Puts the output in place (renames the temporary over the target); false, with error(), when
  // writing failed.
  bool commit();
  // Drops what was written; the target is left as it was.
  void discard();

 private:
  enum class Kind { regular, direct, stdout_ };
  std::string option_;
  std::filesystem::path target_, temp_;
  bool force_ = false;
  Kind kind_ = Kind::regular;
  int fd_ = -1;
  int emergency_slot_ = -1;
  bool done_ = false;
  std::string error_;
  std::unique_ptr<std::streambuf> buf_;
  std::unique_ptr<std::ostream> stream_;
};

// The paths of one command: inputs it reads and outputs (option, path) it writes. Returns why
// they cannot go together (an output that is an input, two outputs on one file), or "".
std::string check_paths(const std::vector<std::string>& inputs, const std::vector<std::pair<std::string, std::string>>& outputs);

// The outputs of one command, in the order it names them; null where an option was not given.
using Outputs = std::vector<std::unique_ptr<OutputFile>>;

// Opens every output a command names (option, path; an empty path is not given), after checking
// that none is an input or another output. Returns a usage message when one cannot be written,
// before any work starts.
std::string open_outputs(const std::vector<std::string>& inputs, const std::vector<std::pair<std::string, std::string>>& named,
                         bool force, Outputs& out);
// Puts every output in place; false (having said why on standard error) when one could not be written.
bool commit_outputs(Outputs& outputs);
// Drops every output: each target is left as it was.
void discard_outputs(Outputs& outputs);
// Whether one of the outputs is standard output (the command's summary then goes to standard error).
bool any_to_stdout(const Outputs& outputs);

}  // namespace sim::cli
