#pragma once
// The sandbox's last line: a CPU-time limit on one call from the simulator into Lua.
//
// The instruction budget meters Lua instructions, the library functions that can run long and
// the bytes allocated, deterministically. A few costs escape it (comparing two very long
// strings is one instruction). The watchdog catches those: the process's CPU clock ticks
// (SIGPROF, every 1/10 s of CPU), and a call that is still running after its limit is flagged;
// the instruction hook then ends the run at its next tick, naming the line. A call stuck where
// no hook runs is ended by the process itself a few seconds later (emergency_exit, exit code 2).
// Only a runaway script can trip it, so its wall-clock nature never changes a healthy run.
namespace sim::lua::watchdog {

// A call into Lua begins (nested calls are part of the outermost) / ends.
void enter(double limit_seconds);
void leave();
// Whether the current call has run past its limit.
bool expired();

}  // namespace sim::lua::watchdog
