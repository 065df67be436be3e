-- Failure mode: when the ISR shrinks below min.insync.replicas, acks=all writes are refused
-- with NOT_ENOUGH_REPLICAS before they are appended. Availability is lost; durability is not.
scenario {
  name = "acks=all fails with NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas",
  description = [[Both followers of every partition are cut off from the leader (but not from
the controller). After replica.lag.time.max.ms the leader shrinks the ISR to itself; from then
on acks=all writes fail with NOT_ENOUGH_REPLICAS and nothing unreplicated is acknowledged.

**What you will see:** `ledger-writer-no-retries` fails at once with `NOT_ENOUGH_REPLICAS`;
`ledger-writer` (default retries) retries until `delivery.timeout.ms` and fails with a timeout
whose cause is `NOT_ENOUGH_REPLICAS` (`p:stats().causes`). In the report the ISR shrinks to the
leader, then grows back when the network heals; `lost_acked_writes = 0` holds.

**Why:** with the ISR below `min.insync.replicas` an acks=all write would be on one replica
only, so the leader refuses it before appending. Kafka chooses durability over availability.

**The fix:** this is the protection working; the lesson is what the application must handle.
Alert on under-min-ISR partitions, and treat a send's failure as "not written" (retry later,
or fail the request upstream).]],
  seed = 11,
  duration = "60s",
  kafka_version = "3.9",
}

-- Refused writes are not acknowledged, so nothing acknowledged is lost: ground truth, from the
-- replicas' final logs.
expect { lost_acked_writes = 0 }

local c = cluster {
  brokers = 3,
  network = { latency = "1ms" },
  broker = { ["replica.lag.time.max.ms"] = "5s" },
}
c:topic("ledger", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 2 })
-- Two applications: one with Kafka's default retries, which keeps retrying the refused
-- writes until delivery.timeout.ms, and one with retries = 0, which sees the error at once.
-- Both use a short request.timeout.ms: requests already waiting at the leader for replicas
-- that stopped fetching would otherwise hold every later send back for 30 s.
local p = c:producer("ledger-writer", {
  acks = "all", ["request.timeout.ms"] = "3s", ["delivery.timeout.ms"] = "8s",
})
local p0 = c:producer("ledger-writer-no-retries", { acks = "all", retries = 0, ["request.timeout.ms"] = "3s" })

at("2s", function()
  p:load { topic = "ledger", rate = 200, keys = 5 }
  p0:load { topic = "ledger", rate = 50, keys = 5 }
end)

local leader
at("10s", function()
  leader = c:leader("ledger", 0)
  local followers = {}
  for _, b in ipairs(c:brokers()) do if b ~= leader then followers[#followers + 1] = b end end
  note("the followers " .. table.concat(followers, ",") .. " are cut off from leader " .. leader)
  c:partition({ leader }, followers)
end)

at("30s", function()
  check("the ISR shrank to the leader alone", #c:isr("ledger", 0) == 1 and c:isr("ledger", 0)[1] == leader,
        "isr = {" .. table.concat(c:isr("ledger", 0), ",") .. "}")
  local s, s0 = p:stats(), p0:stats()
  check("acks=all sends fail with NOT_ENOUGH_REPLICAS", (s0.errors.NOT_ENOUGH_REPLICAS or 0) > 0,
        (s0.errors.NOT_ENOUGH_REPLICAS or 0) .. " sends failed at once with NOT_ENOUGH_REPLICAS (retries = 0)")
  check("with retries they time out after NOT_ENOUGH_REPLICAS", (s.causes.NOT_ENOUGH_REPLICAS or 0) > 0,
        (s.causes.NOT_ENOUGH_REPLICAS or 0) .. " sends expired after retrying NOT_ENOUGH_REPLICAS")
  c:heal()
  note("the network heals; the followers catch up and rejoin the ISR")
end)

at("59s", function()
  check("the ISR is whole again", #c:isr("ledger", 0) == 3, "isr = {" .. table.concat(c:isr("ledger", 0), ",") .. "}")
end)
