#pragma once
// Kafka release lines whose defaults and behaviours the model follows ("2.8" ... "4.0").
// A line stands for its latest patch release (e.g. "3.0" is 3.0.2, in which the idempotence
// default of KAFKA-13598 is in effect).
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace kafka {

struct KafkaVersion {
  int major = 3;
  int minor = 9;
  auto operator<=>(const KafkaVersion&) const = default;
  std::string to_string() const { return std::to_string(major) + "." + std::to_string(minor); }
  static std::optional<KafkaVersion> parse(std::string_view text);
};

constexpr KafkaVersion kV2_8{2, 8};
constexpr KafkaVersion kV3_0{3, 0};
constexpr KafkaVersion kV3_3{3, 3};
constexpr KafkaVersion kV3_6{3, 6};
constexpr KafkaVersion kV3_7{3, 7};
constexpr KafkaVersion kV3_8{3, 8};
constexpr KafkaVersion kV4_0{4, 0};

}  // namespace kafka
