-- auto.offset.reset decides where a group without committed offsets starts: "latest" (Kafka's
-- default) at the end of the log, missing everything produced before it joined; "earliest" at
-- the start.
scenario {
  name = "auto.offset.reset=latest misses records produced before the group joined",
  description = [[5,000 records are produced before two new groups subscribe: one with
auto.offset.reset=latest, one with earliest. The latest group starts at the end and sees only
what comes later; the earliest group processes everything.

**What you will see:** the `latest` group processes only records produced after it joined; the
`earliest` group all 5,000 earlier ones too.

**Why:** `auto.offset.reset` applies when a group has no committed offset: `latest` starts at
the log's end, skipping everything before.

**The fix:** `earliest` for a new group that must see the history (or commit an offset for it
before it starts); `latest` only where the past does not matter.]],
  seed = 14,
  duration = "40s",
  kafka_version = "3.9",
}

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("signups", { partitions = 3, replication_factor = 3 })
local p = c:producer("web", {})
local before, late, early = 5000, nil, nil

at("1s", function() p:load { topic = "signups", rate = 1000, keys = 10, count = before } end)
at("10s", function()
  note("two new groups subscribe; 1,000 more records follow")
  late = c:group("mailer", { members = 1, topics = { "signups" }, commit = "after-process", ["auto.offset.reset"] = "latest" })
  early = c:group("audit", { members = 1, topics = { "signups" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })
end)
at("20s", function() p:load { topic = "signups", rate = 200, keys = 10, count = 1000 } end)

at("39s", function()
  local late_n, early_n = late:stats().processed, early:stats().processed
  check("latest misses the records produced before it joined", late_n == 1000, late_n .. " processed of 6000")
  check("earliest processes every record", early_n == before + 1000, early_n .. " processed of 6000")
end)
