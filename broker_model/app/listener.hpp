#pragma once
// The application's own code in a consumer's process, as a sans-IO step machine: a Spring
// @KafkaListener method (MessageListener.onMessage, BatchMessageListener.onMessage), or the body
// of a hand-written poll loop. The consumer's ApplicationLoop calls it for each record (or each
// poll's records) once the record's processing_time has passed; the code answers at once with
// one step:
//   done     it returned normally;
//   failed   it threw (the message is kept for the trace), and the container's error
//            handling takes over (ApplicationLoop::handle_record_failure);
//   waiting  it made a blocking call through its ListenerServices (commitSync, a store
//            round trip) and is resumed with the reply. Meanwhile the loop stays in PROCESSING:
//            the time counts against max.poll.interval.ms, as a blocked listener thread does.
// The model never includes Lua: the scenario's Lua handlers are one implementation
// (sim/lua/app_binding.cpp), tests write others in C++. A ListenerFactory makes a fresh
// listener for each incarnation of the process, so the application's memory dies with it.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/app/store_messages.hpp"
#include "broker_model/client/fetch_buffer.hpp"
#include "broker_model/client/producer.hpp"
#include "broker_model/protocol/errors.hpp"
#include "sim/time.hpp"

namespace kafka {

enum class ListenerStatus { done, failed, waiting };

struct ListenerStep {
  ListenerStatus status = ListenerStatus::done;
  std::string failure;  // failed: the exception's message
  static ListenerStep done() { return {}; }
  static ListenerStep waiting() { return {ListenerStatus::waiting, {}}; }
  static ListenerStep failed(std::string message) { return {ListenerStatus::failed, std::move(message)}; }
};

// The reply that resumes a waiting task.
struct ListenerReply {
  enum class Kind { commit, store, send };
  Kind kind = Kind::commit;
  Error commit_error = Error::NONE;    // commit: how the commitSync ended
  std::optional<StoreResponse> store;  // store: the response; none when the outcome is unknown
                                       // (the connection broke before the reply)
  std::optional<SendResult> send;      // send: the producer's outcome of a send().get()
};

// A listener's code runs as tasks: the record (or batch) handler, and each app:every timer.
// Only the handler holds up the loop; a timer's task runs beside it (a scheduled executor's
// thread in the application).
inline constexpr uint64_t kHandlerTask = 0;
// The rebalance listener's task (ConsumerRebalanceListener.onPartitionsAssigned): it runs inside
// poll(), which goes on once it is done.
inline constexpr uint64_t kAssignedTask = ~uint64_t{0};

// What the consumer's process offers the listener's code. Calls that block (commit with sync,
// store) return true when the calling task must now return waiting.
class ListenerServices {
 public:
  virtual ~ListenerServices() = default;
  virtual sim::Time now() const = 0;
  // KafkaConsumer.commitSync / commitAsync of what has been processed so far (the current
  // record is not yet processed). False when nothing was sent (nothing to commit, or the
  // member is outside a stable generation: the commit failed at once, as the trace shows).
  virtual bool commit(bool sync) = 0;
  // Whether commit() only asks for a commit at the loop's next chance (an exactly_once_v2
  // member's transaction: Kafka Streams' ProcessorContext.commit(), which a punctuator may call
  // too), rather than calling the consumer from this thread.
  virtual bool commit_is_request() const { return false; }
  // Whether a send belongs to the input record it is for (exactly_once v1: the record's task's
  // producer), so a send from no record (app:every, on_assigned, a batch listener) has none.
  virtual bool sends_need_a_task() const { return false; }
  // Spring's Acknowledgment.acknowledge() for the current record (every record of the batch,
  // for a batch listener). MANUAL_IMMEDIATE commits it at once (true: wait for it).
  virtual bool ack() = 0;
  // Calls Listener::on_every(id) every `interval` on the member's clock while it is alive.
  virtual void every(sim::Duration interval, uint64_t id) = 0;
  // The process dies here (kill -9): nothing after this point of the code runs.
  virtual void crash() = 0;
  // One round trip to the store `name`: `ops` applied atomically, in order. False when the
  // process knows no such store (the caller reports it).
  virtual bool store(const std::string& name, std::vector<StoreOp> ops) = 0;
  // An interactive transaction on the store `name` (s:tx), as a JDBC connection with
  // autocommit off runs one: its number, or 0 when the process knows no such store. Nothing is
  // sent yet (the driver sends BEGIN with the first statement).
  virtual int64_t store_begin(const std::string& name) = 0;
  // One step of transaction `txn`: a statement (`ops`, answered with their results), its commit
  // or its rollback (no ops); the task waits for the reply. False when nothing was sent: the
  // connection broke since the transaction began, so the store rolled it back. A commit or
  // rollback ends the transaction here either way.
  virtual bool store_step(int64_t txn, StoreTxnPhase phase, std::vector<StoreOp> ops) = 0;
  // The handler's current run, to tie its store writes to it (StoreOrigin.invocation).
  virtual uint64_t invocation() const = 0;
  // KafkaTemplate.send through the process's producer (the group's producer = { ... }, or one
  // with Kafka's defaults made at the first send, as DefaultKafkaProducerFactory makes it).
  // Asynchronous: nothing waits. sync: send().get(), the task waits for the outcome
  // (wait = true, resumed with a ListenerReply of kind send), unless it is known at once
  // (acks=0, or a send that fails before it is queued): then `result` holds it.
  struct SendStart {
    bool wait = false;
    std::optional<SendResult> result;
  };
  virtual SendStart send(SendSpec spec, bool sync) = 0;
  // KafkaConsumer.seek from the rebalance listener: the partition's position, so that its
  // committed offset is not fetched. False when the partition is not assigned.
  virtual bool seek(const TopicPartition& tp, int64_t offset) = 0;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // A batch listener (on_batch) is called once per poll's records; a record listener per record.
  virtual bool batch() const = 0;
  virtual ListenerStep on_record(const ConsumerRecord& record, ListenerServices& services) = 0;
  virtual ListenerStep on_batch(const std::vector<ConsumerRecord>& records, ListenerServices& services) = 0;
  // An every() timer fired: runs its function as task `id`.
  virtual ListenerStep on_every(uint64_t id, ListenerServices& services) = 0;
  // ConsumerRebalanceListener.onPartitionsAssigned (Spring's ConsumerSeekAware): whether the
  // application has one, and the call with the partitions a rebalance gave the member, run
  // as task kAssignedTask before their positions are looked up.
  virtual bool has_on_assigned() const { return false; }
  virtual ListenerStep on_assigned(const std::vector<TopicPartition>& /*partitions*/, ListenerServices& /*services*/) {
    return ListenerStep::done();
  }
  // The reply to the blocking call task `task` waits for.
  virtual ListenerStep resume(uint64_t task, const ListenerReply& reply, ListenerServices& services) = 0;
};

using ListenerFactory = std::function<std::unique_ptr<Listener>()>;

}  // namespace kafka
