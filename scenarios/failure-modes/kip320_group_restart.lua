-- KIP-320: a committed offset carries the leader epoch of the record before it, and a consumer
-- checks it against the partition's leader (OffsetsForLeaderEpoch) before its first fetch. After
-- an unclean election whose new leader's log ends below the committed offset, a restarted group
-- resumes where the logs diverge, instead of fetching past the end, getting OFFSET_OUT_OF_RANGE
-- and going back to auto.offset.reset's start.
scenario {
  name = "A restarted group resumes where the logs diverge",
  description = [[A group reads orders-0 to offset 10 and commits it. Broker 3 missed offsets 5 to 9
(it was down); brokers 1 and 2 crash and broker 3 is elected uncleanly, then takes three new
records at offsets 5 to 7. The group's member, restarted, finds its committed offset 10 past the
new leader's end: the leader says the committed epoch ends at offset 5, and the member reads
from there, the new records once and nothing it had read before the divergence again.]],
  seed = 1,
  duration = "60s",
  kafka_version = "3.9",
}

local c = cluster {
  brokers = 4,
  network = { latency = "1ms" },
  broker = { ["flush.messages"] = 1, ["offsets.topic.num.partitions"] = 1, ["offsets.topic.replication.factor"] = 1 },
}
-- The group's coordinator and its committed offsets live on broker 4, which nothing touches.
c:topic("__consumer_offsets", { partitions = 1, replicas = { { 4 } } })
c:topic("orders", { partitions = 1, replicas = { { 1, 2, 3 } }, ["unclean.leader.election.enable"] = true })
local p = c:producer("app", { acks = "all" })
local g = c:group("readers", { members = 1, topics = { "orders" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })

at("1s", function() for i = 1, 5 do p:send("orders", { value = "a" .. i }) end end)
at("3s", function() note("broker 3 crashes and misses what follows") c:crash(3) end)
at("4s", function() for i = 1, 5 do p:send("orders", { value = "b" .. i }) end end)
at("20s", function()
  check("the group committed offset 10", g:committed("orders", 0) == 10, tostring(g:committed("orders", 0)))
  note("the member closes; brokers 1 and 2 crash; broker 3 returns")
  g:member(1):leave()
  c:crash(1)
  c:crash(2)
  c:restart(3)
end)
at("30s", function()
  check("broker 3 leads orders-0", c:leader("orders", 0) == 3, tostring(c:leader("orders", 0)))
  local late = c:producer("app-2", { acks = "all" })
  for i = 1, 3 do late:send("orders", { value = "c" .. i }) end
end)
at("35s", function() note("the member restarts") g:member(1):restart() end)
at("55s", function()
  local after = {}
  for _, r in ipairs(g:processed()) do
    if r.time > 35000 then after[#after + 1] = r end
  end
  check("it resumed at the divergence point", #after > 0 and after[1].offset == 5 and after[1].value == "c1",
        #after > 0 and ("first " .. after[1].offset .. " " .. after[1].value) or "nothing read")
  check("and read each new record once", #after == 3, #after .. " records")
  check("the truncation was detected", g:stats().truncations == 1, g:stats().truncations .. " truncations")
end)
