#include "broker_model/group/assignors.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <list>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "broker_model/group/java_collections.hpp"

namespace kafka {


namespace {

enum class Strategy { range, roundrobin, sticky, cooperative_sticky };

Strategy parse_strategy(std::string_view name) {
  if (name == "range") return Strategy::range;
  if (name == "roundrobin") return Strategy::roundrobin;
  if (name == "sticky") return Strategy::sticky;
  if (name == "cooperative-sticky") return Strategy::cooperative_sticky;
  throw std::invalid_argument("unknown partition assignment strategy: " + std::string(name));
}

// Per-member partition lists, indexed like the input members.
using Lists = std::vector<std::vector<TopicPartition>>;

// The group as the assignors see it.
struct Group {
  const std::vector<MemberSubscription>& members;
  std::vector<std::set<std::string>> topics;  // per member, deduplicated
  // Subscribed topics that have partitions: what the leader's metadata lookup hands the assignor.
  std::map<std::string, int32_t> partitions;
  // Topic names in String.compareTo order (Java sorts topics that way; std::map uses byte order).
  std::vector<std::string> sorted_topics;
  // Member indices in the iteration order of the leader's HashMap<memberId, Subscription>.
  std::vector<size_t> hash_order;

  size_t size() const { return members.size(); }

  bool subscribes(size_t member, const std::string& topic) const { return topics[member].count(topic) > 0; }

  bool exists(const TopicPartition& tp) const {
    const auto it = partitions.find(tp.topic);
    return it != partitions.end() && tp.partition >= 0 && tp.partition < it->second;
  }
};

Group make_group(const std::map<std::string, int32_t>& partitions_per_topic,
                 const std::vector<MemberSubscription>& members) {
  Group group{members, {}, {}, {}, {}};
  std::set<std::string> ids;
  std::set<std::string> subscribed;
  java::HashOrder<size_t> by_id;
  for (size_t m = 0; m < members.size(); ++m) {
    if (!ids.insert(members[m].member_id).second)
      throw std::invalid_argument("duplicate member id: " + members[m].member_id);
    group.topics.emplace_back(members[m].topics.begin(), members[m].topics.end());
    subscribed.insert(members[m].topics.begin(), members[m].topics.end());
    by_id.insert(m, java::string_hash(members[m].member_id));
  }
  group.hash_order = by_id.keys();
  for (const auto& [topic, count] : partitions_per_topic) {
    if (count < 0) throw std::invalid_argument("negative partition count for topic " + topic);
    if (count > 0 && subscribed.count(topic) > 0) {
      group.partitions.emplace(topic, count);
      group.sorted_topics.push_back(topic);
    }
  }
  std::sort(group.sorted_topics.begin(), group.sorted_topics.end(), java::StringLess{});
  return group;
}

// AbstractPartitionAssignor.MemberInfo.compareTo: static members first, by group.instance.id; then
// the others by member id.
bool member_info_less(const MemberSubscription& a, const MemberSubscription& b) {
  const auto& x = a.group_instance_id;
  const auto& y = b.group_instance_id;
  if (x && y) return java::compare(*x, *y) < 0;
  if (x.has_value() != y.has_value()) return x.has_value();
  return java::compare(a.member_id, b.member_id) < 0;
}

// Members sorted by MemberInfo. Java sorts stably from the HashMap's order, which only shows
// when two members share a group.instance.id.
std::vector<size_t> sorted_member_infos(const Group& group) {
  std::vector<size_t> order = group.hash_order;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return member_info_less(group.members[a], group.members[b]); });
  return order;
}

// ---------------------------------------------------------------------------------- range

// Per topic: its subscribers in MemberInfo order split the partitions into contiguous ranges,
// the first (count mod subscribers) of them getting one extra.
Lists assign_range(const Group& group) {
  Lists lists(group.size());
  const std::vector<size_t> order = sorted_member_infos(group);
  for (const auto& [topic, count] : group.partitions) {
    std::vector<size_t> consumers;
    for (const size_t m : order)
      if (group.subscribes(m, topic)) consumers.push_back(m);
    const auto n = static_cast<int32_t>(consumers.size());  // at least 1: the topic is subscribed
    const int32_t quota = count / n;
    const int32_t extra = count % n;
    int32_t next = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t end = next + quota + (i < extra ? 1 : 0);
      for (; next < end; ++next) lists[consumers[static_cast<size_t>(i)]].push_back({topic, next});
    }
  }
  return lists;
}

// ----------------------------------------------------------------------------- roundrobin

// Every partition of every subscribed topic (topics in name order) goes to the next member, in a
// circle of the MemberInfo order, that subscribes to its topic.
Lists assign_roundrobin(const Group& group) {
  Lists lists(group.size());
  const std::vector<size_t> order = sorted_member_infos(group);
  size_t next = 0;
  for (const std::string& topic : group.sorted_topics) {
    for (int32_t p = 0; p < group.partitions.at(topic); ++p) {
      while (!group.subscribes(order[next], topic)) next = (next + 1) % order.size();
      lists[order[next]].push_back({topic, p});
      next = (next + 1) % order.size();
    }
  }
  return lists;
}

// ------------------------------------------------------------------ sticky: owned partitions

// What AbstractStickyAssignor.allSubscriptionsEqual works out from the subscriptions.
struct Claims {
  bool all_subscriptions_equal = true;
  int32_t max_generation = -1;
  Lists owned;  // per member: its owned partitions that survive conflicts (consumerToOwnedPartitions)
  std::set<TopicPartition> multiply_claimed;  // claimed by two members of one generation
};

void erase_first(std::vector<TopicPartition>& list, const TopicPartition& tp) {
  const auto it = std::find(list.begin(), list.end(), tp);
  if (it != list.end()) list.erase(it);
}

Claims resolve_claims(const Group& group) {
  Claims claims;
  claims.owned.resize(group.size());
  // Kafka compares each subscription with the first non-empty one, so members with no topics
  // that come before it (in HashMap order) do not make the subscriptions unequal.
  std::set<std::string> reference;
  std::map<TopicPartition, size_t> claimant;
  for (const size_t m : group.hash_order) {
    if (reference.empty()) {
      reference = group.topics[m];
    } else if (group.topics[m] != reference) {
      claims.all_subscriptions_equal = false;
    }
    const int32_t generation = group.members[m].generation;
    claims.max_generation = std::max(claims.max_generation, generation);
    for (const TopicPartition& tp : group.members[m].owned) {
      if (!group.exists(tp)) continue;
      const auto [it, first_claim] = claimant.try_emplace(tp, m);
      if (first_claim) {
        claims.owned[m].push_back(tp);
        continue;
      }
      const size_t other = it->second;
      const int32_t other_generation = group.members[other].generation;
      if (generation == other_generation) {
        // Neither can be trusted: the partition is taken from both. (Kafka reaches this branch
        // for a member listing a partition twice, too.)
        claims.multiply_claimed.insert(tp);
        erase_first(claims.owned[other], tp);
        it->second = m;
      } else if (generation > other_generation) {
        claims.owned[m].push_back(tp);
        erase_first(claims.owned[other], tp);
        it->second = m;
      }  // else the other member's newer claim stands
    }
  }
  return claims;
}

struct StickyOutcome {
  Lists lists;
  // Partitions assigned away from a member that still owns them. The constrained algorithm tracks
  // them as it goes; for the general one they are computed afterwards (Kafka's field is null then).
  std::optional<std::set<TopicPartition>> transferring;
};

// ---------------------------------------------- sticky: constrained (equal subscriptions)

// AbstractStickyAssignor.ConstrainedAssignmentBuilder, for groups whose members all subscribe
// to the same topics: every member ends with min_quota or max_quota partitions, keeping what it
// owned up to its quota. Its steps keep Kafka's names; assignRackAwareRoundRobin has no
// counterpart (members have no racks).
class ConstrainedAssignment {
 public:
  ConstrainedAssignment(const Group& group, const Claims& claims)
      : group_(group), claims_(claims), out_{Lists(group.size()), std::set<TopicPartition>{}} {
    const auto members = static_cast<int64_t>(group.size());
    int64_t total = 0;
    for (const auto& entry : group.partitions) total += entry.second;
    min_quota_ = total / members;
    max_quota_ = (total + members - 1) / members;
    expected_over_min_ = total % members;
  }

  StickyOutcome build() {
    assign_owned_partitions();
    const std::vector<TopicPartition> unassigned = unassigned_partitions();
    const auto by_id = [&](size_t a, size_t b) {
      return java::compare(group_.members[a].member_id, group_.members[b].member_id) < 0;
    };
    under_min_.sort(by_id);
    at_min_.sort(by_id);
    assign_round_robin(unassigned);
    verify_unfilled_members();
    return std::move(out_);
  }

 private:
  // In HashMap order (which decides who keeps max_quota when more members could): keep owned
  // partitions up to the quota, the lowest partition numbers first; the rest may be revoked.
  void assign_owned_partitions() {
    for (const size_t m : group_.hash_order) {
      std::vector<TopicPartition> owned;
      for (const TopicPartition& tp : claims_.owned[m])
        if (claims_.multiply_claimed.count(tp) == 0) owned.push_back(tp);
      std::sort(owned.begin(), owned.end(), [](const TopicPartition& a, const TopicPartition& b) {
        if (a.partition != b.partition) return a.partition < b.partition;
        return java::compare(a.topic, b.topic) < 0;
      });
      const auto count = static_cast<int64_t>(owned.size());
      int64_t keep = 0;
      if (count < min_quota_) {
        keep = count;
        under_min_.push_back(m);
      } else if (count >= max_quota_ && over_min_ < expected_over_min_) {
        keep = max_quota_;
        if (++over_min_ == expected_over_min_) at_min_.clear();  // nobody else may exceed min_quota now
      } else {
        keep = min_quota_;
        if (over_min_ < expected_over_min_) at_min_.push_back(m);
      }
      for (int64_t i = 0; i < count; ++i) {
        const TopicPartition& tp = owned[static_cast<size_t>(i)];
        if (i < keep) {
          out_.lists[m].push_back(tp);
          taken_.insert(tp);
        } else {
          maybe_revoked_[tp] = m;
        }
      }
    }
  }

  // getUnassignedPartitions: every partition no member kept, by topic then partition.
  std::vector<TopicPartition> unassigned_partitions() const {
    std::vector<TopicPartition> unassigned;
    for (const std::string& topic : group_.sorted_topics)
      for (int32_t p = 0; p < group_.partitions.at(topic); ++p)
        if (taken_.count({topic, p}) == 0) unassigned.push_back({topic, p});
    return unassigned;
  }

  // Round-robin to the members under min_quota (by member id), then one each to members at
  // min_quota until enough have max_quota.
  void assign_round_robin(const std::vector<TopicPartition>& unassigned) {
    // `cursor` and `current` mirror the Java list iterator over under_min: the next element, and
    // the one last returned (which remove() would delete).
    auto cursor = under_min_.begin();
    std::optional<std::list<size_t>::iterator> current;
    for (const TopicPartition& tp : unassigned) {
      size_t m = 0;
      if (cursor == under_min_.end() && !under_min_.empty()) cursor = under_min_.begin();
      if (cursor != under_min_.end()) {
        current = cursor;
        m = *cursor++;
      } else if (!at_min_.empty()) {
        m = at_min_.front();
        at_min_.pop_front();
        current.reset();
      } else {
        throw AssignorFailure(AssignorFailure::Kind::throws, "sticky assignor: no member left to take " + tp.to_string());
      }
      const int64_t count = assign_new_partition(tp, m);
      if (count == min_quota_) {
        if (!current) throw std::logic_error("sticky assignor: a member at min quota came from the wrong list");
        under_min_.erase(*current);
        current.reset();
        at_min_.push_back(m);
      } else if (count == max_quota_) {
        ++over_min_;
      }
    }
  }

  // Gives `tp` to member m; returns how many partitions m has now. The partition transfers
  // ownership when another member owned it or several claimed it.
  int64_t assign_new_partition(const TopicPartition& tp, size_t m) {
    out_.lists[m].push_back(tp);
    const auto owner = maybe_revoked_.find(tp);
    if ((owner != maybe_revoked_.end() && owner->second != m) || claims_.multiply_claimed.count(tp) > 0)
      out_.transferring->insert(tp);
    return static_cast<int64_t>(out_.lists[m].size());
  }

  // Kafka's own consistency check, which throws IllegalStateException.
  void verify_unfilled_members() const {
    const auto fail = [](const char* what) { throw AssignorFailure(AssignorFailure::Kind::throws, what); };
    if (under_min_.empty()) return;
    if (over_min_ != expected_over_min_) fail("sticky assignor: too few members reached max quota");
    for (const size_t m : under_min_)
      if (static_cast<int64_t>(out_.lists[m].size()) != min_quota_) fail("sticky assignor: a member did not reach min quota");
  }

  const Group& group_;
  const Claims& claims_;
  int64_t min_quota_ = 0;
  int64_t max_quota_ = 0;
  int64_t expected_over_min_ = 0;  // members that end with max_quota
  int64_t over_min_ = 0;           // members with max_quota so far
  StickyOutcome out_;
  std::set<TopicPartition> taken_;                   // kept by their owners
  std::map<TopicPartition, size_t> maybe_revoked_;  // kept back from an owner over its quota
  std::list<size_t> under_min_;                      // unfilled: below min_quota
  std::list<size_t> at_min_;                         // unfilled: at min_quota, may still get one more
};

// ----------------------------------------------- sticky: general (unequal subscriptions)

// TopicPartition.hashCode.
int32_t topic_partition_hash(int32_t topic_hash, int32_t partition) {
  uint32_t h = 31 + static_cast<uint32_t>(partition);
  h = 31 * h + static_cast<uint32_t>(topic_hash);
  return static_cast<int32_t>(h);
}

// AbstractStickyAssignor.GeneralAssignmentBuilder: keep what members own, give each unassigned
// partition to the least loaded member that can take it, then move partitions while that
// improves balance, steering moves so that partitions of one topic do not swap between two members.
//
// Partitions are numbered densely: topic t's partition i is base_[t] + i. Members are ordered by
// (assigned count, member id), as Kafka's TreeSet with SubscriptionComparator orders them; the set
// holds (count, rank of the member id).
class GeneralAssignment {
 public:
  GeneralAssignment(const Group& group, const Claims& claims) : group_(group), claims_(claims) {
    const size_t members = group.size();
    for (const auto& [topic, count] : group.partitions) {
      topic_index_.emplace(topic, topic_names_.size());
      topic_names_.push_back(topic);
      topic_hash_.push_back(java::string_hash(topic));
      base_.push_back(partition_topic_.size());
      counts_.push_back(count);
      partition_topic_.insert(partition_topic_.end(), static_cast<size_t>(count), topic_names_.size() - 1);
    }
    const size_t topics = topic_names_.size();
    potential_.resize(topics);
    member_topics_.resize(members);
    max_size_.assign(members, 0);
    subscribed_.assign(members * topics, false);
    for (const size_t m : group.hash_order) {
      for (const std::string& topic : group.topics[m]) {
        const auto it = topic_index_.find(topic);
        if (it == topic_index_.end()) continue;
        potential_[it->second].push_back(m);
        member_topics_[m].push_back(it->second);
        max_size_[m] += counts_[it->second];
        subscribed_[m * topics + it->second] = true;
      }
    }
    std::vector<size_t> by_id(members);
    for (size_t m = 0; m < members; ++m) by_id[m] = m;
    std::sort(by_id.begin(), by_id.end(), [&](size_t a, size_t b) {
      return java::compare(group.members[a].member_id, group.members[b].member_id) < 0;
    });
    rank_.resize(members);
    member_of_rank_ = by_id;
    for (size_t r = 0; r < members; ++r) rank_[by_id[r]] = r;
    owner_.assign(partition_topic_.size(), kNobody);
    count_.assign(members, 0);
    participating_.assign(members, true);
  }

  Lists run() {
    remember_previous_owners();

    // Keep every owned partition whose topic the member still subscribes to.
    bool revocation_required = false;
    for (size_t m = 0; m < group_.size(); ++m) {
      for (const TopicPartition& tp : claims_.owned[m]) {
        if (!group_.subscribes(m, tp.topic)) {
          revocation_required = true;
        } else {
          owner_[index(tp)] = m;
          ++count_[m];
        }
      }
    }

    // All partitions, topics with fewer potential members first (then by name).
    std::vector<size_t> topic_order(topic_names_.size());
    for (size_t t = 0; t < topic_order.size(); ++t) topic_order[t] = t;
    std::sort(topic_order.begin(), topic_order.end(), [&](size_t a, size_t b) {
      if (potential_[a].size() != potential_[b].size()) return potential_[a].size() < potential_[b].size();
      return java::compare(topic_names_[a], topic_names_[b]) < 0;
    });
    std::vector<size_t> all_partitions;
    for (const size_t t : topic_order)
      for (int32_t i = 0; i < counts_[t]; ++i) all_partitions.push_back(base_[t] + static_cast<size_t>(i));
    std::vector<size_t> unassigned;
    for (const size_t p : all_partitions)
      if (owner_[p] == kNobody) unassigned.push_back(p);

    for (size_t m = 0; m < group_.size(); ++m) by_load_.insert(load_key(m));
    balance(all_partitions, unassigned, revocation_required);

    Lists lists(group_.size());
    for (size_t p = 0; p < owner_.size(); ++p)
      if (owner_[p] != kNobody) lists[owner_[p]].push_back(partition(p));
    return lists;
  }

 private:
  static constexpr size_t kNobody = static_cast<size_t>(-1);

  struct PreviousOwner {
    size_t member;
    int32_t generation;
  };

  struct Move {
    size_t from;
    size_t to;
  };

  using LoadKey = std::pair<int64_t, size_t>;  // (assigned count, rank of member id)

  size_t index(const TopicPartition& tp) const {
    return base_[topic_index_.at(tp.topic)] + static_cast<size_t>(tp.partition);
  }
  TopicPartition partition(size_t p) const {
    const size_t t = partition_topic_[p];
    return {topic_names_[t], static_cast<int32_t>(p - base_[t])};
  }
  LoadKey load_key(size_t m) const { return {count_[m], rank_[m]}; }
  size_t member(const LoadKey& key) const { return member_of_rank_[key.second]; }
  bool subscribes_topic(size_t m, size_t t) const { return subscribed_[m * topic_names_.size() + t]; }

  // For each partition claimed at an older generation than the newest seen, the newest of those
  // older claims: where a partition goes back to when that helps balance.
  void remember_previous_owners() {
    for (const size_t m : group_.hash_order) {
      const int32_t generation = group_.members[m].generation;
      if (generation >= claims_.max_generation) continue;
      for (const TopicPartition& tp : group_.members[m].owned) {
        if (!group_.exists(tp)) continue;
        const auto [it, added] = previous_.try_emplace(index(tp), PreviousOwner{m, generation});
        if (!added && generation > it->second.generation) it->second = {m, generation};
      }
    }
  }

  void balance(std::vector<size_t> all_partitions, std::vector<size_t> unassigned, bool revocation_required) {
    const bool initializing = count_[member(*by_load_.rbegin())] == 0;

    for (const size_t p : unassigned) {
      const size_t t = partition_topic_[p];
      for (const LoadKey& key : by_load_) {
        const size_t m = member(key);
        if (subscribes_topic(m, t)) {
          by_load_.erase(key);
          owner_[p] = m;
          ++count_[m];
          by_load_.insert(load_key(m));
          break;
        }
      }
    }

    // Only partitions of topics with two or more potential members can move, and only members
    // that could gain a partition or hold a movable one take part.
    const auto movable = [&](size_t p) { return potential_[partition_topic_[p]].size() >= 2; };
    std::erase_if(all_partitions, [&](size_t p) { return !movable(p); });
    std::erase_if(unassigned, [&](size_t p) { return !movable(p); });
    std::vector<bool> holds_movable(group_.size(), false);
    for (size_t p = 0; p < owner_.size(); ++p)
      if (owner_[p] != kNobody && movable(p)) holds_movable[owner_[p]] = true;
    for (size_t m = 0; m < group_.size(); ++m) {
      if (count_[m] < max_size_[m] || holds_movable[m]) continue;
      participating_[m] = false;
      by_load_.erase(load_key(m));
    }

    const std::vector<size_t> owner_before = owner_;
    const std::vector<int64_t> count_before = count_;
    // Without revocations, first try to balance by moving only the newly assigned partitions.
    if (!revocation_required) reassign(unassigned);
    const bool reassigned = reassign(all_partitions);
    // Moving owned partitions must pay off in balance, or it is undone.
    if (!initializing && reassigned && balance_score(count_) >= balance_score(count_before)) {
      owner_ = owner_before;
      count_ = count_before;
    }
  }

  // Sum of |difference| of assigned counts over all pairs of participating members.
  int64_t balance_score(const std::vector<int64_t>& counts) const {
    std::vector<int64_t> sizes;
    for (size_t m = 0; m < counts.size(); ++m)
      if (participating_[m]) sizes.push_back(counts[m]);
    std::sort(sizes.begin(), sizes.end());
    int64_t score = 0;
    const auto n = static_cast<int64_t>(sizes.size());
    for (int64_t i = 0; i < n; ++i) score += sizes[static_cast<size_t>(i)] * (2 * i - n + 1);
    return score;
  }

  // Balanced: loads differ by at most one, or no member could take a partition of a topic it
  // subscribes to from a member holding two or more partitions more than it.
  bool is_balanced() const {
    if (by_load_.empty()) return true;
    if (by_load_.begin()->first >= by_load_.rbegin()->first - 1) return true;
    for (const LoadKey& key : by_load_) {
      const size_t m = member(key);
      if (count_[m] == max_size_[m]) continue;
      for (const size_t t : member_topics_[m]) {
        for (int32_t i = 0; i < counts_[t]; ++i) {
          const size_t holder = owner_[base_[t] + static_cast<size_t>(i)];
          if (holder != m && holder != kNobody && count_[m] + 1 < count_[holder]) return false;
        }
      }
    }
    return true;
  }

  // Kafka's performReassignments: sweep the partitions, moving one whenever its holder has two
  // or more partitions more than its previous owner (it goes back there) or than another
  // potential member (it goes to the least loaded one), until balanced or a sweep moves nothing.
  bool reassign(const std::vector<size_t>& partitions) {
    bool reassigned = false;
    bool modified = false;
    // A sweep is a function of the state it starts from, so a state seen before means Kafka
    // would loop forever.
    std::set<std::vector<size_t>> seen;
    do {
      if (!seen.insert(fingerprint()).second)
        throw AssignorFailure(AssignorFailure::Kind::never_returns,
                              "sticky assignor: partitions move in a cycle, Kafka never returns");
      modified = false;
      for (const size_t p : partitions) {
        if (is_balanced()) break;
        const size_t holder = owner_[p];
        const auto previous = previous_.find(p);
        if (previous != previous_.end()) {
          // Kafka reads the previous owner's assignment, which members outside the balancing
          // (whose assignment cannot change) no longer have: NullPointerException.
          const size_t back_to = previous->second.member;
          if (!participating_[back_to])
            throw AssignorFailure(AssignorFailure::Kind::throws,
                                  "sticky assignor: previous owner " + group_.members[back_to].member_id +
                                      " of " + partition(p).to_string() +
                                      " is not balancing (Kafka: NullPointerException)");
          if (count_[holder] > count_[back_to] + 1) {
            move(p, back_to);
            reassigned = modified = true;
            continue;
          }
        }
        const size_t t = partition_topic_[p];
        for (const size_t other : potential_[t]) {
          if (count_[holder] > count_[other] + 1) {
            move_to_least_loaded(p);
            reassigned = modified = true;
            break;
          }
        }
      }
    } while (modified);
    return reassigned;
  }

  // Everything a sweep depends on: owners, net moves, and the iteration order (and table size)
  // of each HashSet of moved partitions.
  std::vector<size_t> fingerprint() const {
    std::vector<size_t> state = owner_;
    state.push_back(moves_.size());
    for (const auto& [p, move] : moves_) state.insert(state.end(), {p, move.from, move.to});
    for (const auto& [t, pairs] : moves_by_topic_) {
      for (const auto& [pair, set] : pairs) {
        state.insert(state.end(), {t, pair.first, pair.second, set.capacity(), set.size()});
        for (const size_t p : set.keys()) state.push_back(p);
      }
    }
    return state;
  }

  void move_to_least_loaded(size_t p) {
    const size_t t = partition_topic_[p];
    for (const LoadKey& key : by_load_) {
      if (subscribes_topic(member(key), t)) {
        move(p, member(key));
        return;
      }
    }
  }

  // Moves p to `to`, unless partitions of p's topic went the other way before: then one of those
  // goes back instead, so two members do not swap partitions of one topic.
  void move(size_t p, size_t to) {
    size_t from = owner_[p];
    const size_t t = partition_topic_[p];
    size_t moved = p;
    if (moves_by_topic_.count(t) > 0) {
      if (const auto earlier = moves_.find(p); earlier != moves_.end()) from = earlier->second.from;
      const auto& pairs = moves_by_topic_.at(t);
      if (const auto back = pairs.find({to, from}); back != pairs.end()) moved = back->second.front();
    }
    transfer(moved, to);
  }

  void transfer(size_t p, size_t to) {
    const size_t from = owner_[p];
    by_load_.erase(load_key(from));
    by_load_.erase(load_key(to));
    record_move(p, from, to);
    --count_[from];
    ++count_[to];
    owner_[p] = to;
    by_load_.insert(load_key(to));
    by_load_.insert(load_key(from));
  }

  // PartitionMovements: each moved partition's net move (first owner -> current owner), indexed
  // by topic and member pair. A partition moved back to its first owner has no move.
  void record_move(size_t p, size_t from, size_t to) {
    if (const auto earlier = moves_.find(p); earlier != moves_.end()) {
      const size_t first = earlier->second.from;
      forget_move(p);
      if (first != to) remember_move(p, {first, to});
    } else {
      remember_move(p, {from, to});
    }
  }

  void remember_move(size_t p, Move move) {
    moves_[p] = move;
    const size_t t = partition_topic_[p];
    // Kafka keeps these partitions in a HashSet and moves back the first it iterates.
    moves_by_topic_[t][{move.from, move.to}].insert(
        p, topic_partition_hash(topic_hash_[t], static_cast<int32_t>(p - base_[t])));
  }

  void forget_move(size_t p) {
    const Move move = moves_.at(p);
    moves_.erase(p);
    const size_t t = partition_topic_[p];
    auto& pairs = moves_by_topic_.at(t);
    auto& set = pairs.at({move.from, move.to});
    set.erase(p);
    if (set.empty()) pairs.erase({move.from, move.to});  // a later set starts afresh, as in Kafka
    if (pairs.empty()) moves_by_topic_.erase(t);
  }

  const Group& group_;
  const Claims& claims_;
  std::map<std::string, size_t> topic_index_;
  std::vector<std::string> topic_names_;
  std::vector<int32_t> topic_hash_;
  std::vector<size_t> base_;
  std::vector<int32_t> counts_;
  std::vector<size_t> partition_topic_;
  std::vector<std::vector<size_t>> potential_;      // topic -> members subscribing (HashMap order)
  std::vector<std::vector<size_t>> member_topics_;  // member -> its topics that exist
  std::vector<int64_t> max_size_;                   // member -> partitions it could hold
  std::vector<bool> subscribed_;                    // member * topics + topic -> subscribes
  std::vector<size_t> rank_;
  std::vector<size_t> member_of_rank_;
  std::vector<size_t> owner_;
  std::vector<int64_t> count_;
  std::vector<bool> participating_;
  std::set<LoadKey> by_load_;
  std::map<size_t, PreviousOwner> previous_;
  std::map<size_t, Move> moves_;
  std::map<size_t, std::map<std::pair<size_t, size_t>, java::HashOrder<size_t>>> moves_by_topic_;
};

// CooperativeStickyAssignor.computePartitionsTransferringOwnership: partitions some member gains
// while another (or the same) member's owned list loses them.
std::set<TopicPartition> transferring_after(const Group& group, const Lists& lists) {
  std::set<TopicPartition> added;
  std::set<TopicPartition> revoked;
  for (size_t m = 0; m < group.size(); ++m) {
    const std::set<TopicPartition> owned(group.members[m].owned.begin(), group.members[m].owned.end());
    const std::set<TopicPartition> assigned(lists[m].begin(), lists[m].end());
    for (const TopicPartition& tp : assigned)
      if (owned.count(tp) == 0) added.insert(tp);
    for (const TopicPartition& tp : owned)
      if (assigned.count(tp) == 0) revoked.insert(tp);
  }
  std::set<TopicPartition> both;
  std::set_intersection(added.begin(), added.end(), revoked.begin(), revoked.end(),
                        std::inserter(both, both.end()));
  return both;
}

Lists assign_sticky(const Group& group, bool cooperative) {
  const Claims claims = resolve_claims(group);
  StickyOutcome outcome = claims.all_subscriptions_equal
                              ? ConstrainedAssignment(group, claims).build()
                              : StickyOutcome{GeneralAssignment(group, claims).run(), std::nullopt};
  if (!cooperative) return std::move(outcome.lists);
  // Cooperative: a partition changing owner is only revoked now; the follow-up rebalance assigns it.
  const std::set<TopicPartition> transferring =
      outcome.transferring ? *outcome.transferring : transferring_after(group, outcome.lists);
  for (auto& list : outcome.lists)
    std::erase_if(list, [&](const TopicPartition& tp) { return transferring.count(tp) > 0; });
  return std::move(outcome.lists);
}

}  // namespace

Assignment assign(std::string_view strategy, const std::map<std::string, int32_t>& partitions_per_topic,
                  const std::vector<MemberSubscription>& members) {
  const Strategy which = parse_strategy(strategy);
  const Group group = make_group(partitions_per_topic, members);
  Assignment result;
  if (members.empty()) return result;
  Lists lists;
  switch (which) {
    case Strategy::range:
      lists = assign_range(group);
      break;
    case Strategy::roundrobin:
      lists = assign_roundrobin(group);
      break;
    case Strategy::sticky:
      lists = assign_sticky(group, false);
      break;
    case Strategy::cooperative_sticky:
      lists = assign_sticky(group, true);
      break;
  }
  for (size_t m = 0; m < members.size(); ++m) {
    std::sort(lists[m].begin(), lists[m].end());
    result.emplace(members[m].member_id, std::move(lists[m]));
  }
  return result;
}

std::vector<RebalanceProtocol> supported_protocols(std::string_view strategy) {
  if (parse_strategy(strategy) == Strategy::cooperative_sticky)
    return {RebalanceProtocol::cooperative, RebalanceProtocol::eager};
  return {RebalanceProtocol::eager};
}

}  // namespace kafka
