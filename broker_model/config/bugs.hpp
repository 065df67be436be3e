#pragma once
// Bug switches: real classes of bug in brokers and clients that a scenario can switch on (all off by
// default) to show that the checker catches them. Each names what goes wrong, not a fix.
#include <optional>
#include <string>
#include <vector>

namespace kafka {

struct Bugs {
  // The leader answers an acks=all produce as soon as its own log has the records, before the
  // in-sync replicas do: acks=all degrades to acks=1 and a leader crash loses acknowledged writes.
  bool acks_all_before_isr = false;

  // The consumer commits its fetch position, which runs ahead over records fetched but not yet
  // returned by poll(), instead of the position after the records handed to the application:
  // a crash then skips the buffered records, and at-least-once fails.
  bool consumer_commits_fetched = false;

  // An idempotent producer gives a batch it retries fresh sequence numbers, as if it were new
  // records: the broker cannot tell the retry from the first attempt it already appended, and
  // the log holds the records twice.
  bool producer_resequences_retries = false;

  // A follower of a new leader keeps its own log as it is and fetches from its end, skipping the
  // truncation (to its high watermark, by OffsetsForLeaderEpoch, or at the diverging epoch a
  // fetch names) that removes the records the new leader never had: replicas then disagree
  // below the high watermark, as before KIP-101. A follower whose log is longer than the
  // leader's still truncates on OFFSET_OUT_OF_RANGE.
  bool follower_skips_truncation = false;
  // An exactly_once_v2 member sends its offsets with the generation it has now rather than the
  // one of its last completed join (consumer.groupMetadata()): a member the group fenced has
  // reset its generation to -1, and offsets without a generation pass the group coordinator
  // (a commit from outside the group protocol). A zombie then commits the transaction of
  // records already reassigned, and their outputs appear twice (KIP-447's fencing undone).
  bool eos_group_metadata_follows_reset = false;

  // A partition leader appends a transactional batch from an older producer epoch instead of
  // refusing it (ProducerAppendInfo.checkProducerEpoch skipped): a zombie fenced by its
  // transactional id's coordinator writes into whatever transaction its producer id has open on
  // the partition, so the successor's COMMIT marker makes the zombie's records visible.
  bool leader_accepts_fenced_epoch = false;

  // A read_committed consumer takes the first record of each transactional batch for the
  // batch's header and drops it: it returns the rest of a committed transaction but not all of
  // it, a torn transaction.
  bool consumer_drops_txn_record = false;

  // An exactly_once (v1) task producer's transactional.id names the member's slot as well as
  // its input partition (<prefix><slot>-<topic>-<partition>): the member a partition moves to
  // initTransactions on another id, so nothing fences the previous owner's producer, and since
  // v1's offsets carry no generation, a zombie commits records already reassigned.
  bool eos_v1_transactional_id_per_member = false;

  // Sets the switch called `name`; false when no switch has that name.
  bool enable(const std::string& name) {
    if (name == "acks_all_before_isr") return acks_all_before_isr = true;
    if (name == "consumer_commits_fetched") return consumer_commits_fetched = true;
    if (name == "producer_resequences_retries") return producer_resequences_retries = true;
    if (name == "follower_skips_truncation") return follower_skips_truncation = true;
    if (name == "eos_group_metadata_follows_reset") return eos_group_metadata_follows_reset = true;
    if (name == "leader_accepts_fenced_epoch") return leader_accepts_fenced_epoch = true;
    if (name == "consumer_drops_txn_record") return consumer_drops_txn_record = true;
    if (name == "eos_v1_transactional_id_per_member") return eos_v1_transactional_id_per_member = true;
    return false;
  }
  static std::vector<std::string> names() {
    return {"acks_all_before_isr", "consumer_commits_fetched", "producer_resequences_retries", "follower_skips_truncation",
            "eos_group_metadata_follows_reset", "leader_accepts_fenced_epoch", "consumer_drops_txn_record",
            "eos_v1_transactional_id_per_member"};
  }
};

}  // namespace kafka
