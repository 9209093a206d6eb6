// The Xet-native store: what it writes (xorbs in the Xet format, named and
// hashed as hf_xet would), deduplication by chunk hash, reads and ranges,
// streaming reads of objects still being written, and what failures leave.
#include "store/xorb/xorb_object_store.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "store/xet/xet_hash.h"
#include "store/xet/xorb_format.h"
#include "tests/store/xet/xet_test_data.h"
#include "tests/store/xorb/xorb_store_test_base.h"

namespace hubmirror {
namespace {

using testing::RandomBytes;
using testing::SplitMix64Bytes;

// The Xet file hash of `data` computed from scratch (chunker + hashes).
std::string XetHashOf(const std::string& data) {
  std::vector<XetNode> nodes;
  size_t start = 0;
  for (size_t end : testing::XetChunkEnds(data)) {
    nodes.push_back(XetNode{XetChunkHash(data.data() + start, end - start), end - start});
    start = end;
  }
  return XetFileHash(std::move(nodes)).ToHex();
}

std::vector<std::string> XorbFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir + "/xet/xorbs", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path().string());
  }
  return out;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class XorbObjectStoreTest : public testing::XorbStoreTestBase {
 protected:
  size_t TempFileCount() { return CountFiles(dir_ + "/tmp"); }
};

TEST_F(XorbObjectStoreTest, CommitsWithTheXetHashHfXetGivesAndReadsBack) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{11}, size_t{131072}, size_t{1000000},
                      size_t{3 << 20}}) {
    const std::string data = size == 11 ? "hello world" : SplitMix64Bytes(size, size);
    auto info = Put(data);
    ASSERT_OK(info.status());
    EXPECT_EQ(info->sha256, Sha256Hex(data));
    EXPECT_EQ(info->xet_hash, XetHashOf(data)) << size;
    EXPECT_EQ(ReadObject(info->sha256), data) << size;
    auto row = store_->GetObjectRow(info->sha256);
    ASSERT_OK(row.status());
    EXPECT_EQ(row->xet_hash, info->xet_hash);
  }
  // Vector B: "hello world" is file f15edd43...
  EXPECT_EQ(XetHashOf("hello world"),
            "f15edd43b7e85cfd25e2758ffe13b99fdd09dfa817e8d9f6548722a7a126db7f");
  EXPECT_EQ(XetHashOf(""), std::string(64, '0'));
  EXPECT_EQ(TempFileCount(), 0u);
}

TEST_F(XorbObjectStoreTest, XorbFilesAreXetXorbsWithFooters) {
  const std::string data = SplitMix64Bytes(1000000, 0);  // vector C: 19 chunks
  ASSERT_OK(Put(data).status());
  std::vector<std::string> files = XorbFiles(dir_);
  ASSERT_EQ(files.size(), 1u);
  XetChunkCodec codec;
  auto parsed = ParseAndVerifyXorb(ReadFileBytes(files[0]), &codec);
  ASSERT_OK(parsed.status());
  EXPECT_TRUE(parsed->has_footer);
  ASSERT_EQ(parsed->chunks.size(), 19u);
  EXPECT_EQ(parsed->hash.ToHex(), "6f2ce16ca5e317f0100ff0e7e5bf40a0de9032e9ee1ad04b6b8ff4e36cdfbf6c");
  EXPECT_EQ(parsed->raw_bytes, data.size());
}

TEST_F(XorbObjectStoreTest, LargeFilesSpanSeveralXorbsWithinTheLimits) {
  // 70 MiB of random bytes: more than one xorb's 64 MiB.
  const std::string data = RandomBytes(70 << 20, 3);
  auto info = Put(data);
  ASSERT_OK(info.status());
  std::vector<std::string> files = XorbFiles(dir_);
  ASSERT_EQ(files.size(), 2u);
  XetChunkCodec codec;
  uint64_t raw = 0;
  for (const std::string& f : files) {
    auto parsed = ParseAndVerifyXorb(ReadFileBytes(f), &codec);
    ASSERT_OK(parsed.status());
    EXPECT_LE(parsed->raw_bytes, kXorbMaxRawBytes);
    EXPECT_LE(parsed->chunks.size(), kXorbMaxChunks);
    raw += parsed->raw_bytes;
  }
  EXPECT_EQ(raw, data.size());
  EXPECT_EQ(info->xet_hash, XetHashOf(data));
  EXPECT_EQ(ReadObject(info->sha256), data);
}

TEST_F(XorbObjectStoreTest, AFineTuneStoresOnlyItsNewChunks) {
  const std::string base = RandomBytes(8 << 20, 5);
  std::string tuned = base;
  // Rewrite 1 MiB in the middle and grow the header.
  const std::string patch = RandomBytes(1 << 20, 6);
  tuned.replace(3 << 20, patch.size(), patch);
  tuned = "{\"longer\": \"header\"}" + tuned;
  ASSERT_OK(Put(base).status());
  auto before = store_->LiveStoredBytes();
  ASSERT_OK(before.status());
  auto info = Put(tuned);
  ASSERT_OK(info.status());
  auto after = store_->LiveStoredBytes();
  ASSERT_OK(after.status());
  const uint64_t added = *after - *before;
  EXPECT_GT(added, patch.size());
  EXPECT_LT(added, patch.size() + (512 << 10)) << "only the edited chunks and the header's";
  EXPECT_EQ(ReadObject(info->sha256), tuned);
  auto footprint = store_->Footprint(info->sha256);
  ASSERT_OK(footprint.status());
  std::set<int64_t> keys;
  for (const auto& [key, stored] : footprint->chunks) keys.insert(key);
  auto base_fp = store_->Footprint(Sha256Hex(base));
  ASSERT_OK(base_fp.status());
  size_t shared = 0;
  for (const auto& [key, stored] : base_fp->chunks) shared += keys.count(key);
  EXPECT_GT(shared, base_fp->chunks.size() * 3 / 4);
}

TEST_F(XorbObjectStoreTest, RepeatedChunksInOneFileAreStoredOnce) {
  const std::string block = RandomBytes(300000, 8);
  std::string data;
  for (int i = 0; i < 10; ++i) data += block;
  auto info = Put(data);
  ASSERT_OK(info.status());
  auto stored = store_->LiveStoredBytes();
  ASSERT_OK(stored.status());
  EXPECT_LT(*stored, 3 * block.size());
  EXPECT_EQ(ReadObject(info->sha256), data);
}

TEST_F(XorbObjectStoreTest, CompressibleChunksAreStoredCompressed) {
  std::string text;
  while (text.size() < (2 << 20)) text += "{\"row\": " + std::to_string(text.size()) + "}\n";
  auto info = Put(text);
  ASSERT_OK(info.status());
  auto stored = store_->LiveStoredBytes();
  ASSERT_OK(stored.status());
  EXPECT_LT(*stored, text.size() / 2);
  EXPECT_EQ(ReadObject(info->sha256), text);
  // Zero-copy spans exist only for uncompressed chunks.
  auto reader = store_->Open(info->sha256);
  ASSERT_OK(reader.status());
  RawFileSpan span;
  EXPECT_FALSE((*reader)->GetRawSpan(0, &span));
}

TEST_F(XorbObjectStoreTest, RandomRangesReadExactBytes) {
  const std::string data = RandomBytes(20 << 20, 9) + std::string(1 << 20, 'z');
  auto info = Put(data);
  ASSERT_OK(info.status());
  auto reader = store_->Open(info->sha256);
  ASSERT_OK(reader.status());
  std::mt19937_64 rng(1);
  std::string buf;
  for (int i = 0; i < 200; ++i) {
    const uint64_t offset = rng() % data.size();
    const size_t n = static_cast<size_t>(rng() % (3 << 20));
    buf.assign(n, '\0');
    auto got = (*reader)->ReadAt(offset, buf.data(), n);
    ASSERT_OK(got.status());
    const size_t expect = static_cast<size_t>(std::min<uint64_t>(n, data.size() - offset));
    ASSERT_EQ(*got, expect);
    ASSERT_EQ(buf.substr(0, expect), data.substr(offset, expect)) << offset << "+" << n;
  }
  // Spans of uncompressed chunks point at the bytes themselves.
  RawFileSpan spans[8];
  const size_t count = (*reader)->GetRawSpans(12345, 1 << 20, spans, 8);
  ASSERT_GT(count, 1u);
  uint64_t offset = 12345;
  for (size_t i = 0; i < count; ++i) {
    std::string bytes(spans[i].length, '\0');
    ASSERT_EQ(pread(spans[i].fd, bytes.data(), bytes.size(), spans[i].file_offset),
              static_cast<ssize_t>(bytes.size()));
    EXPECT_EQ(bytes, data.substr(offset, bytes.size()));
    offset += spans[i].length;
  }
}

TEST_F(XorbObjectStoreTest, ClientsStreamAnObjectWhileItIsWritten) {
  for (uint64_t threaded_from : {uint64_t{0}, uint64_t{1} << 40}) {
    XorbStoreOptions options;
    options.threaded_ingest_from_bytes = threaded_from;
    auto store = OpenStore(options);
    const std::string data = RandomBytes(24 << 20, 10);
    auto writer = store->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
    ASSERT_OK(writer.status());
    std::string seen(data.size(), '\0');
    uint64_t read = 0;
    for (size_t off = 0; off < data.size(); off += 1 << 20) {
      ASSERT_OK((*writer)->Append(data.data() + off, std::min<size_t>(1 << 20, data.size() - off)));
      // A reader following closely, and one re-reading from the start.
      while (read < (*writer)->bytes_written()) {
        auto got = (*writer)->ReadWritten(read, seen.data() + read, 300000);
        ASSERT_OK(got.status());
        ASSERT_GT(*got, 0u);
        read += *got;
      }
      std::string head(4096, '\0');
      auto got = (*writer)->ReadWritten(0, head.data(), head.size());
      ASSERT_OK(got.status());
      ASSERT_EQ(head.substr(0, *got), data.substr(0, *got));
    }
    EXPECT_TRUE(seen == data);
    auto info = (*writer)->Commit();
    ASSERT_OK(info.status());
    // Still readable from the writer after the commit (slow clients).
    std::string tail(1000, '\0');
    auto got = (*writer)->ReadWritten(data.size() - 1000, tail.data(), tail.size());
    ASSERT_OK(got.status());
    EXPECT_EQ(tail, data.substr(data.size() - 1000));
  }
}

TEST_F(XorbObjectStoreTest, WrongBytesLeaveNothing) {
  const std::string data = RandomBytes(10 << 20, 11);
  ObjectPromise promise{data.size(), Sha256Hex(data), ""};
  std::string corrupt = data;
  corrupt[5 << 20] ^= 1;
  auto writer = store_->NewWriter(promise);
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(corrupt.data(), corrupt.size()));
  auto info = (*writer)->Commit();
  EXPECT_EQ(info.status().code(), StatusCode::kDataLoss);
  writer->reset();
  EXPECT_FALSE(store_->Contains(promise.sha256));
  EXPECT_EQ(SharedXorbCount(), 0u);
  EXPECT_EQ(TempFileCount(), 0u);
  // Too many bytes poison the writer at once.
  auto again = store_->NewWriter(ObjectPromise{10, Sha256Hex("0123456789"), ""});
  ASSERT_OK(again.status());
  EXPECT_EQ((*again)->Append("0123456789x", 11).code(), StatusCode::kDataLoss);
  EXPECT_EQ((*again)->Commit().status().code(), StatusCode::kDataLoss);
}

TEST_F(XorbObjectStoreTest, ResetStartsOver) {
  const std::string data = RandomBytes(9 << 20, 12);
  auto writer = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), 5 << 20));
  ASSERT_OK((*writer)->Reset());
  EXPECT_EQ((*writer)->bytes_written(), 0u);
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  auto info = (*writer)->Commit();
  ASSERT_OK(info.status());
  EXPECT_EQ(ReadObject(info->sha256), data);
  EXPECT_EQ(SharedXorbCount(), 1u);
}

TEST_F(XorbObjectStoreTest, TheSameObjectWrittenTwiceAtOnceIsStoredOnce) {
  const std::string data = RandomBytes(12 << 20, 13);
  auto a = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  auto b = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  ASSERT_OK((*a)->Append(data.data(), data.size()));
  ASSERT_OK((*b)->Append(data.data(), data.size()));
  ASSERT_OK((*a)->Commit().status());
  auto second = (*b)->Commit();
  ASSERT_OK(second.status());
  a->reset();
  b->reset();
  EXPECT_EQ(SharedXorbCount(), 1u) << "the second writer's xorb is not kept";
  EXPECT_EQ(ReadObject(Sha256Hex(data)), data);
}

TEST_F(XorbObjectStoreTest, ASecondProcessSeesCommittedObjects) {
  const std::string data = RandomBytes(2 << 20, 14);
  auto info = Put(data);
  ASSERT_OK(info.status());
  auto other = OpenStore();
  auto reader = other->Open(info->sha256);
  ASSERT_OK(reader.status());
  EXPECT_EQ(ReadAll(reader->get()), data);
  // And deduplicates against them.
  const std::string more = data + RandomBytes(100000, 15);
  ASSERT_OK(Put(other.get(), more).status());
  auto stored = other->LiveStoredBytes();
  ASSERT_OK(stored.status());
  EXPECT_LT(*stored, data.size() + 400000);
}

TEST_F(XorbObjectStoreTest, LeftoversOfACrashAreFoundAndRemoved) {
  const std::string data = RandomBytes(1 << 20, 16);
  ASSERT_OK(Put(data).status());
  // What a writer killed between publishing its xorb and its catalog commit
  // leaves: a xorb file without rows; and a temp xorb nobody holds.
  std::filesystem::create_directories(dir_ + "/xet/xorbs/63");
  std::ofstream(dir_ + "/xet/xorbs/63/99.xorb") << "orphan bytes";
  std::ofstream(dir_ + "/tmp/deadbeef-1.7.xorb") << "temp";
  auto found = store_->Leftovers(/*trim=*/false);
  ASSERT_OK(found.status());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_NE((*found)[0].what.find("99.xorb"), std::string::npos);
  ASSERT_OK(store_->Leftovers(/*trim=*/true).status());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/xet/xorbs/63/99.xorb"));
  ASSERT_OK(store_->CleanTemporaryFiles());
  EXPECT_EQ(TempFileCount(), 0u);
  EXPECT_EQ(ReadObject(Sha256Hex(data)), data);
}

TEST_F(XorbObjectStoreTest, ALiveWritersFilesAreNoLeftovers) {
  const std::string data = RandomBytes(6 << 20, 17);
  auto writer = store_->NewWriter(ObjectPromise{data.size(), Sha256Hex(data), ""});
  ASSERT_OK(writer.status());
  ASSERT_OK((*writer)->Append(data.data(), data.size()));
  auto other = OpenStore();
  ASSERT_OK(other->CleanTemporaryFiles());
  auto found = other->Leftovers(/*trim=*/true);
  ASSERT_OK(found.status());
  EXPECT_TRUE(found->empty());
  auto info = (*writer)->Commit();
  ASSERT_OK(info.status());
  EXPECT_EQ(ReadObject(info->sha256), data);
}

// Rows and terms of stored files are cached in memory: a removal through the
// same store is seen at once, one by another process within a second.
TEST_F(XorbObjectStoreTest, CachedFileRowsFollowRemovals) {
  const std::string a = RandomBytes(1 << 20, 31);
  const std::string b = RandomBytes(1 << 20, 32);
  ASSERT_OK(Put(a).status());
  ASSERT_OK(Put(b).status());
  EXPECT_EQ(ReadObject(Sha256Hex(a)), a);  // cached now
  ASSERT_OK(store_->Remove(Sha256Hex(a)));
  EXPECT_FALSE(store_->Contains(Sha256Hex(a)));
  EXPECT_EQ(store_->Open(Sha256Hex(a)).status().code(), StatusCode::kNotFound);

  EXPECT_EQ(ReadObject(Sha256Hex(b)), b);
  auto other = OpenStore();
  ASSERT_OK(other->Remove(Sha256Hex(b)));
  bool gone = false;
  for (int i = 0; i < 40 && !gone; ++i) {  // bounded: 4 s
    gone = !store_->Contains(Sha256Hex(b));
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "a removal by another process is never seen";
  // Stored again, it is served again.
  ASSERT_OK(Put(b).status());
  EXPECT_EQ(ReadObject(Sha256Hex(b)), b);
}

// A reader opened before its object is removed (eviction, gc) reads every
// byte: the xorbs of the file are held from the open, not resolved on the
// first read of each (the soak saw streams end early when they were).
TEST_F(XorbObjectStoreTest, AReaderOpenedBeforeARemovalReadsEveryByte) {
  const std::string a = RandomBytes(3 << 20, 33);
  const std::string b = a.substr(0, 2 << 20) + RandomBytes(1 << 20, 34);
  ASSERT_OK(Put(a).status());
  ASSERT_OK(Put(b).status());
  ASSERT_EQ(SharedXorbCount(), 2u);  // b lies in a's xorb and its own
  auto reader = store_->Open(Sha256Hex(b));
  ASSERT_OK(reader.status());
  ASSERT_OK(store_->Remove(Sha256Hex(b)));
  ASSERT_OK(store_->Remove(Sha256Hex(a)));
  EXPECT_EQ(SharedXorbCount(), 0u);
  EXPECT_TRUE(ReadAll(reader->get()) == b) << "the stream of a removed object broke off";
}

TEST_F(XorbObjectStoreTest, RemovalDeletesXorbsNobodyElseNeeds) {
  const std::string a = RandomBytes(3 << 20, 18);
  const std::string b = a.substr(0, 2 << 20) + RandomBytes(1 << 20, 19);
  ASSERT_OK(Put(a).status());
  ASSERT_OK(Put(b).status());
  ASSERT_EQ(SharedXorbCount(), 2u);
  auto freed = store_->RemoveReportingFreed(Sha256Hex(b));
  ASSERT_OK(freed.status());
  EXPECT_GE(*freed, 1u << 20);
  EXPECT_LT(*freed, (1 << 20) + (256 << 10));
  EXPECT_EQ(SharedXorbCount(), 1u);
  EXPECT_EQ(ReadObject(Sha256Hex(a)), a);
  EXPECT_EQ(store_->Remove(Sha256Hex(b)).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hubmirror

namespace hubmirror {
namespace {

// A second store's directory, removed at the end of the scope.
struct ScratchDir {
  ScratchDir() {
    char tmpl[] = "/tmp/hubmirror-store-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

std::string ReadStoredXorb(const StoredXorb& xorb) {
  std::string bytes(xorb.size, '\0');
  auto got = xorb.file->ReadAt(0, bytes.data(), bytes.size());
  EXPECT_TRUE(got.ok() && *got == bytes.size());
  return bytes;
}

// Moving objects between stores in Xet units: what bundles (and Xet
// clients) do.
TEST_F(XorbObjectStoreTest, XorbsAndReconstructionsMoveBetweenStores) {
  const std::string base = RandomBytes(3 << 20, 30);
  const std::string tuned = base.substr(0, 2 << 20) + RandomBytes(1 << 20, 31);
  auto base_info = Put(base);
  auto tuned_info = Put(tuned);
  ASSERT_OK(base_info.status());
  ASSERT_OK(tuned_info.status());
  auto terms = store_->Reconstruction(tuned_info->sha256);
  ASSERT_OK(terms.status());
  ASSERT_GE(terms->size(), 2u) << "the fine-tune names its base's xorb and its own";

  ScratchDir other_dir;
  auto other = NewXorbObjectStore(env_.get(), other_dir.path);
  ASSERT_OK(other.status());
  std::set<XetHash> xorbs;
  for (const XetTerm& t : *terms) xorbs.insert(t.xorb);
  for (const XetHash& h : xorbs) {
    auto stored = store_->OpenXorb(h);
    ASSERT_OK(stored.status());
    auto put = (*other)->PutXorb(h, ReadStoredXorb(*stored));
    ASSERT_OK(put.status());
    EXPECT_TRUE(*put);
    EXPECT_FALSE(*(*other)->PutXorb(h, ReadStoredXorb(*stored)));  // present already
  }
  // A promise the bytes do not keep commits nothing.
  ObjectPromise wrong{tuned.size(), Sha256Hex(base), ""};
  EXPECT_EQ((*other)->CommitReconstruction(wrong, *terms).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE((*other)->Contains(tuned_info->sha256));
  auto info = (*other)->CommitReconstruction(ObjectPromise{tuned.size(), tuned_info->sha256, ""},
                                             *terms);
  ASSERT_OK(info.status());
  EXPECT_EQ(info->xet_hash, tuned_info->xet_hash);
  auto reader = (*other)->Open(tuned_info->sha256);
  ASSERT_OK(reader.status());
  EXPECT_EQ(ReadAll(reader->get()), tuned);
}

TEST_F(XorbObjectStoreTest, PutXorbRefusesBytesThatAreNotTheNamedXorb) {
  ASSERT_OK(Put(RandomBytes(200000, 32)).status());
  auto hashes = store_->ListXorbs();
  ASSERT_OK(hashes.status());
  ASSERT_EQ(hashes->size(), 1u);
  std::string bytes = ReadStoredXorb(*store_->OpenXorb((*hashes)[0]));
  ScratchDir other_dir;
  auto other = NewXorbObjectStore(env_.get(), other_dir.path);
  ASSERT_OK(other.status());
  std::string flipped = bytes;
  flipped[100] ^= 1;
  EXPECT_EQ((*other)->PutXorb((*hashes)[0], flipped).status().code(),
            StatusCode::kInvalidArgument);
  XetHash another = (*hashes)[0];
  another.bytes[0] ^= 1;
  EXPECT_EQ((*other)->PutXorb(another, bytes).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*(*other)->ListXorbs()).empty());
  // Without its footer (as uploads come) it is accepted and stored whole.
  const size_t records = bytes.find("XETBLOB");
  ASSERT_NE(records, std::string::npos);
  ASSERT_TRUE(*(*other)->PutXorb((*hashes)[0], bytes.substr(0, records)));
  EXPECT_EQ(ReadStoredXorb(*(*other)->OpenXorb((*hashes)[0])), bytes);
  // A xorb no file names yet is spared by sweeps for a while.
  auto leftovers = (*other)->Leftovers(/*trim=*/true);
  ASSERT_OK(leftovers.status());
  EXPECT_TRUE(leftovers->empty());
  EXPECT_EQ((*(*other)->ListXorbs()).size(), 1u);
  ASSERT_OK((*other)->RemoveXorb((*hashes)[0]));
  EXPECT_TRUE((*(*other)->ListXorbs()).empty());
}

}  // namespace
}  // namespace hubmirror
