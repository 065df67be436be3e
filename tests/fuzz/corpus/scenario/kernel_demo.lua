-- The kernel on its own: three test nodes ping each other over a simulated network while
-- faults come and go. No Kafka yet; this is the example `scripts/run` uses until the broker
-- model exists. Try: build/kafkasim run scenarios/kernel_demo.lua --seed 3 --trace /tmp/t.jsonl

scenario {
  name = "Kernel demo: pings through crashes, partitions and pauses",
  description = [[Three nodes ping each other every 100 ms and log each pong to disk, flushing
once a second. A crash loses the unflushed pongs; a partition breaks connections; a pause
holds a node's arrivals and timers until it resumes.]],
  seed = 1,
  duration = param("duration", "20s"),
}

local t = testbed {
  nodes = { "a", "b", "c" },
  racks = { "r1", "r1", "r2" },
  network = { latency = "1ms", jitter = "200us", between_racks = "5ms" },
  interval = "100ms",
  flush = "1s",
}

at("2500ms", function()
  local s = t:stats("a")
  note("a crashes with " .. s.logged - s.durable .. " pongs not yet flushed")
  t:crash("a")
end)

at("4s", function()
  t:restart("a")
  note("a restarts and recovers " .. t:stats("a").recovered .. " pongs from disk")
end)

at("6s", function()
  note("c is cut off from a and b")
  t:partition({ "a", "b" }, { "c" })
  assert(not t:reachable("a", "c"), "a should not reach c")
end)

at("9s", function()
  t:heal()
  note("the network heals")
end)

at("12s", function()
  note("b pauses for 2s (a GC pause)")
  t:pause("b", "2s")
end)

every("5s", function()
  local s = t:stats("c")
  log("c has received " .. s.pongs .. " pongs, " .. s.disconnects .. " disconnects")
end)
