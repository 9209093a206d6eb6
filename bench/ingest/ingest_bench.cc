// hubmirror-ingest-bench: how fast the store ingests one local file the way
// a pull-through does (hash, chunk, deduplicate, compress where it pays,
// write, fsync, commit), for bench/run to set beside `openssl dgst -sha256`
// on the same file.
//
//   hubmirror-ingest-bench FILE STORE_PARENT_DIR [REPS]
//
// The file is mapped (read it once before, so it is in the page cache) and
// appended in 1 MiB pieces, so the harness adds no copy of its own; each
// repetition ingests into a fresh store under STORE_PARENT_DIR (removed
// afterwards) and prints "<seconds> <bytes>" on stdout.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/hash.h"
#include "store/xorb/xorb_object_store.h"

namespace hubmirror {
namespace {

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "ingest-bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// The sha256 a pull-through would be promised (computed before timing).
std::string Sha256OfFile(const std::string& path, uint64_t* size) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "ingest-bench: cannot open %s\n", path.c_str());
    std::exit(1);
  }
  Sha256Hasher hasher;
  std::vector<char> buf(1 << 20);
  size_t n;
  *size = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    hasher.Update(buf.data(), n);
    *size += n;
  }
  std::fclose(f);
  return hasher.FinishHex();
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: hubmirror-ingest-bench FILE STORE_PARENT_DIR [REPS]\n");
    return 2;
  }
  const std::string file = argv[1];
  const std::string parent = argv[2];
  const int reps = argc > 3 ? std::atoi(argv[3]) : 1;
  uint64_t size = 0;
  const std::string sha256 = Sha256OfFile(file, &size);
  std::unique_ptr<Env> env = NewPosixEnv();
  std::vector<char> buf(1 << 20);
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  void* map = size == 0 ? nullptr : ::mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (fd < 0 || map == MAP_FAILED) {
    std::fprintf(stderr, "ingest-bench: cannot map %s\n", file.c_str());
    return 1;
  }
  const char* mapped = static_cast<const char*>(map);
  for (int rep = 0; rep < reps; ++rep) {
    const std::string dir = parent + "/ingest-" + std::to_string(rep);
    std::filesystem::remove_all(dir);
    auto store = NewXorbObjectStore(env.get(), dir);
    Check(store.status(), "open store");
    const auto start = std::chrono::steady_clock::now();
    auto writer = (*store)->NewWriter(ObjectPromise{size, sha256, ""});
    Check(writer.status(), "new writer");
    for (uint64_t at = 0; at < size; at += buf.size()) {
      Check((*writer)->Append(mapped + at, std::min<uint64_t>(buf.size(), size - at)), "append");
    }
    Check((*writer)->Commit().status(), "commit");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.3f %llu\n", seconds, static_cast<unsigned long long>(size));
    std::fflush(stdout);
    writer->reset();
    store->reset();
    std::filesystem::remove_all(dir);
  }
  return 0;
}

}  // namespace
}  // namespace hubmirror

int main(int argc, char** argv) { return hubmirror::Main(argc, argv); }
