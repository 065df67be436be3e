// The leader's side of a partition: produce, serving fetches, the ISR and the high watermark.
#include <algorithm>

#include "broker_model/broker/broker.hpp"

namespace kafka {

namespace {
bool contains(const std::vector<BrokerId>& v, BrokerId b) { return std::find(v.begin(), v.end(), b) != v.end(); }

std::string ids(const std::vector<BrokerId>& v) {
  std::string s;
  for (BrokerId b : v) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}
}  // namespace

// ---- produce ----

void Broker::handle_produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req) {
  DelayedProduce d;
  d.from = from;
  d.correlation_id = req.correlation_id;
  for (const auto& pd : req.partitions) {
    ProduceResponse::PartitionResponse res{pd.topic, pd.partition, Error::NONE, -1};
    int64_t required = -1;
    auto it = replicas_.find({pd.topic, pd.partition});
    if (it == replicas_.end() || it->second.role != Replica::Role::leader) {
      res.error = it == replicas_.end() && !image_.topics.count(pd.topic) ? Error::UNKNOWN_TOPIC_OR_PARTITION
                                                                          : Error::NOT_LEADER_OR_FOLLOWER;
    } else {
      Replica& r = it->second;
      const int64_t min = std::min<int64_t>(min_isr(pd.topic), static_cast<int64_t>(r.replicas.size()));
      const auto check = r.log->check_producer(*pd.batch);
      if (req.acks == -1 && static_cast<int64_t>(r.isr.size()) < min) {
        res.error = Error::NOT_ENOUGH_REPLICAS;  // rejected before it is appended
      } else if (check.error != Error::NONE) {
        res.error = check.error;
      } else if (check.duplicate_of) {
        // A retried batch the log already has: answer with the original offsets.
        res.base_offset = *check.duplicate_of;
        required = *check.duplicate_of + pd.batch->count();
        ctx.trace("log.duplicate", {{"topic", sim::Value(pd.topic)},
                                    {"partition", sim::Value(pd.partition)},
                                    {"producer_id", sim::Value(pd.batch->producer_id)},
                                    {"base_sequence", sim::Value(pd.batch->base_sequence)},
                                    {"offset", sim::Value(res.base_offset)}});
      } else {
        BatchPtr b = r.log->append_as_leader(*pd.batch, r.leader_epoch, ctx.now().ns / 1'000'000);
        res.base_offset = b->base_offset;
        required = b->next_offset();
        ctx.trace("log.append", {{"topic", sim::Value(pd.topic)},
                                 {"partition", sim::Value(pd.partition)},
                                 {"role", sim::Value("leader")},
                                 {"base_offset", sim::Value(b->base_offset)},
                                 {"count", sim::Value(b->count())},
                                 {"leader_epoch", sim::Value(b->partition_leader_epoch)},
                                 {"producer_id", sim::Value(b->producer_id)},
                                 {"base_sequence", sim::Value(b->base_sequence)},
                                 {"leo", sim::Value(r.log->log_end_offset())}});
        maybe_flush(ctx, r);
        maybe_increment_hw(ctx, r);
        wake_parked_fetches(ctx, {pd.topic, pd.partition});
      }
    }
    d.results.push_back(res);
    d.required.push_back(res.error == Error::NONE ? required : -1);
  }
  if (req.acks == 0) return;  // no response at all
  if (req.acks == 1 || (req.acks == -1 && bugs_.acks_all_before_isr)) {
    std::fill(d.required.begin(), d.required.end(), -1);
  }
  const uint64_t id = next_delayed_++;
  d.timer = ctx.set_timer(sim::Duration::millis(req.timeout_ms), kDelayedProduceTag + id);
  delayed_.emplace(id, std::move(d));
  complete_delayed_produces(ctx);
}

void Broker::complete_delayed_produces(sim::Context& ctx) {
  std::vector<uint64_t> done;
  for (auto& [id, d] : delayed_) {
    bool all = true;
    for (size_t i = 0; i < d.results.size(); ++i) {
      if (d.required[i] < 0) continue;
      auto& res = d.results[i];
      auto it = replicas_.find({res.topic, res.partition});
      if (it == replicas_.end() || it->second.role != Replica::Role::leader) {
        res.error = Error::NOT_LEADER_OR_FOLLOWER;
        d.required[i] = -1;
        continue;
      }
      const Replica& r = it->second;
      if (r.log->high_watermark() >= d.required[i]) {
        // Partition.checkEnoughReplicasReachOffset: written everywhere the ISR says, but the
        // ISR may have shrunk below min.insync.replicas meanwhile.
        const int64_t min = std::min<int64_t>(min_isr(res.topic), static_cast<int64_t>(r.replicas.size()));
        if (static_cast<int64_t>(r.isr.size()) < min) res.error = Error::NOT_ENOUGH_REPLICAS_AFTER_APPEND;
        d.required[i] = -1;
        continue;
      }
      all = false;
    }
    if (all) done.push_back(id);
  }
  for (uint64_t id : done) finish_delayed(ctx, id, false);
}

void Broker::finish_delayed(sim::Context& ctx, uint64_t id, bool timed_out) {
  auto it = delayed_.find(id);
  if (it == delayed_.end()) return;
  DelayedProduce d = std::move(it->second);
  delayed_.erase(it);
  if (!timed_out) ctx.cancel_timer(d.timer);
  auto resp = std::make_shared<ProduceResponse>();
  resp->correlation_id = d.correlation_id;
  for (size_t i = 0; i < d.results.size(); ++i) {
    if (d.required[i] >= 0) d.results[i].error = Error::REQUEST_TIMED_OUT;  // appended, not yet replicated
    resp->partitions.push_back(d.results[i]);
  }
  ctx.send(d.from, resp);
}

// ---- the high watermark and the ISR ----

bool Broker::maybe_increment_hw(sim::Context& ctx, Replica& r) {
  if (r.role != Replica::Role::leader) return false;
  const std::string& topic = r.log->topic();
  const int64_t min = std::min<int64_t>(min_isr(topic), static_cast<int64_t>(r.replicas.size()));
  // KAFKA-15583 (3.7): the HW stands still while the ISR is below min.insync.replicas.
  if (strict_min_isr() && static_cast<int64_t>(r.isr.size()) < min) return false;
  const int64_t leo = r.log->log_end_offset();
  const sim::Duration lag = lag_max_;
  const std::vector<BrokerId> maximal = r.maximal_isr();
  int64_t hw = leo;
  for (const auto& [b, rr] : r.remotes) {
    const bool caught_up = rr.leo == leo || ctx.now() - rr.last_caught_up <= lag;
    // Replicas in the maximal ISR count; so do caught-up replicas that could join it, so the
    // HW waits for them (Partition.maybeIncrementLeaderHW).
    if (rr.leo < hw && (contains(maximal, b) || (caught_up && image_.unfenced(b)))) hw = rr.leo;
  }
  if (!r.log->maybe_increment_hw(hw)) return false;
  ctx.trace("replica.hw", {{"topic", sim::Value(topic)},
                           {"partition", sim::Value(r.log->partition())},
                           {"hw", sim::Value(r.log->high_watermark())},
                           {"leader_epoch", sim::Value(r.leader_epoch)}});
  complete_delayed_produces(ctx);
  complete_group_writes(ctx);
  wake_parked_fetches(ctx, {topic, r.log->partition()}, true);
  return true;
}

void Broker::update_follower(sim::Context& ctx, Replica& r, BrokerId follower, int64_t fetch_offset) {
  RemoteReplica& rr = r.remotes[follower];
  const int64_t leo = r.log->log_end_offset();
  // Replica.updateFetchState: a fetch that reaches the leader's end catches the follower up
  // now; one that reaches where the leader's end was at the previous fetch, then.
  if (fetch_offset >= leo) rr.last_caught_up = ctx.now();
  else if (fetch_offset >= rr.last_fetch_leader_leo) rr.last_caught_up = std::max(rr.last_caught_up, rr.last_fetch);
  rr.leo = fetch_offset;
  rr.last_fetch_leader_leo = leo;
  rr.last_fetch = ctx.now();
  maybe_expand_isr(ctx, r, follower);
  maybe_increment_hw(ctx, r);
}

void Broker::maybe_expand_isr(sim::Context& ctx, Replica& r, BrokerId follower) {
  if (r.pending_isr || r.in_isr(follower)) return;
  const RemoteReplica& rr = r.remotes[follower];
  // Partition.isFollowerInSync / canAddReplicaToIsr: caught up to the HW and into this
  // leader's epoch, and not fenced.
  if (rr.leo >= r.log->high_watermark() && rr.leo >= r.epoch_start_offset && image_.unfenced(follower)) {
    std::vector<BrokerId> isr = r.isr;
    isr.push_back(follower);
    propose_isr(ctx, r, isr);
  }
}

void Broker::check_isr_shrink(sim::Context& ctx) {
  const sim::Duration lag = lag_max_;
  for (auto& [key, r] : replicas_) {
    if (r.role != Replica::Role::leader || r.pending_isr) continue;
    const int64_t leo = r.log->log_end_offset();
    std::vector<BrokerId> keep;
    for (BrokerId b : r.isr) {
      if (b == id_) {
        keep.push_back(b);
        continue;
      }
      const RemoteReplica& rr = r.remotes[b];
      const bool caught_up = rr.leo == leo || ctx.now() - rr.last_caught_up <= lag;
      if (caught_up) keep.push_back(b);
    }
    if (keep.size() != r.isr.size()) propose_isr(ctx, r, keep);
  }
}

void Broker::propose_isr(sim::Context& ctx, Replica& r, std::vector<BrokerId> isr) {
  r.pending_isr = isr;
  auto req = std::make_shared<AlterPartitionRequest>();
  req->broker_id = id_;
  req->broker_epoch = broker_epoch_;
  req->topic = r.log->topic();
  req->partition = r.log->partition();
  req->leader_epoch = r.leader_epoch;
  req->partition_epoch = r.partition_epoch;
  req->new_isr = isr;
  ctx.trace("replica.alter_partition", {{"topic", sim::Value(req->topic)},
                                        {"partition", sim::Value(req->partition)},
                                        {"isr", sim::Value(ids(r.isr))},
                                        {"proposed", sim::Value(ids(isr))}});
  ctx.send(layout_.controller, req);
}

void Broker::handle_alter_partition_response(sim::Context& ctx, const AlterPartitionResponse& resp) {
  auto it = replicas_.find({resp.topic, resp.partition});
  if (it == replicas_.end()) return;
  Replica& r = it->second;
  r.pending_isr.reset();
  if (r.role != Replica::Role::leader) return;
  if (resp.error == Error::NONE && resp.state.leader_epoch == r.leader_epoch) {
    r.isr = resp.state.isr;
    r.partition_epoch = resp.state.partition_epoch;
    trace_state(ctx, "replica.isr", r);
    maybe_increment_hw(ctx, r);
    complete_delayed_produces(ctx);
  } else {
    ctx.trace("replica.alter_partition_failed", {{"topic", sim::Value(resp.topic)},
                                                 {"partition", sim::Value(resp.partition)},
                                                 {"error", sim::Value(error_name(resp.error))}});
  }
}

// ---- serving fetches ----

void Broker::handle_fetch(sim::Context& ctx, sim::NodeId from, const std::shared_ptr<const FetchRequest>& req) {
  bool ready = req->max_wait_ms <= 0;
  for (const auto& pd : req->partitions) {
    auto it = replicas_.find({pd.topic, pd.partition});
    if (it == replicas_.end() || it->second.role != Replica::Role::leader) {
      ready = true;
      continue;
    }
    Replica& r = it->second;
    if (pd.current_leader_epoch >= 0 && pd.current_leader_epoch != r.leader_epoch) {
      ready = true;
      continue;
    }
    if (req->replica_id >= 0) {
      if (truncation_ == TruncationMode::fetch_diverging && pd.last_fetched_epoch >= 0) {
        const auto [e, end] = r.log->epochs().end_offset_for(pd.last_fetched_epoch, r.log->log_end_offset());
        if (e != pd.last_fetched_epoch || end < pd.fetch_offset) {
          ready = true;  // the response names the divergence; the follower's state is not updated
          continue;
        }
      }
      if (pd.fetch_offset > r.log->log_end_offset()) {
        ready = true;
        continue;
      }
      update_follower(ctx, r, req->replica_id, pd.fetch_offset);
      if (pd.fetch_offset < r.log->log_end_offset()) ready = true;
    } else if (pd.fetch_offset < r.log->high_watermark() || pd.fetch_offset > r.log->log_end_offset()) {
      ready = true;
    }
  }
  if (ready) {
    respond_fetch(ctx, from, *req);
    return;
  }
  const uint64_t id = next_parked_++;
  const sim::TimerId t = ctx.set_timer(sim::Duration::millis(req->max_wait_ms), kParkedFetchTag + id);
  parked_.emplace(id, ParkedFetch{from, req, t});
}

void Broker::respond_fetch(sim::Context& ctx, sim::NodeId from, const FetchRequest& req) {
  auto resp = std::make_shared<FetchResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& pd : req.partitions) {
    FetchResponse::PartitionData out;
    out.topic = pd.topic;
    out.partition = pd.partition;
    auto it = replicas_.find({pd.topic, pd.partition});
    if (it == replicas_.end() || it->second.role != Replica::Role::leader) {
      out.error = Error::NOT_LEADER_OR_FOLLOWER;
      resp->partitions.push_back(std::move(out));
      continue;
    }
    const Replica& r = it->second;
    out.high_watermark = r.log->high_watermark();
    if (pd.current_leader_epoch >= 0 && pd.current_leader_epoch < r.leader_epoch) {
      out.error = Error::FENCED_LEADER_EPOCH;
    } else if (pd.current_leader_epoch > r.leader_epoch) {
      out.error = Error::UNKNOWN_LEADER_EPOCH;
    } else {
      const int64_t leo = r.log->log_end_offset();
      bool diverged = false;
      if (req.replica_id >= 0 && truncation_ == TruncationMode::fetch_diverging && pd.last_fetched_epoch >= 0) {
        const auto [e, end] = r.log->epochs().end_offset_for(pd.last_fetched_epoch, leo);
        if (e != pd.last_fetched_epoch || end < pd.fetch_offset) {
          out.diverging_epoch = std::make_pair(e, end);
          diverged = true;
        }
      }
      if (!diverged) {
        if (pd.fetch_offset > leo) {
          out.error = Error::OFFSET_OUT_OF_RANGE;
          out.log_end_offset = leo;
        } else {
          const int64_t up_to = req.replica_id >= 0 ? leo : r.log->high_watermark();
          out.batches = r.log->read(pd.fetch_offset, up_to, static_cast<uint32_t>(pd.max_bytes));
        }
      }
    }
    resp->partitions.push_back(std::move(out));
  }
  ctx.send(from, resp);
}

void Broker::wake_parked_fetches(sim::Context& ctx, const TopicPartition& tp, bool consumers_only) {
  std::vector<uint64_t> wake;
  for (const auto& [id, p] : parked_) {
    if (consumers_only && p.request->replica_id >= 0) continue;
    for (const auto& pd : p.request->partitions) {
      if (pd.topic == tp.topic && pd.partition == tp.partition) {
        wake.push_back(id);
        break;
      }
    }
  }
  for (uint64_t id : wake) {
    ParkedFetch p = parked_.at(id);
    parked_.erase(id);
    ctx.cancel_timer(p.timer);
    respond_fetch(ctx, p.from, *p.request);
  }
}

void Broker::handle_offsets_for_leader_epoch(sim::Context& ctx, sim::NodeId from, const OffsetsForLeaderEpochRequest& req) {
  auto resp = std::make_shared<OffsetsForLeaderEpochResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& pd : req.partitions) {
    OffsetsForLeaderEpochResponse::PartitionData out{pd.topic, pd.partition, Error::NONE, kNoEpoch, -1};
    auto it = replicas_.find({pd.topic, pd.partition});
    if (it == replicas_.end() || it->second.role != Replica::Role::leader) {
      out.error = Error::NOT_LEADER_OR_FOLLOWER;
    } else if (pd.current_leader_epoch >= 0 && pd.current_leader_epoch < it->second.leader_epoch) {
      out.error = Error::FENCED_LEADER_EPOCH;
    } else if (pd.current_leader_epoch > it->second.leader_epoch) {
      out.error = Error::UNKNOWN_LEADER_EPOCH;
    } else {
      const PartitionLog& log = *it->second.log;
      if (req.version == 0) {
        out.end_offset = log.epochs().end_offset_v0(pd.leader_epoch, log.log_end_offset());
      } else {
        const auto [e, end] = log.epochs().end_offset_for(pd.leader_epoch, log.log_end_offset());
        out.leader_epoch = e;
        out.end_offset = end;
      }
    }
    resp->partitions.push_back(out);
  }
  ctx.send(from, resp);
}

}  // namespace kafka

namespace kafka {

void Broker::handle_list_offsets(sim::Context& ctx, sim::NodeId from, const ListOffsetsRequest& req) {
  auto resp = std::make_shared<ListOffsetsResponse>();
  resp->correlation_id = req.correlation_id;
  for (const auto& pd : req.partitions) {
    ListOffsetsResponse::PartitionData out{pd.tp, Error::NONE, -1, -1};
    auto it = replicas_.find({pd.tp.topic, pd.tp.partition});
    if (it == replicas_.end() || it->second.role != Replica::Role::leader) {
      out.error = Error::NOT_LEADER_OR_FOLLOWER;
    } else if (pd.current_leader_epoch >= 0 && pd.current_leader_epoch < it->second.leader_epoch) {
      out.error = Error::FENCED_LEADER_EPOCH;
    } else if (pd.current_leader_epoch > it->second.leader_epoch) {
      out.error = Error::UNKNOWN_LEADER_EPOCH;
    } else {
      // A read_uncommitted consumer's "latest" is the high watermark.
      const PartitionLog& log = *it->second.log;
      out.offset = pd.timestamp == ListOffsetsRequest::kEarliest ? log.log_start_offset() : log.high_watermark();
      out.leader_epoch = it->second.leader_epoch;
    }
    resp->partitions.push_back(out);
  }
  ctx.send(from, resp);
}

}  // namespace kafka
