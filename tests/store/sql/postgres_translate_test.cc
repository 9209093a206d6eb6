// The store's SQL as PostgreSQL reads it (postgres_db.h).
#include <gtest/gtest.h>

#include "store/sql/postgres_db.h"
#include "store/sql/sql_db.h"

namespace hubmirror::sql {
namespace {

TEST(PostgresTranslateTest, ParameterMarkersBecomeDollarNumbers) {
  EXPECT_EQ(TranslateForPostgres("SELECT a FROM t WHERE b = ?1 AND c = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = $12");
  EXPECT_EQ(TranslateForPostgres("INSERT INTO t VALUES (?, ?, ?)"),
            "INSERT INTO t VALUES ($1, $2, $3)");
}

TEST(PostgresTranslateTest, LiteralsAreLeftAlone) {
  EXPECT_EQ(TranslateForPostgres("SELECT '?1 is not a parameter' WHERE x = ?1"),
            "SELECT '?1 is not a parameter' WHERE x = $1");
}

TEST(PostgresTranslateTest, TheClockIsPostgresql) {
  const std::string sql = std::string("INSERT INTO t (at) VALUES (") + kNowMicros + ")";
  EXPECT_EQ(TranslateForPostgres(sql),
            "INSERT INTO t (at) VALUES (CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS "
            "BIGINT))");
}

TEST(PostgresTranslateTest, ErrorsMapToStatusCodes) {
  EXPECT_EQ(PostgresError("40001", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(PostgresError("08006", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(PostgresError("55P03", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(PostgresError("23505", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PostgresError("53100", "x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(PostgresError("42P01", "x").code(), StatusCode::kInternal);
  EXPECT_EQ(PostgresError(nullptr, "x").code(), StatusCode::kInternal);
}

TEST(PostgresTranslateTest, AdvisoryKeysAreStableAndPositive) {
  EXPECT_EQ(AdvisoryKey("hubmirror_index"), AdvisoryKey("hubmirror_index"));
  EXPECT_NE(AdvisoryKey("hubmirror_index"), AdvisoryKey("hubmirror_catalog"));
  EXPECT_GE(AdvisoryKey("anything"), 0);
}

}  // namespace
}  // namespace hubmirror::sql
