#include "store/legacy/chunk_catalog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "tests/store/store_test_util.h"

namespace hubmirror {
namespace {

class ChunkCatalogTest : public testing::TempDirTest {
 protected:
  std::string Path() const { return dir_ + "/catalog.sqlite"; }

  static NewChunk Chunk(uint64_t fp, uint64_t offset) {
    NewChunk c;
    c.fingerprint = ChunkFingerprint{fp, fp};
    c.location.pack = 1;
    c.location.offset = offset;
    c.location.stored_size = 100;
    c.location.raw_size = 100;
    return c;
  }
  // Commits an object made of one new chunk; returns the chunk's id.
  static Result<int64_t> CommitOneChunk(ChunkCatalog* catalog, const std::string& sha256,
                                        uint64_t fp, uint64_t offset) {
    HM_ASSIGN_OR_RETURN(bool inserted,
                        catalog->CommitObject(PackObjectRow{sha256, "", 100},
                                              {Chunk(fp, offset)}, {ChunkRef{true, 0, 0, {}, 0}}));
    if (!inserted) return Status::Internal("not inserted");
    HM_ASSIGN_OR_RETURN(std::vector<ChunkLocation> chunks, catalog->ObjectChunks(sha256));
    return chunks.at(0).id;
  }
};

const std::string kA(64, 'a'), kB(64, 'b'), kC(64, 'c');

TEST_F(ChunkCatalogTest, ChunkIdsAreNeverReusedEvenAfterReopen) {
  auto catalog = ChunkCatalog::Open(Path());
  ASSERT_OK(catalog.status());
  auto first = CommitOneChunk(catalog->get(), kA, 1, 0);
  ASSERT_OK(first.status());
  // The newest chunk goes: a plain rowid table would hand its id out again.
  ASSERT_OK((*catalog)->RemoveObject(kA).status());
  auto second = CommitOneChunk(catalog->get(), kB, 2, 0);
  ASSERT_OK(second.status());
  EXPECT_GT(*second, *first);
  ASSERT_OK((*catalog)->RemoveObject(kB).status());
  catalog->reset();
  auto reopened = ChunkCatalog::Open(Path());
  ASSERT_OK(reopened.status());
  auto third = CommitOneChunk(reopened->get(), kC, 3, 0);
  ASSERT_OK(third.status());
  EXPECT_GT(*third, *second);
}

TEST_F(ChunkCatalogTest, CommitRefusesAReusedChunkWhoseRowNoLongerMatches) {
  auto catalog = ChunkCatalog::Open(Path());
  ASSERT_OK(catalog.status());
  auto id = CommitOneChunk(catalog->get(), kA, 7, 0);
  ASSERT_OK(id.status());
  // Compared as other bytes (fingerprint 8) than the row holds (7).
  auto wrong = (*catalog)->CommitObject(PackObjectRow{kB, "", 100}, {},
                                        {ChunkRef{false, *id, 0, ChunkFingerprint{8, 8}, 100}});
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnavailable) << wrong.status().ToString();
  auto right = (*catalog)->CommitObject(PackObjectRow{kB, "", 100}, {},
                                        {ChunkRef{false, *id, 0, ChunkFingerprint{7, 7}, 100}});
  ASSERT_OK(right.status());
  EXPECT_TRUE(*right);
}

// A catalog written by schema version 2 (plain rowid ids) keeps its rows,
// and new ids continue above the highest one it holds.
TEST_F(ChunkCatalogTest, MigratesAVersion2CatalogToIdsThatAreNeverReused) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
    const char* v2 = R"sql(
CREATE TABLE chunks (id INTEGER PRIMARY KEY, fp_high INTEGER NOT NULL, fp_low INTEGER NOT NULL,
  pack INTEGER NOT NULL, offset INTEGER NOT NULL, stored_size INTEGER NOT NULL,
  raw_size INTEGER NOT NULL, compression INTEGER NOT NULL);
CREATE INDEX chunks_by_fingerprint ON chunks (fp_high, fp_low);
CREATE INDEX chunks_by_pack ON chunks (pack, offset);
CREATE TABLE chunked_objects (sha256 TEXT PRIMARY KEY, git_sha1 TEXT NOT NULL,
  size INTEGER NOT NULL, committed_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE object_chunks (object TEXT NOT NULL, seq INTEGER NOT NULL,
  chunk_id INTEGER NOT NULL REFERENCES chunks(id), PRIMARY KEY (object, seq)) WITHOUT ROWID;
CREATE INDEX object_chunks_by_chunk ON object_chunks (chunk_id);
INSERT INTO chunks VALUES (5, 9, 9, 1, 0, 100, 100, 0);
INSERT INTO chunked_objects VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '', 100, 0);
INSERT INTO object_chunks VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0, 5);
PRAGMA user_version = 2;
)sql";
    ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto catalog = ChunkCatalog::Open(Path());
  ASSERT_OK(catalog.status());
  auto chunks = (*catalog)->ObjectChunks(kA);
  ASSERT_OK(chunks.status());
  ASSERT_EQ(chunks->size(), 1u);
  EXPECT_EQ(chunks->at(0).id, 5);
  auto found = (*catalog)->FindByFingerprint(ChunkFingerprint{9, 9});
  ASSERT_OK(found.status());
  EXPECT_EQ(found->size(), 1u);
  ASSERT_OK((*catalog)->RemoveObject(kA).status());
  auto next = CommitOneChunk(catalog->get(), kB, 1, 100);
  ASSERT_OK(next.status());
  EXPECT_EQ(*next, 6);
}

}  // namespace
}  // namespace hubmirror
