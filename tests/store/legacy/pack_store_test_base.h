// A chunked store in a fresh directory per test, for the store tests that
// drive it the way several writers and processes do (races, crash leftovers).
#pragma once

#include <memory>
#include <string>

#include "store/legacy/pack_object_store.h"
#include "store/hash.h"
#include "tests/store/store_test_util.h"

namespace hubmirror::testing {

class PackStoreTestBase : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    env_ = NewPosixEnv();
    store_ = OpenStore();
  }
  // Another instance on the same directory: what a second process sees.
  std::unique_ptr<PackObjectStore> OpenStore() {
    auto store = NewPackObjectStore(env_.get(), dir_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Stores `data` (promising its sha256) through `store`.
  static Result<ObjectInfo> Put(PackObjectStore* store, const std::string& data) {
    HM_ASSIGN_OR_RETURN(auto writer,
                        store->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""}));
    HM_RETURN_IF_ERROR(writer->Append(data.data(), data.size()));
    return writer->Commit();
  }
  Result<ObjectInfo> Put(const std::string& data) { return Put(store_.get(), data); }

  std::unique_ptr<Env> env_;
  std::unique_ptr<PackObjectStore> store_;
};

}  // namespace hubmirror::testing
