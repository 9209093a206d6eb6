// A Xet-native store in a fresh directory per test, for the store tests that
// drive it the way writers, readers and several processes do.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "store/chunked_object_store.h"
#include "store/hash.h"
#include "store/xorb/xorb_object_store.h"
#include "tests/store/store_test_util.h"
#include "tests/store/shared_store_util.h"

namespace hubmirror::testing {

class XorbStoreTestBase : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    env_ = NewPosixEnv();
    if (TestOnBucket()) bucket_ = std::make_unique<MemoryObjectStorage>(env_.get());
    store_ = OpenStore();
  }
  // Another instance on the same directory: what a second process sees.
  // On the scale-out backends (shared_store_util.h) its catalog is in
  // PostgreSQL and its xorbs in a bucket, cached in the directory.
  std::unique_ptr<ChunkedObjectStore> OpenStore(XorbStoreOptions options = {}) {
    if (TestOnPostgres()) options.catalog = TestDb(dir_ + "/xet/catalog.sqlite");
    if (bucket_ != nullptr) {
      options.bucket = bucket_.get();
      options.cache_bytes = uint64_t{1} << 20;
      // Removed xorbs leave the bucket at the next sweep (BucketCacheTest
      // holds the grace period itself).
      options.bucket_delete_grace_micros = 0;
    }
    auto store = NewXorbObjectStore(env_.get(), dir_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Stores `data` (promising its sha256) through `store`.
  static Result<ObjectInfo> Put(ChunkedObjectStore* store, const std::string& data) {
    HM_ASSIGN_OR_RETURN(auto writer,
                        store->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""}));
    HM_RETURN_IF_ERROR(writer->Append(data.data(), data.size()));
    return writer->Commit();
  }
  Result<ObjectInfo> Put(const std::string& data) { return Put(store_.get(), data); }

  // Sealed xorbs the store keeps: its xorb files, or with a bucket the
  // bucket's objects (the directory is only a cache then).
  size_t SharedXorbCount() {
    if (bucket_ != nullptr) {
      // Removal deletes bucket objects at the next sweep: sweep first.
      EXPECT_OK(store_->Leftovers(/*trim=*/true).status());
      return bucket_->object_count();
    }
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_ + "/xet/xorbs", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file() && it->path().extension() == ".xorb") ++n;
    }
    return n;
  }

  static std::string ReadAll(ObjectReader* reader) {
    std::string out(reader->size(), '\0');
    for (size_t off = 0; off < out.size();) {
      auto got = reader->ReadAt(off, out.data() + off, std::min<size_t>(100000, out.size() - off));
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || *got == 0) break;
      off += *got;
    }
    return out;
  }
  std::string ReadObject(const std::string& sha256) {
    auto reader = store_->Open(sha256);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    return reader.ok() ? ReadAll(reader->get()) : "";
  }

  // Bytes of every xorb file on disk.
  uint64_t XorbFileBytes() const {
    uint64_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_ + "/xet/xorbs", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) total += it->file_size();
    }
    return total;
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<MemoryObjectStorage> bucket_;  // outlives the stores
  std::unique_ptr<ChunkedObjectStore> store_;
};

}  // namespace hubmirror::testing
