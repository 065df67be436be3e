-- KIP-279: leader epochs as first shipped (KIP-101, OffsetsForLeaderEpoch v0) still let logs
-- diverge when leadership moves twice quickly. A follower asks the new leader where its own
-- latest epoch ends; if that leader never had the epoch, it answers with the start of its next
-- epoch, which can be past the follower's end, and the follower keeps records the leader never
-- had. KIP-279 (2.0) answers with the largest epoch both know and its end instead.
--
-- Run with --set ibp=2.0 (KIP-279) or --set ibp=3.9 (divergence found in Fetch): the logs agree.
local ibp = param("ibp", "1.1")

scenario {
  name = "KIP-279: a fast double failover makes two replicas' logs diverge",
  description = [[Brokers 1 and 2 replicate orders-0 (broker 1 leads, epoch 1). m1 is on both.
m2 is written to broker 1 only (acks=1) and broker 1 crashes. Broker 2 leads in epoch 2 and takes
m3 at the same offset. Broker 2 crashes; broker 1 returns and is elected uncleanly in epoch 3 and
takes m4. Broker 2 returns and asks broker 1 where epoch 2 ends.]],
  seed = 1,
  duration = "30s",
  kafka_version = "3.9",
}

-- The checker compares the replicas' final logs below their high watermarks.
if ibp == "1.1" then expect_anomaly "replica-divergence" else expect { no_anomalies = { "replica-divergence" } } end

local c = cluster {
  brokers = 2,
  network = { latency = "1ms" },
  broker = {
    ["inter.broker.protocol.version"] = ibp,
    ["unclean.leader.election.enable"] = true,
    ["flush.messages"] = 1,                  -- crashes keep the logs: this is about divergence
    ["broker.session.timeout.ms"] = "2s",
    ["broker.heartbeat.interval.ms"] = "500ms",
  },
}
c:topic("orders", { partitions = 1, replicas = { { 1, 2 } } })
local p = c:producer("writer", { acks = "1", ["enable.idempotence"] = false })

at("1s", function() p:send("orders", { partition = 0, key = "k", value = "m1" }) end)
at("2s", function()
  note("broker 2 stops hearing from broker 1; m2 reaches broker 1 only")
  c:slow_network { from = 1, to = 2, latency = "10s", one_way = true }
  p:send("orders", { partition = 0, key = "k", value = "m2" })
end)
at("2500ms", function() note("broker 1 crashes") c:crash(1) end)
at("3s", function() c:heal() end)
at("6s", function() p:send("orders", { partition = 0, key = "k", value = "m3" }) end)
at("6500ms", function() note("broker 2 crashes; broker 1 returns") c:crash(2) c:restart(1) end)
at("10s", function() p:send("orders", { partition = 0, key = "k", value = "m4" }) end)
at("11s", function() note("broker 2 returns as broker 1's follower") c:restart(2) end)

at("29s", function()
  local show = function(b)
    local vals = {}
    for _, r in ipairs(c:log(b, "orders", 0)) do vals[#vals + 1] = r.offset .. ":" .. r.value end
    return "broker " .. b .. " [" .. table.concat(vals, " ") .. "]"
  end
  note("the replicas' logs: " .. show(1) .. " / " .. show(2))
end)
