#include "fetcher/xet/xet_plan.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hubmirror {
namespace {

using nlohmann::json;

const std::string kA(64, 'a');
const std::string kB(64, 'b');

json V2() {
  return {{"offset_into_first_range", 5},
          {"terms", {{{"hash", kA}, {"unpacked_length", 1000}, {"range", {{"start", 0}, {"end", 2}}}},
                     {{"hash", kB}, {"unpacked_length", 10}, {"range", {{"start", 3}, {"end", 4}}}}}},
          {"xorbs",
           {{kA, {{{"url", "http://cas/x?sig=1"},
                   {"ranges", {{{"chunks", {{"start", 0}, {"end", 2}}},
                                {"bytes", {{"start", 0}, {"end", 1015}}}}}}}}},
            {kB, {{{"url", "https://cas/y"},
                   {"ranges", {{{"chunks", {{"start", 2}, {"end", 5}}},
                                {"bytes", {{"start", 100}, {"end", 200}}}}}}}}}}}};
}

TEST(XetPlanTest, ParsesV2AndPointsEachTermAtItsSpan) {
  Result<XetPlan> plan = ParseXetPlan(V2().dump());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->offset_into_first, 5u);
  ASSERT_EQ(plan->terms.size(), 2u);
  ASSERT_EQ(plan->spans.size(), 2u);
  const XetFetchSpan& b = plan->spans[plan->terms[1].span];
  EXPECT_EQ(b.url, "https://cas/y");
  EXPECT_EQ(b.chunk_start, 2u);
  EXPECT_EQ(b.byte_last, 200u);
}

TEST(XetPlanTest, ParsesV1) {
  json v1 = {{"offset_into_first_range", 0},
             {"terms", {{{"hash", kA}, {"unpacked_length", 7}, {"range", {{"start", 1}, {"end", 2}}}}}},
             {"fetch_info", {{kA, {{{"range", {{"start", 0}, {"end", 3}}},
                                     {"url", "http://cas/z"},
                                     {"url_range", {{"start", 0}, {"end", 99}}}}}}}}};
  Result<XetPlan> plan = ParseXetPlan(v1.dump());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->spans[0].url, "http://cas/z");
}

TEST(XetPlanTest, RefusesWhatCouldMisleadTheDownloader) {
  std::vector<std::pair<std::string, json>> bad;
  auto with = [](const std::function<void(json&)>& edit) {
    json j = V2();
    edit(j);
    return j;
  };
  bad.emplace_back("not json", json("x"));
  bad.emplace_back("bad hash", with([](json& j) { j["terms"][0]["hash"] = "zz"; }));
  bad.emplace_back("empty range", with([](json& j) { j["terms"][0]["range"]["end"] = 0; }));
  bad.emplace_back("huge range", with([](json& j) { j["terms"][0]["range"]["end"] = 100000; }));
  bad.emplace_back("negative length",
                   with([](json& j) { j["terms"][0]["unpacked_length"] = -1; }));
  bad.emplace_back("length beyond its chunks",
                   with([](json& j) { j["terms"][0]["unpacked_length"] = 300000; }));
  bad.emplace_back("uncovered term", with([](json& j) { j["terms"][1]["range"]["end"] = 6; }));
  bad.emplace_back("file url", with([](json& j) { j["xorbs"][kA][0]["url"] = "file:///etc/passwd"; }));
  bad.emplace_back("inverted bytes",
                   with([](json& j) { j["xorbs"][kA][0]["ranges"][0]["bytes"]["start"] = 2000; }));
  bad.emplace_back("bytes past a xorb",
                   with([](json& j) { j["xorbs"][kA][0]["ranges"][0]["bytes"]["end"] = 1ull << 40; }));
  bad.emplace_back("no offset", with([](json& j) { j.erase("offset_into_first_range"); }));
  for (const auto& [what, doc] : bad) {
    EXPECT_EQ(ParseXetPlan(doc.dump()).status().code(), StatusCode::kInvalidArgument) << what;
  }
  EXPECT_FALSE(ParseXetPlan("{").ok());
}

}  // namespace
}  // namespace hubmirror
