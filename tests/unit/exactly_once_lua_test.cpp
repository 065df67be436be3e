// expect { exactly_once = { group =, input =, output = } } in the scenario language: bad input is
// refused with file:line, and a declared pipeline with nothing committed fails as vacuous.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"

using namespace kafkasim_test;

namespace {
const std::string kHead = "scenario { name = \"s\", duration = \"3s\" }\nlocal c = cluster { brokers = 1 }\n";

void expect_error(const std::string& name, const std::string& body, const std::string& needle) {
  auto r = run_text(name + ".lua", kHead + body);
  EXPECT_EQ(r.exit_code, 2) << name << ": " << r.error;
  EXPECT_NE(r.error.find(needle), std::string::npos) << name << ": expected \"" << needle << "\" in\n" << r.error;
}
}  // namespace

TEST(ExactlyOnceLua, BadPipelinesAreRefusedWithFileAndLine) {
  expect_error("eo_table", "expect { exactly_once = \"g\" }\n", "eo_table.lua:3: expect.exactly_once: a table");
  expect_error("eo_group", "expect { exactly_once = { input = \"in\", output = \"out\" } }\n", "eo_group.lua:3: expect.exactly_once.group");
  expect_error("eo_input", "expect { exactly_once = { group = \"g\", output = \"out\" } }\n", "eo_input.lua:3: expect.exactly_once.input");
  expect_error("eo_output", "expect { exactly_once = { group = \"g\", input = \"in\" } }\n", "eo_output.lua:3: expect.exactly_once.output");
  expect_error("eo_key", "expect { exactly_once = { group = \"g\", input = \"in\", outptu = \"out\" } }\n", "did you mean 'output'");
  expect_error("eo_mixed", "expect { delivery = \"exactly-once\", exactly_once = { group = \"g\", input = \"in\", output = \"out\" } }\n",
               "eo_mixed.lua:3: expect.exactly_once: write delivery");
  expect_error("eo_nogroup", "expect { exactly_once = { group = \"nope\", input = \"in\", output = \"out\" } }\n",
               "expect.group: the scenario has no group 'nope'");
}

TEST(ExactlyOnceLua, APipelineWithNothingCommittedFailsAsVacuous) {
  auto r = run_text("eo_vacuous.lua", kHead + R"(
c:topic("in", { partitions = 1, replication_factor = 1 })
c:group("g", { members = 1, topics = { "in" } })
expect { exactly_once = { group = "g", input = "in", output = "out" } }
)");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].name, "expect exactly_once in -> out (g)");
  EXPECT_NE(r.checks[0].detail.find("vacuous"), std::string::npos) << r.checks[0].detail;
}
