-- Spring Kafka's DefaultErrorHandler with a FixedBackOff and the DeadLetterPublishingRecoverer,
-- under a poison pill: one record whose handler always throws. It is delivered three times,
-- 200 ms apart, while the records behind it on its partition wait; then it is published to
-- orders.DLT with Spring's kafka_dlt-* headers, its offset is committed past it, and the
-- partition goes on. The handler also forwards every good record to orders.out with
-- app:send, keeping the record's own headers: the member's hosted producer (KafkaTemplate).
scenario {
  name = "A poison pill: retried with back off, then dead-lettered",
  description = [[The listener of group "shipping" throws on the record "pill" (the 4th of 8 on
orders-0). With error_handler = { backoff = { interval = "200ms", max_attempts = 2 },
dead_letter = true } the pill is handled three times, at least 200 ms apart, no later record of
orders-0 is handled meanwhile, and the pill then lands in orders.DLT with the original topic,
offset and exception in its headers. Group "audit" reads orders.DLT and orders.out.

**What you will see:** the pill delivered three times (two `listener.retry` events), at least
200 ms apart, and no later record of orders-0 handled meanwhile (the partition waits behind it); then
`listener.recovered` and the pill on `orders.DLT` with Spring's `kafka_dlt-*` headers. The other
records flow on.

**Why:** Spring's DefaultErrorHandler seeks back to a failed record and retries it by the back
off; without a recoverer a poison pill would block its partition for every retry (ten by
default) and then be skipped silently.

**The fix:** bound the retries and dead-letter the record (`dead_letter = true`), then alert on
and replay the DLT.]],
  seed = 11,
  duration = "20s",
  drain = "5s",
  kafka_version = "3.9",
}

-- Every order reaches the shipping group's application: seven are processed, the pill is
-- recovered (dead-lettered and acknowledged, as Spring's container does), which the check
-- counts as handled and names apart. What its listener published, through its process's
-- producer, reaches the audit group.
expect { group = "shipping", delivery = "at-least-once" }
expect { group = "audit", delivery = "at-least-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("orders", { partitions = 1, replication_factor = 3 })
c:topic("orders.DLT", { partitions = 1, replication_factor = 3 })
c:topic("orders.out", { partitions = 1, replication_factor = 3 })
local p = c:producer("shop", { acks = "all" })

local handled = {}   -- { value, at } of every run of the handler, in order
local g = c:group("shipping", {
  topics = { "orders" }, commit = "RECORD", processing_time = "2ms",
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s", ["fetch.max.wait.ms"] = 50,
  error_handler = { backoff = { interval = "200ms", max_attempts = 2 }, dead_letter = true },
  on_record = function(rec, app)
    handled[#handled + 1] = { value = rec.value, at = now() }
    if rec.value == "pill" then
      local deliveries = 0
      for _, h in ipairs(handled) do deliveries = deliveries + (h.value == "pill" and 1 or 0) end
      note("the listener throws on the pill (delivery " .. deliveries .. " of 3); "
           .. (deliveries < 3 and "orders-0 waits behind it" or "the back off is spent: it goes to orders.DLT"))
      error("cannot ship " .. rec.key)
    end
    app:send("orders.out", { key = rec.key, value = rec.value, headers = rec.headers })
  end,
})

local seen = {}      -- topic -> list of { value, headers } the audit group read
c:group("audit", {
  topics = { "orders.DLT", "orders.out" }, commit = "RECORD", processing_time = "1ms",
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s",
  on_record = function(rec)
    local list = seen[rec.topic] or {}
    seen[rec.topic] = list
    list[#list + 1] = { value = rec.value, headers = rec.headers }
  end,
})

at("1s", function()
  note("eight orders on orders-0; the 4th is a poison pill")
  for i = 1, 8 do
    local v = i == 4 and "pill" or ("order-" .. i)
    p:send("orders", { key = "k" .. i, value = v, headers = { { "source", "web" } } })
  end
end)

-- The value of the first header named `key` in a { {k, v}, ... } list, or nil.
local function header(headers, key)
  for _, h in ipairs(headers) do
    if h[1] == key then return h[2] end
  end
end

at("15s", function()
  local pill, first_after = {}, nil
  for _, h in ipairs(handled) do
    if h.value == "pill" then pill[#pill + 1] = h.at
    elseif #pill > 0 and h.value == "order-5" and not first_after then first_after = h.at end
  end
  check("the pill is handled three times (one delivery, two retries)", #pill == 3, #pill .. " times")
  local gaps = true
  for i = 2, #pill do
    local gap = pill[i] - pill[i - 1]
    if gap < 200 or gap > 300 then gaps = false end
  end
  check("each retry comes after the 200 ms back off", gaps)
  check("the partition waits behind the pill", first_after ~= nil and first_after > pill[#pill],
        string.format("order-5 at %s, the last try at %s", tostring(first_after), tostring(pill[#pill])))

  local dlt = seen["orders.DLT"] or {}
  check("the pill is in orders.DLT, once", #dlt == 1 and dlt[1].value == "pill", #dlt .. " records")
  if #dlt == 1 then
    local h = dlt[1].headers
    check("its own headers come along", header(h, "source") == "web")
    check("Spring's headers name where it came from", header(h, "kafka_dlt-original-topic") == "orders"
          and header(h, "kafka_dlt-original-offset") == "\0\0\0\0\0\0\0\3"
          and header(h, "kafka_dlt-original-consumer-group") == "shipping")
    check("and the exception", header(h, "kafka_dlt-exception-fqcn") ==
          "org.springframework.kafka.listener.ListenerExecutionFailedException"
          and (header(h, "kafka_dlt-exception-message") or ""):find("cannot ship k4", 1, true) ~= nil)
  end
  local out = seen["orders.out"] or {}
  local web = 0
  for _, r in ipairs(out) do
    if header(r.headers, "source") == "web" then web = web + 1 end
  end
  check("the seven good orders were forwarded with app:send, headers kept", #out == 7 and web == 7,
        #out .. " forwarded, " .. web .. " with their headers")
  check("the offset is committed past the pill", g:committed("orders", 0) == 8, tostring(g:committed("orders", 0)))
end)
