#include "server/body_source.h"

#include <gtest/gtest.h>

#include <string>

#include "store/xorb/xorb_object_store.h"
#include "store/hash.h"
#include "tests/server/server_test_util.h"

namespace hubmirror {
namespace {

// Hides the descriptor of a reader, so the copying path is taken.
class NoFdReader : public ObjectReader {
 public:
  explicit NoFdReader(std::unique_ptr<ObjectReader> inner) : inner_(std::move(inner)) {}
  uint64_t size() const override { return inner_->size(); }
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    return inner_->ReadAt(offset, buf, n);
  }

 private:
  std::unique_ptr<ObjectReader> inner_;
};

class BodySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = NewXorbObjectStore(env_.get(), dir_.path());
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    // Not a multiple of the page size or the map window.
    content_.resize(2 * kBodyMapWindowBytes + 12345);
    uint64_t x = 88172645463325252ull;
    for (char& c : content_) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      c = static_cast<char>(x);
    }
    sha256_ = Sha256Hex(content_);
    auto writer = store_->NewWriter(ObjectPromise{content_.size(), sha256_, ""});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(content_.data(), content_.size()).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  }

  std::unique_ptr<ObjectReader> Open() {
    auto reader = store_->Open(sha256_);
    EXPECT_TRUE(reader.ok());
    return std::move(reader).value();
  }

  // Streams [first, first + length) as the HTTP layer does.
  std::string Stream(BodySource& body, uint64_t first, uint64_t length) {
    std::string out;
    BodyWriter write = [&out](const char* data, size_t n) {
      out.append(data, n);
      return true;
    };
    while (out.size() < length) {
      Result<size_t> sent = body.WriteSome(first + out.size(), length - out.size(), write);
      EXPECT_TRUE(sent.ok()) << sent.status().ToString();
      if (!sent.ok() || *sent == 0) break;
    }
    return out;
  }

  ScratchDir dir_;
  std::unique_ptr<Env> env_ = NewPosixEnv();
  std::unique_ptr<ObjectStore> store_;
  std::string content_;
  std::string sha256_;
};

TEST_F(BodySourceTest, MappedWindowsDeliverExactBytesAtUnalignedOffsets) {
  RawFileSpan spans[4];
  ASSERT_EQ(Open()->GetRawSpans(0, kBodyMapWindowBytes, spans, 4), 4u)
      << "random bytes are stored uncompressed, verbatim in their xorb";
  const uint64_t size = content_.size();
  for (uint64_t first : {uint64_t{0}, uint64_t{1}, uint64_t{4095}, uint64_t{kBodyMapWindowBytes - 7},
                         size - 1}) {
    std::unique_ptr<BodySource> body = NewStoredBody(Open());
    EXPECT_EQ(Stream(*body, first, size - first), content_.substr(first)) << "from " << first;
  }
  std::unique_ptr<BodySource> body = NewStoredBody(Open());
  EXPECT_EQ(Stream(*body, 5000, 3 * 4096), content_.substr(5000, 3 * 4096));
}

TEST_F(BodySourceTest, CopiedReadsDeliverExactBytes) {
  std::unique_ptr<BodySource> body = NewStoredBody(std::make_unique<NoFdReader>(Open()));
  EXPECT_EQ(Stream(*body, 0, content_.size()), content_);
  body = NewStoredBody(std::make_unique<NoFdReader>(Open()));
  EXPECT_EQ(Stream(*body, 777, 1000), content_.substr(777, 1000));
}

TEST_F(BodySourceTest, AGoneClientEndsTheResponse) {
  BodyWriter closed = [](const char*, size_t) { return false; };
  EXPECT_FALSE(NewStoredBody(Open())->WriteSome(0, 100, closed).ok());
  EXPECT_FALSE(NewStoredBody(std::make_unique<NoFdReader>(Open()))->WriteSome(0, 100, closed).ok());
}

TEST_F(BodySourceTest, AWriteNeverExceedsTheRequestedLength) {
  std::unique_ptr<BodySource> body = NewStoredBody(Open());
  size_t seen = 0;
  BodyWriter write = [&seen](const char*, size_t n) {
    seen += n;
    return true;
  };
  Result<size_t> sent = body->WriteSome(10, 3, write);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 3u);
  EXPECT_EQ(seen, 3u);
}

}  // namespace
}  // namespace hubmirror
