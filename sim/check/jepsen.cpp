// Placeholder: Jepsen's Kafka checks are being written.
