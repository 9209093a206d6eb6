// hubmirror-dedup-bench: how much the store (Xet chunks in xorbs) keeps of
// realistic synthetic checkpoints and datasets, how fast it ingests, and how
// fast it serves, beside file-level dedup, fixed 64 KiB blocks and sha256sum.
//
//   hubmirror-dedup-bench [--dir DIR] [--base-mib N]
//
// "Served" means read back through ObjectReader::ReadAt in 1 MiB pieces,
// in-process (no HTTP), warm page cache, best of 3 passes.
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench/dedup/synthetic_checkpoints.h"
#include "store/xorb/xorb_object_store.h"
#include "store/chunked_object_store.h"
#include "store/hash.h"

namespace hubmirror::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kPiece = 1 << 20;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

std::string ReadFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

struct IngestResult {
  uint64_t bytes = 0;
  double seconds = 0;
  std::vector<std::string> sha256s;
};

// Streams each file from disk into the store, as a pull-through would.
IngestResult Ingest(ObjectStore* store, const SyntheticSet& set) {
  IngestResult r;
  std::vector<char> buf(kPiece);
  auto start = Clock::now();
  for (const SyntheticFile& f : set.files) {
    std::string sha = Sha256Hex(ReadFile(f.path));  // the promise, known upfront
    auto begin = Clock::now();
    auto writer = store->NewWriter(ObjectPromise{f.size, sha, ""});
    Check(writer.status(), "writer");
    FILE* in = std::fopen(f.path.c_str(), "rb");
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
      Check((*writer)->Append(buf.data(), n), "append");
    }
    std::fclose(in);
    Check((*writer)->Commit().status(), "commit");
    r.seconds += Seconds(begin);
    r.bytes += f.size;
    r.sha256s.push_back(sha);
  }
  (void)start;
  return r;
}

uint64_t FileLevelBytes(const SyntheticSet& set, const std::vector<std::string>& shas) {
  std::set<std::string> seen;
  uint64_t n = 0;
  for (size_t i = 0; i < shas.size(); ++i) {
    if (seen.insert(shas[i]).second) n += set.files[i].size;
  }
  return n;
}

uint64_t FixedBlockBytes(const SyntheticSet& set) {
  constexpr size_t kBlock = 64 * 1024;
  std::set<std::pair<uint64_t, uint64_t>> seen;
  uint64_t n = 0;
  for (const SyntheticFile& f : set.files) {
    std::string data = ReadFile(f.path);
    for (size_t off = 0; off < data.size(); off += kBlock) {
      size_t len = std::min(kBlock, data.size() - off);
      XXH128_hash_t h = XXH3_128bits(data.data() + off, len);
      if (seen.insert({h.high64, h.low64}).second) n += len;
    }
  }
  return n;
}

uint64_t ChunkedBytes(ChunkedObjectStore* store, const std::vector<std::string>& shas) {
  std::unordered_set<int64_t> seen;
  uint64_t n = 0;
  for (const std::string& sha : shas) {
    auto fp = store->Footprint(sha);
    Check(fp.status(), "footprint");
    for (const auto& [id, stored] : fp->chunks) {
      if (seen.insert(id).second) n += stored;
    }
  }
  return n;
}

// Best of 3 warm passes, MB/s.
double ServeRate(ObjectStore* store, const std::string& sha) {
  auto reader = store->Open(sha);
  Check(reader.status(), "open");
  std::vector<char> buf(kPiece);
  double best = 0;
  for (int pass = 0; pass < 4; ++pass) {
    auto start = Clock::now();
    for (uint64_t off = 0; off < (*reader)->size();) {
      auto got = (*reader)->ReadAt(off, buf.data(), buf.size());
      Check(got.status(), "read");
      off += *got;
    }
    double rate = (*reader)->size() / Seconds(start) / 1e6;
    if (pass > 0) best = std::max(best, rate);
  }
  return best;
}

double Sha256sumRate(const std::vector<std::string>& paths, uint64_t bytes) {
  std::string cmd = "taskset -c 0 sha256sum";
  for (const std::string& p : paths) cmd += " '" + p + "'";
  cmd += " > /dev/null";
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    auto start = Clock::now();
    if (std::system(cmd.c_str()) != 0) return 0;
    best = std::max(best, bytes / Seconds(start) / 1e6);
  }
  return best;
}

int Main(int argc, char** argv) {
  std::string dir = "/tmp/hubmirror-dedup-bench";
  uint64_t base_mib = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--base-mib") base_mib = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::filesystem::remove_all(dir);
  GeneratorOptions options;
  options.dir = dir + "/files";
  options.base_model_bytes = base_mib << 20;
  std::vector<SyntheticSet> sets = GenerateSyntheticSets(options);
  std::unique_ptr<Env> env = NewPosixEnv();

  std::printf("%-10s %6s %12s %12s | %10s %10s %10s   (stored / unique)\n", "set", "files",
              "logical", "unique", "file-level", "fixed-64K", "Xet CDC");
  IngestResult all;
  std::vector<std::string> all_paths;
  std::unique_ptr<ChunkedObjectStore> fine_tune_store;
  std::string base_sha;
  for (const SyntheticSet& set : sets) {
    auto store = NewXorbObjectStore(env.get(), dir + "/store-" + set.name);
    Check(store.status(), "store");
    IngestResult r = Ingest(store->get(), set);
    all.bytes += r.bytes;
    all.seconds += r.seconds;
    uint64_t logical = 0;
    for (const SyntheticFile& f : set.files) {
      logical += f.size;
      all_paths.push_back(f.path);
    }
    const double unique = static_cast<double>(set.unique_bytes);
    std::printf("%-10s %6zu %12llu %12llu | %10.3f %10.3f %10.3f\n", set.name.c_str(),
                set.files.size(), static_cast<unsigned long long>(logical),
                static_cast<unsigned long long>(set.unique_bytes),
                FileLevelBytes(set, r.sha256s) / unique, FixedBlockBytes(set) / unique,
                ChunkedBytes(store->get(), r.sha256s) / unique);
    if (!fine_tune_store) {
      base_sha = r.sha256s[0];
      fine_tune_store = std::move(store).value();
    }
  }

  std::printf("\ningest (Xet store, 3 pipeline stages, incl. fsync): %.0f MB/s over %llu MB\n",
              all.bytes / all.seconds / 1e6, static_cast<unsigned long long>(all.bytes >> 20));
  double sha_rate = Sha256sumRate(all_paths, all.bytes);
  std::printf("sha256sum (taskset -c 0, same files, warm):  %.0f MB/s  -> ratio %.2f\n", sha_rate,
              sha_rate > 0 ? all.bytes / all.seconds / 1e6 / sha_rate : 0.0);

  // The base model stored whole (pre-chunking layout) vs chunked.
  auto whole = NewFileObjectStore(env.get(), dir + "/store-whole");
  Check(whole.status(), "whole store");
  IngestResult w = Ingest(whole->get(), SyntheticSet{"whole", {sets[0].files[0]}, 0});
  std::printf("ingest (one file per object, same base):     %.0f MB/s\n",
              w.bytes / w.seconds / 1e6);
  double chunked_rate = ServeRate(fine_tune_store.get(), base_sha);
  double whole_rate = ServeRate(whole->get(), base_sha);
  std::printf("warm serve, ObjectReader 1 MiB ReadAt: xorbs %.0f MB/s, whole file %.0f MB/s "
              "-> ratio %.2f\n",
              chunked_rate, whole_rate, chunked_rate / whole_rate);
  return 0;
}

}  // namespace
}  // namespace hubmirror::bench

int main(int argc, char** argv) { return hubmirror::bench::Main(argc, argv); }
