-- Ground-truth checks over the cluster's final state, shared by the failure-mode scenarios.
-- (The checker arrives with sim/check; until then scenarios compute these themselves.)
local M = {}

-- The set of values in partition p of topic, on any broker's log.
local function values_anywhere(c, topic, p)
  local set = {}
  for _, b in ipairs(c:brokers()) do
    for _, r in ipairs(c:log(b, topic, p)) do set[r.value] = true end
  end
  return set
end

-- Acknowledged records of `producers` that no broker's log holds.
function M.lost(c, producers, topic)
  local lost, present = {}, {}
  for _, pr in ipairs(producers) do
    for _, a in ipairs(pr:acked()) do
      if a.topic == topic then
        present[a.partition] = present[a.partition] or values_anywhere(c, topic, a.partition)
        if not present[a.partition][a.value] then lost[#lost + 1] = a end
      end
    end
  end
  return lost
end

-- Values that occur more than once in partition p's log on broker b.
function M.duplicates(c, b, topic, partitions)
  local dups = {}
  for p = 0, partitions - 1 do
    local seen = {}
    for _, r in ipairs(c:log(b, topic, p)) do
      if seen[r.value] then dups[#dups + 1] = { partition = p, value = r.value, offset = r.offset } end
      seen[r.value] = true
    end
  end
  return dups
end

-- Pairs of one producer's acknowledged records with the same key where the record sent later
-- got the lower offset (Jepsen's nonmonotonic-send). Values are "<producer>-<op>".
function M.reorderings(producer)
  local by_key = {}
  for _, a in ipairs(producer:acked()) do
    if a.key and a.offset >= 0 then
      local op = tonumber(a.value:match("-(%d+)$"))
      local list = by_key[a.key] or {}
      list[#list + 1] = { op = op, offset = a.offset, partition = a.partition }
      by_key[a.key] = list
    end
  end
  local found = {}
  for key, list in pairs(by_key) do
    table.sort(list, function(x, y) return x.op < y.op end)
    for i = 2, #list do
      if list[i].partition == list[i - 1].partition and list[i].offset < list[i - 1].offset then
        found[#found + 1] = { key = key, earlier_op = list[i - 1].op, later_op = list[i].op }
      end
    end
  end
  return found
end

-- The first offset at which two brokers' logs of a partition hold different records, or nil.
function M.divergence(c, b1, b2, topic, p)
  local a, b = c:log(b1, topic, p), c:log(b2, topic, p)
  local by_offset = {}
  for _, r in ipairs(b) do by_offset[r.offset] = r.value end
  for _, r in ipairs(a) do
    local other = by_offset[r.offset]
    if other and other ~= r.value then return r.offset, r.value, other end
  end
  return nil
end

-- How many times the group processed each value.
function M.processing_counts(g)
  local counts = {}
  for _, r in ipairs(g:processed()) do counts[r.value] = (counts[r.value] or 0) + 1 end
  return counts
end

-- Values the group processed more than once.
function M.reprocessed(g)
  local out = {}
  for value, n in pairs(M.processing_counts(g)) do
    if n > 1 then out[#out + 1] = { value = value, times = n } end
  end
  return out
end

-- Acknowledged records of `producers` on `topic` that the group never processed.
function M.never_processed(g, producers, topic)
  local counts = M.processing_counts(g)
  local out = {}
  for _, pr in ipairs(producers) do
    for _, a in ipairs(pr:acked()) do
      if a.topic == topic and not counts[a.value] then out[#out + 1] = a end
    end
  end
  return out
end

function M.describe(records, n)
  local out = {}
  for i = 1, math.min(#records, n or 5) do
    local r = records[i]
    out[#out + 1] = string.format("%s@%s-%d", r.value, r.topic or "?", r.partition or -1)
  end
  if #records > (n or 5) then out[#out + 1] = "..." end
  return table.concat(out, ", ")
end

return M
