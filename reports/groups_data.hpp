#pragma once
// The Consumer groups view's data (reports/web/groups.js): for each group, one lane per member
// with its lifetime (consumer.start to consumer.close or its process's crash), its assignment
// over time as segments (consumer.assigned, .revoked, .lost), its commits (consumer.commit),
// the marks of what happened to it (removed by the coordinator, a poll timeout), the group's
// generations (group.state), the rebalance pauses, and each partition's lag (consumer.lag).
//
// A rebalance pause is a stretch in which partitions are consumed by nobody: from the moment a
// member gives them up (consumer.revoked or .lost, or its process crashes) until each of them is
// assigned again (some member's consumer.assigned adds it). Under an eager protocol a rebalance
// revokes everything (stop the world); under a cooperative one only the partitions that move.
//
// Bounded for long runs: per group at most `cap` segments, pauses, marks and generations, and
// the first `cap` commits drawn one by one (failed or not) and the rest counted per second; each partition's lag is a MaxSeries of at most ~2,000 points.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "reports/series.hpp"
#include "reports/view_data.hpp"

namespace report {

class GroupsData final : public ViewData {
 public:
  explicit GroupsData(size_t cap = 2000) : cap_(cap) {}
  const char* name() const override { return "groups"; }
  void write(const sim::Event& e) override;
  nlohmann::ordered_json json(int64_t end_ns) const override;
  void summarised(std::vector<std::string>& out) const override;

  struct Segment {
    int64_t start_ns = 0, end_ns = -1;  // -1: still held
    int64_t generation = -1;
    std::string partitions;
  };
  struct Pause {
    int64_t start_ns = 0, end_ns = -1;  // -1: some partition is still unassigned
    std::string kind;                   // eager or cooperative
    std::string cause;                  // revoked, lost, crash
    std::string partitions;
    std::set<std::string> waiting;      // partitions not yet assigned again
  };
  struct Commit {
    int64_t time_ns = 0;
    bool ok = true;
    int64_t generation = -1;
    std::string why, detail;
    bool sync = false;
  };
  struct Mark {
    int64_t time_ns = 0;
    std::string kind, detail;
  };
  struct Member {
    std::vector<std::pair<int64_t, int64_t>> life;  // [start, end], end -1 while running
    std::set<std::string> held;
    int64_t generation = -1;
    std::vector<Segment> segments;
    std::vector<Pause> pauses;
    std::vector<Commit> commits;
    std::map<int64_t, std::pair<int64_t, int64_t>> commit_seconds;  // second -> (ok, failed) beyond the cap
    std::vector<Mark> marks;
  };
  struct Generation {
    int64_t time_ns = 0;
    int64_t generation = 0;
    std::string state, reason;
  };
  struct Group {
    std::string protocol;
    std::map<std::string, Member> members;
    std::vector<Generation> states;
    std::map<std::string, MaxSeries> lag;  // by partition, e.g. orders-0
    size_t segments = 0, pauses = 0, commits_drawn = 0, commits_counted = 0, marks = 0;
    size_t left_out = 0;                   // segments, pauses, marks or states past the cap
  };
  const std::map<std::string, Group>& groups() const { return groups_; }

 private:
  void handle(const kafka::event::ConsumerStart::View& v);
  void handle(const kafka::event::ConsumerClose::View& v);
  void handle(const kafka::event::ConsumerCrashPoint::View& v);
  void handle(const kafka::event::ConsumerPollTimeout::View& v);
  void handle(const kafka::event::ConsumerAssigned::View& v);
  void handle(const kafka::event::ConsumerRevoked::View& v);
  void handle(const kafka::event::ConsumerLost::View& v);
  void handle(const kafka::event::ConsumerCommit::View& v);
  void handle(const kafka::event::ConsumerLag::View& v);
  void handle(const kafka::event::GroupState::View& v);
  void handle(const kafka::event::GroupMemberRemoved::View& v);
  void handle(const sim::event::NodeCrash::View& v);

  // The member's holding becomes `held`: the segment it had ends and a new one begins.
  void hold(Group& g, Member& m, std::set<std::string> held);
  // Partitions given up begin a pause; `cause` says how.
  void give_up(Group& g, Member& m, const std::set<std::string>& partitions, const char* cause);
  // Partitions assigned again end the pauses that waited for them.
  void reassigned(Group& g, const std::set<std::string>& added);
  void stopped(Group& g, Member& m, const char* kind, std::string detail);
  void mark(Group& g, Member& m, const char* kind, std::string detail);
  bool room(Group& g, size_t& count);

  size_t cap_;
  int64_t now_ = 0;
  std::map<std::string, Group> groups_;
  std::map<std::string, std::string> group_of_member_;              // member (process) -> group
  std::map<std::string, std::string> member_of_id_;                 // group + '\0' + member id -> member
};

}  // namespace report
