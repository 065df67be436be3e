#pragma once
// Errors that end a run, and the exit codes they map to (docs/cli.md).
#include <stdexcept>
#include <string>

namespace sim::lua {

enum ExitCode : int {
  kExitOk = 0,
  kExitViolation = 1,  // an expectation failed
  kExitInvalid = 2,    // the scenario or input is invalid
  kExitUsage = 64,     // bad command line
  kExitInternal = 70,  // a bug in kafkasim
  kExitIoError = 74,   // an output could not be written once the work was done (sysexits' EX_IOERR)
};

// A problem with the scenario: its message already names file:line where one is known.
struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A problem with the command line (e.g. --set of a param the scenario does not have).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace sim::lua
