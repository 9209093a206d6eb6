// Internal to store/sql: what the PostgreSQL engine exposes for tests and
// for the cluster's locks (cluster_lock.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/status.h"

namespace hubmirror::sql {

// The SQLite-flavoured SQL of the store as PostgreSQL reads it: `?N` and
// `?` markers become `$N`, SQLite's clock expression (kNowMicros) becomes
// PostgreSQL's. Text inside '...' literals is left alone.
std::string TranslateForPostgres(std::string_view sql);

// A Status for a libpq failure: SQLSTATE classes mapped to codes (busy and
// serialization failures and lost connections are Unavailable, constraint
// violations InvalidArgument, disk full ResourceExhausted).
Status PostgresError(const char* sqlstate, std::string message);

// The advisory-lock class ids hubmirror uses (the first of the two int4
// keys), so its locks never collide with an application sharing the server.
constexpr int32_t kWriterLockClass = 0x484d5700;  // "HMW": a database's writers
constexpr int32_t kFetchLockClass = 0x484d4600;   // "HMF": an upstream fetch
// A stable 31-bit key for a name (FNV-1a), for the second int4 key.
int32_t AdvisoryKey(std::string_view name);

}  // namespace hubmirror::sql
