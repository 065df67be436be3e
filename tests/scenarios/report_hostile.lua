-- A scenario whose every string a report shows is hostile: markup that would run if it were
-- put into the page as HTML, a quote that would end an attribute, control bytes and invalid
-- UTF-8. The report must show each as text and run none (tests/unit/report_test.cpp and the
-- browser test read its report). It also has one fault of each kind a band is drawn for.
local evil = "<script>window.__pwned=1</script>\"><img src=x onerror=\"window.__pwned=1\">\1\2\27[31m\255\254"

scenario {
  name = "hostile " .. evil,
  description = "A **hostile** description: " .. evil .. "\n\n- `code " .. evil .. "`\n- </script><script>window.__pwned=1</script>",
  seed = 1,
  duration = "12s",
  drain = "3s",
  kafka_version = "3.9",
}

local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "500us" }, broker = { ["flush.messages"] = 1 } }
c:topic("orders", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("writer", { acks = "all" })
c:group("readers", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest" })
expect { producer = "writer", lost_acked_writes = 0 }

at("1s", function()
  note("note " .. evil)
  for i = 1, 20 do p:send("orders", { key = "key " .. evil .. i, value = "value " .. evil .. i }) end
  p:load { topic = "orders", rate = 200, keys = 4, count = 1000 }
end)

at("3s", function()
  note("a follower crashes, then the network splits: " .. evil)
  c:crash(3)
  after("2s", function() c:restart(3) end)
end)
at("5500ms", function() c:slow_disk(1, "2ms") end)
at("6s", function() c:partition({ 1, 2 }, { 3 }) end)
at("7s", function() c:heal(); c:slow_network { from = 1, to = 2, latency = "20ms" } end)
at("8s", function() c:pause(2); after("500ms", function() c:resume(2) end) end)
at("9s", function() c:isolate(3); after("1s", function() c:heal() end) end)
