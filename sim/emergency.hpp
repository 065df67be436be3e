#pragma once
// The last resort when the process must stop at once, from a signal handler: a message, the
// removal of temporary output files not yet renamed into place, and _exit. Nothing else runs,
// so the user's files are never left half-written and no temporary is left behind, also when
// a signal (Ctrl-C, a closed pipe) ends the process.
namespace sim {

// Registers a temporary file to remove on an emergency exit (copies the path; at most 16 at
// once, further ones are not registered). Returns a slot for unregister_temporary, or -1.
int register_temporary(const char* path);
void unregister_temporary(int slot);
// Drops every registration without removing a file: for a child of fork(), whose registrations
// are copies of its parent's. The parent commits or removes those files; a child that ends by
// emergency_exit must leave them alone.
void forget_temporaries();

// Writes `message` to standard error, removes the registered temporaries and exits with
// `code`. Async-signal-safe.
[[noreturn]] void emergency_exit(int code, const char* message);

// Makes the signals that end a process (SIGHUP, SIGINT, SIGPIPE, SIGTERM) remove the registered
// temporaries first; the process still dies of the signal. A signal the process was started
// ignoring (nohup) stays ignored.
void remove_temporaries_on_fatal_signals();

}  // namespace sim
